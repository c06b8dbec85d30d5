"""r / R / f / ctrl+f / C / E: reply, reply all, forward (inline or attached), new mail
and a saved draft edited again, through the compose screens; and the outbox (ctrl+o).

A mixin of the main screen. The original is fetched whole (BODY.PEEK[], so it stays
unread) and parsed by mime; compose builds the draft, `review.run_compose` runs the
editor and the review screen, and sending happens in a thread (SMTP, then the Sent
copy and \\Answered through the service's journal).

The outbox is retried without the user asking: at start, on a backoff timer, and when
an account comes back online. The schedule and the sending live in
`mailtui.usecase.sending.OutboxSender` (shared with `mailtui outbox --retry`); this mixin only
ticks a clock and runs due retries in thread workers, off the event loop. The status
bar shows how many messages wait, when any do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import work
from textual.css.query import NoMatches
from textual.message import Message

from mailtui.errors import MailtuiError
from mailtui.model import MessageRef, Role
from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed

# compose (email building, smtplib, the editor and review screens) is imported when a
# message is first written or the outbox first looked at (a second after start): it is
# ~30 ms of every start-up otherwise.
if TYPE_CHECKING:
    from mailtui.compose.draft import Draft
    from mailtui.compose.flow import DeliveryReport
    from mailtui.usecase.sending import OutboxSender, Queued
    from mailtui.ui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

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


class ComposeMixin(_Base):
    """Compose and outbox behaviour for MainScreen (see the module docstring)."""

    outbox_senders: dict[str, OutboxSender]

    # --- keys --------------------------------------------------------------------------

    def action_reply(self) -> None:
        self.start_compose("reply")

    def action_reply_all(self) -> None:
        self.start_compose("reply_all")

    def action_forward(self) -> None:
        self.start_compose("forward")

    def action_forward_attached(self) -> None:
        self.start_compose("forward_attached")

    def action_compose(self) -> None:
        self.start_compose("new")

    def action_recall(self) -> None:
        self.start_compose("recall")

    def action_outbox(self) -> None:
        from mailtui.ui.screens.outbox import OutboxScreen

        self._outbox_setup()
        self.app.push_screen(OutboxScreen(self))

    # --- writing and sending -------------------------------------------------------------

    @work(group="compose", exclusive=True)
    async def start_compose(self, mode: str, mailto: str = "") -> None:
        """Write a message: `mode` is reply, reply_all, forward, forward_attached, new,
        recall, or mailto (a new message as the `mailto` link asks)."""
        from mailtui.ui.screens.review import run_compose
        from mailtui.usecase.addressbook import address_book

        account = self.mail.ctx.account(self.account)
        service = self.service
        # A recalled draft is replaced by what comes of it: sent, or saved anew.
        old = (self.folder, self.messages.cursor_uid) if mode == "recall" else None
        try:
            draft = await self._draft_for(mode, mailto)
            if draft is None:
                return
            book = await asyncio.to_thread(address_book, service, account)
            result = await run_compose(self.app, draft, known_addresses=book, pristine=draft)
            if result.action == "cancel":
                self.notify("Not sent", timeout=2, markup=False)
                return
            report = await self._finish_compose(account.name, result.action, result.draft)
        except MailtuiError as exc:
            self.notify(exc.sentence(), severity="error", markup=False, timeout=8)
            return
        if report is None or report.sent:
            self._drop_draft(old)

    async def _finish_compose(
        self, account_name: str, action: str, draft: Draft
    ) -> DeliveryReport | None:
        """Save the draft to Drafts ("draft": None) or send it (the report), and say so.

        A draft that answers a message but does not know where it lives (recalled,
        or from the outbox) is matched by Message-ID first, so \\Answered is set."""
        from mailtui.compose.flow import save_draft, send_draft
        from mailtui.usecase.store import service_store, with_replied

        account = self.mail.ctx.account(account_name)
        service = self.mail.services[account_name]
        store = await asyncio.to_thread(service_store, service, account)
        if action == "draft":
            await asyncio.to_thread(save_draft, account, draft, store=store)
            self.notify("Saved to Drafts", timeout=3, markup=False)
            return None
        self.notify("Sending…", timeout=2, markup=False)
        draft = await asyncio.to_thread(with_replied, service, draft)
        report = await asyncio.to_thread(send_draft, account, draft, store=store)
        self.notify(
            report.summary(),
            severity="information" if report.ok else "warning" if report.sent else "error",
            markup=False,
            timeout=6 if report.ok else 12,
        )
        self._outbox_setup()
        sender = self.outbox_senders.get(account_name)
        if sender is not None and report.queued:
            sender.note([report])  # retried on the backoff timer from now on
        self.outbox_recount()
        return report

    def _drop_draft(self, old: tuple[str | None, int | None] | None) -> None:
        """Remove the draft that was edited again, for good (it is not mail to keep)."""
        if old is None or old[0] is None or old[1] is None:
            return
        command = commands.DeleteMessages(
            folder=old[0], uids=(old[1],), permanent=True, undoable=False
        )
        self.mail.bridge.submit(self.service, command)

    async def _draft_for(self, mode: str, mailto: str = "") -> Draft | None:
        from mailtui.compose.draft import forward_draft, new_draft, recalled_draft, reply_draft
        from mailtui.compose.mailto import mailto_draft
        from mailtui.usecase.reading import original_from_raw

        account = self.mail.ctx.account(self.account)
        if mode == "new":
            return new_draft(account)
        if mode == "mailto":
            return mailto_draft(account, mailto)
        uid, folder = self.messages.cursor_uid, self.folder
        if uid is None or folder is None:
            self.notify("No message here", timeout=2, markup=False)
            return None
        if mode == "recall":
            info = self.folder_tree.folder(self.account, folder)
            if info is None or info.role != Role.DRAFTS:
                self.notify(
                    "Only a draft can be edited again: open Drafts", timeout=3, markup=False
                )
                return None
        uids = [uid]
        if mode == "forward_attached":
            uids = self.messages.selected_uids() or [uid]
        elif len(self.messages.selected_uids()) > 1:
            self.notify("Answering the message at the cursor", timeout=2, markup=False)
        originals = []
        for one in uids:
            try:
                raw = await self.mail.bridge.call(
                    self.service,
                    commands.FetchPart(folder=folder, uid=one, section="", cache=False),
                )
            except ServiceFailed as exc:
                self.notify(
                    f"Cannot fetch the message to answer: {exc.sentence()}",
                    severity="error",
                    markup=False,
                )
                return None
            originals.append(
                original_from_raw(
                    bytes(raw or b""), ref=MessageRef(folder, one), prefer=self._prefer
                )
            )
        original = originals[0]
        if mode == "recall":
            return recalled_draft(account, original)
        if mode == "forward":
            return forward_draft(account, original)
        if mode == "forward_attached":
            return forward_draft(account, original, as_attachment=True, more=originals[1:])
        return reply_draft(account, original, reply_all=mode == "reply_all")

    # --- the outbox ----------------------------------------------------------------------

    def _on_mount(self) -> None:
        # Textual calls a mount handler on every class of the screen's MRO, so this runs
        # besides MainScreen.on_mount. The first tick, a second from now, sets up the
        # senders and tries the outbox: nothing of it delays the first rows.
        self.outbox_senders = {}
        self._outbox_unsubscribe: list[Any] = []
        self.set_interval(OUTBOX_TICK, self.outbox_tick, name="outbox")

    def _on_unmount(self) -> None:
        for unsubscribe in getattr(self, "_outbox_unsubscribe", ()):
            unsubscribe()

    def _outbox_setup(self) -> None:
        """One sender per account that can send (has SMTP), listening for it to come
        back online; the schedule makes the first try due at once (app start)."""
        if self.outbox_senders or self._outbox_unsubscribe:
            return
        from mailtui.usecase.sending import OutboxSender

        for name, service in self.mail.services.items():
            account = self.mail.ctx.account(name)
            if account.smtp is None:
                continue
            sender = OutboxSender(account, service)
            self.outbox_senders[name] = sender
            self._outbox_unsubscribe.append(sender.attach())
        if not self.outbox_senders:
            self._outbox_unsubscribe.append(lambda: None)  # set up: no account sends

    def outbox_tick(self) -> None:
        """Run the retries that are due (each sender's backoff says when)."""
        self._outbox_setup()
        for sender in self.outbox_senders.values():
            if sender.due():
                self._outbox_run(sender, (), manual=False)

    def outbox_retry_now(self, only: Sequence[str] = ()) -> None:
        """The user's "retry now": every account, refused messages included."""
        self._outbox_setup()
        for sender in self.outbox_senders.values():
            sender.wake()
            self._outbox_run(sender, only, manual=True)

    def outbox_recount(self) -> None:
        """Count what waits again (after a send, a delete) and show it."""
        self._outbox_setup()
        self.run_worker(
            lambda: self._outbox_report([], manual=False), thread=True, group="outbox-count"
        )

    def _outbox_run(self, sender: OutboxSender, only: Sequence[str], *, manual: bool) -> None:
        def retry() -> None:
            try:
                reports = sender.retry(only, automatic=not manual)
            except (MailtuiError, OSError) as exc:
                log.warning("retrying the outbox of %s failed: %s", sender.account.name, exc)
                reports = []
            self._outbox_report(reports, manual=manual)

        self.run_worker(retry, thread=True, group="outbox", exit_on_error=False)

    def _outbox_report(self, reports: Sequence[DeliveryReport], *, manual: bool) -> None:
        """From a worker thread: post what happened and how many messages still wait."""
        waiting = 0
        for sender in list(self.outbox_senders.values()):
            with contextlib.suppress(OSError):
                waiting += sender.count()
        self.post_message(OutboxChecked(reports, waiting, manual))

    def on_outbox_checked(self, message: OutboxChecked) -> None:
        from mailtui.ui.screens.outbox import OutboxScreen

        if not self.is_attached:
            return
        with contextlib.suppress(NoMatches):
            self.status.set(outbox=message.waiting)
        sent = [r for r in message.reports if r.sent]
        if sent:
            many = f"{len(sent)} messages" if len(sent) > 1 else "a message"
            warnings = " ".join(w for r in sent for w in r.warnings)
            self.notify(
                f"Sent {many} from the outbox." + (f" {warnings}" if warnings else ""),
                severity="warning" if warnings else "information",
                markup=False,
                timeout=6,
            )
        if message.manual:
            for report in message.reports:
                if not report.sent and report.error is not None:
                    self.notify(
                        f"Not sent: {report.error.sentence()}",
                        severity="error",
                        markup=False,
                        timeout=10,
                    )
        for screen in self.app.screen_stack:
            if isinstance(screen, OutboxScreen):
                screen.reload()

    @work(group="compose", exclusive=True)
    async def outbox_edit(self, item: Queued) -> None:
        """A waiting message back on the review screen; held meanwhile, so no retry
        sends it. Sent or saved, the new version replaces it (and its Drafts copy)."""
        from mailtui.compose.draft import recalled_draft
        from mailtui.ui.screens.review import run_compose
        from mailtui.usecase.addressbook import address_book
        from mailtui.usecase.reading import original_from_raw

        sender = self.outbox_senders.get(item.account)
        if sender is None:
            return
        account = sender.account
        with sender.hold(item.entry) as held:
            if held is None:
                self.notify("It is being sent right now", severity="warning", markup=False)
                return
            if held.state == "sent":
                self.notify(
                    "It was sent already; only its copy in Sent is still to be stored",
                    markup=False,
                )
                return
            try:
                raw = await asyncio.to_thread(sender.outbox.raw, held)
                saved = original_from_raw(raw)
                draft = replace(
                    recalled_draft(account, saved), replied=held.replied, forwarded=held.forwarded
                )
                book = await asyncio.to_thread(address_book, sender.service, account)
                result = await run_compose(
                    self.app, draft, known_addresses=book, pristine=draft, edit_first=False
                )
                if result.action == "cancel":
                    return
                await self._finish_compose(account.name, result.action, result.draft)
                await asyncio.to_thread(sender.drop, held, draft_copy=True)
            except (MailtuiError, OSError) as exc:
                message = exc.sentence() if isinstance(exc, MailtuiError) else str(exc)
                self.notify(message, severity="error", markup=False, timeout=8)
        self.outbox_recount()
