"""Calendar invitations (mailtui.mime.calendar): reading, showing, answering, hostile input."""

from __future__ import annotations

import threading
import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtui.mime.calendar import (
    MAX_CALENDAR_BYTES,
    Answer,
    InvitationError,
    find_attendee,
    invitation_lines,
    itip_reply,
    read_invitation,
)
from tests.unit.test_complexity import assert_linear

LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")


def ics(event: str, *, method: str = "REQUEST", before: str = "", after: str = "") -> bytes:
    """A VCALENDAR around `event` lines (\\n written, CRLF sent, as Outlook does)."""
    head = "BEGIN:VCALENDAR\nPRODID:-//Test//EN\nVERSION:2.0\n"
    if method:
        head += f"METHOD:{method}\n"
    text = f"{head}{before}BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n{after}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode("utf-8")


BASE = """UID:040000008200E00074C5B7101A82E008@example.org
DTSTAMP:20270101T090000Z
SUMMARY:Planning
ORGANIZER;CN="Amy Organiser":mailto:amy@example.org
ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob@example.org
ATTENDEE;CN=Carol;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:carol@example.org
ATTENDEE;CN=Dan;PARTSTAT=DECLINED:mailto:dan@example.org
LOCATION:Room 4\\, second floor"""

CUSTOM_ZONE = """BEGIN:VTIMEZONE
TZID:Office Time
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
"""


def fixed_zone(name: str, offset: str) -> str:
    return (
        f"BEGIN:VTIMEZONE\nTZID:{name}\nBEGIN:STANDARD\nDTSTART:19700101T000000\n"
        f"TZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\nEND:STANDARD\nEND:VTIMEZONE\n"
    )


# --------------------------------------------------------------------------- times


def test_request_in_an_iana_zone_is_shown_in_the_local_zone() -> None:
    data = ics(
        BASE + "\nDTSTART;TZID=America/New_York:20270705T100000"
        "\nDTEND;TZID=America/New_York:20270705T113000"
    )
    inv = read_invitation(data, local_tz=LONDON)
    assert inv.readable and inv.method == "REQUEST" and inv.can_answer
    assert inv.start == datetime(2027, 7, 5, 15, 0, tzinfo=LONDON)
    assert inv.end == datetime(2027, 7, 5, 16, 30, tzinfo=LONDON)
    lines = invitation_lines(inv)
    assert lines[0] == "Invitation: Planning"
    assert lines[1] == (
        "When:       Mon 5 Jul 2027 15:00–16:30 BST (organiser's zone: America/New_York)"
    )
    assert "Where:      Room 4, second floor" in lines
    assert "Organiser:  Amy Organiser <amy@example.org>" in lines
    assert lines[-4:] == [
        "Attendees (3):",
        "  Bob <bob@example.org> — no answer yet",
        "  Carol <carol@example.org> (optional) — accepted",
        "  Dan <dan@example.org> — declined",
    ]


def test_utc_times_and_duration() -> None:
    inv = read_invitation(ics(BASE + "\nDTSTART:20270115T090000Z\nDURATION:PT45M"), local_tz=BERLIN)
    assert inv.start == datetime(2027, 1, 15, 10, 0, tzinfo=BERLIN)
    assert inv.end == datetime(2027, 1, 15, 10, 45, tzinfo=BERLIN)
    assert invitation_lines(inv)[1] == "When:       Fri 15 Jan 2027 10:00–10:45 CET"


def test_floating_time_stays_as_written() -> None:
    inv = read_invitation(
        ics(BASE + "\nDTSTART:20270705T100000\nDTEND:20270705T110000"), local_tz=BERLIN
    )
    assert inv.floating and inv.start == datetime(2027, 7, 5, 10, 0)
    assert invitation_lines(inv)[1] == (
        "When:       Mon 5 Jul 2027 10:00–11:00 (local time wherever you are)"
    )


