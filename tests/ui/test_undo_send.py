"""Undo send and send later: y waits `send_delay` seconds in the outbox, counting down,
u brings it back to the review screen, quitting sends it first; L holds it until a
time the user names, and the running app sends it then.

Real parts: the test Dovecot, aiosmtpd (running, or stopped: "SMTP is down"), Pilot.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import Input, TextArea

from mailtui.compose.outbox import Outbox
from mailtui.ui.app import MailApp
from mailtui.ui.screens.review import PromptScreen, ReviewScreen
from tests.compose.smtpd import SmtpServer
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_server
from tests.ui.test_compose import editor_text, no_external_editor, smtp  # noqa: F401
from tests.ui.test_outbox import sender_user, smtp_down  # noqa: F401
from tests.ui.test_triage import message_ids


def _app(dovecot: Dovecot, user: MailUser, tmp_path: Path, server: SmtpServer, **ui) -> MailApp:
    return make_app(
        dovecot,
        user,
        tmp_path,
        ui={"mark_read_delay": -1, **ui},
        account={"smtp": server.table()},
    )


def waiting(app: MailApp) -> list:
    return Outbox.for_account(app.ctx.account().name).pending()


async def write(pilot, app: MailApp, subject: str) -> None:
    """C, a recipient and a subject, then the review screen."""
    await pilot.press("C")
    await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
    area = app.screen.query_one(TextArea)
    lines = editor_text(app).split("\n")
    area.replace("To: carol@example.com", (lines.index("To:"), 0), (lines.index("To:"), 3))
    row = lines.index("Subject:")
    area.replace(f"Subject: {subject}", (row, 0), (row, 8))
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")


async def test_y_waits_counting_down_and_u_brings_it_back(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    smtp: SmtpServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = _app(dovecot, sender_user, tmp_path, smtp, send_delay=8)
    client = dovecot.client(sender_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await write(pilot, app, "Second thoughts")
        await pilot.press("y")
        await wait_for(
            pilot, lambda: "s · u undoes" in screen_text(app), what="the countdown in the status"
        )
        assert "sending in " in screen_text(app)
        (entry,) = waiting(app)  # on disk, held until the window ends
        assert entry.subject == "Second thoughts" and entry.not_before > time.time()
        assert not entry.scheduled
        # u: out of the outbox, back on the review screen with the same message.
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review again")
        assert "Second thoughts" in screen_text(app)
        assert waiting(app) == []
        await wait_for(pilot, lambda: not app.main.status.status.sending, what="no countdown")
        # y again: this time the window runs out and it goes, once.
        started = time.monotonic()
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=40, what="the delivery")
        assert time.monotonic() - started >= 7  # it waited out the window
        await wait_for(pilot, lambda: not app.main.status.status.sending, what="countdown gone")
        await wait_server(lambda: len(message_ids(client, "Sent")) == 1, what="the Sent copy")
        assert waiting(app) == []
    client.logout()
    assert len(smtp.messages) == 1
    assert b"Second thoughts" in smtp.messages[0].content


async def test_quitting_in_the_window_sends_it_first(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    smtp: SmtpServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = _app(dovecot, sender_user, tmp_path, smtp, send_delay=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await write(pilot, app, "Before I go")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.main.outbox.undoable, what="the undo window")
        assert not smtp.messages
        await pilot.press("q", "q")  # an impatient second q does not cut the send short
        await wait_for(pilot, lambda: smtp.messages, timeout=40, what="sent on quit")
    assert len(smtp.messages) == 1 and b"Before I go" in smtp.messages[0].content
    assert waiting(app) == []


async def test_quitting_in_the_window_with_smtp_down_keeps_it_queued(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    smtp_down: SmtpServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = _app(dovecot, sender_user, tmp_path, smtp_down, send_delay=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await write(pilot, app, "Not lost")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.main.outbox.undoable, what="the undo window")
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, timeout=40, what="the app to end")
    (entry,) = waiting(app)
    assert entry.subject == "Not lost" and entry.state == "queued" and entry.attempts == 1


async def test_send_later_waits_for_its_time_then_the_app_sends_it(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    smtp: SmtpServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = _app(dovecot, sender_user, tmp_path, smtp)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await write(pilot, app, "Good morning")
        # A time that cannot be read is said so, and the prompt stays.
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="the prompt")
        app.screen.query_one(Input).value = "someday"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Cannot read 'someday'" in screen_text(app), what="error")
        # "in 2h": held, listed with its time, not sent.
        app.screen.query_one(Input).value = "in 2h"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is app.main, what="back to the list")
        await wait_for(pilot, lambda: waiting(app), what="the outbox entry")
        (later,) = waiting(app)
        assert later.scheduled
        assert abs(later.not_before - (time.time() + 7200)) < 60
        await wait_for(
            pilot,
            lambda: any("It will be sent" in n.message for n in app._notifications),
            what="the notice",
        )
        await pilot.press("ctrl+o")
        when = datetime.fromtimestamp(later.not_before)
        await wait_for(
            pilot, lambda: f"sends {when:%a %d %b %H:%M}" in screen_text(app), what="due time"
        )
        await pilot.press("q")
        # A second message, due in a few seconds: the running app sends it then.
        await write(pilot, app, "Soon")
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="the prompt")
        soon = datetime.now() + timedelta(seconds=4)
        app.screen.query_one(Input).value = soon.isoformat(timespec="seconds")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(waiting(app)) == 2, what="two waiting")
        assert not smtp.messages
        await wait_for(pilot, lambda: smtp.messages, timeout=40, what="the due message sent")
        assert time.time() >= soon.timestamp()
        assert b"Soon" in smtp.messages[0].content
        await wait_for(pilot, lambda: len(waiting(app)) == 1, what="the 2h one still waits")
    assert len(smtp.messages) == 1
    assert waiting(app)[0].subject == "Good morning"
