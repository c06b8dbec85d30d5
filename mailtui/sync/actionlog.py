"""The action log: user actions applied to the cache at once, journaled in the same
transaction, and remembered (newest last) for Undo.

The journal row is what the writer (sync/journal.py) later sends to the server; the
UndoRecord kept here in memory is what `Undo` reverses. What each action does is its
operation's (sync/ops/); nothing in this module talks to the network.
"""

from __future__ import annotations

import threading
from collections import deque

from mailtui.cache.store import HeaderCache
from mailtui.model import Role
from mailtui.sync import ops
from mailtui.sync.ops.base import ActionError, Applied, Policy, UndoRecord
from mailtui.sync.ops.expunge import ExpungeMessages
from mailtui.sync.ops.flags import mark_seen
from mailtui.sync.request import Command

UNDO_DEPTH = 50


class ActionLog:
    """Applies actions locally and remembers them for undo (newest last)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.undo: deque[UndoRecord] = deque(maxlen=UNDO_DEPTH)
        self.by_journal: dict[int, UndoRecord] = {}
        self.lock = threading.Lock()

    def role_folder(self, cache: HeaderCache, role: Role, configured: str | None) -> str:
        if configured:
            return configured
        for folder in cache.folders():
            if folder.role == role:
                return folder.name
        raise ActionError(
            f"This account has no {role.value} folder",
            f"set {role.value}_folder in the account's config, or create one",
        )

    def apply(self, cache: HeaderCache, command: Command) -> Applied:
        """Change the cache and journal the server write, in one transaction."""
        op = ops.for_command(command)
        if op is None:
            raise ActionError(f"Not an action: {type(command).__name__}")
        with cache.transaction():
            applied, record = op.apply(self, cache, command)
        if record is not None:
            with self.lock:
                self.undo.append(record)
                self.by_journal[record.journal_id] = record
        return applied

    def pop_undo(self) -> UndoRecord:
        with self.lock:
            if not self.undo:
                raise ActionError("Nothing to undo")
            return self.undo.pop()

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        """The actions that reverse `record` once the server has applied it."""
        return ops.for_kind(record.kind).inverse(cache, record)

    def forget(self, journal_id: int) -> None:
        with self.lock:
            self.by_journal.pop(journal_id, None)


__all__ = [
    "ActionError",
    "ActionLog",
    "Applied",
    "ExpungeMessages",
    "Policy",
    "UndoRecord",
    "mark_seen",
]
