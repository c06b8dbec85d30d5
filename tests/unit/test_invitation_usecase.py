"""Finding and reading a message's invitation (usecase.invitation): which part, its
transfer encoding and charset, the user's address among the attendees, the answer's
sender identity."""

from __future__ import annotations

import base64
from datetime import UTC

from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.mime.calendar import Answer
from mailtui.model import BodyPart
from mailtui.usecase.invitation import (
    REPLY_TYPE,
    answer_draft,
    calendar_part,
    read_shown,
)
from tests.unit.test_calendar import BASE, ics

ALIAS_REQUEST = ics(
    BASE.replace("SUMMARY:Planning", "SUMMARY:Café Planning ☕").replace(
        "mailto:bob@example.org", "mailto:bob.alias@example.org"
    )
    + "\nDTSTART:20270705T100000Z"
)


def account() -> AccountSettings:
    table = {
        "email": "bob@example.org",
        "name": "Bob Attendee",
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
        "identities": [{"email": "bob.alias@example.org", "name": "Bob (alias)"}],
    }
    return make_settings({"t": table}).account("t")


def part(section: str, mime_type: str, *, method: str = "", size: int = 100, **kw) -> BodyPart:
    params = (("charset", "utf-8"),) + ((("method", method),) if method else ())
    return BodyPart(section=section, mime_type=mime_type, params=params, size=size, **kw)


def test_the_calendar_part_with_a_method_is_chosen() -> None:
    attached = part("2", "application/ics", disposition="attachment", filename="invite.ics")
    inline = part("1.2", "text/calendar", method="REQUEST")
    root = BodyPart(
        "",
        "multipart/mixed",
        children=(
            BodyPart("1", "multipart/alternative", children=(part("1.1", "text/plain"), inline)),
            attached,
        ),
    )
    assert calendar_part(root) == inline
    only_file = BodyPart("", "multipart/mixed", children=(part("1", "text/plain"), attached))
    assert calendar_part(only_file) == attached
    huge = part("2", "text/calendar", method="REQUEST", size=10 << 20)
    assert calendar_part(BodyPart("", "multipart/mixed", children=(huge,))) is None
    assert calendar_part(part("1", "text/plain")) is None


def test_a_base64_utf8_part_is_read_and_an_alias_attendee_answers_from_the_alias() -> None:
    raw = base64.encodebytes(ALIAS_REQUEST)
    cal = part("2", "text/calendar", method="REQUEST", encoding="base64", size=len(raw))
    shown = read_shown(cal, raw, account(), local_tz=UTC)
    assert shown.invitation.summary == "Café Planning ☕"
    assert shown.attendee == "bob.alias@example.org"
    assert shown.lines()[0] == "Invitation: Café Planning ☕"
    draft = answer_draft(account(), shown, Answer.ACCEPTED, message_id="inv@example.org")
    assert draft.from_.addr == "bob.alias@example.org"
    assert [a.addr for a in draft.to] == ["amy@example.org"]
    assert draft.in_reply_to == "inv@example.org"
    (att,) = draft.attachments
    assert att.mime_type == REPLY_TYPE
    assert b"ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob.alias@example.org" in att.data.replace(
        b"\r\n ", b""
    )


def test_not_listed_answers_from_the_account_and_says_so() -> None:
    request = ics(BASE + "\nDTSTART:20270705T100000Z")
    cal = part("1", "text/calendar", method="REQUEST", encoding="7bit", size=len(request))
    table = {
        "email": "zoe@example.org",
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
    }
    zoe = make_settings({"z": table}).account("z")
    shown = read_shown(cal, request, zoe, local_tz=UTC)
    assert shown.attendee is None
    assert shown.lines()[-1] == "(You are not listed as an attendee; an answer adds you.)"
    draft = answer_draft(zoe, shown, Answer.DECLINED)
    assert b"mailto:zoe@example.org" in draft.attachments[0].data
