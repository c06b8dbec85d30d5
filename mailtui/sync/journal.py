"""The journal writer: sends queued actions to the server, exactly once, in order.

A row is marked 'sending' (committed) before its first command goes out, and removed
only after the server's OK. On replay a 'sending' row may already have reached the
server, so each operation's `send` (sync/ops/) is idempotent: flag STOREs and UID
MOVE/EXPUNGE are by UID (re-sending is harmless); COPY and APPEND first look for the
Message-IDs in the destination and send only what is missing. A refused action (folder gone, bad
keyword) is dropped, reported, and the folder resynced so the cache matches again.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from mailtui.errors import ConnectionLost, MailtuiError, StoreError
from mailtui.model import HeaderRow
from mailtui.sync import ops
from mailtui.sync.host import WriterHost
from mailtui.sync.ops.base import Entry
from mailtui.sync.worker import BACKOFF, Link, LinkedThread

log = logging.getLogger("mailtui.sync.journal")


class Writer(LinkedThread):
    """One connection that replays the journal whenever woken (or on a backoff timer)."""

    host: WriterHost

    def __init__(self, host: WriterHost) -> None:
        super().__init__(host, "writer", Link(host, write_only=True))
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.idle = threading.Event()

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
                    self.link.succeeded()
                except ConnectionLost as exc:
                    if self.stopping.is_set():  # shut by stop(): the rows wait as they are
                        return
                    self.wake.wait(self._offline(exc, entries))
                except MailtuiError as exc:  # credentials, TLS: no point hammering the server
                    self._offline(exc, entries)
                    self.wake.wait(BACKOFF[-1])
        finally:
            self.release()

    def _offline(self, exc: MailtuiError, entries: list[Entry]) -> float:
        """Every entry waits for the link; the seconds until the next attempt."""
        delay = self.link.lost(exc)
        for entry in entries:
            self.host.action_queued(entry.id)
        return delay

    def _replay(self, entries: list[Entry]) -> None:
        """Send entries in order while holding the account's journal lock.

        Another mailtui process on the same account shares this journal: without the
        lock both would send the same row. flock is dropped by the kernel if the holder
        dies, so a killed process never blocks the next one.
        """
        with JournalLock(self.host.cache_path) as held:
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
            session = self.link.connected()
            replay = entry.state == "sending"
            with self.cache.transaction():
                self.cache.journal_update(entry.id, state="sending", attempt=True)
            try:
                result = ops.for_kind(entry.kind).send(self, session, entry, replay)
            except ConnectionLost:
                raise
            except (StoreError, ValueError) as exc:
                self._refused(entry, exc)
                continue
            with self.cache.transaction():
                self.cache.journal_remove(entry.id)
                if isinstance(result, dict) and result.get("rows"):
                    self._place_copies(entry, result)
            self.host.action_confirmed(entry, result if isinstance(result, dict) else {})

    def rows_for(self, entry: Entry) -> list[HeaderRow]:
        """The rows the action removed or copied, while this process remembers them."""
        record = self.host.undo_record(entry.id)
        return list(record.rows) if record is not None else []

    def _refused(self, entry: Entry, exc: Exception) -> None:
        """The server said no: drop the action, tell the user, resync to undo our guess."""
        message = exc.sentence() if isinstance(exc, MailtuiError) else str(exc)
        log.info("journal entry %s (%s) refused: %s", entry.id, entry.kind, message)
        with self.cache.transaction():
            self.cache.journal_remove(entry.id)
        self.host.action_refused(entry, message)

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


__all__ = ["Entry", "JournalLock", "Writer"]
