"""The demo's meeting invitation: an iTIP REQUEST (RFC 5546, carried per RFC 6047) as
Outlook and Google send it, a text/calendar alternative to the text, so the reader's
invitation block and `i` (accept, tentative, decline) can be tried in `mailtui --demo`.

A weekly series starting the next Tuesday after `now`; the first attendee has not
answered, the others have accepted. Times are UTC (`Z`), so no VTIMEZONE is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from mailtui.demo.corpus import Person

__all__ = ["BODY", "SUBJECT", "request_ics"]

SUBJECT = "Invitation: Design review: the new reader layout (weekly, Tuesdays)"
BODY = "Weekly review of the new reader layout until it ships.\n"


def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def request_ics(
    organiser: Person, attendees: Sequence[Person], *, sent: datetime, now: datetime
) -> str:
    """The VCALENDAR text (METHOD:REQUEST) of the invitation."""
    days = (1 - now.weekday()) % 7 or 7  # the next Tuesday
    start = (now + timedelta(days=days)).replace(hour=13, minute=0, second=0)
    end = start + timedelta(hours=1)
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Northwind//Calendar//EN",
        "VERSION:2.0",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:design-review-reader@northwind.example",
        "SEQUENCE:0",
        f"DTSTAMP:{_stamp(sent)}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=6",
        "SUMMARY:Design review: the new reader layout",
        "LOCATION:Room 4.12 / video link in the description",
        "DESCRIPTION:Weekly until the reader ships. Bring screenshots.",
        f"ORGANIZER;CN={organiser.name}:mailto:{organiser.addr}",
    ]
    for i, person in enumerate(attendees):
        answer = "PARTSTAT=NEEDS-ACTION;RSVP=TRUE" if i == 0 else "PARTSTAT=ACCEPTED"
        lines.append(
            f"ATTENDEE;CN={person.name};ROLE=REQ-PARTICIPANT;{answer}:mailto:{person.addr}"
        )
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\n".join(lines)
