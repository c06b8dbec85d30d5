"""What archive and delete mean on a store with labels (Gmail, `Capabilities.labels`).

There a folder is a label's view and a message is in every folder whose label it has:
- archive = take the message out of this folder by removing the folder's label (in
  INBOX the `\\Inbox` label); it stays in All Mail. Journal kind "unlabel".
- delete for good (`delete = "expunge"`) = move to the Trash folder, then expunge it
  there: \\Deleted + EXPUNGE in a label's folder would only remove that label. Journal
  kind "purge". (Delete to Trash is an ordinary move; delete inside Trash or Spam an
  ordinary expunge: see delete.py.)

Which label a folder shows is the session's to say (`Session.folder_label`), so this
module knows no provider. The account's store features are what the last LIST found
(`HeaderCache.store_features`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.backend import Outcome, Session, compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.errors import ProtocolError
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
    folder_known,
    message_ids,
    result,
    select,
    some_selected,
)
from mailtui.sync.ops.expunge import delete_for_good
from mailtui.sync.request import Command

# Folders that are no label's view: nothing to archive there.
_NOT_A_LABEL = (Role.ALL, Role.TRASH, Role.JUNK, Role.SENT, Role.DRAFTS, Role.FLAGGED)


def uses_labels(cache: HeaderCache) -> bool:
    return "labels" in cache.store_features()


def apply_archive(
    cache: HeaderCache, folder: str, uids: tuple[int, ...]
) -> tuple[Applied, UndoRecord]:
    """Drop the rows from `folder` and journal removing its label."""
    folder_known(cache, folder)
    some_selected(uids)
    info = cache.folder(folder)
    if info is not None and info.role in _NOT_A_LABEL:
        raise ActionError(
            f"Nothing to archive in {folder!r}: it is not a label's folder",
            "archive from the inbox or a label; delete moves to Trash",
        )
    rows = cache.rows(folder, list(uids))
    cache.remove(folder, uids)
    jid = cache.journal_add(
        "unlabel", folder, compress_uids(uids), {"message_ids": message_ids(rows)}
    )
    record = UndoRecord("unlabel", folder, tuple(uids), jid, rows=rows)
    return Applied(jid, "archive", folder, tuple(uids)), record


def apply_purge(
    cache: HeaderCache, folder: str, uids: tuple[int, ...], trash: str
) -> tuple[Applied, UndoRecord]:
    """Drop the rows and journal "move to `trash`, then expunge there"."""
    rows = cache.rows(folder, list(uids))
    cache.remove(folder, uids)
    jid = cache.journal_add("purge", folder, compress_uids(uids), {"trash": trash})
    record = UndoRecord("purge", folder, tuple(uids), jid, rows=rows)
    return Applied(jid, "expunge", folder, tuple(uids)), record


@dataclass(frozen=True, kw_only=True)
class RestoreLabel(Command):
    """Internal: the undo of an archive on a store with labels. The messages (by
    Message-ID) get `dest`'s label back, found in `folder`, the All Mail folder, which
    holds every message that is not in Trash or Spam."""

    folder: str
    dest: str
    message_ids: tuple[str, ...]


class Unlabel(Operation):
    kind = "unlabel"
    noun = "archiving"
    drops_rows = True

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """UID STORE -X-GM-LABELS (the folder's label), confirmed by the labels Gmail
        answers with; by UID, so a replay only touches what is still in the folder (the
        rest is "gone": it left the folder, which is what was asked)."""
        raw = raw_name(writer.cache, entry.folder)
        select(writer, session, entry.folder)
        label = session.folder_label(raw)
        if label is None:
            raise ProtocolError(f"{entry.folder!r} is not a label's folder: nothing archived")
        outcome = confirmed(
            writer,
            session,
            entry.folder,
            entry.uids,
            lambda u: session.store_labels(u, remove=(label,)),
        )
        return result(outcome, rows=writer.rows_for(entry))

    def cancel(self, cache: HeaderCache, record: UndoRecord) -> None:
        if record.rows:
            cache.store_batch(record.folder, record.rows)

    def roll_back(self, cache: HeaderCache, record: UndoRecord, uids: set[int]) -> bool:
        if not record.rows:
            return False
        cache.store_batch(record.folder, [r for r in record.rows if r.uid in uids])
        return True

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        """The label back, on the messages as All Mail holds them."""
        everything = next((f.name for f in cache.folders() if f.role == Role.ALL), None)
        mids = tuple(r.message_id for r in record.rows if r.message_id)
        if everything is None or not mids:
            raise ActionError(
                "This archiving cannot be undone here (no All Mail folder, or no Message-IDs)",
                "find the messages in All Mail and move them back",
            )
        return [RestoreLabel(folder=everything, dest=record.folder, message_ids=mids)]


class Relabel(Operation):
    kind = "relabel"
    commands = (RestoreLabel,)
    noun = "undo of the archiving"
    places_rows = True  # the messages come back to `dest`: it is resynced

    def apply(
        self, log: Applying, cache: HeaderCache, command: RestoreLabel
    ) -> tuple[Applied, None]:
        folder_known(cache, command.folder)
        folder_known(cache, command.dest)
        args = {"dest": command.dest, "message_ids": list(command.message_ids)}
        jid = cache.journal_add("relabel", command.folder, "", args)
        return Applied(jid, "relabel", command.folder, ()), None

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """Find the messages in All Mail by Message-ID, then UID STORE +X-GM-LABELS of the
        destination's label, confirmed; adding a label twice is harmless on replay."""
        select(writer, session, entry.folder)
        found = session.search_message_ids(entry.args.get("message_ids", ()))
        if not found:
            raise ProtocolError(
                f"The archived messages are no longer in {entry.folder}",
                "they were deleted or moved elsewhere since",
            )
        label = session.folder_label(raw_name(writer.cache, entry.args["dest"]))
        if label is None:
            raise ProtocolError(f"{entry.args['dest']!r} is not a label's folder")
        uids = compress_uids(sorted(found.values()))
        outcome = confirmed(
            writer, session, entry.folder, uids, lambda u: session.store_labels(u, add=(label,))
        )
        return result(outcome)


class Purge(Operation):
    kind = "purge"
    noun = "deletion"
    drops_rows = True

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """UID MOVE to Trash (COPYUID gives the UIDs there), then \\Deleted + UID EXPUNGE
        of exactly those in Trash. A replay moves only what is still in the source, and
        finds what an earlier attempt moved by nothing: Gmail empties Trash itself."""
        trash = entry.args["trash"]
        trash_raw = raw_name(writer.cache, trash)
        moved = confirmed(
            writer, session, entry.folder, entry.uids, lambda u: session.move(u, trash_raw)
        )
        outcome = Outcome(done=[], gone=moved.gone, failed=moved.failed)
        there = sorted(moved.mapping[u] for u in moved.done if u in moved.mapping)
        if there:
            removed = delete_for_good(writer, session, trash, compress_uids(there))
            back = {v: k for k, v in moved.mapping.items()}
            outcome.failed = sorted({*outcome.failed, *(back[u] for u in removed.failed)})
        outcome.done = [u for u in moved.done if u not in outcome.failed]
        return result(outcome)

    def cancel(self, cache: HeaderCache, record: UndoRecord) -> None:
        if record.rows:
            cache.store_batch(record.folder, record.rows)

    def roll_back(self, cache: HeaderCache, record: UndoRecord, uids: set[int]) -> bool:
        if not record.rows:
            return False
        cache.store_batch(record.folder, [r for r in record.rows if r.uid in uids])
        return True


UNLABEL = Unlabel()
RELABEL = Relabel()
PURGE = Purge()
