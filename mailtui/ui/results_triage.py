"""Triage in the results of a search across folders or accounts (the unified inbox).

Each row is a message of its own account and folder, so every key acts there: the
command goes to that account's service with that folder, exactly as the list's keys
send it (ui/triage.py), and is applied to the cache at once, journaled and confirmed
by the server behind it (sync/ops/). `u` undoes the last action taken here, in the
account it was taken in. The results screen (ui/screens/results.py) redraws the row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands
from mailtui.ui.bridge import Bridge, ServiceFailed
from mailtui.usecase.search_all import Hit

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = ["DROPS", "ResultActions"]

DROPS = frozenset({"delete", "archive", "move"})
"""Actions after which the message is no longer where its row says."""


class ResultActions:
    """Sends the results screen's actions to each row's own account and folder."""

    def __init__(
        self,
        services: Mapping[str, SyncService],
        bridge: Bridge,
        rerun: Callable[[], list[Hit]],
    ) -> None:
        self.services = services
        self.bridge = bridge
        self.rerun = rerun  # the search again, from the caches (after undo)
        self.last: Hit | None = None  # the row of the last action: `u` undoes it there

    def _send(self, hit: Hit, command: commands.Command) -> None:
        self.bridge.submit(self.services[hit.account], command)
        self.last = hit

    def delete(self, hit: Hit) -> str:
        self._send(hit, commands.DeleteMessages(folder=hit.folder, uids=(hit.uid,)))
        return "Deleted"

    def archive(self, hit: Hit) -> str:
        self._send(hit, commands.ArchiveMessages(folder=hit.folder, uids=(hit.uid,)))
        return "Archived"

    def move(self, hit: Hit, dest: str, *, copy: bool = False) -> str:
        kind = commands.CopyMessages if copy else commands.MoveMessages
        self._send(hit, kind(folder=hit.folder, uids=(hit.uid,), dest=dest))
        return f"{'Copied' if copy else 'Moved'} to {dest}:"

    def toggle(self, hit: Hit, flag: str) -> str:
        """Flag/unflag (s) or read/unread (U), as the message is in its folder now."""
        env = self.services[hit.account].envelope(hit.folder, hit.uid)
        has = env is not None and flag in env.flags
        empty: frozenset[str] = frozenset()
        change = frozenset({flag})
        add, remove = (empty, change) if has else (change, empty)
        self._send(
            hit, commands.SetFlags(folder=hit.folder, uids=(hit.uid,), add=add, remove=remove)
        )
        if flag == SEEN:
            return "Marked unread:" if has else "Marked read:"
        return "Unflagged" if has else "Flagged"

    def label(self, hit: Hit, label: str) -> str:
        """Add `label` (an IMAP keyword), or remove it when the message has it."""
        env = self.services[hit.account].envelope(hit.folder, hit.uid)
        has = env is not None and label in env.flags
        change = frozenset({label})
        empty: frozenset[str] = frozenset()
        add, remove = (empty, change) if has else (change, empty)
        self._send(
            hit, commands.SetFlags(folder=hit.folder, uids=(hit.uid,), add=add, remove=remove)
        )
        return f"Removed {label} from" if has else f"Labelled {label}:"

    def labels(self, hit: Hit) -> list[str]:
        """The keywords this account's messages use, for the label picker."""
        service = self.services[hit.account]
        env = service.envelope(hit.folder, hit.uid)
        return sorted(env.keywords if env is not None else (), key=str.casefold)

    def folders(self, hit: Hit) -> list[str]:
        """The hit's account's folders a message can be filed in."""
        return sorted(
            (f.name for f in self.services[hit.account].folders() if f.selectable),
            key=str.casefold,
        )

    def refreshed(self, hit: Hit) -> Hit:
        """The row as the cache has it now (read, flagged)."""
        env = self.services[hit.account].envelope(hit.folder, hit.uid)
        if env is None:
            return hit
        return replace(hit, unread=not env.seen, flagged=FLAGGED in env.flags)

    async def undo(self) -> str:
        """Undo the last action taken here (the server confirms it first); a sentence."""
        last = self.last
        if last is None:
            return "Nothing to undo here"
        service = self.services[last.account]
        try:
            # Undoing a move may wait for the server's new UIDs: not on the UI thread.
            result = await self.bridge.call(service, commands.Undo(), submit=asyncio.to_thread)
            # A message moved back has a new UID in its folder: once the server has
            # taken the undo (the journal is empty) the folder's sync learns it, and the
            # results read after that show its row again.
            await asyncio.to_thread(service.wait_writer_idle, 30)
            await self.bridge.call(service, commands.SyncFolder(folder=last.folder))
        except ServiceFailed as exc:
            return exc.sentence()
        self.last = None
        return "Undone" if result else "Nothing to undo"
