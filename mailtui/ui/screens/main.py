"""The main screen: folder tree, message list, reader, status — and the actions behind the keys.

It is the controller: it opens folders (rows from the cache at once, then the service
keeps them live), applies service events to the panes, and runs the registry's
actions. Reading and triage live in mixins (ui/reading.py, ui/triage.py) to keep each
module about one job.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Tree

from mailtui.model import Role
from mailtui.sync import commands, events
from mailtui.ui.actions import bindings
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.reading import ReadingMixin
from mailtui.ui.screens.picker import Item, Picker, Prompt
from mailtui.ui.triage import TriageMixin
from mailtui.ui.views import SORT_KEYS, FolderView, ViewSpec, compute_view, toggle
from mailtui.ui.widgets.folder_tree import FolderRef, FolderTree, display_name, role_note
from mailtui.ui.widgets.message_list import MessageList
from mailtui.ui.widgets.reader import Reader
from mailtui.ui.widgets.status_bar import OfflineBanner, StatusBar

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.app import MailApp

_RELOAD_DELAY = 0.15  # coalesce bursts of deltas into one list update
_COUNTS_DELAY = 0.3
_RECENT_VIEWS = 6


class MainScreen(ReadingMixin, TriageMixin, Screen[None]):
    """Three panes over one account's folder at a time."""

    BINDINGS = bindings()
    AUTO_FOCUS = "#messages"

    def __init__(self) -> None:
        super().__init__(id="main")
        self.account = ""
        self.folder: str | None = None
        self.view_spec = ViewSpec()
        self.view = FolderView(rows=self._empty_rows())
        self.search_query = ""
        self.online: bool | None = None
        self._reload_timer: Timer | None = None
        self._reloading = False
        self._reload_again = False
        self._counts_due: set[tuple[str, str]] = set()
        self._counts_timer: Timer | None = None
        self._watching: dict[str, str] = {}
        # Recently shown folders' rows: re-opening one is instant, then refreshed.
        self._recent: OrderedDict[tuple[str, str, ViewSpec], FolderView] = OrderedDict()
        self.init_reading()

    @staticmethod
    def _empty_rows():
        from mailtui.ui.widgets.message_list import Rows

        return Rows()

    @property
    def mail(self) -> MailApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self) -> SyncService:
        return self.mail.services[self.account]

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        clock = self.mail.clock
        yield OfflineBanner(id="banner")
        with Horizontal(id="body"):
            yield FolderTree(id="folders")
            with Vertical(id="right"):
                yield MessageList(clock=clock, id="messages")
                yield Reader(clock=clock, id="reader")
        yield StatusBar(id="status")
        yield Footer(id="footer", show_command_palette=False)

    @property
    def folder_tree(self) -> FolderTree:
        return self.query_one(FolderTree)

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def reader(self) -> Reader:
        return self.query_one(Reader)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        ui = self.mail.ctx.settings.ui
        sort = ui.sort if ui.sort in SORT_KEYS else "date"
        self.view_spec = ViewSpec(sort, ui.reverse, ui.threaded)
        self.status.set(sort=sort, reverse=ui.reverse, threaded=ui.threaded)
        self.reader.set_palette(self.mail.palette())
        for name, service in self.mail.services.items():
            self.folder_tree.set_folders(name, service.folders())
        account, folder = self._initial_folder()
        self.open_folder(account, folder)
        for service in self.mail.services.values():
            self.mail.bridge.submit(service, commands.SyncAll())
        self.on_resize()

    def on_resize(self, event: object = None) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    def _initial_folder(self) -> tuple[str, str]:
        accounts = list(self.mail.services)
        preferred = self.mail.account if self.mail.account in accounts else accounts[0]
        last = self.mail.load_state().get("last", {})
        account = last.get("account")
        folder = last.get("folder")
        if (
            isinstance(account, str)
            and isinstance(folder, str)
            and account in accounts
            and (self.mail.account is None or account == self.mail.account)
            and self.folder_tree.folder(account, folder) is not None
        ):
            return account, folder
        return preferred, "INBOX"

    # --- opening folders -----------------------------------------------------------------

    def open_folder(self, account: str, folder: str) -> None:
        """Rows from the cache now; the service brings the folder up to date behind it."""
        self.account = account
        self.folder = folder
        info = self.folder_tree.folder(account, folder)
        self.messages.outgoing = info is not None and info.role in (Role.SENT, Role.DRAFTS)
        self.view_spec = ViewSpec(
            self.view_spec.sort, self.view_spec.reverse, self.view_spec.threaded
        )
        self.search_query = ""
        self.reader.clear()
        self.status.set(
            account=account, folder=display_name(info) if info else folder, search="", selected=0
        )
        self.folder_tree.show_folder(account, folder)
        service = self.mail.services[account]
        self.messages.fetch = lambda uids: service.envelopes(folder, uids)
        self.mail.save_state({"last": {"account": account, "folder": folder}})
        recent = self._recent.get((account, folder, self.view_spec))
        if recent is not None:
            self._apply_view(account, folder, self.view_spec, recent, reset=True)
            self.reload()
        else:
            self.messages.load(self._empty_rows(), placeholder="Loading…")
            self.reload(reset=True)

    def _watch(self, account: str, folder: str) -> None:
        """Keep the open folder live (IDLE); needs the folder known to the cache."""
        if self._watching.get(account) == folder:
            return
        service = self.mail.services[account]
        if self.folder_tree.folder(account, folder) is None:
            return  # not listed yet: FoldersListed calls back here
        self._watching[account] = folder
        self.mail.bridge.submit(service, commands.Watch(folder=folder))

    @work(group="view", exclusive=True)
    async def reload(self, reset: bool = False) -> None:
        """Recompute the rows from the cache (off the UI thread) and apply them."""
        if self.folder is None:
            return
        account, folder, spec = self.account, self.folder, self.view_spec
        self._reloading = True
        try:
            view = await self.mail.bridge.read(compute_view, self.service, folder, spec)
        finally:
            self._reloading = False
        if (account, folder) != (self.account, self.folder) or not self.is_attached:
            return
        self._apply_view(account, folder, spec, view, reset=reset)
        if self._reload_again:
            self._reload_again = False
            self.schedule_reload()
        # Counts after the rows: on a 100k folder they cost a few tens of ms.
        total, unread = await self.mail.bridge.read(self.service.counts, folder)
        if self.is_attached:
            self._show_counts(account, folder, total, unread, view.synced)

    def _apply_view(
        self, account: str, folder: str, spec: ViewSpec, view: FolderView, *, reset: bool
    ) -> None:
        self.view = view
        self._recent[(account, folder, spec)] = view
        self._recent.move_to_end((account, folder, spec))
        while len(self._recent) > _RECENT_VIEWS:
            self._recent.popitem(last=False)
        placeholder = self._placeholder(view.synced)
        if reset:
            self.messages.load(view.rows, placeholder=placeholder)
            # Live updates start once the cached rows are on screen.
            self._watch(account, folder)
        else:
            self.messages.update_rows(view.rows, placeholder=placeholder)
        if self._move_after_reload is not None:
            index = self.messages.index_of(self._move_after_reload)
            self._move_after_reload = None
            if index is not None:
                self.messages.move_to(index)

    def _placeholder(self, synced: bool) -> str:
        if self.online is False:
            return "No messages in the cache (offline)"
        return "No messages" if synced else "Loading…"

    def schedule_reload(self) -> None:
        """Coalesce a burst of deltas (a cold sync's batches) into one update."""
        if self._reloading:
            self._reload_again = True
            return
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(_RELOAD_DELAY, self._reload_due)

    def _reload_due(self) -> None:
        self._reload_timer = None
        if self.is_attached:
            self.reload()

    def set_view(self, spec: ViewSpec) -> None:
        self.view_spec = spec
        self.status.set(sort=spec.sort, reverse=spec.reverse, threaded=spec.threaded)
        self.reload()

    # --- counts --------------------------------------------------------------------------

    def refresh_counts(self, account: str, folder: str) -> None:
        self._counts_due.add((account, folder))
        if self._counts_timer is None:
            self._counts_timer = self.set_timer(_COUNTS_DELAY, self._counts_now)

    def _counts_now(self) -> None:
        self._counts_timer = None
        if not self.is_attached:
            return
        due, self._counts_due = self._counts_due, set()
        for account, folder in due:
            service = self.mail.services.get(account)
            if service is None:
                continue
            total, unread = service.counts(folder)
            self._show_counts(account, folder, total, unread, service.folder_state(folder).synced)

    def _show_counts(
        self, account: str, folder: str, total: int, unread: int, synced: bool
    ) -> None:
        # Before its first sync the cache knows less than the server's STATUS counts.
        if synced or total:
            self.folder_tree.update_counts(account, folder, total, unread)
        if (account, folder) == (self.account, self.folder):
            self.status.set(count=total, unread=unread)

    # --- service events --------------------------------------------------------------------

    def handle_event(self, event: events.Event) -> None:
        """One sync event, on the UI thread (see ui/bridge.py)."""
        handler = getattr(self, f"_event_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def _current(self, event: Any) -> bool:
        return event.account == self.account and event.folder == self.folder

    def _event_ConnectionChanged(self, event: events.ConnectionChanged) -> None:
        if event.account != self.account:
            return
        was = self.online
        self.online = event.state == "online"
        self.status.set(state=event.state, detail=event.detail)
        banner = self.query_one(OfflineBanner)
        if self.online:
            banner.hide()
            if was is False:
                self.notify("Back online", timeout=3, markup=False)
                self.mail.bridge.submit(self.service, commands.SyncAll())
        else:
            banner.show(event.detail, self.status.status.pending)
            self.messages.placeholder = self._placeholder(self.view.synced)
            self.messages.refresh()

    def _event_FoldersListed(self, event: events.FoldersListed) -> None:
        self.folder_tree.set_folders(event.account, list(event.folders))
        if event.account == self.account and self.folder:
            self._watch(self.account, self.folder)
            info = self.folder_tree.folder(self.account, self.folder)
            if info is not None:
                self.status.set(folder=display_name(info))
                self.messages.outgoing = info.role in (Role.SENT, Role.DRAFTS)

    def _event_SyncStarted(self, event: events.SyncStarted) -> None:
        if event.account == self.account:
            self.status.set(syncing=event.folder, done=0, total=event.total)

    def _event_HeadersSynced(self, event: events.HeadersSynced) -> None:
        if event.account == self.account and event.total:
            self.status.set(syncing=event.folder, done=event.done, total=event.total)
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.messages.invalidate(event.uids)
            self.schedule_reload()

    def _event_FlagsChanged(self, event: events.FlagsChanged) -> None:
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.messages.invalidate(event.uids)
            self.reader_flags_changed(event.uids)

    def _event_MessagesVanished(self, event: events.MessagesVanished) -> None:
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.schedule_reload()

    def _event_FolderSynced(self, event: events.FolderSynced) -> None:
        if event.account == self.account and self.status.status.syncing == event.folder:
            self.status.set(syncing="", done=0, total=0)
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.schedule_reload()

    def _event_NewMail(self, event: events.NewMail) -> None:
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.schedule_reload()

    def _event_ActionApplied(self, event: events.ActionApplied) -> None:
        self.refresh_counts(event.account, event.folder)
        if event.dest:
            self.refresh_counts(event.account, event.dest)
        if not self._current(event):
            return
        if event.kind == "flags":
            self.messages.invalidate(event.uids)
            self.reader_flags_changed(event.uids)
        else:
            self.reload()

    def _event_ActionFailed(self, event: events.ActionFailed) -> None:
        self.notify(
            f"The server refused a change ({event.kind}): {event.message}. "
            "The folder is being resynced.",
            severity="error",
            markup=False,
        )

    def _event_PendingChanged(self, event: events.PendingChanged) -> None:
        if event.account != self.account:
            return
        self.status.set(pending=event.count)
        if self.online is False:
            self.query_one(OfflineBanner).show(self.status.status.detail, event.count)

    def _event_Failed(self, event: events.Failed) -> None:
        # Connection trouble shows as the offline banner; everything else is news.
        if event.kind in ("ConnectionLost",) or self.online is False:
            return
        message = event.message + (f" — {event.hint}" if event.hint else "")
        self.notify(message, severity="error", markup=False, timeout=8)

    # --- widget messages -------------------------------------------------------------------

    @on(Tree.NodeSelected, "#folders")
    def _folder_chosen(self, event: Tree.NodeSelected[FolderRef]) -> None:
        ref = event.node.data
        if ref is None or ref.folder is None:
            event.node.toggle()
            return
        if not ref.selectable:
            self.notify("This folder holds only other folders", timeout=3, markup=False)
            return
        self.open_folder(ref.account, ref.folder)
        self.messages.focus()

    @on(MessageList.CursorMoved)
    def _cursor_moved(self, event: MessageList.CursorMoved) -> None:
        self.status.set(selected=len(self.messages.selected_uids()))
        self.preview_soon(event.uid)

    @on(MessageList.Activated)
    def _activated(self, event: MessageList.Activated) -> None:
        self.open_now(event.uid)

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
            self.messages.move_by(step)
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
            self.messages.move_by(step * self.messages.page_rows)
            self._after_move()

    def action_first(self) -> None:
        pane = self._pane()
        if pane == "reader":
            self.reader.scroll_home(animate=False)
        elif pane == "tree":
            self.folder_tree.action_scroll_home()
        else:
            self.messages.move_to(0)
            self._after_move()

    def action_last(self) -> None:
        pane = self._pane()
        if pane == "reader":
            self.reader.scroll_end(animate=False)
        elif pane == "tree":
            self.folder_tree.action_scroll_end()
        else:
            self.messages.move_to(len(self.messages.rows) - 1)
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
        self.messages.move_to(index)
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
        self.messages.move_by(step)
        uid = self.messages.cursor_uid
        if uid is not None:
            self.messages.selected.add(uid)
        self.messages.refresh()
        self._after_move()

    def action_select_toggle(self) -> None:
        uid = self.messages.cursor_uid
        if uid is not None:
            self.messages.toggle_selected(uid)
            self.messages.move_by(1)
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
        self.set_view(ViewSpec(nxt, spec.reverse, False, frozenset()))
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

    # --- app -------------------------------------------------------------------------------

    def action_help(self) -> None:
        self.mail.action_show_keys()

    def action_command_palette(self) -> None:
        self.app.action_command_palette()

    def action_change_theme(self) -> None:
        self.app.action_change_theme()

    def action_quit(self) -> None:
        self.app.exit(0)


__all__ = ["MainScreen", "Path"]
