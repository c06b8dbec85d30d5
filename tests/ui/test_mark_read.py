"""Marking read: only a message the user moved to or opened, never one the app put on screen.

Each test waits for the condition that matters, never for a fixed time: the preview shown,
then the mark-read delay's deadline counted from that moment, then the writer's journal
drained (anything the app decided to write is on the server by then), and only then asks
a fresh IMAP client what the server holds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from mailtui.model import SEEN
from mailtui.ui.app import MailApp
from tests.support import mailgen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader, wait_server

DELAY = 0.3
FOLDERS = ("INBOX", "Work", "Lists")


@pytest.fixture
def unread_user(dovecot: Dovecot) -> MailUser:
    """Three folders of unread mail only, so any \\Seen on the server was set by the app."""
    user = dovecot.add_user()
    for seed, folder in enumerate(FOLDERS):
        messages = mailgen.generate(6, seed=40 + seed, seen_ratio=0.0, attachment_ratio=0)
        mailgen.write_maildir(user.maildir, folder, messages)
    return user


def seen_on_server(dovecot: Dovecot, user: MailUser) -> dict[str, set[int]]:
    """{folder: UIDs with \\Seen}, read by a fresh client (not the app's connections)."""
    client = dovecot.client(user)
    try:
        return {
            folder: {uid for uid, flags in server_flags(client, folder).items() if SEEN in flags}
            for folder in FOLDERS
        }
    finally:
        client.logout()


async def shown_then_past_deadline(pilot: Pilot[Any], app: MailApp, uid: int) -> None:
    """Until `uid` is shown in the reader and the mark-read delay counted from then is over.

    A mark-read timer is armed in the same step that shows the body, so once the deadline
    has passed (plus a margin for the timer to run) it would have fired; draining the
    writer then puts whatever it decided on the server.
    """
    await wait_reader(pilot, app, uid)
    deadline = time.monotonic() + DELAY + 0.4
    await wait_for(pilot, lambda: time.monotonic() >= deadline, what="the mark-read deadline")
    service = app.main.service
    assert await asyncio.to_thread(service.wait_writer_idle), "the writer did not drain"


async def launched(pilot: Pilot[Any], app: MailApp) -> int:
    """Until the app is synced and the message it put under the cursor was shown past the
    deadline; that message's UID."""
    await ready(pilot, app)
    uid = app.main.messages.cursor_uid
    assert uid is not None
    await shown_then_past_deadline(pilot, app, uid)
    return uid


async def go_to_folder(pilot: Pilot[Any], app: MailApp, folder: str) -> int:
    """Open a folder with F, as the user does; the UID the app previews there."""
    await pilot.press("F")
    await wait_for(pilot, lambda: "Go to folder" in screen_text(app), what="the folder picker")
    await pilot.press(*folder.lower(), "enter")
    main = app.main
    await wait_for(
        pilot, lambda: main.folder == folder and len(main.messages.rows) == 6, what=folder
    )
    uid = main.messages.cursor_uid
    assert uid is not None
    return uid


async def test_nothing_is_read_until_the_user_moves_then_moving_reads(
    unread_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """Issue 11.4: at launch the newest message was previewed and marked read by itself."""
    app = make_app(dovecot, unread_user, tmp_path, ui={"mark_read_delay": DELAY})
    async with app.run_test(size=(120, 40)) as pilot:
        newest = await launched(pilot, app)
        main = app.main
        # Opening folders previews their first message: that does not read it either.
        for folder in ("Work", "Lists", "INBOX"):
            uid = await go_to_folder(pilot, app, folder)
            await shown_then_past_deadline(pilot, app, uid)
        assert seen_on_server(dovecot, unread_user) == {f: set() for f in FOLDERS}
        # The user moves: the message they moved to is read once shown for the delay.
        await pilot.press("j")
        second = main.messages.cursor_uid
        assert second is not None and second != newest
        await shown_then_past_deadline(pilot, app, second)
        assert seen_on_server(dovecot, unread_user) == {
            "INBOX": {second},
            "Work": set(),
            "Lists": set(),
        }
        # Back up: now the user chose the newest one too.
        await pilot.press("k")
        await shown_then_past_deadline(pilot, app, newest)
        assert seen_on_server(dovecot, unread_user)["INBOX"] == {newest, second}
        # In another folder, enter on the message the app previewed reads it.
        first = await go_to_folder(pilot, app, "Work")
        await wait_reader(pilot, app, first)
        await pilot.press("enter")
        client = dovecot.client(unread_user)
        await wait_server(lambda: SEEN in server_flags(client, "Work")[first], what="read")
        client.logout()


async def test_on_open_reads_only_what_enter_opens(
    unread_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """mark_read = "on-open" (mutt's habit): moving previews, enter (or space) reads."""
    app = make_app(
        dovecot, unread_user, tmp_path, ui={"mark_read_delay": DELAY, "mark_read": "on-open"}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await launched(pilot, app)
        main = app.main
        await pilot.press("j", "j")
        third = main.messages.cursor_uid
        assert third is not None
        await shown_then_past_deadline(pilot, app, third)
        await pilot.press("k")
        second = main.messages.cursor_uid
        assert second is not None
        await shown_then_past_deadline(pilot, app, second)
        assert seen_on_server(dovecot, unread_user) == {f: set() for f in FOLDERS}
        # enter on the previewed message opens it: read after the delay.
        await pilot.press("enter")
        await shown_then_past_deadline(pilot, app, second)
        assert seen_on_server(dovecot, unread_user)["INBOX"] == {second}
        # space (page through) opens too; the next message the user moves to is not read.
        await pilot.press("j", "space")
        await shown_then_past_deadline(pilot, app, third)
        await pilot.press("j")
        await shown_then_past_deadline(pilot, app, main.messages.rows[3])
        assert seen_on_server(dovecot, unread_user) == {
            "INBOX": {second, third},
            "Work": set(),
            "Lists": set(),
        }


async def test_mark_read_delay_zero_and_never(
    unread_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """0 marks at once when the user moves there; -1 never, not even on enter."""
    app = make_app(dovecot, unread_user, tmp_path, ui={"mark_read_delay": 0})
    async with app.run_test(size=(120, 40)) as pilot:
        await launched(pilot, app)
        main = app.main
        assert seen_on_server(dovecot, unread_user)["INBOX"] == set()
        await pilot.press("j")
        second = main.messages.cursor_uid or 0
        await shown_then_past_deadline(pilot, app, second)
        assert seen_on_server(dovecot, unread_user)["INBOX"] == {second}
    app.ctx.close()
    never = make_app(dovecot, unread_user, tmp_path / "never", ui={"mark_read_delay": -1})
    async with never.run_test(size=(120, 40)) as pilot:
        await launched(pilot, never)
        await pilot.press("j", "j", "enter")
        await shown_then_past_deadline(pilot, never, never.main.messages.cursor_uid or 0)
        assert seen_on_server(dovecot, unread_user)["INBOX"] == {second}
