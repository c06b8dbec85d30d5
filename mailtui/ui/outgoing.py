"""The outbox retried without the user asking, the count of what waits, and the undo
window of a message just sent.

A component of the main screen (see ui/host.py). Retries happen at start, on a
backoff timer, and when an account comes back online. The schedule and the sending
live in `mailtui.usecase.sending.OutboxSender` (shared with `mailtui outbox --retry`); this
component only ticks a clock and runs due retries in thread workers, off the event
loop. The status bar shows how many messages wait, when any do.

Undo send: after `y` a message waits `[ui] send_delay` seconds in the outbox (on disk,
so quitting cannot lose it); the status bar counts down and `u` takes it back out
(`take_back`), unless a retry already holds it. Quitting in the window sends it first
(`before_quit`). A message sent later (review `L`) waits the same way until its time.

Quitting also waits for a send already under way (a retry here, or the composer's send
wrapped in `Outbox.track`): the process ends with os._exit (main.leave_now), and a
conversation cut off after the server's 250 but before the outbox marked the entry sent
would send the message again at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from textual.css.query import NoMatches
from textual.message import Message

from mailtui.errors import MailtuiError

# sending (email building, smtplib) is imported when the outbox is first looked at (a
# second after start): it is ~30 ms of every start-up otherwise.
if TYPE_CHECKING:
    from mailtui.compose.draft import Draft
    from mailtui.compose.flow import DeliveryReport
    from mailtui.ui.host import ScreenHost
    from mailtui.usecase.sending import OutboxSender

log = logging.getLogger("mailtui.ui.composing")

OUTBOX_TICK = 1.0
"""Seconds between looks at the outbox senders' schedules (a clock comparison each)."""
QUIT_SEND_TIMEOUT = 30.0
"""Quitting in an undo window, or with a send under way, waits this long for the send;
the message stays queued (sent at the next start or by `mailtui outbox --retry`) if it
takes longer."""

T = TypeVar("T")


