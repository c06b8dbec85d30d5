"""r / R / f / ctrl+f / C / E: reply, reply all, forward (inline or attached), new mail
and a saved draft edited again, through the compose screens.

A mixin of the main screen. The original is fetched whole (BODY.PEEK[], so it stays
unread) and parsed by mime; compose builds the draft, `review.run_compose` runs the
editor and the review screen, and sending happens in a thread (SMTP, then the Sent
copy and \\Answered through the service's journal).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from mailtui.errors import MailtuiError
from mailtui.model import MessageRef, Role
from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed

# compose (email building, smtplib, the editor and review screens) is imported when a
# message is first written: it is ~30 ms of every start-up otherwise.
if TYPE_CHECKING:
    from mailtui.compose.draft import Draft
    from mailtui.ui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object


class ComposeMixin(_Base):
    """Compose behaviour for MainScreen (see the module docstring)."""

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

    @work(group="compose", exclusive=True)
    async def start_compose(self, mode: str) -> None:
        from mailtui.compose.flow import save_draft, send_draft
        from mailtui.sending import service_store, with_replied
        from mailtui.ui.screens.review import address_book, run_compose

        account = self.mail.ctx.account(self.account)
        service = self.service
        # A recalled draft is replaced by what comes of it: sent, or saved anew.
        old = (self.folder, self.messages.cursor_uid) if mode == "recall" else None
        try:
            draft = await self._draft_for(mode)
            if draft is None:
                return
            book = await asyncio.to_thread(address_book, service, account)
            result = await run_compose(self.app, draft, known_addresses=book, pristine=draft)
            if result.action == "cancel":
                self.notify("Not sent", timeout=2, markup=False)
                return
            store = await asyncio.to_thread(service_store, service, account)
            if result.action == "draft":
                await asyncio.to_thread(save_draft, account, result.draft, store=store)
                self._drop_draft(old)
                self.notify("Saved to Drafts", timeout=3, markup=False)
                return
            self.notify("Sending…", timeout=2, markup=False)
            # A recalled draft knows only the Message-ID it answers: find that message.
            draft = await asyncio.to_thread(with_replied, service, result.draft)
            report = await asyncio.to_thread(send_draft, account, draft, store=store)
        except MailtuiError as exc:
            self.notify(exc.sentence(), severity="error", markup=False, timeout=8)
            return
        if report.sent:
            self._drop_draft(old)
        self.notify(
            report.summary(),
            severity="information" if report.ok else "warning" if report.sent else "error",
            markup=False,
            timeout=6 if report.ok else 12,
        )

    def _drop_draft(self, old: tuple[str | None, int | None] | None) -> None:
        """Remove the draft that was edited again, for good (it is not mail to keep)."""
        if old is None or old[0] is None or old[1] is None:
            return
        command = commands.DeleteMessages(
            folder=old[0], uids=(old[1],), permanent=True, undoable=False
        )
        self.mail.bridge.submit(self.service, command)

    async def _draft_for(self, mode: str) -> Draft | None:
        from mailtui.compose.draft import forward_draft, new_draft, recalled_draft, reply_draft
        from mailtui.ui.screens.review import original_from_raw

        account = self.mail.ctx.account(self.account)
        if mode == "new":
            return new_draft(account)
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
