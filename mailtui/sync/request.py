"""The base of every request to the sync service: a command with its request id.

Read commands (sync/commands.py) and operations' commands (sync/ops/) both derive
from these; kept apart so that an operation module can define its command without
importing the list of all commands (which re-exports it).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

_ids = itertools.count(1)


def _next_id() -> int:
    return next(_ids)


@dataclass(frozen=True, kw_only=True)
class Command:
    request_id: int = field(default_factory=_next_id)
    # Interactive commands (the user is waiting) run on their own connection.
    interactive: bool = False


@dataclass(frozen=True, kw_only=True)
class Action(Command):
    """A change the user makes to messages; `submit()` applies it to the cache before returning."""

    folder: str
    uids: tuple[int, ...]
    interactive: bool = True
    # False for side effects the user did not ask for directly (\\Answered after a reply),
    # so that `u` undoes the user's last own action.
    undoable: bool = True
