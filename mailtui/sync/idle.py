"""Live updates: one watcher thread and connection per watched folder (INBOX + the open one).

A watcher resyncs its folder, then waits in IDLE (RFC 2177) — re-issued before the
29-minute limit — or, without IDLE, polls with NOOP every `poll_interval` seconds.
Any EXISTS/EXPUNGE/FETCH/VANISHED it hears triggers an incremental resync on its own
connection, so new mail reaches listeners without waiting behind a background sync.
A dropped link reconnects with backoff and resyncs.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from mailtui.backend import SelectResult
from mailtui.errors import ConnectionLost, FolderGone, MailtuiError
from mailtui.sync import events
from mailtui.sync.host import Host
from mailtui.sync.resync import FolderSyncer
from mailtui.sync.worker import Link, LinkedThread

log = logging.getLogger("mailtui.sync.idle")

IDLE_RENEW = 25 * 60  # RFC 2177: servers may drop IDLE after 30 minutes


class Watcher(LinkedThread):
    """Keeps one folder in sync with the server for as long as it is watched."""

    def __init__(self, host: Host, folder: str) -> None:
        super().__init__(host, f"watch-{folder}", Link(host))
        self.folder = folder
        self.stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self.ready = threading.Event()  # set once the first sync is done and we are waiting
        self._seen: tuple[int, int] | None = None  # folder (version, top UID) after our last sync

    def stop(self) -> None:
        self.stopping.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    self._connect_and_sync()
                    self.link.succeeded()
                    self._wait_loop()
                except FolderGone:
                    log.info("watched folder %s is gone", self.folder)
                    return
                except MailtuiError as exc:
                    if self.stopping.is_set():  # shut by stop(): nothing to report
                        return
                    self._sleep(self.link.lost(exc))
        finally:
            self.release()
            for fd in (self._wake_r, self._wake_w):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _sleep(self, seconds: float) -> None:
        """Interruptible by stop()."""
        import select

        select.select([self._wake_r], [], [], seconds)
        self._drain_wake()

    def _drain_wake(self) -> None:
        import fcntl

        flags = fcntl.fcntl(self._wake_r, fcntl.F_GETFL)
        fcntl.fcntl(self._wake_r, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        try:
            while os.read(self._wake_r, 64):
                pass
        except (BlockingIOError, OSError):
            pass

    def _connect_and_sync(self) -> None:
        self.link.connected()
        self._resync()

    def _resync(self) -> None:
        assert self.session is not None
        with self.host.folder_lock(self.folder):
            # Anything written since our last look that we did not write ourselves came
            # from another mailtui process on this cache: its events never reached us.
            seen_by_others = (
                self._seen is not None and self.cache.folder_version(self.folder) != self._seen
            )
            syncer = FolderSyncer(self.host.account, self.session, self.cache, self.host.emit)
            syncer.sync(self.folder)
            if seen_by_others and self._seen is not None:
                top = self.host.announced_top(self.folder) or self._seen[1]
                fresh = self.cache.uids_above(self.folder, top)
                if fresh:
                    self.host.emit(
                        events.NewMail(
                            account=self.host.account, folder=self.folder, uids=tuple(fresh)
                        )
                    )
                self.host.emit(events.FolderChanged(account=self.host.account, folder=self.folder))
            self._seen = self.cache.folder_version(self.folder)
        # IDLE reports changes only for the selected folder; a STATUS-only resync leaves
        # none selected. EXAMINE: watching must not touch \Recent or write anything.
        raw = self.cache.raw_name(self.folder)
        if raw is not None and self.session.selected != raw:
            sel = self.session.select(raw, readonly=True)
            if self._changed_since_sync(sel):
                # Mail arrived between our sync and this EXAMINE, which reported it:
                # IDLE will not say it again. Sync once more, fully (the news is here).
                self.session.changes_pending = True
                self._resync()

    def _changed_since_sync(self, sel: SelectResult) -> bool:
        state = self.cache.folder_state(self.folder)
        if sel.uidvalidity != state.uidvalidity or sel.uidnext != state.uidnext:
            return True
        if not sel.nomodseq and state.highestmodseq:
            return sel.highestmodseq != state.highestmodseq
        return sel.exists != (self.cache.synced_total(self.folder) or 0)

    def _wait_loop(self) -> None:
        assert self.session is not None
        account = self.host.settings
        use_idle = self.session.caps.idle and (account is None or account.idle)
        poll = account.poll_interval if account is not None else 60
        while not self.stopping.is_set():
            self.ready.set()
            if use_idle:
                changed = self._idle_once(IDLE_RENEW)
            else:
                self._sleep(poll)
                if self.stopping.is_set():
                    return
                changed = self.session.poll()
            if changed and not self.stopping.is_set():
                self._resync()

    def _idle_once(self, renew_after: float) -> bool:
        """One IDLE: True when the store reported a change."""
        assert self.session is not None
        session = self.session
        changed = session.idle_start()
        deadline = time.monotonic() + renew_after
        try:
            while not changed and not self.stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                changed, woken = session.idle_wait(self._wake_r, min(remaining, 60))
                if woken:
                    self._drain_wake()
                if not session.connected:
                    raise ConnectionLost("The connection broke during IDLE")
        finally:
            if session.connected:
                session.idle_done()
        return changed
