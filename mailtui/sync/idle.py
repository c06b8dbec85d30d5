"""Live updates: one watcher thread and connection per watched folder (INBOX + the open
one), or a single one for every subscribed folder where the store offers NOTIFY.

A watcher resyncs its folder, then waits in IDLE (RFC 2177) — re-issued before the
29-minute limit — or, without IDLE, polls with NOOP every `poll_interval` seconds.
Any EXISTS/EXPUNGE/FETCH/VANISHED it hears triggers an incremental resync on its own
connection, so new mail reaches listeners without waiting behind a background sync.
A dropped link reconnects with backoff and resyncs.

The first watcher (`everywhere`: the open folder's, else INBOX's) asks its session to
`watch_folders()` (IMAP NOTIFY, RFC 5465). When that works, the store also reports the
other subscribed folders and INBOX on this connection; the watcher resyncs each folder
reported on the same connection, then goes back to its own folder, and tells the
service, which stops the other watchers and the periodic folder poll (one connection
for every folder's live counts). A reconnect lists the folders again (what changed
while the link was down was never notified).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from mailtui.backend import SelectResult
from mailtui.errors import ConnectionLost, FolderGone, MailtuiError, ProtocolError
from mailtui.readable import wait_readable
from mailtui.sync import commands as cmd
from mailtui.sync import events
from mailtui.sync.host import WatchHost
from mailtui.sync.resync import FolderSyncer
from mailtui.sync.worker import Link, LinkedThread

log = logging.getLogger("mailtui.sync.idle")

IDLE_RENEW = 25 * 60  # RFC 2177: servers may drop IDLE after 30 minutes


class Watcher(LinkedThread):
    """Keeps one folder in sync with the server for as long as it is watched."""

    def __init__(self, host: WatchHost, folder: str, *, everywhere: bool = False) -> None:
        super().__init__(host, f"watch-{folder}", Link(host))
        self.watch_host = host
        self.folder = folder
        self.everywhere = everywhere
        """Try to hear of every subscribed folder on this connection (NOTIFY)."""
        self.everywhere_live = False
        self._others: set[str] = set()  # raw names of other folders reported, not synced yet
        self._switch: str | None = None  # the folder to watch next (switch_to)
        self._switch_lock = threading.Lock()
        self.stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self.ready = threading.Event()  # set once the first sync is done and we are waiting
        self._seen: tuple[int, int] | None = None  # folder (version, top UID) after our last sync

    def switch_to(self, folder: str) -> None:
        """Watch `folder` instead, on the same connection (the service moves a watcher
        that hears every folder rather than opening another connection)."""
        with self._switch_lock:
            self._switch = folder
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _take_switch(self) -> bool:
        with self._switch_lock:
            folder, self._switch = self._switch, None
        if folder is None or folder == self.folder:
            return False
        self.folder = folder
        self.name = f"mailtui-{self.host.account}-watch-{folder}"
        self._seen = None
        return True

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
                    self._take_switch()
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
            if self.everywhere_live and not self.stopping.is_set():  # its folder is gone
                self.everywhere_live = False
                self.watch_host.watching_everywhere(self.folder, False)
            self.release()
            for fd in (self._wake_r, self._wake_w):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _sleep(self, seconds: float) -> None:
        """Interruptible by stop()."""
        wait_readable(self._wake_r, seconds)
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
        self._watch_everywhere()
        self._resync()

    def _watch_everywhere(self) -> None:
        """NOTIFY on this connection when this watcher is the one to hear of all."""
        assert self.session is not None
        settings = self.host.settings
        live = (
            self.everywhere
            and self.session.caps.notify
            and (settings is None or settings.idle)
            and self.session.watch_folders(self._watched_raw())
        )
        if self.everywhere:
            self.everywhere_live = live
            self.watch_host.watching_everywhere(self.folder, live)
        if live:
            self._catch_up()

    def _watched_raw(self) -> list[str]:
        """Raw names of the folders watched by name: NOTIFY covers them even when they
        are not subscribed (`mailtui watch --folder`)."""
        names = (self.cache.raw_name(f) for f in sorted(self.watch_host.watched()))
        return [n for n in names if n is not None]

    def _catch_up(self) -> None:
        """Changes made before NOTIFY was set (while the link was down, or since the
        last LIST) were never notified. One LIST (with counts) on this connection,
        after NOTIFY SET, finds the folders whose counts moved; they are resynced like
        notified ones."""
        assert self.session is not None
        for folder in self.session.list_folders():
            if folder.total is None or folder.unread is None or folder.name == self.folder:
                continue
            if self.cache.counts(folder.name) != (folder.total, folder.unread):
                self._others.add(folder.raw_name)

    def _after_news(self) -> None:
        """Resync what the store reported: the other folders (NOTIFY) on this
        connection, then this watcher's own folder, selected again."""
        assert self.session is not None
        session = self.session
        own = session.changes_pending
        self._others |= session.changed_folders()
        if not self._others:
            self._resync()
            return
        by_raw = {f.raw_name: f.name for f in self.cache.folders()}
        unknown = False
        while self._others and not self.stopping.is_set():
            raw = self._others.pop()
            name = by_raw.get(raw)
            if name is None or not self.cache.folder_state(name).synced:
                # Not listed yet, a name we could not read, or never synced (a cold sync
                # here would hold up every live update): its counts come from a LIST.
                unknown = True
            elif name == self.folder:
                own = True
            else:
                self._sync_other(name)
                self._others |= session.changed_folders()
        if unknown:
            self.watch_host.submit(cmd.RefreshFolders())
        if own:
            session.changes_pending = True
            self._resync()
        else:
            self._reselect()

    def _sync_other(self, name: str) -> None:
        """Bring a folder NOTIFY reported up to date (its events reach every listener)."""
        assert self.session is not None
        syncer = FolderSyncer(self.host.account, self.session, self.cache, self.host.emit)
        try:
            with self.host.folder_lock(name):
                syncer.sync(name)
        except FolderGone:
            self.watch_host.submit(cmd.RefreshFolders())
        except ProtocolError as exc:
            if isinstance(exc, ConnectionLost):
                raise  # the link is gone (or unreadable): reconnect
            # One folder the server will not serve must not stop live updates (nor
            # bring the watcher back to it after every reconnect, forever).
            log.warning("live update of %s failed: %s", name, exc)

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
        self._reselect()

    def _reselect(self) -> None:
        """Select this watcher's folder again if a sync left another one selected."""
        assert self.session is not None
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
            if self._take_switch():
                self._resync()  # the new folder: brought up to date, then selected
            self.ready.set()
            if self.everywhere_live:
                self._others |= self.session.changed_folders()
            if self._others:
                changed = True  # NOTIFY news came along with our last commands
            elif use_idle:
                changed = self._idle_once(IDLE_RENEW)
            else:
                self._sleep(poll)
                if self.stopping.is_set():
                    return
                changed = self.session.poll()
            if changed and not self.stopping.is_set():
                self._after_news()

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
                    if self._switch is not None:
                        break
                if not session.connected:
                    raise ConnectionLost("The connection broke during IDLE")
        finally:
            if session.connected:
                session.idle_done()
        # (Leaving IDLE may bring news that came meanwhile: it is noted, not lost.)
        return changed or session.changes_pending
