"""The outbox in the app: what could not be sent goes out by itself once SMTP is back,
the status bar counts what waits, and ctrl+o lists it to retry, edit or delete.

Real parts: the test Dovecot, aiosmtpd stopped ("SMTP is down") and started on the
same port, Pilot pressing keys. The pauses between automatic retries are shortened
(or lengthened, so that only the keys send) through OutboxSender's class settings.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from mailtui.compose.build import build_message, message_bytes
from mailtui.compose.draft import Draft
from mailtui.compose.outbox import Outbox
from mailtui.model import Address
from mailtui.ui.app import MailApp
from mailtui.ui.screens.outbox import OutboxScreen
from mailtui.ui.screens.review import ReviewScreen
from mailtui.usecase.sending import OutboxSender
from tests.compose.smtpd import SmtpServer
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_server
from tests.ui.test_compose import _drafts, editor_text, no_external_editor  # noqa: F401
from tests.ui.test_triage import message_ids

# no_external_editor (autouse, imported so that it applies here too): the built-in
# editor, and the outbox in the test's own data dir.


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """An SMTP server that is not running yet: its port refuses connections."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        server = SmtpServer(mode="plain")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def sender_user(dovecot: Dovecot) -> MailUser:
    user = dovecot.add_user()
    raw = mailgen.make_message(subject="Hello", to=f"Me <{user.address}>", date=NOW)
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    for folder in ("Sent", "Drafts", "Trash"):
        mailgen.write_maildir(user.maildir, folder, [])
    return user


def waiting(app: MailApp) -> int:
    return app.main.status.status.outbox


async def test_queued_mail_goes_out_by_itself_when_smtp_is_back(
    sender_user: MailUser,
    dovecot: Dovecot,
    smtp_down: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(OutboxSender, "FIRST_PAUSE", 0.5)
    monkeypatch.setattr(OutboxSender, "LONGEST_PAUSE", 1.0)
    smtp = smtp_down
    app = make_app(
        dovecot, sender_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(sender_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        assert "in outbox" not in screen_text(app)
        await pilot.press("C")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        area = app.screen.query_one(TextArea)
        lines = editor_text(app).split("\n")
        area.replace("To: carol@example.com", (lines.index("To:"), 0), (lines.index("To:"), 3))
        row = lines.index("Subject:")
        area.replace("Subject: While you were away", (row, 0), (row, 8))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Review" in screen_text(app), what="review")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: any("kept in the outbox" in n.message for n in app._notifications),
            timeout=30,
            what="the message queued",
        )
        await wait_for(pilot, lambda: "1 in outbox" in screen_text(app), what="the count")
        assert not smtp.messages
        smtp.start()  # the user does nothing from here on
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the queued message sent")
        await wait_for(pilot, lambda: waiting(app) == 0, what="the count gone")
        assert "in outbox" not in screen_text(app)
        await wait_for(
            pilot, lambda: any("from the outbox" in n.message for n in app._notifications)
        )
        await wait_server(lambda: len(message_ids(client, "Sent")) == 1, what="the Sent copy")
        await wait_server(lambda: _drafts(client) == [], what="the Drafts copy removed")
    client.logout()
    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ("carol@example.com",)
    assert b"While you were away" in smtp.messages[0].content


def queue(app: MailApp, subject: str, to: str) -> None:
    account = app.ctx.account()
    draft = Draft(
        from_=account.address, to=(Address("", to),), subject=subject, body=f"About {subject}.\n"
    )
    Outbox.for_account(account.name).enqueue(message_bytes(build_message(draft, account)))


async def test_the_outbox_view_retries_edits_and_deletes(
    sender_user: MailUser,
    dovecot: Dovecot,
    smtp_down: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only the start-up try is automatic here: after it, only keys send.
    monkeypatch.setattr(OutboxSender, "FIRST_PAUSE", 600.0)
    smtp = smtp_down
    app = make_app(
        dovecot, sender_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    for subject, to in (("Alpha", "ann@example.com"), ("Beta", "ben@example.com")):
        queue(app, subject, to)
    queue(app, "Gamma [@click=app.quit]x[/]", "gus@example.com")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: waiting(app) == 3, what="three waiting")
        await wait_for(
            pilot,
            lambda: Outbox.for_account("test").pending()[0].attempts,
            what="the start-up try",
        )
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen))
        await wait_for(pilot, lambda: "Beta" in screen_text(app), what="the list")
        text = screen_text(app)
        assert "Alpha  → ann@example.com" in text and "ben@example.com" in text
        assert "Gamma [@click=app.quit]x[/]" in text  # shown literally, not as markup
        assert "last error: Cannot reach the SMTP server" in text
        # d deletes the highlighted message, after asking.
        await pilot.press("down", "d")
        await wait_for(pilot, lambda: "Delete “Beta” unsent?" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: "Beta" not in screen_text(app), what="Beta deleted")
        await wait_for(pilot, lambda: waiting(app) == 2, what="two waiting")
        smtp.start()
        # e reopens Gamma on the review screen; a recipient added, y sends it.
        await pilot.press("down", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
        assert "Gamma [@click=app.quit]x[/]" in screen_text(app)
        await pilot.press("t", "end", *", dora@example.com", "enter")
        await wait_for(pilot, lambda: "dora@example.com" in screen_text(app), what="To edited")
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="Gamma sent")
        await wait_for(pilot, lambda: isinstance(app.screen, OutboxScreen))
        await wait_for(pilot, lambda: "Gamma" not in screen_text(app), what="Gamma gone")
        assert set(smtp.messages[0].rcpt_tos) == {"gus@example.com", "dora@example.com"}
        # r sends what is left at once.
        await pilot.press("r")
        await wait_for(pilot, lambda: len(smtp.messages) == 2, timeout=30, what="Alpha sent")
        await wait_for(pilot, lambda: "The outbox is empty" in screen_text(app))
        await wait_for(pilot, lambda: waiting(app) == 0, what="none waiting")
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is app.main)
        assert "in outbox" not in screen_text(app)
    assert b"Subject: Alpha" in smtp.messages[1].content
    assert not any(b"Beta" in m.content for m in smtp.messages)
    assert Outbox.for_account("test").pending() == []
