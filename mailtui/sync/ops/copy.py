"""Copying messages to another folder (UID COPY, confirmed by COPYUID or by Message-ID)."""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.backend import Outcome, Session, compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.sync.names import raw_name
from mailtui.sync.ops.base import (
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
    select,
    some_selected,
)
from mailtui.sync.ops.expunge import ExpungeMessages
from mailtui.sync.request import Action, Command


@dataclass(frozen=True, kw_only=True)
class CopyMessages(Action):
    dest: str


def copy_confirmed(
    writer: Sending, session: Session, entry: Entry, dest_raw: str, replay: bool
) -> Outcome:
    """COPY what the destination lacks; confirmed by COPYUID, or without UIDPLUS by
    finding the Message-IDs in the destination afterwards."""
    ids: dict[str, str] = entry.args.get("message_ids", {})
    uids = list(entry.uid_set)
    already: list[int] = []
    if replay:
        # The COPY may have happened before we were cut off: copy only what is missing.
        session.select(dest_raw)
        present = session.search_message_ids(mid for mid in ids.values() if mid)
        already = [u for u in uids if ids.get(str(u)) and ids[str(u)] in present]
        uids = [u for u in uids if u not in already]
    outcome = Outcome(done=already)
    if uids:
        outcome = outcome.merge(
            confirmed(
                writer,
                session,
                entry.folder,
                compress_uids(uids),
                lambda u: session.copy(u, dest_raw),
            )
        )
    unmapped = [u for u in outcome.done if u not in outcome.mapping and u not in already]
    checkable = {u: ids[str(u)] for u in unmapped if ids.get(str(u))}
    if checkable:
        session.select(dest_raw)
        found = session.search_message_ids(checkable.values())
        missing = [u for u, mid in checkable.items() if mid not in found]
        outcome.done = [u for u in outcome.done if u not in missing]
        outcome.failed = sorted({*outcome.failed, *missing})
        select(writer, session, entry.folder)
    return outcome


class Copy(Operation):
    kind = "copy"
    commands = (CopyMessages,)
    noun = "copy"
    places_rows = True

    def apply(
        self, log: Applying, cache: HeaderCache, command: CopyMessages
    ) -> tuple[Applied, UndoRecord]:
        folder, uids, dest = command.folder, command.uids, command.dest
        folder_known(cache, folder)
        folder_known(cache, dest)
        some_selected(uids)
        rows = cache.rows(folder, list(uids))
        args = {"dest": dest, "message_ids": message_ids(rows)}
        jid = cache.journal_add("copy", folder, compress_uids(uids), args)
        record = UndoRecord("copy", folder, tuple(uids), jid, dest=dest, rows=rows)
        return Applied(jid, "copy", folder, tuple(uids), dest), record

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        dest_raw = raw_name(writer.cache, entry.args["dest"])
        outcome = copy_confirmed(writer, session, entry, dest_raw, replay)
        return result(
            outcome, rows=writer.rows_for(entry), dest_uidvalidity=dest_validity(session, dest_raw)
        )

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        """Remove the copies (by the UIDs COPYUID gave them)."""
        return [ExpungeMessages(folder=record.dest, uids=reversible(record))]


OP = Copy()
