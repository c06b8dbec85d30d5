"""Dates as mail carries them: the one month table, RFC 5322 Date headers, IMAP dates.

Both an RFC 5322 Date ("Tue, 1 Jul 2003 10:52:37 +0200") and an IMAP INTERNALDATE
("01-Jul-2003 10:52:37 +0200") name the month by its English three-letter abbreviation.
The table is here once, in the two spellings the parsers look it up in (str for header
text, bytes for the wire); the hot-path parsers (`imap.wire`, `mime.envelope`) keep
their own inlined regexes and per-day caches and take only the table and `day_epoch`.
"""

from __future__ import annotations

import calendar
import re
from email.utils import parsedate_tz

__all__ = [
    "MONTHS",
    "MONTHS_BYTES",
    "MONTH_ABBREVIATIONS",
    "day_epoch",
    "parse_date",
]

# "Jan" … "Dec", as RFC 5322 §3.3 and RFC 9051 §9 (date-month) spell them.
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
# Lower-case abbreviation → month number (1–12); look up `mon.lower()`.
MONTHS: dict[str, int] = {m.lower(): i for i, m in enumerate(MONTH_ABBREVIATIONS, 1)}
MONTHS_BYTES: dict[bytes, int] = {m.encode("ascii"): i for m, i in MONTHS.items()}


def day_epoch(year: int, month: int | None, day: int) -> int | None:
    """Epoch seconds of 00:00 UTC on that day; None for a day or year out of range.

    Shared by the per-day caches of the header and INTERNALDATE parsers (the month comes
    from `MONTHS`/`MONTHS_BYTES`, so None when the abbreviation was unknown).
    """
    if not month or not 1 <= day <= 31 or not 1 <= year <= 9999:
        return None
    try:
        return calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


# RFC 5322 §3.3 date-time with a numeric zone, the form nearly every mailer writes.
_RFC5322_DATE = re.compile(
    r"\s*(?:[A-Za-z]{3},?\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})\b"
)


def parse_date(value: str | bytes) -> int | None:
    """A Date header as epoch seconds, or None when it cannot be understood."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not value:
        return None
    m = _RFC5322_DATE.match(value)
    if m:
        day, mon, year, hh, mm, ss, sign, zh, zm = m.groups()
        month = MONTHS.get(mon.lower())
        d, h, mi, s = int(day), int(hh), int(mm), int(ss or 0)
        if month and 1 <= d <= 31 and h < 24 and mi < 60 and s <= 60 and int(zm) < 60:
            offset = int(zh) * 3600 + int(zm) * 60
            t = calendar.timegm((int(year), month, d, h, mi, s, 0, 0, 0))
            return t - offset if sign == "+" else t + offset
    try:
        parsed = parsedate_tz(value)
        if parsed is None:
            return None
        year = parsed[0]
        if not 1 <= year <= 9999 or not 1 <= parsed[1] <= 12 or not 1 <= parsed[2] <= 31:
            return None
        # A missing zone (or "-0000", RFC 5322 §3.3) is read as UTC, not local time.
        return calendar.timegm((*parsed[:6], 0, 0, 0)) - (parsed[9] or 0)
    except (ValueError, TypeError, OverflowError, IndexError, OSError):
        return None
