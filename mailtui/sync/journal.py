"""The journal writer: sends queued actions to the server, exactly once, in order.

A row is marked 'sending' (committed) before its first command goes out, and removed
only after the server's OK. On replay a 'sending' row may already have reached the
server, so each kind is made idempotent: flag STOREs and UID MOVE/EXPUNGE are by UID
(re-sending is harmless); COPY and APPEND first look for the Message-IDs in the
destination and send only what is missing. A refused action (folder gone, bad
keyword) is dropped, reported, and the folder resynced so the cache matches again.
"""

from __future__ import annotations

import base64
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.backend import Outcome, Session, compress_uids
from mailtui.cache.journal import JournalRow
from mailtui.cache.store import HeaderCache
from mailtui.errors import MailtuiError
from mailtui.imap.errors import ConnectionLost, ImapError, ProtocolError
from mailtui.imap.translate import encode_folder_name
from mailtui.model import DELETED, HeaderRow
from mailtui.sync import events

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

log = logging.getLogger("mailtui.sync.journal")

BACKOFF = (1, 2, 4, 8, 15, 30, 60)


Entry = JournalRow  # a journal row as the writer replays it


class Writer(threading.Thread):
    """One connection that replays the journal whenever woken (or on a backoff timer)."""

    def __init__(self, service: SyncService) -> None:
        super().__init__(name=f"mailtui-{service.account}-writer", daemon=True)
        self.service = service
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.idle = threading.Event()
        self.session: Session | None = None
        self._cache: HeaderCache | None = None
        self._failures = 0

    @property
    def cache(self) -> HeaderCache:
        if self._cache is None:
            self._cache = self.service.open_cache()
        return self._cache

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.wake.clear()
                entries = self.cache.journal()
                if not entries:
                    self.idle.set()
                    self.wake.wait()
                    continue
                self.idle.clear()
                try:
                    self._replay(entries)
                    self._failures = 0
                except ConnectionLost as exc:
                    self._offline(exc, entries)
                    delay = BACKOFF[min(self._failures, len(BACKOFF) - 1)]
                    self._failures += 1
                    self.wake.wait(delay)
                except MailtuiError as exc:  # credentials, TLS: no point hammering the server
                    self._offline(exc, entries)
                    self.wake.wait(BACKOFF[-1])
        finally:
            if self.session is not None:
                self.session.close()
            if self._cache is not None:
                self._cache.close()

    def _offline(self, exc: MailtuiError, entries: list[Entry]) -> None:
        self.session = None
        self.service.connection_state(False, exc.sentence())
        for entry in entries:
            self.service.action_queued(entry.id)

    def _session(self) -> Session:
        if self.session is not None and self.session.connected:
            return self.session
        session = self.service.session_factory()
        session.enable_condstore = False
        session.connect()
        self.session = session
        self.service.connection_state(True)
        return session

    def _replay(self, entries: list[Entry]) -> None:
        """Send entries in order while holding the account's journal lock.

        Another mailtui process on the same account shares this journal: without the
        lock both would send the same row. flock is dropped by the kernel if the holder
        dies, so a killed process never blocks the next one.
        """
        with JournalLock(self.service.cache_path) as held:
            if not held:  # another mailtui process on this account is sending: let it
                self.wake.wait(1)
                self.wake.set()  # try again soon
                return
            entries = self.cache.journal()  # fresh, under the lock
            self._replay_locked(entries)

    def _replay_locked(self, entries: list[Entry]) -> None:
        for entry in entries:
            if self.stopping.is_set():
                return
            session = self._session()
            replay = entry.state == "sending"
            with self.cache.transaction():
                self.cache.journal_update(entry.id, state="sending", attempt=True)
            try:
                result = SENDERS[entry.kind](self, session, entry, replay)
            except ConnectionLost:
                raise
            except (ImapError, ValueError) as exc:
                self._refused(entry, exc)
                continue
            with self.cache.transaction():
                self.cache.journal_remove(entry.id)
                if isinstance(result, dict) and result.get("rows"):
                    self._place_copies(entry, result)
            self.service.action_confirmed(entry, result if isinstance(result, dict) else {})

    def _refused(self, entry: Entry, exc: Exception) -> None:
        """The server said no: drop the action, tell the user, resync to undo our guess."""
        message = exc.sentence() if isinstance(exc, MailtuiError) else str(exc)
        log.info("journal entry %s (%s) refused: %s", entry.id, entry.kind, message)
        with self.cache.transaction():
            self.cache.journal_remove(entry.id)
        self.service.action_refused(entry, message)

    def _place_copies(self, entry: Entry, result: dict) -> None:
        """Put moved/copied rows into the destination's cache under the UIDs COPYUID gave."""
        dest = entry.args.get("dest", "")
        mapping: dict[int, int] = result.get("mapping", {})
        rows: list[HeaderRow] = result.get("rows", [])
        state = self.cache.folder_state(dest)
        if (
            not mapping
            or not state.uidvalidity
            or result.get("dest_uidvalidity") != state.uidvalidity
        ):
            return
        placed = [r._replace(uid=mapping[r.uid]) for r in rows if r.uid in mapping]
        self.cache.store_batch(dest, placed)


