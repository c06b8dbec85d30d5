"""Marking a whole folder read: \\Seen on every message the cache shows unread there.

The messages are the ones the user sees (the cache's), not `1:*`: mail that arrived
since the last sync stays unread until it has been shown. It journals as one "flags"
row, so it is sent, confirmed, replayed and undone exactly as a flag change is.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.cache.store import HeaderCache
from mailtui.model import SEEN
from mailtui.sync.ops.base import (
    ActionError,
    Applied,
    Applying,
    Operation,
    UndoRecord,
    folder_known,
)
from mailtui.sync.ops.flags import apply_flags
from mailtui.sync.request import Command


@dataclass(frozen=True, kw_only=True)
class MarkFolderRead(Command):
    """Set \\Seen on every unread message of `folder` (as cached); Undo makes them unread again."""

    folder: str
    interactive: bool = True
    undoable: bool = True


class MarkRead(Operation):
    commands = (MarkFolderRead,)

    def apply(
        self, log: Applying, cache: HeaderCache, command: MarkFolderRead
    ) -> tuple[Applied, UndoRecord]:
        folder_known(cache, command.folder)
        unread = sorted(
            uid
            for uid, flags in cache.flags_map(command.folder).items()
            if SEEN not in flags.split()
        )
        if not unread:
            raise ActionError(f"Every message in {command.folder} is read already")
        return apply_flags(cache, command.folder, tuple(unread), frozenset({SEEN}), frozenset())


OP = MarkRead()