def test_all_day_events_end_the_day_before_dtend() -> None:
    one = read_invitation(
        ics(BASE + "\nDTSTART;VALUE=DATE:20270705\nDTEND;VALUE=DATE:20270706"), local_tz=BERLIN
    )
    assert one.all_day and one.start == date(2027, 7, 5)
    assert invitation_lines(one)[1] == "When:       Mon 5 Jul 2027, all day"
    three = read_invitation(
        ics(BASE + "\nDTSTART;VALUE=DATE:20270705\nDTEND;VALUE=DATE:20270708"), local_tz=BERLIN
    )
    assert invitation_lines(three)[1] == "When:       Mon 5 Jul 2027 – Wed 7 Jul 2027, all day"


def test_outlook_windows_zone_name() -> None:
    inv = read_invitation(
        ics(BASE + "\nDTSTART;TZID=W. Europe Standard Time:20270105T100000"), local_tz=LONDON
    )
    assert inv.start == datetime(2027, 1, 5, 9, 0, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("20270705T100000", datetime(2027, 7, 5, 8, 0, tzinfo=UTC)),  # summer: +02:00
        ("20270115T100000", datetime(2027, 1, 15, 9, 0, tzinfo=UTC)),  # winter: +01:00
    ],
)
def test_custom_vtimezone_rules(start: str, expected: datetime) -> None:
    inv = read_invitation(
        ics(BASE + f"\nDTSTART;TZID=Office Time:{start}", before=CUSTOM_ZONE), local_tz=UTC
    )
    assert inv.start == expected
    assert inv.zone == "Office Time" and not inv.zone_unknown


def test_same_custom_tzid_in_two_messages_uses_each_ones_own_definition() -> None:
    """icalendar caches a custom VTIMEZONE process-wide by TZID, first one wins; each
    invitation must be read by its own definition."""
    first = read_invitation(
        ics(BASE + "\nDTSTART;TZID=Site:20270705T100000", before=fixed_zone("Site", "+0500")),
        local_tz=UTC,
    )
    second = read_invitation(
        ics(BASE + "\nDTSTART;TZID=Site:20270705T100000", before=fixed_zone("Site", "-0300")),
        local_tz=UTC,
    )
    assert first.start == datetime(2027, 7, 5, 5, 0, tzinfo=UTC)
    assert second.start == datetime(2027, 7, 5, 13, 0, tzinfo=UTC)


def test_unknown_zone_is_shown_as_written_and_named() -> None:
    inv = read_invitation(ics(BASE + "\nDTSTART;TZID=Nowhere/Atlantis:20270705T100000"))
    assert inv.zone_unknown and inv.start == datetime(2027, 7, 5, 10, 0)
    assert "(time zone Nowhere/Atlantis, unknown to mailtui)" in invitation_lines(inv)[1]


def test_a_vtimezone_rule_that_never_ends_cannot_hang_the_reader() -> None:
    """A SECONDLY rule from 1970 made dateutil's tzical run for hours in utcoffset()."""
    zone = (
        "BEGIN:VTIMEZONE\nTZID:Evil Zone\n"
        "BEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0000\n"
        "RRULE:FREQ=SECONDLY\nEND:STANDARD\n"
        "BEGIN:DAYLIGHT\nDTSTART:19700101T000000\nTZOFFSETFROM:+0000\nTZOFFSETTO:+0100\n"
        "RRULE:FREQ=SECONDLY;BYSECOND=30\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
    )
    data = ics(BASE + "\nDTSTART;TZID=Evil Zone:20270705T100000", before=zone)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(read_invitation(data, local_tz=UTC)))
    worker.daemon = True
    worker.start()
    worker.join(30)
    assert result, "read_invitation did not finish on a hostile VTIMEZONE"
    inv = result[0]
    assert getattr(inv, "readable", False)
    assert getattr(inv, "start", None) is not None


