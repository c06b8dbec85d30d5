"""Sending an account's outbox through its SyncService: the use case both faces share.

The TUI and the CLI (`mailtui send`, `mailtui outbox --retry`) reach the server the
same way: `OutboxSender` is one account's outbox and when to try it again. The app
runs `retry` in a thread worker when `due`, and on `wake` (start, the account back
online); `mailtui outbox --retry` runs it once. A message is never sent twice: the
outbox claims each entry (flock) and marks it "sent" as soon as SMTP accepted it.
The Sent copy and flags go through `usecase.store.service_store`.

Everything here blocks (SMTP, the service's `run`): call it from a thread.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailtui.compose.build import envelope_recipients
from mailtui.compose.draft import DraftError
from mailtui.compose.flow import DeliveryReport, MailStore, SendFn, retry_outbox
from mailtui.compose.outbox import Outbox, OutboxEntry
from mailtui.compose.send import SmtpRejected
from mailtui.config.model import AccountSettings
from mailtui.errors import MailtuiError
from mailtui.sync import commands, events
from mailtui.usecase.store import service_store

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

log = logging.getLogger("mailtui.sending")

__all__ = ["OutboxSender", "Queued"]


@dataclass(frozen=True)
class Queued:
    """One waiting message, as the outbox view lists it."""

    account: str
    entry: OutboxEntry
    recipients: tuple[str, ...]


def _refused_for_good(report: DeliveryReport) -> bool:
    """The server refused this message itself (5xx, no recipient): retrying cannot help
    until the user changes it, so automatic retries leave it alone."""
    error = report.error
    if report.sent or error is None:
        return False
    if isinstance(error, DraftError):
        return True
    return isinstance(error, SmtpRejected) and not error.transient


def _needs_backoff(report: DeliveryReport) -> bool:
    """Not sent for a reason that may pass (server down, TLS, login, a 4xx): wait longer
    each time rather than hammer the server."""
    return not report.sent and report.error is not None and not _refused_for_good(report)


class OutboxSender:
    """One account's outbox sent through its service, with the retry schedule.

    The pause after a failure that is the server's doubles from `first` up to
    `longest`; `wake()` (app start, the account back online, the user's "retry now")
    makes the next check due at once; with nothing waiting the outbox is looked at
    every `idle` seconds (another mailtui may have queued a message). Thread-safe:
    `wake` comes from the service's threads, `due` from the UI, `retry` from a worker.
    """

    FIRST_PAUSE = 10.0
    """Seconds before the first retry after a failure; each further failure doubles it."""
    LONGEST_PAUSE = 300.0
    """The pause stops growing here: a server back after an hour is noticed in 5 min."""
    IDLE_LOOK = 60.0
    """How often an outbox believed empty or settled is looked at again."""

    def __init__(
        self,
        account: AccountSettings,
        service: SyncService,
        *,
        outbox: Outbox | None = None,
        send: SendFn | None = None,
        first: float | None = None,
        longest: float | None = None,
        idle: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account = account
        self.service = service
        self.outbox = outbox if outbox is not None else Outbox.for_account(account.name)
        self.send = send
        self.first = self.FIRST_PAUSE if first is None else first
        self.longest = self.LONGEST_PAUSE if longest is None else longest
        self.idle = self.IDLE_LOOK if idle is None else idle
        self.clock = clock
        self._lock = threading.Lock()
        self._running = threading.Lock()
        self._next = 0.0  # due at once: the app tries the outbox when it starts
        self._pause = 0.0
        self._refused: set[str] = set()
        self._wake_at = math.inf  # wall clock: the earliest message held until later

    # --- schedule ----------------------------------------------------------------------

    def due(self) -> bool:
        """Whether the outbox should be tried now (and no try is running): the retry
        schedule says so, or a message held until later has come due."""
        with self._lock:
            ready = self.clock() >= self._next or time.time() >= self._wake_at
            return ready and not self._running.locked()

    def hold_until(self, when: float) -> None:
        """A message waits until `when` (epoch seconds): try the outbox then."""
        with self._lock:
            self._wake_at = min(self._wake_at, when)

    def wake(self) -> None:
        """Try again at the next check, without waiting out the pause."""
        with self._lock:
            self._next = 0.0
            self._pause = 0.0

    def attach(self) -> Callable[[], None]:
        """Wake when the account comes (back) online; returns the unsubscribe function."""

        def listen(event: events.Event) -> None:
            if isinstance(event, events.ConnectionChanged) and event.state == "online":
                self.wake()

        return self.service.subscribe(listen)

    def note(self, reports: Sequence[DeliveryReport]) -> None:
        """Plan the next try from what happened (a retry, or a send from the composer)."""
        now = self.clock()
        with self._lock:
            for report in reports:
                if _refused_for_good(report):
                    self._refused.add(report.entry_id)
                else:
                    self._refused.discard(report.entry_id)
            if any(_needs_backoff(r) for r in reports):
                self._pause = min(self.longest, self._pause * 2 if self._pause else self.first)
                self._next = now + self._pause
            elif any(r.queued for r in reports):
                self._pause = 0.0
                self._next = now + self.first  # a Sent copy to finish, or claimed elsewhere
            else:
                self._pause = 0.0
                self._next = now + self.idle

    # --- the outbox --------------------------------------------------------------------

    def entries(self) -> list[OutboxEntry]:
        return self.outbox.pending()

    def count(self) -> int:
        return self.outbox.count()

    def queued(self) -> list[Queued]:
        """What waits, with each message's recipients (for the outbox view)."""
        out = []
        for entry in self.outbox.pending():
            try:
                recipients = envelope_recipients(self.outbox.raw(entry))
            except (OSError, MailtuiError):
                recipients = ()
            out.append(Queued(self.account.name, entry, recipients))
        return out

    def hold(self, entry: OutboxEntry) -> contextlib.AbstractContextManager[OutboxEntry | None]:
        """Keep an entry from being sent while the user edits it; the entry as on disk,
        or None when it is being sent right now (or is gone)."""
        return self.outbox.claim(entry)

    def drop(self, entry: OutboxEntry, *, draft_copy: bool = False) -> None:
        """Remove a held entry for good; with `draft_copy`, its copy in Drafts as well
        (an edited version replaces both). Blocking: the copy goes through the service."""
        self.outbox.remove(entry)
        if draft_copy and entry.draft_copy is not None:
            store = service_store(self.service, self.account)
            if store.discard is not None:
                try:
                    store.discard(entry.draft_copy.folder, (entry.draft_copy.uid,))
                except MailtuiError as exc:
                    log.warning("could not remove the old Drafts copy: %s", exc.sentence())

    def delete(self, entry: OutboxEntry) -> bool:
        """Delete a waiting message unsent (its copy in Drafts stays); False when it is
        being sent at this moment."""
        with self.hold(entry) as held:
            if held is None:
                return self.outbox.get(entry.id) is None  # gone already counts as done
            self.drop(held)
        with self._lock:
            self._refused.discard(entry.id)
        return True

    def store(self) -> MailStore | None:
        """The service's MailStore; None while its folders are unknown (a first start
        offline), since a Sent copy would have nowhere to go yet."""
        if not self.service.folders():
            try:
                self.service.run(commands.RefreshFolders(), timeout=60)
            except MailtuiError as exc:
                log.info("outbox of %s waits for the folder list: %s", self.account.name, exc)
        store = service_store(self.service, self.account)
        if store.keep_sent_copy and store.sent_folder is None and not self.service.folders():
            return None
        return store

    def retry(
        self, only: Sequence[str] = (), *, automatic: bool = False, early: Sequence[str] = ()
    ) -> list[DeliveryReport]:
        """Send what waits (or the entries in `only`), oldest first; blocking.

        `automatic` (the app's timer) skips messages the server refused for good;
        an explicit retry tries them too. Messages held until later wait for their
        time, except those in `early`. Returns [] when another retry is running.
        """
        if not self._running.acquire(blocking=False):
            return []
        try:
            pending = self.outbox.pending()
            now = time.time()
            with self._lock:
                self._wake_at = min(
                    (e.not_before for e in pending if not e.due(now) and e.id not in early),
                    default=math.inf,
                )
            if automatic:
                with self._lock:
                    wanted = [e.id for e in pending if e.id not in self._refused]
                if only:
                    wanted = [i for i in wanted if i in only]
                only = wanted
            elif only:
                only = [e.id for e in pending if e.id in only]
            else:
                only = [e.id for e in pending]
            ready = {e.id for e in pending if e.due(now) or e.id in early}
            only = [i for i in only if i in ready]
            if not only:
                self.note([])
                return []
            store = self.store()
            if store is None:
                waiting = MailtuiError(
                    "The account's folders are not known yet, so its Sent copy would have "
                    "nowhere to go",
                    hint="it is sent when the IMAP server can be reached",
                )
                reports = [DeliveryReport(entry_id=i, error=waiting, queued=True) for i in only]
            else:
                reports = retry_outbox(
                    self.account,
                    store=store,
                    outbox=self.outbox,
                    send=self.send,
                    only=only,
                    early=early,
                )
        finally:
            self._running.release()
        self.note(reports)
        return reports
