"""The outbox retried without the user asking, and the count of what waits.

A component of the main screen (see ui/host.py). Retries happen at start, on a
backoff timer, and when an account comes back online. The schedule and the sending
live in `mailtui.usecase.sending.OutboxSender` (shared with `mailtui outbox --retry`); this
component only ticks a clock and runs due retries in thread workers, off the event
loop. The status bar shows how many messages wait, when any do.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.message import Message

from mailtui.errors import MailtuiError

# sending (email building, smtplib) is imported when the outbox is first looked at (a
# second after start): it is ~30 ms of every start-up otherwise.
if TYPE_CHECKING:
    from mailtui.compose.flow import DeliveryReport
    from mailtui.ui.host import ScreenHost
    from mailtui.usecase.sending import OutboxSender

log = logging.getLogger("mailtui.ui.composing")

OUTBOX_TICK = 1.0
"""Seconds between looks at the outbox senders' schedules (a clock comparison each)."""


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
        """Run the retries that are due (each sender's backoff says when)."""
        self.setup()
        for sender in self.senders.values():
            if sender.due():
                self._run(sender, (), manual=False)

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

        self._host.run_worker(retry, thread=True, group="outbox", exit_on_error=False)

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
