"""Triage: delete, archive, move, copy, flag, read/unread, label, undo — on the whole selection.

A mixin of the main screen. Each action is one command over all target UIDs; the
service applies it to the cache before `submit` returns (so the list updates at once)
and sends one UID command to the server behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work

from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.screens.picker import Item, Picker
from mailtui.ui.widgets.folder_tree import role_note

if TYPE_CHECKING:
    from mailtui.ui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object


def _count(n: int) -> str:
    return f"{n} message{'s' if n != 1 else ''}"


class TriageMixin(_Base):
    """Triage behaviour for MainScreen (see the module docstring)."""

    def targets(self) -> list[int]:
        """The selection; else the message at the cursor (a folded thread: all of it)."""
        chosen = self.messages.selected_uids()
        if chosen:
            return chosen
        uid = self.messages.cursor_uid
        if uid is None:
            return []
        if self.view_spec.threaded and uid in self.view_spec.collapsed:
            return list(self.view.members.get(uid, [uid]))
        return [uid]

    def _submit(self, make: Callable[[tuple[int, ...]], commands.Command], done: str) -> bool:
        uids = self.targets()
        if not uids or self.folder is None:
            self.notify("No message here", timeout=2, markup=False)
            return False
        self.mail.bridge.submit(self.service, make(tuple(uids)))
        self.messages.clear_selection()
        self.status.set(selected=0)
        self.notify(f"{done} {_count(len(uids))} — u undoes", timeout=3, markup=False)
        return True

    # --- moves -----------------------------------------------------------------------------

    def action_delete(self) -> None:
        folder = self.folder or ""
        self._submit(lambda u: commands.DeleteMessages(folder=folder, uids=u), "Deleted")

    def action_archive(self) -> None:
        folder = self.folder or ""
        self._submit(lambda u: commands.ArchiveMessages(folder=folder, uids=u), "Archived")

    def action_move(self) -> None:
        self._pick_folder("Move", lambda dest: self._move_to(dest, copy=False))

    def action_copy(self) -> None:
        self._pick_folder("Copy", lambda dest: self._move_to(dest, copy=True))

    def _move_to(self, dest: str, *, copy: bool) -> None:
        folder = self.folder or ""
        if copy:
            self._submit(
                lambda u: commands.CopyMessages(folder=folder, uids=u, dest=dest),
                f"Copied to {dest}:",
            )
        else:
            self._submit(
                lambda u: commands.MoveMessages(folder=folder, uids=u, dest=dest),
                f"Moved to {dest}:",
            )

    def _pick_folder(self, verb: str, then: Callable[[str], None]) -> None:
        n = len(self.targets())
        if not n:
            self.notify("No message here", timeout=2, markup=False)
            return
        items = []
        folders = sorted(self.folder_tree.folders(self.account), key=lambda f: f.name.casefold())
        for folder in folders:
            if folder.selectable and not (verb == "Move" and folder.name == self.folder):
                detail = role_note(folder)
                items.append(Item(folder.name, folder.name, detail))

        def chosen(dest: str | None) -> None:
            if dest:
                then(dest)

        self.app.push_screen(Picker(f"{verb} {_count(n)} to…", items), chosen)

    # --- flags -----------------------------------------------------------------------------

    def _toggle_flag(self, flag: str, on_word: str, off_word: str) -> None:
        uids = self.targets()
        if not uids or self.folder is None:
            self.notify("No message here", timeout=2, markup=False)
            return
        envs = self.service.envelopes(self.folder, uids)
        all_have = bool(envs) and all(flag in e.flags for e in envs.values())
        folder = self.folder
        change = frozenset({flag})
        if all_have:
            self._submit(
                lambda u: commands.SetFlags(folder=folder, uids=u, remove=change), off_word
            )
        else:
            self._submit(lambda u: commands.SetFlags(folder=folder, uids=u, add=change), on_word)

    def action_flag(self) -> None:
        self._toggle_flag(FLAGGED, "Flagged", "Unflagged")

    def action_toggle_read(self) -> None:
        # Marking read/unread by hand wins over the reader's pending mark-read timer.
        if self._mark_timer is not None:
            self._mark_timer.stop()
            self._mark_timer = None
        self._toggle_flag(SEEN, "Marked read:", "Marked unread:")

    def action_label(self) -> None:
        uids = self.targets()
        if not uids or self.folder is None:
            self.notify("No message here", timeout=2, markup=False)
            return
        envs = self.service.envelopes(self.folder, uids)
        known: set[str] = set(self.mail.labels)
        for env in envs.values():
            known.update(env.keywords)
        items = [Item(k, k) for k in sorted(known, key=str.casefold)]

        def chosen(label: str | None) -> None:
            label = (label or "").strip()
            if not label:
                return
            if any(c.isspace() or c in '()[]{}%*"\\' for c in label):
                self.notify(
                    'A label cannot hold spaces or ( ) [ ] { } % * " \\',
                    severity="error",
                    markup=False,
                )
                return
            self.mail.labels.add(label)
            folder = self.folder or ""
            change = frozenset({label})
            if envs and all(label in e.flags for e in envs.values()):
                self._submit(
                    lambda u: commands.SetFlags(folder=folder, uids=u, remove=change),
                    f"Removed {label} from",
                )
            else:
                self._submit(
                    lambda u: commands.SetFlags(folder=folder, uids=u, add=change),
                    f"Labelled {label}:",
                )

        title = f"Label {_count(len(uids))} (a label they all have is removed)"
        self.app.push_screen(Picker(title, items, new_label="New label"), chosen)

    # --- undo ----------------------------------------------------------------------------------

    def action_undo(self) -> None:
        self.run_undo()

    @work(group="undo", exclusive=True)
    async def run_undo(self) -> None:
        service = self.service
        command = commands.Undo()
        try:
            # Undoing a move may wait for the server's new UIDs: not on the UI thread.
            result = await self.mail.bridge.call(service, command, submit=asyncio.to_thread)
        except ServiceFailed as exc:
            self.notify(exc.sentence(), severity="warning", markup=False)
            return
        self.notify("Undone" if result else "Nothing to undo", timeout=2, markup=False)
        if self.is_attached:
            self.reload()