# --------------------------------------------------------------------------- recurrence


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270630T000000Z",
            "every week on Monday and Wednesday until 30 Jun 2027",
        ),
        ("FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=3", "every 2 months on the 3rd"),
        ("FREQ=MONTHLY;INTERVAL=2", "every 2 months on the 5th"),
        ("FREQ=DAILY;COUNT=5", "every day 5 times"),
        ("FREQ=DAILY;INTERVAL=3;COUNT=1", "every 3 days once"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
        ("FREQ=MONTHLY;BYDAY=2TU", "every month on the second Tuesday"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15,-1", "every month on the 1st, 15th and last day"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every week on weekdays"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "every 2 weeks on Thursday"),
        ("FREQ=YEARLY", "every year on 5 July"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "every year on the last Sunday in March"),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "every month on weekdays (the last of those)",
        ),
        ("FREQ=DAILY;BYHOUR=9,17", "every day (with further conditions)"),
        ("FREQ=FORTNIGHTLY", "repeats (a rule mailtui cannot read)"),
    ],
)
def test_recurrence_in_words(rule: str, words: str) -> None:
    inv = read_invitation(
        ics(BASE + f"\nDTSTART;TZID=Europe/London:20270705T100000\nRRULE:{rule}"), local_tz=LONDON
    )
    assert inv.recurrence == words
    assert f"Repeats:    {words}" in invitation_lines(inv)


def test_excluded_dates_are_noted() -> None:
    inv = read_invitation(
        ics(
            BASE + "\nDTSTART;TZID=Europe/London:20270705T100000\nRRULE:FREQ=WEEKLY"
            "\nEXDATE;TZID=Europe/London:20270712T100000,20270719T100000"
        ),
        local_tz=LONDON,
    )
    assert "Except:     12 Jul 2027, 19 Jul 2027" in invitation_lines(inv)


# --------------------------------------------------------------------------- methods


def test_cancel_is_shown_as_cancelled_and_cannot_be_answered() -> None:
    data = ics(BASE + "\nSEQUENCE:2\nSTATUS:CANCELLED\nDTSTART:20270705T100000Z", method="CANCEL")
    inv = read_invitation(data, local_tz=UTC)
    assert inv.cancelled and not inv.can_answer
    assert invitation_lines(inv)[0] == "Cancelled event: Planning"
    with pytest.raises(InvitationError, match="Only an invitation"):
        itip_reply(data, "bob@example.org", Answer.ACCEPTED)


def test_an_update_is_shown_as_such() -> None:
    inv = read_invitation(ics(BASE + "\nSEQUENCE:3\nDTSTART:20270705T100000Z"), local_tz=UTC)
    assert inv.is_update and inv.sequence == 3
    assert invitation_lines(inv)[0] == "Updated invitation: Planning"


def test_a_changed_occurrence_shows_which_one() -> None:
    event = BASE + (
        "\nSEQUENCE:1\nRECURRENCE-ID;TZID=Europe/London:20270712T100000"
        "\nDTSTART;TZID=Europe/London:20270712T140000"
    )
    inv = read_invitation(ics(event), local_tz=LONDON)
    assert "Occurrence: Mon 12 Jul 2027 10:00" in invitation_lines(inv)


def test_find_attendee_matches_the_users_addresses_case_blind() -> None:
    inv = read_invitation(ics(BASE + "\nDTSTART:20270705T100000Z"))
    assert find_attendee(inv, ["me@home.example", "BOB@example.org"]) == "bob@example.org"
    assert find_attendee(inv, ["eve@example.org"]) is None


# --------------------------------------------------------------------------- hostile


NASTY = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202eevil\u202c\x9b31m[@click=app.quit]x[/]\u200b"


def _inert(line: str) -> bool:
    return all(
        unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") and not 0x80 <= ord(ch) < 0xA0
        for ch in line
    )


def test_every_field_is_cleaned() -> None:
    # RFC 5545 text: a literal ESC is allowed in the bytes; "\\n" escapes a newline.
    event = (
        f"UID:u1\nDTSTAMP:20270101T000000Z\nDTSTART:20270705T100000Z\nSUMMARY:{NASTY}\\nline2\n"
        f'LOCATION:{NASTY}\nORGANIZER;CN="{NASTY}":mailto:amy@example.org\n'
        f'ATTENDEE;CN="{NASTY}";PARTSTAT={NASTY[:3]}:mailto:{NASTY}@example.org\n'
        "RRULE:FREQ=WEEKLY;BYDAY=\x1b[2J"
    )
    inv = read_invitation(ics(event), local_tz=UTC)
    assert inv.readable
    lines = invitation_lines(inv)
    # icalendar drops parameter lines with control characters (not allowed there)
    assert [line.split(":")[0] for line in lines] == ["Invitation", "When", "Repeats", "Where"]
    for line in lines:
        assert _inert(line), repr(line)
    assert "[@click=app.quit]x[/]" in lines[0]  # shown as text; the reader never parses markup


