"""Times in an iCalendar invitation: time zones resolved safely, recurrence in words.

Why this is not left to the iCalendar library: icalendar turns a VTIMEZONE whose TZID
it does not know into a dateutil `tzical` zone, cached process-wide under that TZID
(first definition wins, so a later message with the same TZID gets an earlier
stranger's rules), and `tzical` finds an offset by running the zone's RRULE forward from
its DTSTART: a VTIMEZONE with `RRULE:FREQ=SECONDLY` makes `utcoffset()` run for hours.
So only zones that are real IANA zones (`zoneinfo`) or fixed offsets are trusted as they
come; anything else is resolved here from *this* calendar's VTIMEZONE, reading only
what zone rules actually use (RFC 5545 §3.6.5: yearly onsets by month, weekday and
month day, or RDATE lists), with bounded work per lookup.

Recurrence rules (RFC 5545 §3.3.10) are described in words, never expanded: a rule
with no end describes forever in a few words.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["Moment", "describe_rrule", "format_day", "local", "resolve", "zone_offset"]

MAX_ZONE_PARTS = 16
"""STANDARD/DAYLIGHT sub-components of one VTIMEZONE looked at; real zones have 2-10."""
MAX_RDATES = 400
MAX_WORDS_ITEMS = 12
"""Items of one BY… list put into words; a rule listing more is summarised."""

_WEEKDAYS = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_WEEKDAY_NUMBER = {code: i for i, code in enumerate(_WEEKDAYS)}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_UNITS = {
    "SECONDLY": "second",
    "MINUTELY": "minute",
    "HOURLY": "hour",
    "DAILY": "day",
    "WEEKLY": "week",
    "MONTHLY": "month",
    "YEARLY": "year",
}


@dataclass(frozen=True)
class Moment:
    """A DTSTART/DTEND-like value as mailtui understands it.

    `kind` is "date" (all day), "floating" (a wall-clock time in whatever zone the
    reader is in, RFC 5545 §3.3.5 form #1), "aware" (a real instant) or "unknown" (a
    TZID that is neither an IANA zone nor defined usably in the calendar: shown as
    written, with the zone's name).
    """

    value: datetime | date
    kind: str
    zone: str = ""


def _trusted(tz: tzinfo) -> bool:
    return isinstance(tz, ZoneInfo | timezone)


def resolve(prop: Any, zones: Mapping[str, Any]) -> Moment:
    """The moment of a date/date-time property; `zones` maps TZID → VTIMEZONE component.

    Raises ValueError (or the library's error) on a value that is not a date or time.
    """
    value = prop.dt
    if not isinstance(value, date):
        raise ValueError("not a date or date-time")
    if not isinstance(value, datetime):
        return Moment(value, "date")
    tzid = str(prop.params.get("TZID", "") or "")
    tz = value.tzinfo
    if tz is not None and _trusted(tz):
        name = tzid or str(getattr(tz, "key", "") or "UTC")
        return Moment(value, "aware", name)
    wall = value.replace(tzinfo=None)  # replace() never asks the zone for an offset
    if tz is None and not tzid:
        return Moment(wall, "floating")
    offset = zone_offset(zones.get(tzid), wall)
    if offset is None:
        return Moment(wall, "unknown", tzid)
    return Moment(wall.replace(tzinfo=timezone(offset)), "aware", tzid)


def local(moment: Moment, local_tz: tzinfo | None) -> datetime | date:
    """The moment in the reader's zone (the system's when `local_tz` is None)."""
    if moment.kind == "aware" and isinstance(moment.value, datetime):
        return moment.value.astimezone(local_tz)
    return moment.value


# --------------------------------------------------------------------------- VTIMEZONE


def _offset(prop: Any) -> timedelta | None:
    td = getattr(prop, "td", None)
    if isinstance(td, timedelta) and abs(td) < timedelta(hours=24):
        return td
    return None


def _naive(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    return None


def _ints(values: Sequence[Any], low: int, high: int) -> list[int]:
    out = []
    for v in list(values)[: MAX_WORDS_ITEMS * 4]:
        try:
            n = int(v)
        except (TypeError, ValueError):
            continue
        if low <= abs(n) <= high:
            out.append(n)
    return out


def _split_byday(item: Any) -> tuple[int, str] | None:
    """ "-1SU" → (-1, "SU"); "MO" → (0, "MO"); None when unreadable."""
    text = str(item).strip().upper()
    code, digits = text[-2:], text[:-2]
    if code not in _WEEKDAY_NUMBER:
        return None
    if not digits or digits in "+-":
        return 0, code
    try:
        n = int(digits)
    except ValueError:
        return None
    return (n, code) if 1 <= abs(n) <= 53 else None


def _yearly_onsets(rule: Mapping[str, Any], start: datetime, year: int) -> list[datetime]:
    """The onsets of a yearly zone rule in one year (at most 12 x 31 days looked at)."""
    months = [m for m in _ints(rule.get("BYMONTH", []), 1, 12) if m > 0] or [start.month]
    days = [d for d in (_split_byday(x) for x in rule.get("BYDAY", [])) if d]
    monthdays = _ints(rule.get("BYMONTHDAY", []), 1, 31)
    onsets = []
    for month in months:
        length = calendar.monthrange(year, month)[1]
        for day in range(1, length + 1):
            if monthdays and not any(d == day or length + d + 1 == day for d in monthdays):
                continue
            if days:
                wd = date(year, month, day).weekday()
                nth, nth_last = (day - 1) // 7 + 1, -((length - day) // 7 + 1)
                if not any(
                    _WEEKDAY_NUMBER[code] == wd and n in (0, nth, nth_last) for n, code in days
                ):
                    continue
            elif not monthdays and day != min(start.day, length):
                continue
            onsets.append(datetime.combine(date(year, month, day), start.time()))
    return onsets


def _last_onset(part: Any, wall: datetime) -> datetime | None:
    """The latest onset of one STANDARD/DAYLIGHT part at or before `wall`."""
    start = _naive(part["DTSTART"].dt)
    if start is None or start > wall:
        return None
    rule = part.get("RRULE")
    if rule is not None:
        if [str(f).upper() for f in rule.get("FREQ", [])] != ["YEARLY"]:
            return start  # not a zone rule anyone writes: its first onset only
        interval = max(_ints(rule.get("INTERVAL", [1]), 1, 100) or [1])
        counts = _ints(rule.get("COUNT", []), 1, 10_000)
        untils = [u for u in (_naive(x) for x in rule.get("UNTIL", [])) if u is not None]
        best = start
        for year in (wall.year - 1, wall.year):
            if year < start.year or (year - start.year) % interval:
                continue
            if counts and (year - start.year) // interval >= counts[0]:
                continue
            for onset in _yearly_onsets(rule, start, year):
                if start <= onset <= wall and (not untils or onset <= untils[0]):
                    best = max(best, onset)
        return best
    found = start
    rdates = part.get("RDATE")
    lists = rdates if isinstance(rdates, list) else [rdates] if rdates is not None else []
    seen = 0
    for lst in lists:
        for leaf in getattr(lst, "dts", [])[:MAX_RDATES]:
            seen += 1
            moment = _naive(getattr(leaf, "dt", None))
            if moment is not None and found < moment <= wall:
                found = moment
            if seen >= MAX_RDATES:
                return found
    return found


def zone_offset(vtimezone: Any, wall: datetime) -> timedelta | None:
    """UTC offset of wall-clock `wall` by a VTIMEZONE component; None when unusable."""
    if vtimezone is None:
        return None
    best: tuple[datetime, timedelta] | None = None
    earliest: tuple[datetime, timedelta] | None = None
    for part in list(vtimezone.subcomponents)[:MAX_ZONE_PARTS]:
        if part.name not in ("STANDARD", "DAYLIGHT"):
            continue
        try:
            to = _offset(part.get("TZOFFSETTO"))
            start = _naive(part["DTSTART"].dt)
            if to is None or start is None:
                continue
            onset = _last_onset(part, wall)
            frm = _offset(part.get("TZOFFSETFROM"))
        except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
            continue
        if onset is not None and (best is None or onset > best[0]):
            best = (onset, to)
        if frm is not None and (earliest is None or start < earliest[0]):
            earliest = (start, frm)
    if best is not None:
        return best[1]
    return earliest[1] if earliest is not None else None


# --------------------------------------------------------------------------- words


def format_day(d: date) -> str:
    """ "30 Jun 2027": day first, English month abbreviation, whatever the locale."""
    return f"{d.day} {_MONTHS[d.month - 1][:3]} {d.year}"


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _ordinal(n: int) -> str:
    if n < 0:
        return "last" if n == -1 else f"{_ordinal(-n)}-to-last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _ordinal_word(n: int) -> str:
    if n < 0:
        return "last" if n == -1 else f"{_ordinal_word(-n)}-to-last"
    return _ORDINAL_WORDS.get(n, _ordinal(n))


def _limited(items: list[str], what: str) -> list[str]:
    if len(items) > MAX_WORDS_ITEMS:
        return [f"{len(items)} {what}"]
    return items


def _days_words(rule: Mapping[str, Any]) -> str:
    days = [d for d in (_split_byday(x) for x in rule.get("BYDAY", [])) if d]
    if not days:
        return ""
    names = [
        f"the {_ordinal_word(n)} {_WEEKDAYS[code]}" if n else _WEEKDAYS[code] for n, code in days
    ]
    if all(n == 0 for n, _ in days) and {c for _, c in days} == {"MO", "TU", "WE", "TH", "FR"}:
        return "on weekdays"
    return "on " + _join(_limited(names, "days"))


def _monthdays_words(rule: Mapping[str, Any]) -> str:
    monthdays = _ints(rule.get("BYMONTHDAY", []), 1, 31)
    if not monthdays:
        return ""
    names = ["the last day" if d == -1 else f"the {_ordinal(d)}" for d in monthdays]
    if len(names) > 1:
        names = [names[0], *(n.removeprefix("the ") for n in names[1:])]
    return "on " + _join(_limited(names, "days of the month"))


def describe_rrule(
    rule: Mapping[str, Any], start: date | None = None, local_tz: tzinfo | None = None
) -> str:
    """An RRULE in words: "every week on Monday and Wednesday until 30 Jun 2027"."""
    freqs = [str(f).upper() for f in rule.get("FREQ", [])]
    if len(freqs) != 1 or freqs[0] not in _UNITS:
        return "repeats (a rule mailtui cannot read)"
    unit = _UNITS[freqs[0]]
    interval = max(_ints(rule.get("INTERVAL", [1]), 1, 1_000_000) or [1])
    words = [f"every {unit}" if interval == 1 else f"every {interval} {unit}s"]
    months = [m for m in _ints(rule.get("BYMONTH", []), 1, 12) if m > 0]
    day_part = _days_words(rule) or _monthdays_words(rule)
    if day_part:
        words.append(day_part)
    elif freqs[0] == "YEARLY" and start is not None and not months:
        words.append(f"on {start.day} {_MONTHS[start.month - 1]}")
    elif freqs[0] == "MONTHLY" and start is not None:
        words.append(f"on the {_ordinal(start.day)}")
    if months:
        words.append("in " + _join(_limited([_MONTHS[m - 1] for m in months], "months")))
    positions = _ints(rule.get("BYSETPOS", []), 1, 366)
    if positions:
        words.append(f"(the {_join([_ordinal(p) for p in positions[:MAX_WORDS_ITEMS]])} of those)")
    known = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "UNTIL"}
    known |= {"COUNT", "WKST"}
    if any(str(k).upper() not in known for k in rule):
        words.append("(with further conditions)")
    untils = list(rule.get("UNTIL", []))[:1]
    counts = _ints(rule.get("COUNT", []), 1, 10**9)
    if untils and isinstance(untils[0], date):
        until = untils[0]
        if isinstance(until, datetime):
            until = until.astimezone(local_tz) if until.tzinfo else until
            until = until.date()
        words.append(f"until {format_day(until)}")
    elif counts:
        words.append("once" if counts[0] == 1 else f"{counts[0]} times")
    return " ".join(words)
