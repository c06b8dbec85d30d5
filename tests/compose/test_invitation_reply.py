"""Answering an invitation goes out through the normal SMTP path as an iMIP REPLY."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import icalendar
import pytest

from mailtui.compose.send import send_message
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.mime.calendar import Answer, InvitationError
from mailtui.usecase.invitation import build_reply_message, reply_to_invitation
from tests.unit.test_calendar import BASE, ics

REQUEST = ics(BASE + "\nSEQUENCE:2\nDTSTART;TZID=Europe/Berlin:20270705T100000")


def account(smtp: dict[str, Any] | None) -> AccountSettings:
    table: dict[str, Any] = {
        "email": "bob@example.org",
        "name": "Bob Attendee",
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
    }
    if smtp is not None:
        table["smtp"] = smtp
    return make_settings({"t": table}).account("t")


def test_accepting_sends_text_and_calendar_reply_to_the_organiser(smtp_server: Any) -> None:
    server = smtp_server(mode="plain")
    acct = account(server.table())
    reply = reply_to_invitation(
        acct,
        REQUEST,
        "bob@example.org",
        Answer.ACCEPTED,
        in_reply_to="invite-1@example.org",
        now=datetime(2027, 6, 1, 8, 0, tzinfo=UTC),
    )
    # What the review screen shows: to the organiser, a subject saying the answer.
    assert [a.addr for a in reply.draft.to] == ["amy@example.org"]
    assert reply.draft.to[0].name == "Amy Organiser"
    assert reply.draft.subject == "Accepted: Planning"
    assert reply.draft.in_reply_to == "invite-1@example.org"
    send_message(acct, build_reply_message(reply, acct))

    (got,) = server.messages
    assert got.rcpt_tos == ("amy@example.org",)
    received = email.message_from_bytes(got.content, policy=default_policy)
    assert isinstance(received, EmailMessage)
    assert received["Subject"] == "Accepted: Planning"
    assert received["In-Reply-To"] == "<invite-1@example.org>"
    assert received.get_content_type() == "multipart/alternative"
    text, cal = list(received.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert "Bob <bob@example.org> has accepted the invitation: Planning" in text.get_content()
    assert cal.get_content_type() == "text/calendar"
    assert cal.get_param("method") == "REPLY"
    parsed = icalendar.Calendar.from_ical(cal.get_content())
    assert parsed["METHOD"] == "REPLY"
    (event,) = [c for c in parsed.subcomponents if c.name == "VEVENT"]
    assert event["UID"] == "040000008200E00074C5B7101A82E008@example.org"
    assert int(event["SEQUENCE"]) == 2
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(event["ATTENDEE"]) == "mailto:bob@example.org"


def test_an_invitation_without_organiser_cannot_be_answered() -> None:
    request = ics("UID:x\nDTSTAMP:20270101T000000Z\nDTSTART:20270705T100000Z")
    with pytest.raises(InvitationError, match="organiser"):
        reply_to_invitation(account(None), request, "bob@example.org", Answer.DECLINED)


def test_the_reply_rides_on_a_draft_and_becomes_the_calendar_alternative() -> None:
    """The review screen's Draft carries the REPLY as an attachment; building the
    message makes it the text's alternative with method=REPLY, files after it mixed."""
    from dataclasses import replace

    from mailtui.compose.build import build_message
    from mailtui.compose.draft import AttachmentData
    from mailtui.usecase.invitation import REPLY_TYPE

    acct = account(None)
    reply = reply_to_invitation(acct, REQUEST, "bob@example.org", Answer.TENTATIVE)
    calendar = AttachmentData("invite.ics", reply.ics, REPLY_TYPE)
    draft = replace(reply.draft, attachments=(calendar,))
    msg = build_message(draft, acct)
    assert msg.get_content_type() == "multipart/alternative"
    text, cal = list(msg.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert cal.get_content_type() == "text/calendar"
    assert cal.get_param("method") == "REPLY"
    assert cal.get_content_charset() == "utf-8"
    assert cal.get_content().replace("\n", "\r\n").encode() == reply.ics
    # A file next to it (whatever the order) is attached after the alternative.
    note = AttachmentData("agenda.txt", b"1. budget\n", "text/plain")
    mixed = build_message(replace(draft, attachments=(note, calendar)), acct)
    assert mixed.get_content_type() == "multipart/mixed"
    alternative, attached = list(mixed.iter_parts())
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/calendar",
    ]
    assert attached.get_filename() == "agenda.txt"