def test_names_are_cleaned() -> None:
    sneaky = "\u202eevil\u202c[@click=app.quit]x[/]\u200b\u2066"
    event = (
        "UID:u1\nDTSTAMP:20270101T000000Z\nDTSTART:20270705T100000Z\nSUMMARY:s\n"
        f'ORGANIZER;CN="{sneaky}":mailto:amy@example.org\n'
        f'ATTENDEE;CN="{sneaky}";PARTSTAT=ACCEPTED:mailto:bob{sneaky}@example.org\n'
    )
    lines = invitation_lines(read_invitation(ics(event), local_tz=UTC))
    assert lines[-3:] == [
        "Organiser:  evil[@click=app.quit]x[/] <amy@example.org>",
        "Attendees (1):",
        "  evil[@click=app.quit]x[/] <bobevil[@click=app.quit]x[/]@example.org> — accepted",
    ]


UNREADABLE = [
    ("empty", b""),
    ("not a calendar", b"hello world\r\n"),
    ("no event", b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
    ("cut short", ics(BASE + "\nDTSTART:20270705T100000Z")[:-40]),
    ("end without begin", b"END:VEVENT\r\n" + ics(BASE)),
    ("broken date", ics(BASE + "\nDTSTART:tomorrow-ish")),
    (
        "deep",
        b"BEGIN:VCALENDAR\r\n" + b"BEGIN:X\r\n" * 5000 + b"END:X\r\n" * 5000 + b"END:VCALENDAR\r\n",
    ),
    (
        "too large",
        ics(BASE + "\nDTSTART:20270705T100000Z\nDESCRIPTION:" + "x" * MAX_CALENDAR_BYTES),
    ),
    ("bad utf-8", b"\xff\xfe" + ics(BASE)[:100]),
    ("nul bytes", b"\x00" * 1000),
]


@pytest.mark.parametrize(("name", "data"), UNREADABLE, ids=[n for n, _ in UNREADABLE])
def test_malformed_calendars_give_a_clear_result(name: str, data: bytes) -> None:
    inv = read_invitation(data)
    assert not inv.readable
    assert inv.problem.startswith("Could not read this invitation")
    assert invitation_lines(inv) == [inv.problem]
    assert _inert(inv.problem)
    with pytest.raises(InvitationError, match="Could not read this invitation"):
        itip_reply(data, "bob@example.org", Answer.ACCEPTED)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "BEGIN:VCALENDAR",
                "END:VCALENDAR",
                "BEGIN:VEVENT",
                "END:VEVENT",
                "BEGIN:VTIMEZONE",
                "END:VTIMEZONE",
                "BEGIN:STANDARD",
                "END:STANDARD",
                "METHOD:REQUEST",
                "DTSTART:20270101T100000Z",
                "DTSTART;TZID=X:2027",
                "TZID:X",
                "TZOFFSETTO:+2500",
                "RRULE:FREQ=YEARLY;BYMONTH=13",
                "RRULE:FREQ=SECONDLY;COUNT=-1",
                'ATTENDEE;CN="a:mailto:b',
                "UID:x",
                "EXDATE:junk",
                "DURATION:P99999999W",
                "SEQUENCE:-7",
                " folded",
                ";:",
            ]
        )
        | st.text(max_size=30),
        max_size=40,
    )
)
def test_arbitrary_lines_never_raise(lines: list[str]) -> None:
    inv = read_invitation("\r\n".join(lines).encode("utf-8", "surrogateescape"))
    for line in invitation_lines(inv):
        assert _inert(line)


