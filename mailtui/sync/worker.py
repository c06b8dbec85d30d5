"""A worker thread owning one session, and the one connect-with-backoff helper.

imapclient is blocking and not thread-safe, so every thread that talks to the store
(the two command workers, the journal writer, each IDLE watcher) owns its own
connection. `Link` is how each of them gets it: connect on demand, report the
account's state to the host, and say how long to wait after a failure (`BACKOFF`).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from mailtui.backend import Session
from mailtui.cache.store import HeaderCache
from mailtui.errors import ConnectionLost, MailtuiError, TooManyConnections
from mailtui.sync import commands as cmd
from mailtui.sync import events
from mailtui.sync.host import Dispatch, Host
from mailtui.sync.resync import SyncCancelled

log = logging.getLogger("mailtui.sync")

# Seconds to wait before reconnecting after the 1st, 2nd, … failure in a row.
BACKOFF = (1, 2, 4, 8, 15, 30, 60)


class Link:
    """One thread's connection to the account's store."""

    def __init__(self, host: Host, *, write_only: bool = False, announce: bool = False) -> None:
        self.host = host
        self.session: Session | None = None
        # A connection that only writes needs no CONDSTORE (see ImapSession).
        self.write_only = write_only
        # Say "connecting…" before the account's first connection (the command workers).
        self.announce = announce
        self.failures = 0
        # Set by abort(): no new connection is made, the one being made is shut.
        self.aborted = False
        self._opening: Session | None = None

    def connected(self) -> Session:
        """The session, (re)connecting if needed; the account goes online once it is."""
        if self.session is not None and self.session.connected:
            return self.session
        if self.aborted:
            raise ConnectionLost("mailtui is stopping")
        session = self.host.session_factory()
        if self.write_only:
            session.enable_condstore = False
        if self.announce:
            self.host.connecting()
        if hasattr(session, "on_crowded"):  # an IMAP session: told of "too many connections"
            session.on_crowded = self.host.crowded
        self._opening = session
        try:
            if self.aborted:  # abort() may have missed this session: do not connect
                raise ConnectionLost("mailtui is stopping")
            session.connect()
        except MailtuiError as exc:
            if isinstance(exc, TooManyConnections):
                self.host.crowded()  # the server's connection limit: share (fewer watchers)
            if not self.aborted:
                self.host.connection_state(False, exc.sentence())
            raise
        finally:
            self._opening = None
        self.session = session
        self.host.connection_state(True)
        return session

    def abort(self) -> None:
        """From any thread: shut this link's connection (made or being made) so the
        owning thread's blocked call ends now; no new one is made after this."""
        self.aborted = True
        for session in (self.session, self._opening):
            if session is not None:
                session.abort()

    def succeeded(self) -> None:
        """The link worked: the next failure waits the shortest delay again."""
        self.failures = 0

    def lost(self, exc: MailtuiError) -> float:
        """Drop the session, report the account offline; the seconds to wait before retrying."""
        self.drop()
        if not self.aborted:  # a link shut on purpose says nothing about the account
            self.host.connection_state(False, exc.sentence())
        return self.backoff()

    def backoff(self) -> float:
        """The next delay of the backoff sequence (each failure waits longer, up to a minute)."""
        delay = BACKOFF[min(self.failures, len(BACKOFF) - 1)]
        self.failures += 1
        return delay

    def drop(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


class LinkedThread(threading.Thread):
    """A thread of the service with its own link to the store and its own cache connection
    (SQLite connections, like sessions, stay in the thread that opened them)."""

    def __init__(self, host: Host, name: str, link: Link) -> None:
        super().__init__(name=f"mailtui-{host.account}-{name}", daemon=True)
        self.host = host
        self.link = link
        self._cache: HeaderCache | None = None

    @property
    def session(self) -> Session | None:
        return self.link.session

    @property
    def cache(self) -> HeaderCache:
        if self._cache is None:
            self._cache = self.host.open_cache()
        return self._cache

    def abort(self) -> None:
        """Called by the service's stop(), from another thread, after the stop flags."""
        self.link.abort()

    def release(self) -> None:
        """Close the session and the cache connection (the thread is ending)."""
        self.link.drop()
        if self._cache is not None:
            self._cache.close()
            self._cache = None


_STOP = object()


class Worker(LinkedThread):
    """Runs commands one at a time on its own connection."""

    def __init__(self, host: Host, name: str, dispatch: Dispatch) -> None:
        super().__init__(host, name, Link(host, announce=True))
        self.role = name
        self.dispatch = dispatch
        self.queue: queue.Queue[Any] = queue.Queue()
        self.cancel = threading.Event()
        self.busy = False  # a command is in hand (background work gives way meanwhile)

    def connected_session(self) -> Session:
        """The worker's session, (re)connecting if needed."""
        return self.link.connected()

    def stop(self) -> None:
        """Stop soon: the command in hand is cancelled (at its next batch, or at once
        when abort() shuts the link under it) and queued ones end as Cancelled."""
        self.cancel.set()
        self.queue.put(_STOP)

    def run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is _STOP:
                    break
                if self.cancel.is_set():
                    self._cancelled(item)
                    continue
                self._handle(item)
        finally:
            self.release()

    def _cancelled(self, command: cmd.Command) -> None:
        self.host.emit(events.Cancelled(account=self.host.account, request_id=command.request_id))

    def _handle(self, command: cmd.Command) -> None:
        self.busy = True
        try:
            self._run(command)
        finally:
            self.busy = False

    def _run(self, command: cmd.Command) -> None:
        emit = self.host.emit
        account = self.host.account
        try:
            result = self.dispatch(self, command)
        except SyncCancelled:
            emit(events.Cancelled(account=account, request_id=command.request_id))
        except MailtuiError as exc:
            if self.cancel.is_set():  # stopped under it: not a failure to report
                self._cancelled(command)
                return
            if isinstance(exc, ConnectionLost):
                self._went_offline(exc)
            emit(
                events.Failed(
                    account=account,
                    request_id=command.request_id,
                    message=str(exc),
                    hint=exc.hint,
                    kind=type(exc).__name__,
                )
            )
        except Exception as exc:  # a bug: keep the worker alive, tell the user
            if self.cancel.is_set():  # (or a link shut under a library mid-call)
                self._cancelled(command)
                return
            log.exception("command %r failed", command)
            emit(
                events.Failed(
                    account=account,
                    request_id=command.request_id,
                    message=f"Internal error: {type(exc).__name__}: {exc}",
                    kind="InternalError",
                )
            )
        else:
            emit(events.Done(account=account, request_id=command.request_id, result=result))

    def _went_offline(self, exc: MailtuiError) -> None:
        # A command failing on a live link (a malformed reply dropped it, or not) keeps
        # the session only while it is still connected.
        if self.link.session is not None and not self.link.session.connected:
            self.link.drop()
        self.host.connection_state(False, exc.sentence())
