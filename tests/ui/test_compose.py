"""r / R / f / C reach the compose screens; a reply is sent, stored in Sent and marks \\Answered."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from mailtui.compose.draft import quote_body
from mailtui.model import ANSWERED
from tests.compose.smtpd import SmtpServer
from tests.support import mailgen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_server
from tests.ui.test_triage import message_ids


@pytest.fixture(autouse=True)
def no_external_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in editor (no $EDITOR), and the outbox in the test's own data dir."""
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        server = SmtpServer(mode="plain").start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def letter_user(dovecot: Dovecot) -> MailUser:
    user = dovecot.add_user()
    raw = mailgen.make_message(
        subject="Lunch on Friday?",
        sender="Alice Example <alice@example.com>",
        to=f"Me <{user.address}>",
        body="Shall we try the new place?\n",
        date=NOW,
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "Sent", [])
    return user


def editor_text(app) -> str:
    return app.screen.query_one(TextArea).text


async def test_reply_is_sent_filed_and_marks_answered(
    letter_user: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    app = make_app(
        dovecot, letter_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(letter_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        text = editor_text(app)
        assert "Subject: Re: Lunch on Friday?" in text
        assert "alice@example.com" in text
        assert "> Shall we try the new place?" in text
        area = app.screen.query_one(TextArea)
        area.insert("Yes, 12:30 works.\n", (text.split("\n").index("") + 1, 0))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Yes, 12:30 works." in screen_text(app), what="review")
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        sent = smtp.messages[0]
        assert sent.rcpt_tos == ("alice@example.com",)
        assert b"Yes, 12:30 works." in sent.content
        await wait_server(lambda: server_flags(client, "INBOX").get(1, frozenset()) >= {ANSWERED})
        await wait_server(lambda: len(message_ids(client, "Sent")) == 1, what="the Sent copy")
        await wait_for(pilot, lambda: any(n.message.startswith("Sent") for n in app._notifications))
    client.logout()


async def test_forward_and_new_open_the_editor_and_escape_cancels(
    letter_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, letter_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        assert "Subject: Fwd: Lunch on Friday?" in editor_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)
        await wait_for(pilot, lambda: any(n.message == "Not sent" for n in app._notifications))
        await pilot.press("C")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        assert "To:" in editor_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)


async def test_forward_as_attachments_sends_every_selected_message_whole(
    letter_user: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    second = mailgen.make_message(
        subject="Minutes of Monday",
        sender="Bob Example <bob@example.com>",
        to=f"Me <{letter_user.address}>",
        body="Attached are the minutes.\n",
        date=NOW,
    )
    mailgen.write_maildir(
        letter_user.maildir, "INBOX", [mailgen.from_bytes(second, internaldate=NOW)]
    )
    app = make_app(
        dovecot, letter_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(letter_user)
    client.select_folder("INBOX", readonly=True)
    originals = {
        data[b"RFC822"] for data in client.fetch(client.search(["ALL"]), ["RFC822"]).values()
    }
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: len(app.main.messages.rows) == 2)
        await pilot.press("*", "ctrl+f")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        assert "Subject: Fwd: " in editor_text(app)
        area = app.screen.query_one(TextArea)
        row = editor_text(app).split("\n").index("To:")
        area.replace("To: carol@example.com", (row, 0), (row, 3))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Minutes of Monday.eml" in screen_text(app), what="review")
        assert "Lunch on Friday.eml" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
    client.logout()
    sent = smtp.messages[0]
    assert sent.rcpt_tos == ("carol@example.com",)
    assert sent.content.count(b"Content-Type: message/rfc822") == 2
    assert all(original in sent.content for original in originals)  # embedded verbatim


def _drafts(client, folder: str = "Drafts") -> list[bytes]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    return [item[b"RFC822"] for item in client.fetch(uids, ["RFC822"]).values()] if uids else []


async def test_a_saved_draft_is_edited_again_and_replaced(
    letter_user: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    raw = mailgen.make_message(
        subject="Plan for Monday",
        sender=f"Me <{letter_user.address}>",
        to="Carol <carol@example.com>",
        body="First thoughts.\n",
        headers={"Bcc": "boss@example.com"},
        date=NOW,
    )
    draft = mailgen.from_bytes(raw, flags=("\\Draft", "\\Seen"), internaldate=NOW)
    mailgen.write_maildir(letter_user.maildir, "Drafts", [draft])
    app = make_app(
        dovecot, letter_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(letter_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("E")  # not a draft here: says where drafts are
        await wait_for(pilot, lambda: any("open Drafts" in n.message for n in app._notifications))
        await pilot.press("F", *"Drafts", "enter")
        await wait_for(pilot, lambda: app.main.folder == "Drafts" and app.main.messages.rows)
        await pilot.press("E")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        text = editor_text(app)
        assert "Subject: Plan for Monday" in text and "To: Carol <carol@example.com>" in text
        assert "Bcc: boss@example.com" in text and "First thoughts." in text
        area = app.screen.query_one(TextArea)
        area.insert("Second thoughts.\n", area.document.end)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Second thoughts." in screen_text(app), what="review")
        await pilot.press("s")
        # Drafts holds the new version only.
        await wait_server(
            lambda: [b"Second thoughts." in m for m in _drafts(client)] == [True],
            what="the draft replaced",
        )
        await wait_for(pilot, lambda: len(app.main.messages.rows) == 1 and app.screen is app.main)
        await pilot.press("g", "E")
        await wait_for(
            pilot,
            lambda: app.screen.query(TextArea),
            what=f"the editor again {[n.message for n in app._notifications]} {app.main.messages.rows}",
        )
        assert "Second thoughts." in editor_text(app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Second thoughts." in screen_text(app), what="review")
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        await wait_server(lambda: _drafts(client) == [], what="the sent draft removed")
    client.logout()
    sent = smtp.messages[0]
    assert set(sent.rcpt_tos) == {"carol@example.com", "boss@example.com"}
    assert b"Second thoughts." in sent.content and b"Bcc:" not in sent.content


async def test_reply_and_forward_quote_what_the_reader_shows(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """Quoted-printable and base64 bodies are decoded once: "a=42" stays "a=42"."""
    user = dovecot.add_user()
    trap = "a=42 b=3D c=20end\nhttps://example.com/report?id=42&sig=3D3D\n"
    qp = (
        b"From: Alice <alice@example.com>\r\nTo: me@example.test\r\nSubject: Numbers\r\n"
        b"Message-ID: <numbers-qp@example.com>\r\nDate: Tue, 09 Jan 2024 08:00:00 +0000\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"a=3D42 b=3D3D c=3D20end\r\nhttps://example.com/report?id=3D42&sig=3D3D3D\r\n"
        b"Gr=C3=BC=C3=9Fe\r\n"
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(qp, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "Sent", [])
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.reader.loaded, what="the reader")
        shown = app.main.reader.loaded.text
        assert shown == trap + "Grüße\n"
        for key, expected in (("r", quote_body(shown)), ("f", shown)):
            await pilot.press(key)
            await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
            assert expected in editor_text(app)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.main)


async def test_a_recalled_reply_marks_the_original_answered_when_sent(
    letter_user: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    """r, save as draft, E in Drafts, y: the original gets \\Answered (by its Message-ID)."""
    mailgen.write_maildir(letter_user.maildir, "Drafts", [])
    app = make_app(
        dovecot, letter_user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(letter_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Review" in screen_text(app), what="review")
        await pilot.press("s")
        await wait_server(lambda: len(_drafts(client)) == 1, what="the saved draft")
        await wait_for(pilot, lambda: app.screen is app.main)
        await pilot.press("F", *"Drafts", "enter")
        await wait_for(pilot, lambda: app.main.folder == "Drafts" and app.main.messages.rows)
        await pilot.press("E")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the recalled draft")
        assert "Subject: Re: Lunch on Friday?" in editor_text(app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Review" in screen_text(app), what="review")
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        await wait_server(lambda: _drafts(client) == [], what="the sent draft removed")
        await wait_for(pilot, lambda: any(n.message.startswith("Sent") for n in app._notifications))
    client.logout()
    fresh = dovecot.client(letter_user)
    try:
        await wait_server(
            lambda: ANSWERED in server_flags(fresh, "INBOX").get(1, frozenset()),
            what="\\Answered on the original",
        )
    finally:
        fresh.logout()
