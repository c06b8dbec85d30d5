"""The registry of operations: every write the user can make, by command and by journal kind.

`SyncService.submit` applies any command found here (`for_command`), the journal writer
sends each row by its kind (`for_kind`), and undo and the reconciler ask the row's op.

Adding an operation (mark_read.py is the smallest example):
1. A module here with the command dataclass (`request.Action` for messages, else
   `request.Command`) and an `Operation` subclass setting `commands` and overriding
   `apply` (check, change the cache, `cache.journal_add(kind, …)`, return `Applied` and
   an `UndoRecord` when it can be undone).
2. If it needs a new wire step: a new `kind` and `send` (use `base.confirmed` for writes
   judged by `Outcome`; make a replay idempotent), then `cancel`/`roll_back`/`inverse`
   and the flags `drops_rows`/`places_rows`/`changes_folders` as they apply. If it
   journals as an existing kind (mark_read → "flags"), leave `kind` empty.
3. List it in `OPERATIONS` below and re-export the command from sync/commands.py.
4. Tests against the real Dovecot (and a Maildir tree when it touches files): the cache
   at once, the server after `wait_writer_idle()`, Undo, refusal, a replayed row.
   tests/unit/test_sync_layout.py checks the registry's completeness.
"""

from __future__ import annotations

from mailtui.sync.ops import (
    append,
    copy,
    delete,
    expunge,
    flags,
    folders,
    junk,
    labels,
    mark_read,
    move,
)
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
    labels.UNLABEL,
    labels.RELABEL,
    labels.PURGE,
    junk.OP,
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
