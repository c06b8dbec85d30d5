"""Moving messages to another folder (UID MOVE, else COPY + \\Deleted + UID EXPUNGE), and archiving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mailtui.backend import Outcome, Session, compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.model import Role
from mailtui.sync.names import raw_name
from mailtui.sync.ops.base import (
    ActionError,
    Applied,
    Applying,
    Entry,
    Operation,
    Sending,
    UndoRecord,
    confirmed,
    dest_validity,
    folder_known,
    message_ids,
    result,
    reversible,
    some_selected,
)
from mailtui.sync.ops.copy import copy_confirmed
from mailtui.sync.ops.expunge import delete_for_good
from mailtui.sync.ops.labels import apply_archive, uses_labels
from mailtui.sync.request import Action, Command


@dataclass(frozen=True, kw_only=True)
class MoveMessages(Action):
    dest: str


@dataclass(frozen=True, kw_only=True)
class ArchiveMessages(Action):
    """Move to the account's archive folder (config `archive_folder`, else \\Archive);
    on a store with labels (Gmail) remove the folder's label instead (ops/labels.py)."""


def apply_move(
    cache: HeaderCache,
    folder: str,
    uids: tuple[int, ...],
    dest: str,
    kind: str = "move",
    *,
    journal: str = "move",
    extra: Mapping[str, object] | None = None,
) -> tuple[Applied, UndoRecord]:
    """Drop the rows from `folder` (kept in the record) and journal one row of kind
    `journal` ("move"; ops/junk.py's "junk" adds its keywords in `extra`). `kind` is the
    user's word for it in `ActionApplied` (archive, delete, junk)."""
    folder_known(cache, folder)
    folder_known(cache, dest)
    if dest == folder:
        raise ActionError(f"The messages are already in {dest!r}")
    some_selected(uids)
    rows = cache.rows(folder, list(uids))
    cache.remove(folder, uids)
    args = {"dest": dest, "step": "move", "message_ids": message_ids(rows), **(extra or {})}
    jid = cache.journal_add(journal, folder, compress_uids(uids), args)
    record = UndoRecord(journal, folder, tuple(uids), jid, dest=dest, rows=rows)
    return Applied(jid, kind, folder, tuple(uids), dest), record


class Move(Operation):
    kind = "move"
    commands = (MoveMessages, ArchiveMessages)
    noun = "move"
    drops_rows = True
    places_rows = True

    def apply(
        self, log: Applying, cache: HeaderCache, command: MoveMessages | ArchiveMessages
    ) -> tuple[Applied, UndoRecord]:
        if isinstance(command, ArchiveMessages):
            if not log.policy.archive_folder and uses_labels(cache):
                # Gmail: archiving removes the folder's label (\Inbox in INBOX).
                return apply_archive(cache, command.folder, command.uids)
            dest = log.role_folder(cache, Role.ARCHIVE, log.policy.archive_folder)
            return apply_move(cache, command.folder, command.uids, dest, kind="archive")
        return apply_move(cache, command.folder, command.uids, command.dest)

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """UID MOVE where offered (by UID: a replay moves only what is still here); else
        COPY then delete, in two journaled steps so a replay never copies twice."""
        dest = entry.args["dest"]
        dest_raw = raw_name(writer.cache, dest)
        if session.caps.move:
            outcome = confirmed(
                writer, session, entry.folder, entry.uids, lambda u: session.move(u, dest_raw)
            )
        else:
            outcome = Outcome(done=list(entry.uid_set))
            if entry.args.get("step", "move") in ("move", "copy"):
                outcome = copy_confirmed(writer, session, entry, dest_raw, replay)
                args = dict(entry.args, step="delete", copied=outcome.done, mapping=outcome.mapping)
                with writer.cache.transaction():
                    writer.cache.journal_update(entry.id, args=args)
            else:  # replaying the delete step: the copy was confirmed before the cut
                outcome.done = [int(u) for u in entry.args.get("copied", outcome.done)]
                outcome.mapping = {int(k): v for k, v in entry.args.get("mapping", {}).items()}
            if outcome.done:
                removed = delete_for_good(
                    writer, session, entry.folder, compress_uids(outcome.done)
                )
                outcome.failed = sorted({*outcome.failed, *removed.failed})
                outcome.done = [u for u in outcome.done if u not in removed.failed]
        return result(
            outcome, rows=writer.rows_for(entry), dest_uidvalidity=dest_validity(session, dest_raw)
        )

    def cancel(self, cache: HeaderCache, record: UndoRecord) -> None:
        if record.rows:
            cache.store_batch(record.folder, record.rows)

    def roll_back(self, cache: HeaderCache, record: UndoRecord, uids: set[int]) -> bool:
        if not record.rows:
            return False
        cache.store_batch(record.folder, [r for r in record.rows if r.uid in uids])
        return True

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        """Move back from the destination, by the UIDs COPYUID gave the messages there."""
        return [MoveMessages(folder=record.dest, uids=reversible(record), dest=record.folder)]


OP = Move()
