"""q while a message is being sent: the app waits for the SMTP conversation to end, then
quits; the message goes out once and the outbox is left empty.

Real parts: the test Dovecot, aiosmtpd holding its reply to DATA until the test lets it
go (the send in flight), Pilot pressing keys. Two ways a send is in flight: a send from
the review screen with `[ui] send_delay = 0`, and an outbox retry in a worker thread.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from mailtui.compose.outbox import Outbox
from mailtui.ui import outgoing
from mailtui.ui.app import MailApp
from mailtui.usecase.sending import OutboxSender
from tests.compose.smtpd import SmtpServer
from tests.support import procs
from tests.support.accounts import private_env, wait_until, write_config
from tests.support.dovecot import Dovecot, MailUser
from tests.support.tmux import TmuxSession
from tests.ui.helpers import make_app, ready, screen_text, wait_for
from tests.ui.test_compose import editor_text, no_external_editor  # noqa: F401
from tests.ui.test_outbox import queue, sender_user  # noqa: F401


@pytest.fixture
def holding_smtp() -> Iterator[SmtpServer]:
    """A running SMTP server whose reply to DATA waits for `handler.hold` to be set."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        server = SmtpServer(mode="plain")
        server.handler.hold = threading.Event()
        server.start()
    try:
        yield server
    finally:
        server.handler.hold.set()
        server.stop()


def quitting_notice(app: MailApp) -> bool:
    return any("before quitting" in n.message for n in app._notifications)


async def _quit_while_held(pilot, app: MailApp, smtp: SmtpServer) -> None:  # type: ignore[no-untyped-def]
    """The server holds DATA: q must not end the app until the server answers."""
    assert smtp.handler.hold is not None
    await wait_for(pilot, smtp.handler.data_started.is_set, timeout=30, what="DATA sent")
    await pilot.press("q")
    await wait_for(pilot, lambda: quitting_notice(app), what="the notice")
    assert app.return_code is None, "the app quit with the send in flight"
    assert not smtp.messages
    smtp.handler.hold.set()
    await wait_for(pilot, lambda: app.return_code is not None, timeout=30, what="the app quit")


async def test_q_while_a_send_from_review_is_in_flight_waits_for_it(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    holding_smtp: SmtpServer,
    tmp_path: Path,
) -> None:
    smtp = holding_smtp
    app = make_app(
        dovecot, sender_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("C")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        area = app.screen.query_one(TextArea)
        lines = editor_text(app).split("\n")
        area.replace("To: carol@example.com", (lines.index("To:"), 0), (lines.index("To:"), 3))
        row = lines.index("Subject:")
        area.replace("Subject: Before I go", (row, 0), (row, 8))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Review" in screen_text(app), what="review")
        await pilot.press("y")  # send_delay = 0: sent at once
        await _quit_while_held(pilot, app, smtp)
    assert len(smtp.messages) == 1
    assert b"Before I go" in smtp.messages[0].content
    assert Outbox.for_account("test").pending() == []


async def test_q_while_an_outbox_retry_is_in_flight_waits_for_it(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    holding_smtp: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(OutboxSender, "FIRST_PAUSE", 600.0)
    smtp = holding_smtp
    app = make_app(
        dovecot, sender_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    queue(app, "Queued earlier", "dan@example.com")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)  # the start-up retry sends it; the server holds DATA
        await _quit_while_held(pilot, app, smtp)
    assert len(smtp.messages) == 1
    assert b"Queued earlier" in smtp.messages[0].content
    assert Outbox.for_account("test").pending() == []


def test_q_in_the_real_process_waits_for_the_send_then_exits(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    holding_smtp: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process ends with os._exit after the app closes (main.leave_now): what Pilot
    cannot see. A message queued earlier goes out at start; q while the server holds
    DATA; the process must wait, then leave nothing in the outbox to send again."""
    smtp = holding_smtp
    assert smtp.handler.hold is not None
    config = write_config(tmp_path / "config.toml", dovecot, sender_user)
    with config.open("a") as out:
        out.write("\n[accounts.test.smtp]\n")
        for key, value in smtp.table().items():
            out.write(f'{key} = "{value}"\n' if isinstance(value, str) else f"{key} = {value}\n")
    env = dict(private_env(tmp_path, config), TERM="xterm-256color")
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])  # the process's outbox
    outbox = Outbox.for_account("test")
    outbox.enqueue(
        b"From: me@example.test\r\nTo: dan@example.com\r\nSubject: Queued earlier\r\n"
        b"Message-ID: <queued-earlier@example.test>\r\n\r\nSent once.\r\n"
    )
    with TmuxSession([sys.executable, "-m", "mailtui"], env=env, cols=120, rows=40) as term:
        wait_until(term.program_pid, timeout=30, what="the program to start")
        pid = term.program_pid()
        wait_until(smtp.handler.data_started.is_set, timeout=60, what="DATA sent")
        term.send("q")
        term.wait_for(lambda ls: any("before quitting" in ln for ln in ls), "the notice")
        assert procs.alive(pid), "the process ended with the send in flight"
        assert not smtp.messages
        smtp.handler.hold.set()
        assert term.wait_exit() == 0
    assert len(smtp.messages) == 1
    assert b"Sent once." in smtp.messages[0].content
    assert outbox.pending() == []


async def test_q_quits_after_the_bound_and_the_message_stays_in_the_outbox(
    sender_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    holding_smtp: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(OutboxSender, "FIRST_PAUSE", 600.0)
    monkeypatch.setattr(outgoing, "QUIT_SEND_TIMEOUT", 1.0)
    smtp = holding_smtp
    app = make_app(
        dovecot, sender_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    queue(app, "Too slow", "dan@example.com")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, smtp.handler.data_started.is_set, timeout=30, what="DATA sent")
        await pilot.press("q")
        await wait_for(pilot, lambda: quitting_notice(app), what="the notice")
        notice = next(n.message for n in app._notifications if "before quitting" in n.message)
        assert "stays in the outbox" in notice
        await wait_for(pilot, lambda: app.return_code is not None, timeout=10, what="the quit")
    assert not smtp.messages
    assert [e.subject for e in Outbox.for_account("test").pending()] == ["Too slow"]
