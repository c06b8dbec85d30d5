"""Calendar invitations in the reader: the readable block, and answering with `i`.

A component of the main screen (see ui/host.py). When a message shown has a calendar
part, it is fetched (BODY.PEEK, from the part cache when it is there) and read in a
thread by the use case both faces share (`usecase.invitation`); the reader shows it
as a block over the body. `i` (or `:invite accept|tentative|decline`) builds the iTIP
REPLY and puts the answer on the review screen, so it is sent like any message:
SMTP, the undo window, a Sent copy, \\Answered on the invitation.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.model import BodyPart, MessageRef
from mailtui.ui import loader
from mailtui.ui.bridge import ServiceCancelled, ServiceFailed
from mailtui.ui.commandline import CommandError
from mailtui.ui.screens.picker import Item, Menu

if TYPE_CHECKING:
    from collections.abc import Callable

    from mailtui.compose.draft import Draft
    from mailtui.ui.commandline import Line
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.loader import Loaded
    from mailtui.usecase.invitation import ShownInvitation

Key = tuple[str, str, int]
ANSWERS = ("accept", "tentative", "decline")


class Invites:
    """The invitation of the message shown (see the module docstring)."""

    def __init__(self, host: ScreenHost, *, review: Callable[[Draft], None]) -> None:
        """`review(draft)` puts a ready message on the review screen (the Composer)."""
        self._host = host
        self._review = review
        self._shown: tuple[Key, ShownInvitation] | None = None

    def load(self, key: Key, loaded: Loaded) -> None:
        """The reader shows `key`: look for an invitation in it (a worker; the reader
        has moved on when it ends, nothing is shown)."""
        from mailtui.usecase.invitation import calendar_part

        self._shown = None
        part = calendar_part(loaded.structure)
        if part is not None:
            self._host.run_worker(self._read(key, loaded, part), group="invite", exclusive=True)

    async def _read(self, key: Key, loaded: Loaded, part: BodyPart) -> None:
        from mailtui.usecase.invitation import read_shown

        host = self._host
        account, folder, uid = key
        secret = loaded.secure.message if loaded.secure is not None else None
        try:
            if secret is not None:  # inside an encrypted message: decoded already
                raw, part = secret.part_bytes(part.section), replace(part, encoding="binary")
            else:
                service = host.mail.services[account]
                raw, _ = await loader.fetch_part(
                    host.mail.bridge, service, folder, uid, part.section
                )
        except (ServiceCancelled, ServiceFailed):
            return  # the body is shown; the block is only missing
        settings = host.mail.ctx.account(account)
        shown = await asyncio.to_thread(read_shown, part, raw, settings)
        if not host.is_attached or host.reader.key != key:
            return
        self._shown = (key, shown)
        keys = host.mail.keymap.keys("invite")
        answer_with = f"{keys[0]} answers" if keys else ":invite answers"
        hint = f"{answer_with}: accept, tentative or decline" if shown.invitation.can_answer else ""
        host.reader.show_invitation(shown.lines(), hint)

    # --- answering -------------------------------------------------------------------------

    def ask(self) -> None:
        """`i`: choose the answer in a small menu, then review it."""
        if self._answerable() is None:
            return
        items = [
            Item("accept", "Accept", "ACCEPTED"),
            Item("tentative", "Tentative", "TENTATIVE"),
            Item("decline", "Decline", "DECLINED"),
        ]

        def chosen(result: tuple[str, int] | None) -> None:
            if result is not None:
                self.answer(items[result[1]].value)

        keys = [("enter", "answer", "review the answer")]
        self._host.mail.push_screen(Menu("Answer the invitation", items, keys), chosen)

    def run_line(self, line: Line) -> None:
        """`:invite [accept|tentative|decline]`: the menu, or that answer at once."""
        if not line.args:
            self.ask()
            return
        word = line.args[0].lower()
        if len(line.args) > 1 or word not in ANSWERS:
            raise CommandError("Usage: :invite [accept|tentative|decline]")
        self.answer(word)

    def _answerable(self) -> tuple[Key, ShownInvitation] | None:
        host = self._host
        shown = self._shown
        if shown is None or host.reader.key != shown[0]:
            host.notify("The message shown is not an invitation", timeout=3, markup=False)
            return None
        if not shown[1].invitation.can_answer:
            invitation = shown[1].invitation
            why = (
                invitation.problem
                or ("This event is cancelled" if invitation.cancelled else "")
                or "Only an invitation (a request) can be answered"
            )
            host.notify(why, severity="warning", timeout=4, markup=False)
            return None
        return shown

    def answer(self, word: str) -> None:
        """The answer to the invitation shown, onto the review screen."""
        from mailtui.mime.calendar import Answer
        from mailtui.usecase.invitation import answer_draft

        found = self._answerable()
        if found is None:
            return
        (account, folder, uid), shown = found
        host = self._host
        env = host.reader.envelope
        settings = host.mail.ctx.account(account)
        answer = {"accept": Answer.ACCEPTED, "tentative": Answer.TENTATIVE}.get(
            word, Answer.DECLINED
        )
        try:
            draft = answer_draft(
                settings,
                shown,
                answer,
                message_id=env.message_id if env is not None else "",
                ref=MessageRef(folder, uid),
            )
        except MailtuiError as exc:
            host.notify(exc.sentence(), severity="error", markup=False, timeout=6)
            return
        self._review(draft)
