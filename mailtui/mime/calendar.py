"""Calendar invitations: a `text/calendar` part read into plain values, shown as text,
and answered with an iTIP REPLY.

An invitation (iTIP, RFC 5546, carried by mail per iMIP, RFC 6047) is a VCALENDAR with
a METHOD: REQUEST (a new invitation, or an update when its SEQUENCE went up), CANCEL,
REPLY (someone's answer), PUBLISH (no answer expected). Parsing uses the maintained
`icalendar` library (collective/icalendar): it reads RFC 5545 line folding, escapes,
parameters and value types, and maps Windows zone names (what Outlook sends) to IANA
zones. Everything in the part came from a stranger, so:

- the input is capped (`MAX_CALENDAR_BYTES`) and its nesting depth checked in one
  linear pass *before* the library sees it (walking a deep tree recurses);
- times are resolved by `ical_time` (no untrusted VTIMEZONE rules are run open-ended);
- recurrence is described in words, never expanded;
- every text value is cleaned with `safe.clean_line` and capped;
- nothing raises: an unreadable part gives an `Invitation` whose `problem` says so.

The reply is built from the *request's* identifiers (UID, SEQUENCE, RECURRENCE-ID,
ORGANIZER) with exactly one ATTENDEE, the user, and their PARTSTAT (RFC 5546 §3.2.3).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from icalendar import Calendar, Event, vCalAddress
from icalendar.error import GloballyUniqueTZIDGuessed

from mailtui.errors import MailtuiError
from mailtui.mime.ical_time import Moment, describe_rrule, format_day, local, resolve
from mailtui.text.safe import clean_line

# The library warns when it guesses an IANA zone from a vendor-prefixed TZID; a warning
# printed on stderr would scribble over the TUI. The guess itself is what we want.
warnings.filterwarnings("ignore", category=GloballyUniqueTZIDGuessed)

__all__ = [
    "MAX_CALENDAR_BYTES",
    "Answer",
    "Invitation",
    "InvitationError",
    "Person",
    "find_attendee",
    "invitation_lines",
    "itip_reply",
    "read_invitation",
]

MAX_CALENDAR_BYTES = 1 << 20
"""A calendar part larger than this is not read (real invitations are a few KB)."""
MAX_DEPTH = 8
"""VCALENDAR > VEVENT > VALARM is depth 3; deeper nesting is hostile."""
MAX_ATTENDEES = 200
MAX_FIELD = 300
MAX_EXCEPTIONS = 10
MAX_REPLY_EVENTS = 50
UNREADABLE = "Could not read this invitation"


class InvitationError(MailtuiError):
    """An invitation cannot be answered (unreadable, no organiser, not a request)."""


class Answer(StrEnum):
    """What the user answers; the value is the iCalendar PARTSTAT (RFC 5545 §3.2.12)."""

    ACCEPTED = "ACCEPTED"
    TENTATIVE = "TENTATIVE"
    DECLINED = "DECLINED"

    @property
    def verb(self) -> str:
        return {"ACCEPTED": "accepted", "TENTATIVE": "tentatively accepted"}.get(
            self.value, "declined"
        )


@dataclass(frozen=True)
class Person:
    """An organiser or attendee: address, name and answer, all cleaned."""

    address: str
    name: str = ""
    partstat: str = ""
    role: str = ""

    def label(self) -> str:
        if self.name and self.address:
            return f"{self.name} <{self.address}>"
        return self.name or self.address or "(unnamed)"


@dataclass(frozen=True)
class Invitation:
    """An invitation as plain values; `problem` is set (and the rest empty) when unreadable.

    `start`/`end` are in the reader's time zone when the event's zone is known, a date
    for all-day events, and as written for floating times or unknown zones.
    """

    method: str = ""
    summary: str = ""
    location: str = ""
    start: datetime | date | None = None
    end: datetime | date | None = None
    all_day: bool = False
    floating: bool = False
    zone: str = ""
    """The event's own TZID (or UTC), as the organiser wrote it."""
    zone_unknown: bool = False
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    more_attendees: int = 0
    recurrence: str = ""
    exceptions: tuple[datetime | date, ...] = ()
    status: str = ""
    uid: str = ""
    sequence: int = 0
    recurrence_id: datetime | date | None = None
    problem: str = ""

    @property
    def readable(self) -> bool:
        return not self.problem

    @property
    def cancelled(self) -> bool:
        return self.method == "CANCEL" or self.status == "CANCELLED"

    @property
    def is_update(self) -> bool:
        """A REQUEST with a raised SEQUENCE changes an earlier invitation (RFC 5546 §2.1.4)."""
        return self.method == "REQUEST" and self.sequence > 0

    @property
    def can_answer(self) -> bool:
        return self.readable and self.method == "REQUEST" and not self.cancelled


