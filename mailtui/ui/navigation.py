"""Moving around: cursor and pane keys, folder picker, search, selection, list views.

A mixin of the main screen; the cursor keys act on whichever pane has focus.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual import work

from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.screens.picker import Item, Picker, Prompt
from mailtui.ui.views import SORT_KEYS, ViewSpec, toggle
from mailtui.ui.widgets.folder_tree import FolderTree, role_note
from mailtui.ui.widgets.reader import Reader

if TYPE_CHECKING:
    from mailtui.ui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object


class NavigationMixin(_Base):
    """Navigation behaviour for MainScreen (see the module docstring)."""

    # --- movement actions ------------------------------------------------------------------

    def _pane(self) -> str:
        focused = self.focused
        if isinstance(focused, FolderTree):
            return "tree"
        if isinstance(focused, Reader) or self.has_class("-zoom"):
            return "reader"
        return "list"

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        pane = self._pane()
        if pane == "tree":
            (
                self.folder_tree.action_cursor_down
                if step > 0
                else self.folder_tree.action_cursor_up
            )()
        elif pane == "reader":
            self.reader.scroll_relative(y=step, animate=False)
        else:
            self.messages.move_by(step, user=True)
            self._after_move()

    def _after_move(self) -> None:
        self.status.set(selected=len(self.messages.selected_uids()))

    def action_page_down(self) -> None:
        self._page(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def _page(self, step: int) -> None:
        pane = self._pane()
        if pane == "reader":
            (self.reader.scroll_page_down if step > 0 else self.reader.scroll_page_up)(
                animate=False
            )
        elif pane == "tree":
            (self.folder_tree.action_page_down if step > 0 else self.folder_tree.action_page_up)()
        else:
            self.messages.move_page(step, user=True)
            self._after_move()

    def action_first(self) -> None:
        pane = self._pane()
        if pane == "reader":
            self.reader.scroll_home(animate=False)
        elif pane == "tree":
            self.folder_tree.action_scroll_home()
        else:
            self.messages.move_to(0, user=True)
            self._after_move()

    def action_last(self) -> None:
        pane = self._pane()
        if pane == "reader":
            self.reader.scroll_end(animate=False)
        elif pane == "tree":
            self.folder_tree.action_scroll_end()
        else:
            self.messages.move_to(len(self.messages.rows) - 1, user=True)
            self._after_move()

    def action_next_unread(self) -> None:
        self._unread(1)

    def action_prev_unread(self) -> None:
        self._unread(-1)

    def _unread(self, step: int) -> None:
        index = self.messages.find_unread(step)
        if index is None:
            self.notify("No more unread messages", timeout=2, markup=False)
            return
        self.messages.move_to(index, user=True)
        self.messages.focus()

    def action_focus_next_pane(self) -> None:
        self._cycle_focus(1)

    def action_focus_prev_pane(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        panes = [
            w for w in (self.folder_tree, self.messages, self.reader) if w.display and w.region.area
        ]
        if not panes:
            return
        focused = self.focused
        index = panes.index(focused) if focused in panes else 0
        panes[(index + step) % len(panes)].focus()

    def action_go_folder(self) -> None:
        items = []
        for name in self.mail.services:
            for folder in sorted(self.folder_tree.folders(name), key=lambda f: f.name.casefold()):
                if not folder.selectable:
                    continue
                label = folder.name if len(self.mail.services) == 1 else f"{name}: {folder.name}"
                items.append(Item(json.dumps([name, folder.name]), label, role_note(folder)))

        def chosen(value: str | None) -> None:
            if value:
                account, folder = json.loads(value)
                self.open_folder(account, folder)
                self.messages.focus()

        self.app.push_screen(Picker("Go to folder", items), chosen)

    # --- search ----------------------------------------------------------------------------

    def action_search(self) -> None:
        if self.folder is None:
            return

        def submitted(query: str | None) -> None:
            if query is None:
                return
            if not query.strip():
                self._clear_search()
                return
            self.run_search(query.strip())

        placeholder = 'from:alice subject:"q3 report" unseen since:2026-01-01 invoice'
        self.app.push_screen(
            Prompt("Search this folder", self.search_query, placeholder), submitted
        )

    @work(group="search", exclusive=True)
    async def run_search(self, query: str) -> None:
        folder, service = self.folder, self.service
        if folder is None:
            return
        self.search_query = query
        self.status.set(search=query, matches=-1)
        local = self.online is False
        try:
            uids = await self.mail.bridge.call(
                service, commands.Search(folder=folder, query=query, local=local)
            )
        except ServiceFailed as exc:
            if exc.kind == "ConnectionLost" and not local:
                uids = await self.mail.bridge.call(
                    service, commands.Search(folder=folder, query=query, local=True)
                )
            else:
                self._clear_search()
                self.notify(exc.sentence(), severity="error", markup=False)
                return
        if folder != self.folder or not self.is_attached:
            return
        self.messages.set_matches(uids or [])
        self.status.set(matches=len(self.messages.matches))
        if not self.messages.matches:
            self.notify(f"Nothing matches {query}", timeout=3, markup=False)
        elif self.messages.cursor_uid not in self.messages.matches:
            self.messages.next_match(1)

    def action_search_next(self) -> None:
        if not self.messages.next_match(1):
            self.notify("No search matches; / searches", timeout=2, markup=False)

    def action_search_prev(self) -> None:
        if not self.messages.next_match(-1):
            self.notify("No search matches; / searches", timeout=2, markup=False)

    def _clear_search(self) -> None:
        self.search_query = ""
        self.messages.set_matches(())
        self.status.set(search="", matches=-1)

    # --- selection -------------------------------------------------------------------------

    def action_visual(self) -> None:
        self.messages.toggle_visual()
        self._after_move()

    def action_select_down(self) -> None:
        self._extend(1)

    def action_select_up(self) -> None:
        self._extend(-1)

    def _extend(self, step: int) -> None:
        uid = self.messages.cursor_uid
        if uid is not None:
            self.messages.selected.add(uid)
        self.messages.move_by(step, user=True)
        uid = self.messages.cursor_uid
        if uid is not None:
            self.messages.selected.add(uid)
        self.messages.refresh()
        self._after_move()

    def action_select_toggle(self) -> None:
        uid = self.messages.cursor_uid
        if uid is not None:
            self.messages.toggle_selected(uid)
            self.messages.move_by(1, user=True)
        self._after_move()

    def action_select_all(self) -> None:
        self.messages.select_all()
        self._after_move()

    def action_clear(self) -> None:
        if self.has_class("-zoom"):
            self.action_zoom()
        elif self.messages.clear_selection():
            self._after_move()
        elif self.search_query:
            self._clear_search()

    # --- view ------------------------------------------------------------------------------

    def action_toggle_threads(self) -> None:
        spec = self.view_spec
        self.set_view(ViewSpec(spec.sort, spec.reverse, not spec.threaded, frozenset()))

    def action_toggle_thread(self) -> None:
        if not self.view_spec.threaded:
            self.notify("Threads are off; t shows conversations", timeout=3, markup=False)
            return
        uid = self.messages.cursor_uid
        root = self.view.root_of.get(uid) if uid is not None else None
        if root is None:
            return
        spec = self.view_spec
        self._move_after_reload = root
        self.set_view(ViewSpec(spec.sort, spec.reverse, True, toggle(spec.collapsed, root)))

    def action_sort(self) -> None:
        spec = self.view_spec
        nxt = (
            SORT_KEYS[(SORT_KEYS.index(spec.sort) + 1) % len(SORT_KEYS)]
            if spec.sort in SORT_KEYS
            else "date"
        )
        # In threads, conversations are ordered by the key (date: latest activity).
        self.set_view(ViewSpec(nxt, spec.reverse, spec.threaded, spec.collapsed))
        self.notify(f"Sorted by {nxt}", timeout=2, markup=False)

    def action_reverse_sort(self) -> None:
        spec = self.view_spec
        self.set_view(ViewSpec(spec.sort, not spec.reverse, spec.threaded, spec.collapsed))

    def action_refresh(self) -> None:
        if self.folder is None:
            return
        self.mail.bridge.submit(self.service, commands.RefreshFolders())
        self.mail.bridge.submit(self.service, commands.SyncFolder(folder=self.folder))
        self.notify("Checking for new mail…", timeout=2, markup=False)

    def action_toggle_folders(self) -> None:
        self.folder_tree.display = not self.folder_tree.display
        if not self.folder_tree.display and self.focused is self.folder_tree:
            self.messages.focus()
