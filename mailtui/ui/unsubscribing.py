"""Unsubscribing from a mailing list in one key (`B`, `:unsubscribe`).

A component of the main screen (see ui/host.py); the rules are the use case's
(`usecase.unsubscribe`, shared with `mailtui unsubscribe`). The message's header is
fetched (BODY.PEEK[HEADER]) and its List-Unsubscribe read; then, by what the list
offers, best first:

- one-click (RFC 8058): a confirmation naming the host, then one HTTPS POST in a
  thread (certificate verified, no cookies, no redirect followed) and its result;
- mailto: the prefilled message on the review screen, sent like any other;
- an https page: the link menu, to open or copy — mailtui never fetches it.

Nothing happens without the user's key press and answer; nothing is ever a GET.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.text.safe import clean_line
from mailtui.ui.screens.picker import Item

if TYPE_CHECKING:
    from collections.abc import Callable

    from mailtui.compose.draft import Draft
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.reading import Reading
    from mailtui.usecase.unsubscribe import UnsubscribePlan


class Unsubscribing:
    """`B`: leave the list the message came from (see the module docstring)."""

    def __init__(
        self, host: ScreenHost, reading: Reading, *, review: Callable[[Draft], None]
    ) -> None:
        self._host = host
        self._reading = reading
        self._review = review

    def start(self) -> None:
        host = self._host
        key = host.reader.key
        if key is None or (key[0], key[1]) != (host.account, host.folder):
            uid = host.messages.cursor_uid
            key = (host.account, host.folder, uid) if host.folder and uid is not None else None
        if key is None:
            host.notify("No message here", timeout=2, markup=False)
            return
        host.run_worker(self._plan(key), group="unsubscribe", exclusive=True)

    async def _plan(self, key: tuple[str, str, int]) -> None:
        from mailtui.usecase.unsubscribe import message_plan

        host = self._host
        account, folder, uid = key
        try:
            plan = await asyncio.to_thread(message_plan, host.mail.services[account], folder, uid)
        except MailtuiError as exc:
            host.notify(exc.sentence(), severity="error", markup=False, timeout=6)
            return
        if plan.kind == "one-click":
            self._confirm(plan)
        elif plan.kind == "mailto":
            self._mailto(account, plan)
        elif plan.kind == "link":
            title = "Unsubscribe on the list's page (mailtui never fetches it)"
            self._reading.link_menu(title, [Item(plan.link, plan.link)])
        else:
            host.notify(
                "This message names no way to unsubscribe (no https: or mailto: List-Unsubscribe)",
                timeout=4,
                markup=False,
            )

    def _confirm(self, plan: UnsubscribePlan) -> None:
        from mailtui.ui.screens.editor import ConfirmScreen

        question = (
            f"Unsubscribe from this list?\n\nmailtui sends one request (an HTTPS POST, "
            f"RFC 8058 one-click) to {plan.host}. Nothing is opened in a browser."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._host.run_worker(self._post(plan), group="unsubscribe")
            else:
                self._host.notify("Not unsubscribed", timeout=2, markup=False)

        screen = ConfirmScreen(question, yes="Unsubscribe")  # plan.host is clean
        self._host.mail.push_screen(screen, answered)

    async def _post(self, plan: UnsubscribePlan) -> None:
        from mailtui.usecase.unsubscribe import perform_one_click

        host = self._host
        host.notify(f"Asking {plan.host} to unsubscribe you…", timeout=3, markup=False)
        ca_file = host.mail.ctx.settings.ui.https_ca_file
        result = await asyncio.to_thread(perform_one_click, plan, ca_file=ca_file)
        more = ""
        if not result.ok and plan.mailto is not None:
            more = " — the list also takes an unsubscribe message to " + ", ".join(
                a.addr for a in plan.mailto.to
            )
        host.notify(
            clean_line(result.message + more),
            severity="information" if result.ok else "error",
            timeout=8 if result.ok else 12,
            markup=False,
        )

    def _mailto(self, account: str, plan: UnsubscribePlan) -> None:
        from mailtui.usecase.unsubscribe import unsubscribe_draft

        try:
            draft = unsubscribe_draft(self._host.mail.ctx.account(account), plan)
        except (MailtuiError, ValueError) as exc:
            self._host.notify(str(exc), severity="error", markup=False, timeout=6)
            return
        self._review(draft)