class InFlight:
    """Sends under way in this process (thread-safe), so that quitting can wait for them."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def track(self, fn: Callable[[], T]) -> Callable[[], T]:
        """`fn`, counted as under way from now (the caller's thread, before any worker
        starts: no gap in which a quit would see nothing) until it returns in whichever
        thread runs it. Call the result exactly once."""
        with self._idle:
            self._count += 1

        def run() -> T:
            try:
                return fn()
            finally:
                with self._idle:
                    self._count -= 1
                    self._idle.notify_all()

        return run

    @property
    def busy(self) -> bool:
        with self._idle:
            return self._count > 0

    def wait(self, timeout: float) -> bool:
        """Block until nothing is under way (True), or `timeout` seconds (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


@dataclass(frozen=True)
class Delayed:
    """A message in its undo window: where it waits, until when, and how it was written
    (what `u` puts back on the review screen)."""

    account: str
    entry_id: str
    due: float  # epoch seconds
    draft: Draft
    pristine: Draft
    extra: Any = None  # the review's other choices (OpenPGP), handed back as they were


class OutboxChecked(Message, bubble=False):
    """A retry (or a count) finished in a worker thread: what happened, what still waits."""

    def __init__(self, reports: Sequence[DeliveryReport], waiting: int, manual: bool) -> None:
        super().__init__()
        self.reports = tuple(reports)
        self.waiting = waiting
        self.manual = manual


class Outbox:
    """One `OutboxSender` per account that can send, and their retries (see the docstring)."""

    def __init__(self, host: ScreenHost) -> None:
        self._host = host
        self.senders: dict[str, OutboxSender] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self.delayed: list[Delayed] = []
        self._quitting = False  # a send before quitting is under way
        self._flight = InFlight()

    def start(self) -> None:
        """The first tick, a second from now, sets up the senders and tries the outbox:
        nothing of it delays the first rows."""
        self._host.set_interval(OUTBOX_TICK, self.tick, name="outbox")

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def setup(self) -> None:
        """One sender per account that can send (has SMTP), listening for it to come
        back online; the schedule makes the first try due at once (app start)."""
        if self.senders or self._unsubscribe:
            return
        from mailtui.usecase.sending import OutboxSender

        mail = self._host.mail
        for name, service in mail.services.items():
            account = mail.ctx.account(name)
            if account.smtp is None:
                continue
            sender = OutboxSender(account, service)
            self.senders[name] = sender
            self._unsubscribe.append(sender.attach())
        if not self.senders:
            self._unsubscribe.append(lambda: None)  # set up: no account sends

    def tick(self) -> None:
        """Run the retries that are due (each sender's backoff says when), and count
        the undo window down."""
        self.setup()
        self._countdown()
        if self._quitting:
            return  # no new conversation to cut off: before_quit sends what must go
        for sender in self.senders.values():
            if sender.due():
                self._run(sender, (), manual=False)

    # --- undo send -------------------------------------------------------------------

    def hold(self, delayed: Delayed) -> None:
        """A message now waits in the outbox until `delayed.due`; count it down."""
        self.setup()
        sender = self.senders.get(delayed.account)
        if sender is not None:
            sender.hold_until(delayed.due)
        self.delayed.append(delayed)
        self._countdown()

    def _countdown(self) -> None:
        """The status bar's "sending in N s · u undoes", or nothing once all are due."""
        now = time.time()
        self.delayed = [d for d in self.delayed if d.due > now]
        text = ""
        if self.delayed:
            left = max(1, round(min(d.due for d in self.delayed) - now))
            many = f"{len(self.delayed)} messages" if len(self.delayed) > 1 else "sending"
            text = f"{many} in {left} s · u undoes"
        with contextlib.suppress(NoMatches):
            self._host.status.set(sending=text)

    @property
    def undoable(self) -> bool:
        """A message is in its undo window (so `u` takes it back, not a triage undo)."""
        return any(d.due > time.time() for d in self.delayed)

    def take_back(self) -> tuple[Delayed | None, str]:
        """Out of the outbox: the newest message still in its window, and "" — or None
        and why not (it is being sent right now). Blocking (file locks): a thread."""
        now = time.time()
        waiting = [d for d in self.delayed if d.due > now]
        if not waiting:
            return None, "Nothing to take back: it has been sent"
        delayed = waiting[-1]
        self.delayed.remove(delayed)
        sender = self.senders.get(delayed.account)
        entry = sender.outbox.get(delayed.entry_id) if sender is not None else None
        if sender is None or entry is None:
            return None, "Too late: it has been sent"
        with sender.hold(entry) as held:
            if held is None or held.state != "queued":
                return None, "Too late: it is being sent"
            sender.drop(held)
        return delayed, ""

    def track(self, fn: Callable[[], T]) -> Callable[[], T]:
        """`fn` (a send, to run in a thread) counted as under way: quitting waits for it."""
        return self._flight.track(fn)

    def before_quit(self, then: Callable[[], object]) -> None:
        """Quitting: a send under way ends first, then messages in their undo window are
        sent (the user said y), for at most QUIT_SEND_TIMEOUT in all; then `then()`.
        They are on disk whatever happens: what is not sent now goes at the next start
        or with `mailtui outbox --retry`."""
        if self._quitting:
            return  # q again while sending: the first q quits once the send is done
        waiting = [d for d in self.delayed if d.due > time.time()]
        if not waiting and not self._flight.busy:
            then()
            return
        self._quitting = True
        count = "messages" if len(waiting) > 1 or (waiting and self._flight.busy) else "the message"
        self._host.notify(
            f"Sending {count} before quitting… (what is not sent within "
            f"{QUIT_SEND_TIMEOUT:.0f} s stays in the outbox for the next start)",
            timeout=QUIT_SEND_TIMEOUT,
            markup=False,
        )

        async def send_then_quit() -> None:
            accounts = {d.account for d in waiting}
            ids = [d.entry_id for d in waiting]

            async def send() -> None:
                # A retry under way holds the sender, so the undo-window messages wait
                # for it to end (their own retry would be refused meanwhile).
                await asyncio.to_thread(self._flight.wait, QUIT_SEND_TIMEOUT)
                jobs = [
                    asyncio.to_thread(self.senders[a].retry, ids, early=ids)
                    for a in accounts
                    if a in self.senders and ids
                ]
                await asyncio.gather(*jobs)

            try:
                await asyncio.wait_for(send(), QUIT_SEND_TIMEOUT)
            except TimeoutError:
                log.warning("quitting with a send unfinished: it stays in the outbox")
            then()

        self._host.run_worker(send_then_quit, group="outbox-quit", exclusive=True)

    def retry_now(self, only: Sequence[str] = ()) -> None:
        """The user's "retry now": every account, refused messages included."""
        self.setup()
        for sender in self.senders.values():
            sender.wake()
            self._run(sender, only, manual=True)

    def note(self, account: str, report: DeliveryReport) -> None:
        """A message just sent (or queued) from the composer; a queued one is retried on
        the backoff timer from now on."""
        self.setup()
        sender = self.senders.get(account)
        if sender is not None and report.queued:
            sender.note([report])

    def recount(self) -> None:
        """Count what waits again (after a send, a delete) and show it."""
        self.setup()
        self._host.run_worker(
            lambda: self._report([], manual=False), thread=True, group="outbox-count"
        )

    def _run(self, sender: OutboxSender, only: Sequence[str], *, manual: bool) -> None:
        def retry() -> None:
            try:
                reports = sender.retry(only, automatic=not manual)
            except (MailtuiError, OSError) as exc:
                log.warning("retrying the outbox of %s failed: %s", sender.account.name, exc)
                reports = []
            self._report(reports, manual=manual)

        self._host.run_worker(
            self._flight.track(retry), thread=True, group="outbox", exit_on_error=False
        )

    def _report(self, reports: Sequence[DeliveryReport], *, manual: bool) -> None:
        """From a worker thread: post what happened and how many messages still wait."""
        waiting = 0
        for sender in list(self.senders.values()):
            with contextlib.suppress(OSError):
                waiting += sender.count()
        self._host.post_message(OutboxChecked(reports, waiting, manual))

    def checked(self, message: OutboxChecked) -> None:
        """On the UI thread: the count in the status bar, toasts, the outbox view redrawn."""
        from mailtui.ui.screens.outbox import OutboxScreen

        host = self._host
        if not host.is_attached:
            return
        with contextlib.suppress(NoMatches):
            host.status.set(outbox=message.waiting)
        sent = [r for r in message.reports if r.sent]
        if sent:
            many = f"{len(sent)} messages" if len(sent) > 1 else "a message"
            warnings = " ".join(w for r in sent for w in r.warnings)
            host.notify(
                f"Sent {many} from the outbox." + (f" {warnings}" if warnings else ""),
                severity="warning" if warnings else "information",
                markup=False,
                timeout=6,
            )
        if message.manual:
            for report in message.reports:
                if not report.sent and report.error is not None:
                    host.notify(
                        f"Not sent: {report.error.sentence()}",
                        severity="error",
                        markup=False,
                        timeout=10,
                    )
        for screen in host.mail.screen_stack:
            if isinstance(screen, OutboxScreen):
                screen.reload()
