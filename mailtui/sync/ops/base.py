"""What an operation is, and what every operation shares.

An operation is one kind of write the user can make (flags, move, copy…). Its module
defines, in one place: the command(s) that ask for it, how it `apply`s to the cache
(at `submit()`, with the journal row that carries it to the server), how the journal
writer `send`s it (per the backend's capabilities, confirmed from the store's own
evidence, and idempotent when `replay`ed after a crash), how its cache change is put
back (`cancel` before it was sent, `roll_back` what the server did not apply) and its
`inverse` for Undo. `sync/ops/__init__.py` maps commands and journal kinds to them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from mailtui.backend import Outcome, Session, compress_uids
from mailtui.cache.journal import JournalRow
from mailtui.cache.store import HeaderCache
from mailtui.errors import MailtuiError, ProtocolError, StoreError
from mailtui.model import HeaderRow, Role
from mailtui.sync import events
from mailtui.sync.names import raw_name
from mailtui.sync.request import Command

log = logging.getLogger("mailtui.sync.journal")

Entry = JournalRow
"""A journal row as the writer sends it (kind, folder, uids, args, state)."""


class ActionError(MailtuiError):
    """The action cannot be applied as asked (no such folder, no archive folder…)."""


@dataclass
class UndoRecord:
    """What one action changed, enough to reverse it."""

    kind: str  # the journal kind: "flags" | "move" | "copy" | "expunge"
    folder: str
    uids: tuple[int, ...]
    journal_id: int
    prior_flags: dict[int, str] = field(default_factory=dict)
    dest: str = ""
    rows: list[HeaderRow] = field(default_factory=list)
    # Filled in by the writer from COPYUID once the server confirmed the move/copy.
    dest_uids: dict[int, int] = field(default_factory=dict)
    # UIDs the server no longer had when the action reached it (nothing to reverse).
    gone: tuple[int, ...] = ()
    confirmed: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Applied:
    """What `apply` did, as `ActionApplied` announces it (kind: the user's word, e.g. "archive")."""

    journal_id: int
    kind: str
    folder: str
    uids: tuple[int, ...]
    dest: str = ""


@dataclass(frozen=True)
class Policy:
    """The account settings actions need (kept small so tests can build it)."""

    archive_folder: str | None = None
    trash_folder: str | None = None
    delete: str = "trash"


class Applying(Protocol):
    """What `apply` may ask of the action log."""

    policy: Policy

    def role_folder(self, cache: HeaderCache, role: Role, configured: str | None) -> str:
        """The folder of `role` (the configured one first); ActionError when there is none."""
        ...


class Sending(Protocol):
    """What `send` may ask of the journal writer."""

    @property
    def cache(self) -> HeaderCache: ...

    def rows_for(self, entry: Entry) -> list[HeaderRow]:
        """The rows this process removed or copied for `entry` (empty after a restart)."""
        ...


class Operation:
    """One kind of write. Subclasses set `kind` and `commands` and override what they do."""

    # The journal's name for it; "" when it journals as other operations (delete).
    kind: ClassVar[str] = ""
    # The commands `apply` accepts.
    commands: ClassVar[tuple[type[Command], ...]] = ()
    # How "The server did not apply the … to …" names it.
    noun: ClassVar[str] = ""
    # A refused one changed the folder list: LIST again.
    changes_folders: ClassVar[bool] = False
    # Removes rows from the source folder: a refused one refetches them.
    drops_rows: ClassVar[bool] = False
    # Puts rows in `dest` (from `rows_for`): confirmed without them, resync `dest`.
    places_rows: ClassVar[bool] = False
    # Announced when `cancel` put the cache back.
    cancelled_event: ClassVar[type[events.Event]] = events.HeadersSynced

    def apply(
        self, log: Applying, cache: HeaderCache, command: Any
    ) -> tuple[Applied, UndoRecord | None]:
        """Change the cache and journal the server write (the caller holds a transaction)."""
        raise ActionError(f"Not an action: {type(command).__name__}")

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """Send one journal row; `replay` when an earlier attempt may have reached the server.

        Returns the result (`mapping`, `failed`, `gone`, …); raises StoreError when the
        store refused it, ConnectionLost when the link broke (the row stays)."""
        raise NotImplementedError(self.kind)

    def cancel(self, cache: HeaderCache, record: UndoRecord) -> None:
        """Undo of an action never sent: put the cache back as it was (nothing by default)."""

    def roll_back(self, cache: HeaderCache, record: UndoRecord, uids: set[int]) -> bool:
        """The server did not apply the action to `uids`: put their rows back at once
        (the resync that follows confirms). True when the cache changed."""
        return False

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        """The actions that reverse `record` once the server has applied it."""
        raise ActionError("This action cannot be undone")

    def describe(self) -> str:
        return self.noun or self.kind


# --- helpers shared by the operations ----------------------------------------------------


def folder_known(cache: HeaderCache, name: str) -> None:
    if cache.raw_name(name) is None:
        raise ActionError(f"There is no folder named {name!r}")


def some_selected(uids: tuple[int, ...]) -> None:
    if not uids:
        raise ActionError("No messages selected")


def select(writer: Sending, session: Session, folder: str) -> None:
    raw = raw_name(writer.cache, folder)
    if session.selected != raw:
        session.select(raw)


def confirmed(
    writer: Sending, session: Session, folder: str, uids: str, attempt: Callable[[str], Outcome]
) -> Outcome:
    """Run a write and, for what the server shows it did not apply, once more after this
    connection re-read the folder (a fresh SELECT: its view may have been stale)."""
    select(writer, session, folder)
    outcome = attempt(uids)
    if outcome.failed:
        log.info("%s: %d message(s) unchanged; retrying after SELECT", folder, len(outcome.failed))
        session.select(raw_name(writer.cache, folder))
        outcome = outcome.merge(attempt(compress_uids(outcome.failed)))
    return outcome


def result(outcome: Outcome, **extra: object) -> dict:
    """The writer's result of a message write: what was done, gone, failed, and where."""
    return {"mapping": outcome.mapping, "failed": outcome.failed, "gone": outcome.gone, **extra}


def dest_validity(session: Session, dest_raw: str) -> int:
    """UIDVALIDITY of the destination, so COPYUID's UIDs are placed only where they hold."""
    try:
        return session.status(dest_raw).get("UIDVALIDITY", 0)
    except StoreError:
        return 0


def check_folder(session: Session, raw: str, *, exists: bool, what: str) -> None:
    """Folder commands are confirmed by a LIST of the name, not by their OK."""
    if session.folder_exists(raw) != exists:
        raise ProtocolError(f"The server answered OK but did not {what}")


def message_ids(rows: list[HeaderRow]) -> dict[str, str]:
    """UID → Message-ID of the rows moved or copied, to find them again on replay."""
    return {str(r.uid): r.message_id for r in rows}


def reversible(record: UndoRecord) -> tuple[int, ...]:
    """The destination UIDs a move or copy made, or why it cannot be reversed."""
    if not record.dest_uids and set(record.uids) <= set(record.gone):
        raise ActionError(
            "Nothing to undo: the messages were already gone from the server",
            "another client had removed them",
        )
    if not record.dest_uids:
        raise ActionError(
            "The server did not report where the messages went (no UIDPLUS)",
            "move them back by hand",
        )
    return tuple(sorted(record.dest_uids.values()))
