"""Triage: delete, archive, move, copy, flag, read/unread, label, undo — on the whole selection.

A component of the main screen (see ui/host.py); it holds no state of its own. Each
action is one command over all target UIDs; the service applies it to the cache
before `submit` returns (so the list updates at once) and sends one UID command to
the server behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.model import FLAGGED, SEEN, Envelope, Role
from mailtui.sync import commands
from mailtui.text.labels import keyword_for, label_of
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.screens.picker import Item, Picker
from mailtui.ui.widgets.folder_tree import role_note
from mailtui.usecase.mute import toggle_mute

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.listing import Listing
    from mailtui.ui.reading import Reading

_NOT_IN_LABEL = '()[]{}%*"\\'


def _count(n: int) -> str:
    return f"{n} message{'s' if n != 1 else ''}"


def _all_have(envs: Mapping[int, Envelope], flag: str) -> bool:
    return bool(envs) and all(flag in e.flags for e in envs.values())


class Triage:
    """The triage keys (see the module docstring)."""

    def __init__(self, host: ScreenHost, listing: Listing, reading: Reading) -> None:
        self._host = host
        self._listing = listing
        self._reading = reading

    def _submit(self, make: Callable[[tuple[int, ...]], commands.Command], done: str) -> bool:
        host = self._host
        uids = self._listing.targets()
        if not uids or host.folder is None:
            host.notify("No message here", timeout=2, markup=False)
            return False
        host.mail.bridge.submit(host.service, make(tuple(uids)))
        host.messages.clear_selection()
        host.status.set(selected=0)
        host.notify(f"{done} {_count(len(uids))} — u undoes", timeout=3, markup=False)
        return True

    def _set_flags(self, flags: frozenset[str], *, remove: bool, done: str) -> None:
        folder = self._host.folder or ""
        empty: frozenset[str] = frozenset()
        add, drop = (empty, flags) if remove else (flags, empty)
        self._submit(lambda u: commands.SetFlags(folder=folder, uids=u, add=add, remove=drop), done)

    def _targets_or_say(self) -> list[int]:
        uids = self._listing.targets()
        if not uids or self._host.folder is None:
            self._host.notify("No message here", timeout=2, markup=False)
            return []
        return uids

    # --- moves -----------------------------------------------------------------------------

    def delete(self) -> None:
        folder = self._host.folder or ""
        self._submit(lambda u: commands.DeleteMessages(folder=folder, uids=u), "Deleted")

    def archive(self) -> None:
        folder = self._host.folder or ""
        self._submit(lambda u: commands.ArchiveMessages(folder=folder, uids=u), "Archived")

    def junk(self) -> None:
        """`!`: junk → the Junk folder; in the Junk folder: not junk → INBOX
        (sync/ops/junk.py decides the same way; this only picks the words)."""
        host = self._host
        folder = host.folder or ""
        junk = [f for f in host.folder_tree.folders(host.account) if f.role == Role.JUNK]
        if not junk:
            host.notify(
                "This account has no Junk folder: nothing was marked",
                severity="warning",
                markup=False,
            )
            return
        if folder in {f.name for f in junk}:
            done = "Not junk, back to INBOX:"
        else:
            done = f"Marked junk, moved to {junk[0].name}:"
        self._submit(lambda u: commands.MarkJunk(folder=folder, uids=u), done)

    def mute(self) -> None:
        """`X`: mute the targets' conversations, or unmute (usecase/mute.py), in a thread
        (finding a conversation reads the cache account-wide)."""
        host = self._host
        uids = self._targets_or_say()
        if not uids or host.folder is None:
            return
        folder, service = host.folder, host.service

        async def run() -> None:
            try:
                result = await asyncio.to_thread(toggle_mute, service, folder, uids)
            except MailtuiError as exc:
                host.notify(exc.sentence(), severity="warning", markup=False)
                return
            if host.is_attached:  # (not if the screen went away meanwhile)
                host.messages.clear_selection()
                host.status.set(selected=0)
            host.notify(result.sentence(), timeout=3, markup=False)

        host.run_worker(run(), group="mute", exclusive=True)

    def move(self) -> None:
        self._pick_folder("Move", lambda dest: self.move_to(dest, copy=False))

    def copy(self) -> None:
        self._pick_folder("Copy", lambda dest: self.move_to(dest, copy=True))

    def move_to(self, dest: str, *, copy: bool) -> None:
        """Move (or copy) the targets to `dest` (`:move`, `:copy` and the pickers)."""
        if not copy and dest == self._host.folder:
            self._host.notify(f"Already in {dest}", timeout=2, markup=False)
            return
        folder = self._host.folder or ""
        kind = commands.CopyMessages if copy else commands.MoveMessages
        verb = "Copied" if copy else "Moved"
        self._submit(lambda u: kind(folder=folder, uids=u, dest=dest), f"{verb} to {dest}:")

    def _pick_folder(self, verb: str, then: Callable[[str], None]) -> None:
        host = self._host
        n = len(self._listing.targets())
        if not n:
            host.notify("No message here", timeout=2, markup=False)
            return
        items = []
        folders = sorted(host.folder_tree.folders(host.account), key=lambda f: f.name.casefold())
        for folder in folders:
            if folder.selectable and not (verb == "Move" and folder.name == host.folder):
                items.append(Item(folder.name, folder.name, role_note(folder)))

        def chosen(dest: str | None) -> None:
            if dest:
                then(dest)

        host.mail.push_screen(Picker(f"{verb} {_count(n)} to…", items), chosen)

    # --- flags -----------------------------------------------------------------------------

    def _toggle_flag(self, flag: str, on_word: str, off_word: str) -> None:
        host = self._host
        uids = self._targets_or_say()
        if not uids or host.folder is None:
            return
        all_have = _all_have(host.service.envelopes(host.folder, uids), flag)
        self._set_flags(frozenset({flag}), remove=all_have, done=off_word if all_have else on_word)

    def flag(self) -> None:
        self._toggle_flag(FLAGGED, "Flagged", "Unflagged")

    def toggle_read(self) -> None:
        # Marking read/unread by hand wins over the reader's pending mark-read timer.
        self._reading.cancel_mark_read()
        self._toggle_flag(SEEN, "Marked read:", "Marked unread:")

    def label(self) -> None:
        host = self._host
        uids = self._targets_or_say()
        if not uids or host.folder is None:
            return
        envs = host.service.envelopes(host.folder, uids)
        known: set[str] = set(host.mail.labels)
        for env in envs.values():
            known.update(env.keywords)
        # A Gmail label is cached spelt as a keyword ("Muy%20Importante"): shown as Gmail
        # spells it, chosen by its keyword (text/labels.py).
        items = [Item(k, label_of(k)) for k in sorted(known, key=str.casefold)]

        gmail_labels = self._store_has_labels()

        def chosen(label: str | None) -> None:
            label = (label or "").strip()
            if not label:
                return
            if label not in known and gmail_labels:
                # A new Gmail label may hold anything printable ("Big Project", "R&D"):
                # it is cached spelt as a keyword and sent by its own name.
                if not label.isprintable():
                    host.notify(
                        "A label cannot hold control characters", severity="error", markup=False
                    )
                    return
                label = keyword_for(label)
            elif label not in known and any(c.isspace() or c in _NOT_IN_LABEL for c in label):
                host.notify(
                    'A label cannot hold spaces or ( ) [ ] { } % * " \\',
                    severity="error",
                    markup=False,
                )
                return
            host.mail.labels.add(label)
            shown = label_of(label)
            if _all_have(envs, label):
                self._set_flags(frozenset({label}), remove=True, done=f"Removed {shown} from")
            else:
                self._set_flags(frozenset({label}), remove=False, done=f"Labelled {shown}:")

        title = f"Label {_count(len(uids))} (a label they all have is removed)"
        host.mail.push_screen(Picker(title, items, new_label="New label"), chosen)

    def _store_has_labels(self) -> bool:
        """Whether the account's server keeps labels (Gmail), not IMAP keywords: then a
        label's name may hold spaces and quotes (sync/ops/labels.py)."""
        return "labels" in self._host.service.cache().store_features()

    def set_labels(self, add: frozenset[str], remove: frozenset[str]) -> None:
        """`:label +a -b`: add and remove labels on the targets in one command."""
        host = self._host
        if self._store_has_labels():
            add = frozenset(keyword_for(x) for x in add)
            remove = frozenset(keyword_for(x) for x in remove)
        bad = [x for x in add | remove if any(c.isspace() or c in _NOT_IN_LABEL for c in x)]
        if bad:
            host.notify(
                f'A label cannot hold spaces or ( ) [ ] {{ }} % * " \\: {bad[0]}',
                severity="error",
                markup=False,
            )
            return
        host.mail.labels.update(add)
        folder = host.folder or ""
        said = " ".join(
            [
                *(f"+{label_of(x)}" for x in sorted(add)),
                *(f"-{label_of(x)}" for x in sorted(remove)),
            ]
        )
        self._submit(
            lambda u: commands.SetFlags(folder=folder, uids=u, add=add, remove=remove),
            f"Labels {said}:",
        )

    # --- undo ----------------------------------------------------------------------------------

    def undo(self) -> None:
        self._host.run_worker(self._undo, group="undo", exclusive=True)

    async def _undo(self) -> None:
        host = self._host
        try:
            # Undoing a move may wait for the server's new UIDs: not on the UI thread.
            result = await host.mail.bridge.call(
                host.service, commands.Undo(), submit=asyncio.to_thread
            )
        except ServiceFailed as exc:
            host.notify(exc.sentence(), severity="warning", markup=False)
            return
        host.notify("Undone" if result else "Nothing to undo", timeout=2, markup=False)
        if host.is_attached:
            self._listing.reload()
