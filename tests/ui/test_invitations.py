"""Calendar invitations in the reader (real Dovecot) and their answer (aiosmtpd): the
block, `i` → the review screen → an iTIP REPLY to the organiser, the Sent copy."""

from __future__ import annotations

import email
import os
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import icalendar
import pytest

from mailtui.model import ANSWERED
from tests.compose.smtpd import SmtpServer
from tests.support import mailgen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_reader, wait_server
from tests.ui.test_triage import message_ids

UID = "040000008200E00074C5B7101A82E008@example.org"


def calendar(user: str, *, summary: str = "Planning", method: str = "REQUEST", seq: int = 3) -> str:
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "PRODID:-//Test//EN",
            "VERSION:2.0",
            f"METHOD:{method}",
            "BEGIN:VEVENT",
            f"UID:{UID}",
            "DTSTAMP:20270101T090000Z",
            f"SEQUENCE:{seq}",
            f"SUMMARY:{summary}",
            "DTSTART:20270705T080000Z",
            "DTEND:20270705T090000Z",
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4",
            "LOCATION:Room 4\\, second floor",
            'ORGANIZER;CN="Amy Organiser":mailto:amy@example.org',
            f"ATTENDEE;CN=Me;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{user}",
            "ATTENDEE;CN=Carol;PARTSTAT=ACCEPTED:mailto:carol@example.org",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


def invitation_message(user: MailUser, ics: str, subject: str = "Invitation: Planning") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Amy Organiser <amy@example.org>"
    msg["To"] = f"Me <{user.address}>"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 09 Jan 2024 17:00:00 +0000"
    msg["Message-ID"] = "<invite-1@example.org>"
    msg.set_content("You are invited to Planning.\n")
    msg.add_alternative(ics, subtype="calendar", params={"method": "REQUEST"})
    return msg.as_bytes()


@pytest.fixture(autouse=True)
def berlin_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The reader's local zone is the process's: Berlin here (UTC+2 in July); the
    outbox in the test's own data dir; the built-in editor."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def deliver(user: MailUser, raw: bytes) -> None:
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "Sent", [])


async def test_an_invitation_is_shown_answered_and_the_reply_sent_and_filed(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    deliver(user, invitation_message(user, calendar(user.address)))
    app = make_app(
        dovecot, user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(user)
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        reader = app.main.reader
        await wait_for(pilot, lambda: reader.invite_lines, what="the invitation block")
        shown = screen_text(app)
        assert "Updated invitation: Planning" in shown  # SEQUENCE 3: an update
        assert "Mon 5 Jul 2027 10:00–11:00 CEST" in shown  # 08:00 UTC, in Berlin
        assert "every week on Monday 4 times" in shown
        assert "Room 4, second floor" in shown
        assert "Amy Organiser <amy@example.org>" in shown
        assert "Carol <carol@example.org> — accepted" in shown
        assert "i answers: accept, tentative or decline" in shown
        assert "You are invited to Planning." in shown  # the body is still there

        await pilot.press("i")
        await wait_for(pilot, lambda: "Answer the invitation" in screen_text(app), what="menu")
        await pilot.press("2", "enter")  # Tentative
        await wait_for(
            pilot, lambda: "Tentative: Planning" in screen_text(app), what="the review screen"
        )
        review = screen_text(app)
        assert "amy@example.org" in review and "invite.ics" in review
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        sent = smtp.messages[0]
        assert sent.rcpt_tos == ("amy@example.org",)
        got = email.message_from_bytes(sent.content, policy=default_policy)
        assert isinstance(got, EmailMessage)
        assert got["In-Reply-To"] == "<invite-1@example.org>"
        assert got.get_content_type() == "multipart/alternative"
        text, cal = list(got.iter_parts())
        assert "has tentatively accepted the invitation: Planning" in text.get_content()
        assert cal.get_content_type() == "text/calendar"
        assert cal.get_param("method") == "REPLY"
        reply = icalendar.Calendar.from_ical(cal.get_content())
        assert reply["METHOD"] == "REPLY"
        (event,) = [c for c in reply.subcomponents if c.name == "VEVENT"]
        assert str(event["UID"]) == UID
        assert int(event["SEQUENCE"]) == 3
        assert str(event["ATTENDEE"]) == f"mailto:{user.address}"
        assert event["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
        assert str(event["ORGANIZER"]) == "mailto:amy@example.org"
        await wait_server(lambda: len(message_ids(client, "Sent")) == 1, what="the Sent copy")
        await wait_server(lambda: server_flags(client, "INBOX").get(1, frozenset()) >= {ANSWERED})
    client.logout()


async def test_a_cancellation_is_shown_as_such_and_cannot_be_answered(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    ics = calendar(user.address, method="CANCEL")
    deliver(user, invitation_message(user, ics, subject="Cancelled: Planning"))
    app = make_app(
        dovecot, user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.main.reader.invite_lines, what="the invitation block")
        shown = screen_text(app)
        assert "Cancelled event: Planning" in shown
        assert "i answers" not in shown
        await pilot.press("i")
        await wait_for(
            pilot, lambda: any("cancelled" in n.message for n in app._notifications), what="toast"
        )
        assert "Answer the invitation" not in screen_text(app)
    assert smtp.messages == []


async def test_hostile_invitation_text_is_shown_inert(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    hostile = (
        "[@click=app.quit]Party[/] \x1b]8;;https://evil.example\x1b\\\\x1b[2J\x07 \u202egnp.exe"
    )
    ics = calendar(user.address, summary=hostile)
    deliver(user, invitation_message(user, ics))
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1, "osc8_links": True})
    async with app.run_test(size=(120, 45)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        reader = app.main.reader
        await wait_for(pilot, lambda: reader.invite_lines, what="the invitation block")
        title = reader.invite_lines[0]
        assert "[@click=app.quit]Party[/]" in title  # literal, not markup
        assert not any(ch in title for ch in "\x1b\x07\u202e")
        block = reader.query_one("#reader-invite")
        for y in range(block.size.height):
            for segment in block.render_line(y):
                assert "\x1b" not in segment.text and "\x07" not in segment.text
                assert segment.style is None or segment.style.link is None
        await pilot.click("#reader-invite")
        await pilot.pause()
        assert app.is_running  # the [@click=app.quit] did nothing
