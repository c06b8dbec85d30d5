"""r / R / f / ctrl+f / C / E: reply, reply all, forward (inline or attached), new mail
and a saved draft edited again, through the compose screens; and a queued message
edited again from the outbox view.

A component of the main screen (see ui/host.py). The original is fetched whole
(BODY.PEEK[], so it stays unread) and parsed by mime; compose builds the draft,
`review.run_compose` runs the editor and the review screen, and sending happens in a
thread (SMTP, then the Sent copy and \\Answered through the service's journal).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.model import MessageRef, Role
from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed

# compose (email building, smtplib, the editor and review screens) is imported when a
# message is first written: it is ~30 ms of every start-up otherwise.
if TYPE_CHECKING:
    from mailtui.compose.draft import Draft, Original
    from mailtui.compose.flow import DeliveryReport, MailStore
    from mailtui.config.model import AccountSettings
    from mailtui.sync.service import SyncService
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.outgoing import Outbox
    from mailtui.ui.reading import Reading
    from mailtui.ui.screens.review import KeyCheck
    from mailtui.usecase.protect import PgpChoice
    from mailtui.usecase.sending import Queued

MODES = ("reply", "reply_all", "forward", "forward_attached", "new", "recall", "mailto")
"""What `Composer.start` writes (mailto: a new message as a mailto: link asks)."""


class Composer:
    """Writing and sending (see the module docstring)."""

    def __init__(self, host: ScreenHost, outbox: Outbox, reading: Reading) -> None:
        self._answers_encrypted = False  # the message being answered was encrypted
        self._host = host
        self._outbox = outbox
        self._reading = reading

    def start(self, mode: str, mailto: str = "", target: MessageRef | None = None) -> None:
        """Write a message: `mode` is one of MODES; `target` answers or forwards that
        message instead of the one at the list's cursor (the conversation view's)."""
        self._host.run_worker(
            partial(self._compose, mode, mailto, target), group="compose", exclusive=True
        )

    async def _compose(self, mode: str, mailto: str, target: MessageRef | None = None) -> None:
        host = self._host
        # A recalled draft is replaced by what comes of it: sent, or saved anew.
        old = (host.folder, host.messages.cursor_uid) if mode == "recall" else None
        self._answers_encrypted = False
        try:
            draft = await self._draft_for(mode, mailto, target)
            if draft is None:
                return
            action, report = await self._review(draft, draft)
        except MailtuiError as exc:
            host.notify(exc.sentence(), severity="error", markup=False, timeout=8)
            return
        if action == "draft" or (report is not None and (report.sent or report.waiting)):
            self._drop_draft(old)

    async def _review(
        self, draft: Draft, pristine: Draft, *, edit_first: bool = True, pgp: object = None
    ) -> tuple[str, DeliveryReport | None]:
        """The editor (unless `edit_first` is off) and the review screen, then what the
        user chose ("send", "later", "draft", "cancel") and the delivery report."""
        from mailtui.ui.screens.review import run_compose
        from mailtui.usecase.addressbook import address_book

        host = self._host
        account = host.mail.ctx.account(host.account)
        service = host.service
        book = await asyncio.to_thread(address_book, service, account)
        shown, check = await asyncio.to_thread(_openpgp_review, account, service)
        if shown is not None and self._answers_encrypted:
            # Answering encrypted mail: encrypted too, unless the user presses X.
            shown = replace(shown, encrypt="on")
        result = await run_compose(
            host.mail,
            draft,
            known_addresses=book,
            pristine=pristine,
            pgp=pgp if pgp is not None else shown,  # type: ignore[arg-type]
            check_keys=check,
            edit_first=edit_first,
        )
        if result.action == "cancel":
            host.notify("Not sent", timeout=2, markup=False)
            return "cancel", None
        report = await self._finish(
            account.name,
            result.action,
            result.draft,
            result.pgp,
            when=result.when,
            pristine=pristine,
        )
        return result.action, report

    def review(self, draft: Draft) -> None:
        """A message made for the user (an invitation's answer, a list's unsubscribe
        message) straight onto the review screen, then sent like any other."""

        async def run() -> None:
            try:
                await self._review(draft, draft, edit_first=False)
            except MailtuiError as exc:
                self._host.notify(exc.sentence(), severity="error", markup=False, timeout=8)

        self._host.run_worker(run, group="compose", exclusive=True)

    def undo_send(self) -> None:
        """u in the undo window: the message out of the outbox, back on the review screen."""
        self._host.run_worker(self._undo_send, group="compose", exclusive=True)

    async def _undo_send(self) -> None:
        host = self._host
        delayed, why = await asyncio.to_thread(self._outbox.take_back)
        self._outbox.recount()
        if delayed is None:
            host.notify(why, severity="warning", markup=False, timeout=4)
            return
        host.notify("Not sent: back to the review screen", timeout=3, markup=False)
        try:
            await self._review(delayed.draft, delayed.pristine, edit_first=False, pgp=delayed.extra)
        except MailtuiError as exc:
            host.notify(exc.sentence(), severity="error", markup=False, timeout=8)

    async def _finish(
        self,
        account_name: str,
        action: str,
        draft: Draft,
        pgp: PgpChoice | None = None,
        *,
        when: float = 0.0,
        pristine: Draft | None = None,
    ) -> DeliveryReport | None:
        """Save the draft to Drafts ("draft": None) or send it (the report), and say so.

        A draft that answers a message but does not know where it lives (recalled,
        or from the outbox) is matched by Message-ID first, so \\Answered is set."""
        from mailtui.compose.flow import save_draft, send_draft
        from mailtui.usecase.store import service_store, with_replied

        host = self._host
        account = host.mail.ctx.account(account_name)
        service = host.mail.services[account_name]
        store = await asyncio.to_thread(service_store, service, account)
        if action == "draft":
            await asyncio.to_thread(save_draft, account, draft, store=store)
            host.notify("Saved to Drafts", timeout=3, markup=False)
            return None
        # "send": the undo window ([ui] send_delay); "later": the time chosen.
        delay = host.mail.ctx.settings.ui.send_delay
        not_before = when if action == "later" else time.time() + delay if delay > 0 else 0.0
        later = {"not_before": not_before, "scheduled": action == "later"}
        if not not_before:
            host.notify("Sending…", timeout=2, markup=False)
        draft = await asyncio.to_thread(with_replied, service, draft)
        if (pgp is not None and pgp.active) or account.autocrypt:
            report = await self._send_protected(account, service, draft, pgp, store, later)
            if report is None:
                return None
        else:
            send = partial(send_draft, account, draft, store=store, **later)  # type: ignore[arg-type]
            # tracked: quitting waits for the SMTP conversation (see Outbox.before_quit)
            report = await asyncio.to_thread(self._outbox.track(send))
        if report.waiting:
            self._outbox.recount()
            if action == "later":
                host.notify(
                    f"It will be sent {datetime.fromtimestamp(report.not_before):%a %d %b %H:%M} "
                    "(ctrl+o shows the outbox)",
                    timeout=6,
                    markup=False,
                )
                self._outbox.note(account_name, report)
            else:
                from mailtui.ui.outgoing import Delayed

                self._outbox.hold(
                    Delayed(
                        account_name,
                        report.entry_id,
                        report.not_before,
                        draft,
                        pristine if pristine is not None else draft,
                        pgp,
                    )
                )
                host.notify(
                    f"Sending in {round(report.not_before - time.time())} s — u brings it back",
                    timeout=3,
                    markup=False,
                )
            return report
        host.notify(
            report.summary(),
            severity="information" if report.ok else "warning" if report.sent else "error",
            markup=False,
            timeout=6 if report.ok else 12,
        )
        self._outbox.note(account_name, report)
        self._outbox.recount()
        return report

    async def _send_protected(
        self,
        account: AccountSettings,
        service: SyncService,
        draft: Draft,
        pgp: PgpChoice | None,
        store: MailStore,
        later: dict[str, float | bool] | None = None,
    ) -> DeliveryReport | None:
        """Sign/encrypt (asking for a passphrase in mailtui's own prompt if the key is
        locked), then deliver. If OpenPGP fails nothing is sent and the draft is kept in
        Drafts, so the message is not lost."""
        from mailtui.compose.flow import save_draft
        from mailtui.crypto import CryptoError
        from mailtui.ui.screens.passphrase import tui_pinentry
        from mailtui.usecase.protect import PgpChoice, send_protected

        host = self._host
        choice = pgp if pgp is not None else PgpChoice()
        try:
            return await asyncio.to_thread(
                self._outbox.track(  # quitting waits for the send (Outbox.before_quit)
                    partial(
                        send_protected,
                        account,
                        draft,
                        choice,
                        store=store,
                        service=service,
                        pinentry=tui_pinentry(host.mail, account),
                        **(later or {}),  # type: ignore[arg-type]
                    )
                )
            )
        except CryptoError as exc:
            try:
                await asyncio.to_thread(save_draft, account, draft, store=store)
                kept = " The message was saved to Drafts."
            except MailtuiError:
                kept = ""
            host.notify(exc.sentence() + kept, severity="error", markup=False, timeout=12)
            return None

    def _drop_draft(self, old: tuple[str | None, int | None] | None) -> None:
        """Remove the draft that was edited again, for good (it is not mail to keep)."""
        if old is None or old[0] is None or old[1] is None:
            return
        command = commands.DeleteMessages(
            folder=old[0], uids=(old[1],), permanent=True, undoable=False
        )
        self._host.mail.bridge.submit(self._host.service, command)

    async def _draft_for(
        self, mode: str, mailto: str = "", target: MessageRef | None = None
    ) -> Draft | None:
        from mailtui.compose.draft import forward_draft, new_draft, recalled_draft, reply_draft
        from mailtui.compose.mailto import mailto_draft

        host = self._host
        account = host.mail.ctx.account(host.account)
        if mode == "new":
            return new_draft(account)
        if mode == "mailto":
            return mailto_draft(account, mailto)
        uid, folder = host.messages.cursor_uid, host.folder
        if target is not None:
            uid, folder = target.uid, target.folder
        if uid is None or folder is None:
            host.notify("No message here", timeout=2, markup=False)
            return None
        if mode == "recall":
            info = host.folder_tree.folder(host.account, folder)
            if info is None or info.role != Role.DRAFTS:
                host.notify(
                    "Only a draft can be edited again: open Drafts", timeout=3, markup=False
                )
                return None
        uids = [uid]
        if target is not None:
            pass  # exactly the message the user pointed at
        elif mode == "forward_attached":
            uids = host.messages.selected_uids() or [uid]
        elif len(host.messages.selected_uids()) > 1:
            host.notify("Answering the message at the cursor", timeout=2, markup=False)
        originals = await self._originals(folder, uids)
        if originals is None:
            return None
        original = originals[0]
        if mode == "recall":
            return recalled_draft(account, original)
        if mode == "forward":
            return forward_draft(account, original)
        if mode == "forward_attached":
            return forward_draft(account, original, as_attachment=True, more=originals[1:])
        return reply_draft(account, original, reply_all=mode == "reply_all")

    async def _originals(self, folder: str, uids: list[int]) -> list[Original] | None:
        """The messages answered or forwarded, fetched whole; None if one cannot be."""
        from mailtui.usecase.reading import original_from_raw

        host = self._host
        originals = []
        for one in uids:
            try:
                raw = await host.mail.bridge.call(
                    host.service,
                    commands.FetchPart(folder=folder, uid=one, section="", cache=False),
                )
            except ServiceFailed as exc:
                host.notify(
                    f"Cannot fetch the message to answer: {exc.sentence()}",
                    severity="error",
                    markup=False,
                )
                return None
            data = await asyncio.to_thread(self._readable, bytes(raw or b""))
            originals.append(
                original_from_raw(data, ref=MessageRef(folder, one), prefer=self._reading.prefer)
            )
        return originals

    def _readable(self, raw: bytes) -> bytes:
        """An encrypted original decrypted (in memory, with its real Subject) so the
        reply quotes its text and a forward carries its attachments; as it came when it
        is not encrypted or cannot be decrypted. In a thread (gpg, maybe a passphrase)."""
        from mailtui.crypto.rawmime import parse_tree

        if parse_tree(raw).content_type != "multipart/encrypted":
            return raw
        from mailtui.ui.screens.passphrase import tui_pinentry
        from mailtui.usecase.protect import unprotect

        account = self._host.mail.ctx.account(self._host.account)
        try:
            plain, was = unprotect(raw, account, tui_pinentry(self._host.mail, account))
        except MailtuiError as exc:
            self._host.mail.call_from_thread(
                self._host.notify, f"Quoting it as it came: {exc.sentence()}", markup=False
            )
            return raw
        self._answers_encrypted = was is not None
        return plain

    def edit_queued(self, item: Queued) -> None:
        """A waiting message back on the review screen; held meanwhile, so no retry
        sends it. Sent or saved, the new version replaces it (and its Drafts copy)."""
        self._host.run_worker(partial(self._edit_queued, item), group="compose", exclusive=True)

    async def _edit_queued(self, item: Queued) -> None:
        from mailtui.compose.draft import recalled_draft
        from mailtui.ui.screens.review import run_compose
        from mailtui.usecase.addressbook import address_book
        from mailtui.usecase.reading import original_from_raw

        host = self._host
        sender = self._outbox.senders.get(item.account)
        if sender is None:
            return
        account = sender.account
        with sender.hold(item.entry) as held:
            if held is None:
                host.notify("It is being sent right now", severity="warning", markup=False)
                return
            if held.state == "sent":
                host.notify(
                    "It was sent already; only its copy in Sent is still to be stored",
                    markup=False,
                )
                return
            try:
                raw = await asyncio.to_thread(sender.outbox.raw, held)
                pgp, check = await asyncio.to_thread(_openpgp_review, account, sender.service)
                if pgp is not None:
                    # Signed or encrypted when queued: edit what it was built from (our
                    # own key decrypts it, in memory), and keep the same choices.
                    from mailtui.ui.screens.passphrase import tui_pinentry
                    from mailtui.usecase.protect import unprotect

                    pinentry = tui_pinentry(host.mail, account)
                    raw, was = await asyncio.to_thread(unprotect, raw, account, pinentry)
                    pgp = was or pgp
                saved = original_from_raw(raw)
                draft = replace(
                    recalled_draft(account, saved), replied=held.replied, forwarded=held.forwarded
                )
                book = await asyncio.to_thread(address_book, sender.service, account)
                result = await run_compose(
                    host.mail,
                    draft,
                    known_addresses=book,
                    pristine=draft,
                    edit_first=False,
                    pgp=pgp,
                    check_keys=check,
                )
                if result.action == "cancel":
                    return
                await self._finish(
                    account.name, result.action, result.draft, result.pgp, when=result.when
                )
                await asyncio.to_thread(sender.drop, held, draft_copy=True)
            except (MailtuiError, OSError) as exc:
                message = exc.sentence() if isinstance(exc, MailtuiError) else str(exc)
                host.notify(message, severity="error", markup=False, timeout=8)
        self._outbox.recount()


def _openpgp_review(
    account: AccountSettings, service: SyncService
) -> tuple[PgpChoice | None, KeyCheck | None]:
    """The review screen's OpenPGP line and the key check run before sending. Without
    gpg there is no line, unless the account asks to sign or always encrypt: then the
    line shows and sending stops with the sentence saying how to install gpg (never a
    silent plaintext send)."""
    from mailtui.compose.build import build_message, message_bytes
    from mailtui.usecase.protect import PgpChoice, decide
    from mailtui.usecase.secure import engine, peer_store

    off = engine()
    if isinstance(off, str):
        if not (account.pgp_sign or account.pgp_encrypt == "always"):
            return None, None
        return PgpChoice.for_account(account), lambda _d, c: off if c.encrypt == "on" else ""

    def check(draft: Draft, choice: PgpChoice) -> str:
        try:
            raw = message_bytes(build_message(draft, account))
            decide(account, raw, choice, peer_store(service))
        except MailtuiError as exc:
            return exc.sentence()
        return ""

    return PgpChoice.for_account(account), check
