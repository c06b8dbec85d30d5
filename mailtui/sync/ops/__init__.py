"""The registry of operations: every write the user can make, by command and by journal kind.

Adding an operation is one new module here (its command, apply, send, cancel/roll-back,
inverse — see base.Operation) listed in `OPERATIONS`, plus its tests; the command is
re-exported by sync/commands.py. `SyncService.submit` applies any command found here,
the journal writer sends each row by its kind, and undo/reconcile ask the row's op.
"""

from __future__ import annotations

from mailtui.sync.ops import append, copy, delete, expunge, flags, folders, mark_read, move
from mailtui.sync.ops.base import Operation
from mailtui.sync.request import Command

OPERATIONS: tuple[Operation, ...] = (
    flags.OP,
    mark_read.OP,
    move.OP,
    copy.OP,
    delete.OP,
    expunge.OP,
    append.OP,
    *folders.OPS,
)

BY_KIND: dict[str, Operation] = {op.kind: op for op in OPERATIONS if op.kind}
BY_COMMAND: dict[type[Command], Operation] = {c: op for op in OPERATIONS for c in op.commands}


def for_command(command: Command) -> Operation | None:
    """The operation that applies `command`, or None for a read command."""
    for klass in type(command).__mro__:
        op = BY_COMMAND.get(klass)
        if op is not None:
            return op
    return None


def for_kind(kind: str) -> Operation:
    """The operation of a journal row's kind (KeyError for a kind no version wrote)."""
    return BY_KIND[kind]


__all__ = ["BY_COMMAND", "BY_KIND", "OPERATIONS", "Operation", "for_command", "for_kind"]
