"""Deleting messages for good: \\Deleted + UID EXPUNGE of exactly these (RFC 4315)."""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.backend import Outcome, Session, compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.model import DELETED
from mailtui.sync.ops.base import (
    ActionError,
    Applied,
    Applying,
    Entry,
    Operation,
    Sending,
    UndoRecord,
    confirmed,
    result,
)
from mailtui.sync.request import Action, Command


@dataclass(frozen=True, kw_only=True)
class ExpungeMessages(Action):
    """Internal: remove copies made by an undone copy (\\Deleted + UID EXPUNGE)."""


def apply_expunge(
    cache: HeaderCache, folder: str, uids: tuple[int, ...]
) -> tuple[Applied, UndoRecord]:
    """Already in Trash, or the account deletes for good: drop the rows, journal "expunge"."""
    cache.remove(folder, uids)
    jid = cache.journal_add("expunge", folder, compress_uids(uids), {})
    # Recorded so that Undo says it cannot, instead of undoing an older action.
    return Applied(jid, "expunge", folder, tuple(uids)), UndoRecord(
        "expunge", folder, tuple(uids), jid
    )


def delete_for_good(writer: Sending, session: Session, folder: str, uids: str) -> Outcome:
    """\\Deleted + UID EXPUNGE of exactly these, each confirmed."""
    flagged = confirmed(
        writer, session, folder, uids, lambda u: session.store_flags(u, add=(DELETED,))
    )
    outcome = Outcome(gone=flagged.gone, failed=flagged.failed)
    if flagged.done:
        removed = confirmed(
            writer,
            session,
            folder,
            compress_uids(flagged.done),
            lambda u: session.expunge_uids(u),
        )
        outcome.done = removed.done
        outcome.failed = sorted({*outcome.failed, *removed.failed})
    return outcome


class Expunge(Operation):
    kind = "expunge"
    commands = (ExpungeMessages,)
    noun = "deletion"
    drops_rows = True

    def apply(
        self, log: Applying, cache: HeaderCache, command: ExpungeMessages
    ) -> tuple[Applied, UndoRecord]:
        return apply_expunge(cache, command.folder, command.uids)

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """By UID: a replay expunges only what is still there (the rest is "gone")."""
        return result(delete_for_good(writer, session, entry.folder, entry.uids))

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        raise ActionError("Messages deleted for good cannot be undone")


OP = Expunge()
