"""Reading offline in the app: prefetch = "text", then the link goes down (the fault
proxy closes every connection); a prefetched message opens with its body, one outside
the window says it needs the server, and the status bar says how much is readable."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtui.context import AppContext
from mailtui.usecase.reading import read_body
from tests.support import mailgen
from tests.support.accounts import settings_for
from tests.support.dovecot import Dovecot, MailUser
from tests.support.faultproxy import FaultProxy
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    p = FaultProxy(dovecot.host, dovecot.imap_port)
    yield p
    p.close()


def _server_text(dovecot: Dovecot, user: MailUser, cache: Path, uid: int) -> str:
    """The body as the reader shows it, read straight from Dovecot by another client."""
    ctx = AppContext(settings_for(dovecot, user), cache_dir=cache)
    try:
        return read_body(ctx.service(), "INBOX", uid).text
    finally:
        ctx.close()


async def test_prefetched_bodies_open_with_the_link_down(
    dovecot: Dovecot, proxy: FaultProxy, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(60, seed=170))
    app = make_app(
        dovecot,
        user,
        tmp_path / "cache",
        imap={"port": proxy.port, "timeout": 3},
        account={"prefetch": "text", "prefetch_days": 0, "prefetch_messages": 40},
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app)
        status = app.main.status
        await wait_for(
            pilot,
            lambda: (status.status.readable, status.status.wanted) == (40, 40),
            timeout=30,
            what="40 of 40 prefetched",
        )
        assert "40 of 40 readable offline" in screen_text(app)
        view = app.main.service.view("INBOX")
        fifth, oldest = view[4], view[-1]
        expected = await asyncio.to_thread(_server_text, dovecot, user, tmp_path / "other", fifth)

        proxy.go_down()
        await wait_for(pilot, lambda: status.status.state == "offline", what="offline")
        await pilot.press("g")  # the top, then four down: the fifth newest
        await pilot.press("j", "j", "j", "j")
        await pilot.press("enter")
        await wait_reader(pilot, app, fifth)
        assert app.main.reader.loaded is not None
        assert expected and app.main.reader.loaded.text == expected

        await pilot.press("G", "enter")  # the oldest: outside the window
        await wait_for(
            pilot,
            lambda: (
                app.main.reader.key is not None
                and app.main.reader.key[2] == oldest
                and "server is unreachable" in (app.main.reader.error or "")
            ),
            what="the un-prefetched message to say it needs the server",
        )
        text = screen_text(app)
        assert "offline" in text and "40 of 40 readable offline" in text