class JournalLock:
    """A non-blocking advisory lock on `<cache>.journal.lock` (one writer per account)."""

    def __init__(self, cache_path: Path) -> None:
        self.path = Path(str(cache_path) + ".journal.lock")
        self.fd: int | None = None

    def __enter__(self) -> bool:
        if str(self.path).startswith(":memory:"):
            return True
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _select(writer: Writer, session: Session, folder: str) -> None:
    raw = writer.cache.raw_name(folder) or encode_folder_name(folder)
    if session.selected != raw:
        session.select(raw)


def _raw(writer: Writer, folder: str) -> str:
    return writer.cache.raw_name(folder) or encode_folder_name(folder)


def _confirmed(
    writer: Writer, session: Session, folder: str, uids: str, attempt: Callable[[str], Outcome]
) -> Outcome:
    """Run a write and, for what the server shows it did not apply, once more after this
    connection re-read the folder (a fresh SELECT: its view may have been stale)."""
    _select(writer, session, folder)
    outcome = attempt(uids)
    if outcome.failed:
        log.info("%s: %d message(s) unchanged; retrying after SELECT", folder, len(outcome.failed))
        session.select(_raw(writer, folder))
        outcome = outcome.merge(attempt(compress_uids(outcome.failed)))
    return outcome


def _result(outcome: Outcome, **extra: object) -> dict:
    return {"mapping": outcome.mapping, "failed": outcome.failed, "gone": outcome.gone, **extra}