def _calendar_of(size: int) -> dict[str, bytes]:
    """Hostile but balanced shapes of about `size` bytes."""
    attendee = "ATTENDEE;CN=Someone;PARTSTAT=ACCEPTED:mailto:someone@example.org\n"
    exdate = "EXDATE:20270101T100000Z\n"
    alarm = "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nEND:VALARM\n"
    event = "BEGIN:VEVENT\nUID:x{}\nDTSTART:20270101T100000Z\nEND:VEVENT\n"
    fold = "SUMMARY:" + "\n ".join(["abcdefghij"] * (size // 12))
    semicolons = "X-JUNK;" + ";".join(["A=B"] * (size // 4)) + ":v"
    return {
        "attendees": ics(
            BASE + "\nDTSTART:20270101T100000Z\n" + attendee * (size // len(attendee))
        ),
        "exdates": ics(BASE + "\nDTSTART:20270101T100000Z\n" + exdate * (size // len(exdate))),
        "alarms": ics(BASE + "\nDTSTART:20270101T100000Z\n" + alarm * (size // len(alarm))),
        "events": ics(
            BASE + "\nDTSTART:20270101T100000Z",
            after="".join(event.format(i) for i in range(size // len(event))),
        ),
        "folded summary": ics(BASE + "\nDTSTART:20270101T100000Z\n" + fold),
        "parameters": ics(BASE + "\nDTSTART:20270101T100000Z\n" + semicolons),
        "one long line": ics(
            BASE + "\nDTSTART:20270101T100000Z\nDESCRIPTION:" + "\\," * (size // 2)
        ),
    }


def test_reading_is_linear() -> None:
    small, large = _calendar_of(20_000), _calendar_of(200_000)
    assert_linear(
        "read_invitation",
        lambda data: invitation_lines(read_invitation(data, local_tz=UTC)),
        [(shape, small[shape], large[shape]) for shape in small],
    )


# --------------------------------------------------------------------------- reply


REQUEST = ics(
    BASE + "\nSEQUENCE:4\nDTSTART;TZID=Europe/Berlin:20270705T100000\nRRULE:FREQ=WEEKLY;BYDAY=MO",
    after=(
        "BEGIN:VEVENT\nUID:040000008200E00074C5B7101A82E008@example.org\nSEQUENCE:5\n"
        "DTSTAMP:20270101T090000Z\nRECURRENCE-ID;TZID=Europe/Berlin:20270712T100000\n"
        "DTSTART;TZID=Europe/Berlin:20270712T150000\nSUMMARY:Planning (moved)\n"
        'ORGANIZER;CN="Amy Organiser":mailto:amy@example.org\n'
        "ATTENDEE;CN=Bob;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:someone-else\nDTSTART:20270101T100000Z\nEND:VEVENT\n"
    ),
)
NOW = datetime(2027, 6, 1, 12, 30, 45, tzinfo=BERLIN)


@pytest.mark.parametrize("answer", list(Answer))
def test_itip_reply_carries_the_requests_identifiers_and_one_attendee(answer: Answer) -> None:
    raw = itip_reply(REQUEST, "Bob@example.org", answer, now=NOW)
    reply = icalendar.Calendar.from_ical(raw)
    assert reply["METHOD"] == "REPLY"
    assert reply["VERSION"] == "2.0" and reply.get("PRODID")
    events = [c for c in reply.subcomponents if c.name == "VEVENT"]
    assert len(events) == 2  # the series and its changed occurrence; not the other UID
    for event, sequence in zip(events, (4, 5), strict=True):
        assert event["UID"] == "040000008200E00074C5B7101A82E008@example.org"
        assert int(event["SEQUENCE"]) == sequence
        assert event["DTSTAMP"].dt == datetime(2027, 6, 1, 10, 30, 45, tzinfo=UTC)
        assert str(event["ORGANIZER"]) == "mailto:amy@example.org"
        assert event["ORGANIZER"].params["CN"] == "Amy Organiser"
        attendee = event["ATTENDEE"]
        assert not isinstance(attendee, list)  # exactly one
        assert str(attendee) == "mailto:Bob@example.org"
        assert attendee.params["PARTSTAT"] == answer.value
        assert attendee.params["CN"] == "Bob"
        assert "RSVP" not in attendee.params
    assert "RECURRENCE-ID" not in events[0]
    assert events[1]["RECURRENCE-ID"].dt == datetime(2027, 7, 12, 8, 0, tzinfo=UTC)
    assert b"\r\nMETHOD:REPLY\r\n" in raw
    shown = read_invitation(raw)
    assert shown.method == "REPLY"
    assert invitation_lines(shown)[0] == "Reply to an invitation: Planning"


def test_reply_refuses_what_cannot_be_answered() -> None:
    with pytest.raises(InvitationError, match="not an email address"):
        itip_reply(REQUEST, "bob@example.org\r\nATTENDEE:mailto:eve@evil.example", Answer.ACCEPTED)
    with pytest.raises(InvitationError, match="not an email address"):
        itip_reply(REQUEST, "not an address", Answer.ACCEPTED)
    no_organiser = ics("UID:x\nDTSTAMP:20270101T000000Z\nDTSTART:20270705T100000Z")
    with pytest.raises(InvitationError, match="no organiser"):
        itip_reply(no_organiser, "bob@example.org", Answer.ACCEPTED)
    with pytest.raises(InvitationError, match="Only an invitation"):
        itip_reply(
            ics(BASE + "\nDTSTART:20270705T100000Z", method="PUBLISH"), "b@x.org", Answer.ACCEPTED
        )


def test_hostile_names_in_the_request_stay_inside_their_parameter() -> None:
    event = (
        "UID:u\nDTSTAMP:20270101T000000Z\nDTSTART:20270705T100000Z\n"
        'ORGANIZER;CN="Amy;PARTSTAT=ACCEPTED:mailto:x":mailto:amy@example.org\n'
        'ATTENDEE;CN="Bob\\":;ROLE=CHAIR";PARTSTAT=NEEDS-ACTION:mailto:bob@example.org\n'
        "SUMMARY:line\\nATTENDEE:mailto:eve@evil.example"
    )
    raw = itip_reply(ics(event), "bob@example.org", Answer.DECLINED, now=NOW)
    reply = icalendar.Calendar.from_ical(raw)
    (vevent,) = [c for c in reply.subcomponents if c.name == "VEVENT"]
    attendee = vevent["ATTENDEE"]
    assert not isinstance(attendee, list)
    assert str(attendee) == "mailto:bob@example.org"
    assert attendee.params["PARTSTAT"] == "DECLINED"
    assert str(vevent["ORGANIZER"]) == "mailto:amy@example.org"
    assert b"eve@evil.example" not in raw.replace(b"\r\n ", b"").split(b"SUMMARY")[0]


def test_repeated_organiser_and_an_occurrence_without_one() -> None:
    event = BASE + "\nORGANIZER:mailto:second@example.org\nDTSTART:20270705T100000Z"
    override = (
        "BEGIN:VEVENT\nUID:040000008200E00074C5B7101A82E008@example.org\n"
        "DTSTAMP:20270101T000000Z\nRECURRENCE-ID:20270712T100000Z\n"
        "DTSTART:20270712T150000Z\nEND:VEVENT\n"
    )
    data = ics(event, after=override)
    inv = read_invitation(data, local_tz=UTC)
    assert inv.readable and inv.organizer is not None
    assert inv.organizer.address == "amy@example.org"
    with pytest.raises(InvitationError, match="no organiser"):
        itip_reply(data, "bob@example.org", Answer.ACCEPTED)  # two organisers: whom to answer?
    single = ics(BASE + "\nDTSTART:20270705T100000Z", after=override)
    reply = icalendar.Calendar.from_ical(itip_reply(single, "bob@example.org", Answer.ACCEPTED))
    organisers = [str(c["ORGANIZER"]) for c in reply.subcomponents if c.name == "VEVENT"]
    assert organisers == ["mailto:amy@example.org", "mailto:amy@example.org"]
