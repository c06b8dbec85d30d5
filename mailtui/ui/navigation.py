"""Moving around: cursor and pane keys, the folder picker, selection, the folder pane.

A component of the main screen (see ui/host.py), with no state of its own: the
cursor keys act on whichever pane has focus (the reader when it is full screen).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual.css.scalar import Unit

from mailtui.ui.screens.picker import Item, Picker
from mailtui.ui.widgets.folder_tree import FolderTree, role_note
from mailtui.ui.widgets.reader import Reader

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost

SPLIT_DEFAULT = 45  # the list's share of the height, as mailtui.tcss sets it
SPLIT_MIN, SPLIT_MAX, SPLIT_STEP = 15, 85, 5


class Navigation:
    """The movement and selection keys (see the module docstring)."""

    def __init__(self, host: ScreenHost) -> None:
        self._host = host

    def _pane(self) -> str:
        focused = self._host.focused
        if isinstance(focused, FolderTree):
            return "tree"
        if isinstance(focused, Reader) or self._host.has_class("-zoom"):
            return "reader"
        return "list"

    def _after_move(self) -> None:
        self._host.status.set(selected=len(self._host.messages.selected_uids()))

    def step(self, step: int) -> None:
        """One line down (1) or up (-1) in the focused pane."""
        host = self._host
        pane = self._pane()
        if pane == "tree":
            tree = host.folder_tree
            (tree.action_cursor_down if step > 0 else tree.action_cursor_up)()
        elif pane == "reader":
            host.reader.scroll_relative(y=step, animate=False)
        else:
            host.messages.move_by(step, user=True)
            self._after_move()

    def page(self, step: int) -> None:
        """A screenful down (1) or up (-1) in the focused pane."""
        host = self._host
        pane = self._pane()
        if pane == "reader":
            reader = host.reader
            (reader.scroll_page_down if step > 0 else reader.scroll_page_up)(animate=False)
        elif pane == "tree":
            tree = host.folder_tree
            (tree.action_page_down if step > 0 else tree.action_page_up)()
        else:
            host.messages.move_page(step, user=True)
            self._after_move()

    def end(self, last: bool) -> None:
        """To the first (or last) line of the focused pane."""
        host = self._host
        pane = self._pane()
        if pane == "reader":
            (host.reader.scroll_end if last else host.reader.scroll_home)(animate=False)
        elif pane == "tree":
            tree = host.folder_tree
            (tree.action_scroll_end if last else tree.action_scroll_home)()
        else:
            host.messages.move_to(len(host.messages.rows) - 1 if last else 0, user=True)
            self._after_move()

    def unread(self, step: int) -> None:
        """To the next (1) or previous (-1) unread message."""
        messages = self._host.messages
        index = messages.find_unread(step)
        if index is None:
            self._host.notify("No more unread messages", timeout=2, markup=False)
            return
        messages.move_to(index, user=True)
        messages.focus()

    def cycle_focus(self, step: int) -> None:
        """Focus the next (1) or previous (-1) visible pane."""
        host = self._host
        panes = [
            w for w in (host.folder_tree, host.messages, host.reader) if w.display and w.region.area
        ]
        if not panes:
            return
        focused = host.focused
        index = panes.index(focused) if focused in panes else 0
        # At once (Screen.set_focus), not at the next idle (Widget.focus): a key queued
        # behind tab ("tab j" typed fast, pasted, or over a slow link) acts in the new pane.
        host.set_focus(panes[(index + step) % len(panes)])

    def go_folder(self) -> None:
        """Pick a folder of any account by typing part of its name."""
        host = self._host
        services = host.mail.services
        items = []
        for name in services:
            for folder in sorted(host.folder_tree.folders(name), key=lambda f: f.name.casefold()):
                if not folder.selectable:
                    continue
                label = folder.name if len(services) == 1 else f"{name}: {folder.name}"
                items.append(Item(json.dumps([name, folder.name]), label, role_note(folder)))

        def chosen(value: str | None) -> None:
            if value:
                account, folder = json.loads(value)
                host.open_folder(account, folder)
                host.messages.focus()

        host.mail.push_screen(Picker("Go to folder", items), chosen)

    def toggle_folders(self) -> None:
        """Hide or show the folder pane (remembered for the next start)."""
        host = self._host
        tree = host.folder_tree
        tree.display = not tree.display
        if not tree.display and host.focused is tree:
            host.messages.focus()
        host.mail.save_state({"folders_shown": bool(tree.display)})

    # --- the panes' sizes, remembered -------------------------------------------------------

    def restore_layout(self) -> None:
        """The split, the folder pane and the tree's filter as the user left them."""
        host = self._host
        state = host.mail.load_state()
        split = state.get("split")
        if isinstance(split, int) and SPLIT_MIN <= split <= SPLIT_MAX:
            host.messages.styles.height = f"{split}%"
        if state.get("folders_shown") is False:
            host.folder_tree.display = False
        if state.get("subscribed_only") is True:
            host.folder_tree.subscribed_only = True

    def split(self) -> int:
        """The list's share of the right-hand pane, in percent."""
        height = self._host.messages.styles.height
        if height is not None and height.unit in (Unit.PERCENT, Unit.HEIGHT):
            return int(height.value)
        return SPLIT_DEFAULT

    def resize_split(self, step: int) -> None:
        """[ / ]: the list shorter or taller by SPLIT_STEP percent (the reader the rest)."""
        host = self._host
        split = max(SPLIT_MIN, min(SPLIT_MAX, self.split() + step * SPLIT_STEP))
        host.messages.styles.height = f"{split}%"
        host.mail.save_state({"split": split})

    # --- selection -------------------------------------------------------------------------

    def visual(self) -> None:
        self._host.messages.toggle_visual()
        self._after_move()

    def extend(self, step: int) -> None:
        """Select the message at the cursor and the next (1) or previous (-1)."""
        messages = self._host.messages
        uid = messages.cursor_uid
        if uid is not None:
            messages.selected.add(uid)
        messages.move_by(step, user=True)
        uid = messages.cursor_uid
        if uid is not None:
            messages.selected.add(uid)
        messages.refresh()
        self._after_move()

    def select_toggle(self) -> None:
        messages = self._host.messages
        uid = messages.cursor_uid
        if uid is not None:
            messages.toggle_selected(uid)
            messages.move_by(1, user=True)
        self._after_move()

    def select_all(self) -> None:
        self._host.messages.select_all()
        self._after_move()

    def clear_selection(self) -> bool:
        """Unselect everything; False if nothing was selected."""
        if self._host.messages.clear_selection():
            self._after_move()
            return True
        return False