def _text(value: Any, cap: int = MAX_FIELD) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a property given more than once: the first counts
        value = value[0] if value else ""
    return clean_line(str(value)[: cap * 4])[:cap]


def _address(value: Any) -> str:
    text = _text(value)
    return text[7:] if text[:7].lower() == "mailto:" else text


def _person(prop: Any) -> Person:
    try:
        params = dict(getattr(prop, "params", {}))
    except Exception:
        params = {}
    return Person(
        address=_address(prop),
        name=_text(params.get("CN", "")),
        partstat=_text(params.get("PARTSTAT", ""), 20).upper(),
        role=_text(params.get("ROLE", ""), 20).upper(),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _depth_problem(text: str) -> str:
    """One pass over the lines: too deep or unbalanced BEGIN/END is refused up front."""
    depth = 0
    for line in text.splitlines():
        head = line[:6].upper()
        if head == "BEGIN:":
            depth += 1
            if depth > MAX_DEPTH:
                return "it is nested too deeply"
        elif head[:4] == "END:":
            depth -= 1
            if depth < 0:
                return "it ends a part it never began"
    return "it is cut short" if depth else ""


def _parse(data: bytes | str) -> Any:
    """The VCALENDAR component; InvitationError with the reason when it cannot be read."""
    size = len(data)
    if size > MAX_CALENDAR_BYTES:
        raise InvitationError(f"{UNREADABLE}: it is too large ({size // 1024} KB)")
    text = data.decode("utf-8", "replace") if isinstance(data, bytes | bytearray) else data
    problem = _depth_problem(text)
    if problem:
        raise InvitationError(f"{UNREADABLE}: {problem}")
    try:
        parts = Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # the library raises ValueError, KeyError, IndexError, …
        raise InvitationError(f"{UNREADABLE}: {_text(exc, 120)}") from None
    for part in parts:
        if part.name == "VCALENDAR":
            return part
    raise InvitationError(f"{UNREADABLE}: it holds no calendar")


def _events(cal: Any) -> list[Any]:
    return [c for c in cal.subcomponents if c.name == "VEVENT"]


def _zones(cal: Any) -> dict[str, Any]:
    return {str(c.get("TZID", "")): c for c in cal.subcomponents if c.name == "VTIMEZONE"}


def _main_event(events: list[Any]) -> Any:
    """The series (no RECURRENCE-ID) when there is one, else the first occurrence."""
    return next((e for e in events if e.get("RECURRENCE-ID") is None), events[0])


def _moment(event: Any, name: str, zones: dict[str, Any]) -> Moment | None:
    prop = event.get(name)
    if prop is None or isinstance(prop, list):
        return None
    return resolve(prop, zones)


def _end(event: Any, start: Moment | None, zones: dict[str, Any]) -> Moment | None:
    end = _moment(event, "DTEND", zones)
    if end is not None or start is None:
        return end
    duration = getattr(event.get("DURATION"), "dt", None)
    if isinstance(duration, timedelta) and abs(duration) < timedelta(days=3660):
        return Moment(start.value + duration, start.kind, start.zone)
    return None


def _recurrence(rule: Any, start: datetime | date | None, local_tz: tzinfo | None) -> str:
    """The RRULE in words; a rule the library could not parse still says it repeats."""
    if rule is None:
        return ""
    try:
        return describe_rrule(rule, start, local_tz)
    except Exception:
        return "repeats (a rule mailtui cannot read)"


def _read(cal: Any, local_tz: tzinfo | None) -> Invitation:
    events = _events(cal)
    if not events:
        raise InvitationError(f"{UNREADABLE}: it holds no event")
    zones = _zones(cal)
    event = _main_event(events)
    start = _moment(event, "DTSTART", zones)
    end = _end(event, start, zones)
    attendees = [_person(p) for p in _as_list(event.get("ATTENDEE"))]
    organizer = next(iter(_as_list(event.get("ORGANIZER"))), None)
    rule = event.get("RRULE")
    rule = rule[0] if isinstance(rule, list) and rule else rule
    exceptions: list[datetime | date] = []
    for lst in _as_list(event.get("EXDATE")):
        try:
            leaves = list(lst.dts[: MAX_EXCEPTIONS + 1 - len(exceptions)])
            exceptions.extend(local(resolve(leaf, zones), local_tz) for leaf in leaves)
        except Exception:
            continue  # an unreadable EXDATE list: the others still count
    recurrence_id = _moment(event, "RECURRENCE-ID", zones)
    try:
        sequence = max(0, min(int(str(event.get("SEQUENCE", 0))), 2**31))
    except ValueError:
        sequence = 0
    start_local = local(start, local_tz) if start else None
    return Invitation(
        method=_text(cal.get("METHOD", ""), 20).upper() or "PUBLISH",
        summary=_text(event.get("SUMMARY", "")),
        location=_text(event.get("LOCATION", "")),
        start=start_local,
        end=local(end, local_tz) if end else None,
        all_day=start is not None and start.kind == "date",
        floating=start is not None and start.kind == "floating",
        zone=_text(start.zone, 80) if start else "",
        zone_unknown=start is not None and start.kind == "unknown",
        organizer=_person(organizer) if organizer is not None else None,
        attendees=tuple(attendees[:MAX_ATTENDEES]),
        more_attendees=max(0, len(attendees) - MAX_ATTENDEES),
        recurrence=_recurrence(rule, start_local, local_tz),
        exceptions=tuple(exceptions),
        status=_text(event.get("STATUS", ""), 20).upper(),
        uid=_text(event.get("UID", "")),
        sequence=sequence,
        recurrence_id=local(recurrence_id, local_tz) if recurrence_id else None,
    )


def read_invitation(data: bytes | str, *, local_tz: tzinfo | None = None) -> Invitation:
    """The invitation in a text/calendar part; never raises (see `Invitation.problem`).

    `local_tz` is the reader's zone; None means the system's (tests pass one)."""
    try:
        return _read(_parse(data), local_tz)
    except InvitationError as exc:
        return Invitation(problem=str(exc))
    except Exception as exc:  # a broken property raises only when its value is read
        return Invitation(problem=f"{UNREADABLE}: {_text(exc, 120)}")


# --------------------------------------------------------------------------- text


def _clock(value: datetime | date) -> str:
    return value.strftime("%H:%M") if isinstance(value, datetime) else ""


def _day(value: datetime | date) -> str:
    return f"{value:%a} {format_day(value)}"


def _when(inv: Invitation) -> str:
    start, end = inv.start, inv.end
    if start is None:
        return "(no time given)"
    if inv.all_day or not isinstance(start, datetime):
        last = end - timedelta(days=1) if isinstance(end, date) else None  # DTEND excluded
        if last is None or last <= start:
            return f"{_day(start)}, all day"
        return f"{_day(start)} – {_day(last)}, all day"
    text = f"{_day(start)} {_clock(start)}"
    if isinstance(end, datetime):
        same_day = end.date() == start.date()
        text += f"–{_clock(end)}" if same_day else f" – {_day(end)} {_clock(end)}"
    if inv.floating:
        text += " (local time wherever you are)"
    elif inv.zone_unknown:
        text += f" (time zone {inv.zone}, unknown to mailtui)"
    elif start.tzinfo is not None:
        text += f" {start.strftime('%Z')}".rstrip()
        if inv.zone and inv.zone not in ("UTC", start.strftime("%Z")):
            text += f" (organiser's zone: {inv.zone})"
    return text


_PARTSTAT_WORDS = {
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
    "DELEGATED": "delegated",
    "NEEDS-ACTION": "no answer yet",
}


def _title(inv: Invitation) -> str:
    if inv.cancelled:
        return "Cancelled event"
    return {
        "REQUEST": "Updated invitation" if inv.is_update else "Invitation",
        "REPLY": "Reply to an invitation",
        "COUNTER": "Counter-proposal",
    }.get(inv.method, "Event")


def invitation_lines(inv: Invitation) -> list[str]:
    """The invitation as plain, clean lines for the reader (no markup, no controls)."""
    if not inv.readable:
        return [clean_line(inv.problem)]
    rows: list[tuple[str, str]] = [("When", _when(inv))]
    if inv.recurrence_id is not None:
        rows.append(("Occurrence", f"{_day(inv.recurrence_id)} {_clock(inv.recurrence_id)}"))
    if inv.recurrence:
        rows.append(("Repeats", inv.recurrence))
    if inv.exceptions:
        days = [format_day(d) for d in inv.exceptions[:MAX_EXCEPTIONS]]
        more = " and more" if len(inv.exceptions) > MAX_EXCEPTIONS else ""
        rows.append(("Except", ", ".join(days) + more))
    if inv.location:
        rows.append(("Where", inv.location))
    if inv.organizer is not None:
        rows.append(("Organiser", inv.organizer.label()))
    if inv.status and not inv.cancelled:
        rows.append(("Status", inv.status.lower()))
    lines = [clean_line(f"{_title(inv)}: {inv.summary or '(no title)'}")]
    lines += [f"{label + ':':<11} {clean_line(value)}" for label, value in rows]
    if inv.attendees:
        lines.append(f"Attendees ({len(inv.attendees) + inv.more_attendees}):")
        for person in inv.attendees:
            answer = _PARTSTAT_WORDS.get(person.partstat, person.partstat.lower())
            role = " (optional)" if person.role == "OPT-PARTICIPANT" else ""
            lines.append(
                "  " + clean_line(person.label() + role + (f" — {answer}" if answer else ""))
            )
        if inv.more_attendees:
            lines.append(f"  … and {inv.more_attendees} more")
    return lines


# --------------------------------------------------------------------------- reply


def find_attendee(inv: Invitation, addresses: Iterable[str]) -> str | None:
    """Which of the user's addresses the invitation names as an attendee (None: none)."""
    wanted = {a.strip().lower() for a in addresses if a.strip()}
    return next((p.address for p in inv.attendees if p.address.lower() in wanted), None)


def _valid_address(address: str) -> str:
    address = address.strip()
    local_part, at, domain = address.rpartition("@")
    if not at or not local_part or not domain or len(address) > 254 or not address.isprintable():
        raise InvitationError(f"{address!r} is not an email address")
    if any(c in address for c in ' <>,;:"\\'):
        raise InvitationError(f"{address!r} is not an email address")
    return address


def _utc_recurrence_id(event: Any, zones: dict[str, Any]) -> datetime | date | None:
    """RECURRENCE-ID as UTC (an instant matches whatever zone it was written in)."""
    moment = _moment(event, "RECURRENCE-ID", zones)
    if moment is None:
        return None
    if moment.kind == "aware" and isinstance(moment.value, datetime):
        return moment.value.astimezone(UTC)
    return moment.value


def itip_reply(
    request: bytes | str,
    attendee: str,
    answer: Answer,
    *,
    now: datetime | None = None,
    comment: str = "",
) -> bytes:
    """The iTIP REPLY VCALENDAR (RFC 5546 §3.2.3) answering `request` for `attendee`.

    One VEVENT per event of the request with the series' UID (the series and any
    changed occurrences it carries), each with UID, SEQUENCE, RECURRENCE-ID, DTSTAMP,
    ORGANIZER and the one ATTENDEE with PARTSTAT. Raises InvitationError when the
    request cannot be answered."""
    address = _valid_address(attendee)
    cal = _parse(request)
    try:
        _read(cal, UTC)  # what cannot be shown is not answered either
    except InvitationError:
        raise
    except Exception as exc:
        raise InvitationError(f"{UNREADABLE}: {_text(exc, 120)}") from None
    method = str(cal.get("METHOD", "")).upper()
    if method != "REQUEST":
        raise InvitationError(
            f"Only an invitation (REQUEST) can be answered, this is {method or 'none'}"
        )
    events = _events(cal)
    if not events:
        raise InvitationError(f"{UNREADABLE}: it holds no event")
    zones = _zones(cal)
    main = _main_event(events)
    uid = str(main.get("UID", ""))
    organizer = main.get("ORGANIZER")
    if not uid or organizer is None or isinstance(organizer, list):
        raise InvitationError("The invitation names no organiser or no UID to answer")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    reply = Calendar()
    reply.add("PRODID", "-//mailtui//iTIP reply//EN")
    reply.add("VERSION", "2.0")
    reply.add("METHOD", "REPLY")
    for event in [e for e in events if str(e.get("UID", "")) == uid][:MAX_REPLY_EVENTS]:
        reply.add_component(
            _reply_event(event, uid, organizer, address, answer, stamp, zones, comment)
        )
    return reply.to_ical()


def _reply_event(
    event: Any,
    uid: str,
    organizer: Any,
    address: str,
    answer: Answer,
    stamp: datetime,
    zones: dict[str, Any],
    comment: str,
) -> Event:
    out = Event()
    out.add("UID", uid)
    try:
        sequence = max(0, int(str(event.get("SEQUENCE", 0))))
    except ValueError:
        sequence = 0
    out.add("SEQUENCE", sequence)
    out.add("DTSTAMP", stamp)
    recurrence_id = _utc_recurrence_id(event, zones)
    if recurrence_id is not None:
        out.add("RECURRENCE-ID", recurrence_id)
    # The series' organiser on every event: one UID, one organiser to answer.
    org = vCalAddress(str(organizer))
    if organizer.params.get("CN"):
        org.params["CN"] = str(organizer.params["CN"])
    out.add("ORGANIZER", org)
    me = vCalAddress(f"mailto:{address}")
    for person in _as_list(event.get("ATTENDEE")):
        if _address(person).lower() == address.lower() and person.params.get("CN"):
            me.params["CN"] = str(person.params["CN"])
            break
    me.params["PARTSTAT"] = answer.value
    out.add("ATTENDEE", me)
    summary = _text(event.get("SUMMARY", ""))
    if summary:
        out.add("SUMMARY", summary)
    if comment.strip():
        out.add("COMMENT", clean_line(comment)[:MAX_FIELD])
    return out
