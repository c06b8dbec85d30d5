"""When to send a message later: "in 2h", "tomorrow 9:00", "fri 8:30", ISO 8601.

What the review screen's send-later prompt reads. Pure and linear: the text is the
user's, short, and every form is one anchored regular expression without nested
repetition. Times without a date or zone are local; a time already past is refused
(the caller says so rather than sending at once).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from mailtui.compose.draft import DraftError

__all__ = ["parse_when"]

_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_IN = re.compile(r"in\s+(\d{1,5})\s*([a-z]+)(?:\s+(\d{1,5})\s*([a-z]+))?")
_CLOCK = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"
_DAY_AT = re.compile(rf"(today|tomorrow|[a-z]+)?\s*(?:at\s+)?(?:{_CLOCK})?")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_AHEAD = timedelta(days=366)


def _clock(hour: str | None, minute: str | None, half: str | None) -> time | None:
    if hour is None:
        return None
    h, m = int(hour), int(minute or 0)
    if half:
        if not 1 <= h <= 12:
            raise DraftError(f"{h}{half} is not a time")
        h = h % 12 + (12 if half == "pm" else 0)
    if h > 23 or m > 59:
        raise DraftError(f"{hour}:{minute or '00'} is not a time")
    return time(h, m)


def _weekday(word: str) -> int | None:
    if len(word) < 3:
        return None
    for index, name in enumerate(_WEEKDAYS):
        full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        if full[index].startswith(word) and word.startswith(name):
            return index
    return None


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """The moment `text` names, as an aware local datetime after `now`; DraftError
    with an example when it names none (or one already past)."""
    if now is None or now.tzinfo is None:
        now = (now or datetime.now()).astimezone()  # local time, with its zone
    words = " ".join(text[:200].lower().split())
    if not words:
        raise DraftError('Say when: "in 2h", "tomorrow 9:00", "fri 8:30" or 2026-12-24T09:00')
    when = _parse(words, now)
    if when is None:
        raise DraftError(
            f"Cannot read {text.strip()[:40]!r} as a time",
            hint='for example "in 2h", "in 30 min", "tomorrow 9:00", "fri 8:30", '
            '"17:00" or 2026-12-24T09:00',
        )
    if when <= now:
        raise DraftError(f"{when:%Y-%m-%d %H:%M} has passed already")
    if when - now > MAX_AHEAD:
        raise DraftError("That is more than a year ahead")
    return when


def _parse(words: str, now: datetime) -> datetime | None:
    found = _IN.fullmatch(words)
    if found:
        seconds = 0
        for count, unit in ((found[1], found[2]), (found[3], found[4])):
            if count is None:
                continue
            if unit not in _UNITS:
                return None
            seconds += int(count) * _UNITS[unit]
        return now + timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(words.upper().replace(" ", "T", 1))
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed.astimezone() if parsed.tzinfo else parsed.replace(tzinfo=now.tzinfo)
    found = _DAY_AT.fullmatch(words)
    if not found or not (found[1] or found[2]):
        return None
    at = _clock(found[2], found[3], found[4])
    day_word = found[1]
    today = now.date()
    if day_word is None or day_word == "today":
        day = today
        if day_word is None and at is not None and datetime.combine(day, at, now.tzinfo) <= now:
            day = today + timedelta(days=1)  # "9:00" said at 10:00 means tomorrow's
    elif day_word == "tomorrow":
        day = today + timedelta(days=1)
    else:
        weekday = _weekday(day_word)
        if weekday is None:
            return None
        ahead = (weekday - today.weekday()) % 7 or 7  # "fri" said on a Friday: next week's
        day = today + timedelta(days=ahead)
    return datetime.combine(day, at or time(9, 0), now.tzinfo)