def _send_flags(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    add, remove = entry.args.get("add", ()), entry.args.get("remove", ())
    outcome = _confirmed(
        writer, session, entry.folder, entry.uids, lambda u: session.store_flags(u, add, remove)
    )
    return _result(outcome)


def _send_move(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    dest = entry.args["dest"]
    dest_raw = _raw(writer, dest)
    if session.caps.move:
        # UID MOVE is idempotent by UID: replaying moves only what is still here.
        outcome = _confirmed(
            writer, session, entry.folder, entry.uids, lambda u: session.move(u, dest_raw)
        )
    else:
        outcome = Outcome(done=list(entry.uid_set))
        if entry.args.get("step", "move") in ("move", "copy"):
            outcome = _copy_confirmed(writer, session, entry, dest_raw, replay)
            args = dict(entry.args, step="delete", copied=outcome.done, mapping=outcome.mapping)
            with writer.cache.transaction():
                writer.cache.journal_update(entry.id, args=args)
        else:  # replaying the delete step: the copy was confirmed before the cut
            outcome.done = [int(u) for u in entry.args.get("copied", outcome.done)]
            outcome.mapping = {int(k): v for k, v in entry.args.get("mapping", {}).items()}
        if outcome.done:
            removed = _delete_for_good(writer, session, entry.folder, compress_uids(outcome.done))
            outcome.failed = sorted({*outcome.failed, *removed.failed})
            outcome.done = [u for u in outcome.done if u not in removed.failed]
    return _result(
        outcome, rows=_rows_for(writer, entry), dest_uidvalidity=_dest_validity(session, dest_raw)
    )


def _send_copy(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    dest_raw = _raw(writer, entry.args["dest"])
    outcome = _copy_confirmed(writer, session, entry, dest_raw, replay)
    return _result(
        outcome, rows=_rows_for(writer, entry), dest_uidvalidity=_dest_validity(session, dest_raw)
    )


def _copy_confirmed(
    writer: Writer, session: Session, entry: Entry, dest_raw: str, replay: bool
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
            _confirmed(
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
        _select(writer, session, entry.folder)
    return outcome


def _delete_for_good(writer: Writer, session: Session, folder: str, uids: str) -> Outcome:
    """\\Deleted + UID EXPUNGE of exactly these, each confirmed."""
    flagged = _confirmed(
        writer, session, folder, uids, lambda u: session.store_flags(u, add=(DELETED,))
    )
    outcome = Outcome(gone=flagged.gone, failed=flagged.failed)
    if flagged.done:
        removed = _confirmed(
            writer,
            session,
            folder,
            compress_uids(flagged.done),
            lambda u: session.expunge_uids(u),
        )
        outcome.done = removed.done
        outcome.failed = sorted({*outcome.failed, *removed.failed})
    return outcome


def _dest_validity(session: Session, dest_raw: str) -> int:
    try:
        return session.status(dest_raw).get("UIDVALIDITY", 0)
    except ImapError:
        return 0


def _rows_for(writer: Writer, entry: Entry) -> list[HeaderRow]:
    record = writer.service.actions.by_journal.get(entry.id)
    return list(record.rows) if record is not None else []


def _send_expunge(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    return _result(_delete_for_good(writer, session, entry.folder, entry.uids))


def _send_append(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    raw_folder = _raw(writer, entry.folder)
    mid = entry.args.get("message_id", "")
    if replay and mid:
        session.select(raw_folder)
        found = session.search_message_ids([mid])
        if mid in found:
            return {"uid": found[mid]}
    uid = session.append(
        raw_folder, base64.b64decode(entry.args["raw"]), entry.args.get("flags", ())
    )
    if uid is None and mid:
        # No APPENDUID (no UIDPLUS): the OK alone proves nothing; look for it.
        session.select(raw_folder)
        uid = session.search_message_ids([mid]).get(mid)
        if uid is None:
            raise ProtocolError(
                f"The server accepted the message but it is not in {entry.folder}",
                "it stays in the journal's report; try again or check the server",
            )
    return {"uid": uid}


def _check_folder(session: Session, raw: str, *, exists: bool, what: str) -> None:
    """Folder commands are confirmed by a LIST of the name, not by their OK."""
    if session.folder_exists(raw) != exists:
        raise ProtocolError(f"The server answered OK but did not {what}")


def _send_create(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    raw = encode_folder_name(entry.folder)
    try:
        session.create_folder(raw)
    except ImapError as exc:
        if not (replay and "exist" in str(exc).lower()):
            raise
    _check_folder(session, raw, exists=True, what=f"create {entry.folder!r}")
    return {}


def _send_rename(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    old_raw, new_raw = entry.args["old_raw"], entry.args["new_raw"]
    if session.selected == old_raw:
        session.unselect()
    try:
        session.rename_folder(old_raw, new_raw)
    except ImapError:
        if not replay:
            raise
    _check_folder(session, new_raw, exists=True, what=f"rename {entry.folder!r}")
    return {}


def _send_delete_folder(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    raw = entry.args.get("raw") or encode_folder_name(entry.folder)
    try:
        session.delete_folder(raw)
    except ImapError:
        if not replay:
            raise
    _check_folder(session, raw, exists=False, what=f"delete {entry.folder!r}")
    return {}


def _send_subscribe(writer: Writer, session: Session, entry: Entry, replay: bool) -> dict:
    raw, wanted = _raw(writer, entry.folder), entry.args.get("subscribed", True)
    session.subscribe(raw, wanted)
    if session.folder_exists(raw, subscribed=True) != wanted:
        raise ProtocolError(
            f"The server answered OK but did not {'' if wanted else 'un'}subscribe {entry.folder!r}"
        )
    return {}


SENDERS: dict[str, Callable[[Writer, Session, Entry, bool], dict]] = {
    "flags": _send_flags,
    "move": _send_move,
    "copy": _send_copy,
    "expunge": _send_expunge,
    "append": _send_append,
    "create": _send_create,
    "rename": _send_rename,
    "delete_folder": _send_delete_folder,
    "subscribe": _send_subscribe,
}

__all__ = ["Entry", "Writer", "events"]
