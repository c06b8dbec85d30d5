"""How list rows and headers read: dates relative to now, markers, senders.

Pure functions over model objects, so they are tested without a terminal; the
clock is injectable so screenshots and snapshot tests do not depend on the day.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from mailtui.model import Envelope
from mailtui.text.addresses import parse_addresses
from mailtui.text.labels import label_of
from mailtui.text.safe import clean_line

UNREAD_MARK = "●"
ANSWERED_MARK = "↩"
FLAGGED_MARK = "⚑"
ATTACHMENT_MARK = "@"
SELECTED_MARK = "*"


@dataclass(frozen=True)
class Clock:
    """Now and the time zone dates are shown in (None: the machine's local zone)."""

    now: Callable[[], float] = field(default=time.time)
    tz: tzinfo | None = None

    def local(self, ts: float) -> datetime | None:
        try:
            return datetime.fromtimestamp(ts, self.tz) if self.tz else datetime.fromtimestamp(ts)
        except (OverflowError, OSError, ValueError):
            return None

    def today(self) -> datetime:
        now = self.local(self.now())
        assert now is not None
        return now


def fixed_clock(when: datetime) -> Clock:
    """A clock stopped at `when` (an aware datetime), showing dates in its zone."""
    ts = when.timestamp()
    return Clock(now=lambda: ts, tz=when.tzinfo)


def list_date(ts: int, clock: Clock, *, short: bool = False) -> str:
    """Relative: "14:05" today, "Tue 14:05" this week, "05 Mar" this year, "2023-03-05".

    `short` keeps it to 6 cells for narrow terminals ("14:05", "05 Mar", "2023").
    """
    if not ts:
        return ""
    when = clock.local(ts)
    if when is None:
        return ""
    now = clock.today()
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if not short and timedelta(0) < now - when < timedelta(days=6):
        return when.strftime("%a %H:%M")
    if when.year == now.year and when <= now:
        return when.strftime("%d %b")
    return when.strftime("%Y" if short else "%Y-%m-%d")


def full_date(ts: int, clock: Clock) -> str:
    """The reader's Date line."""
    when = clock.local(ts) if ts else None
    return when.strftime("%a, %d %b %Y %H:%M") if when else ""


def sender(env: Envelope, *, outgoing: bool = False) -> str:
    """Who a row is about: the sender, or "To: recipient" in Sent and Drafts."""
    if outgoing and env.to:
        people = parse_addresses(env.to)
        first = people[0].display() if people else env.to
        return "To: " + clean_line(first)
    return clean_line(env.sender)


def subject(env: Envelope) -> str:
    return clean_line(env.subject) or "(no subject)"


# Keywords that are protocol bookkeeping, not labels a person gave (RFC 5788 registry,
# Thunderbird's and Apple Mail's junk markers).
_TECHNICAL_KEYWORDS = frozenset(
    {
        "$forwarded",
        "$mdnsent",
        "$submitpending",
        "$submitted",
        "$junk",
        "$notjunk",
        "junk",
        "nonjunk",
        "notjunk",
        "$phishing",
        "$label1",
    }
)


def labels(env: Envelope) -> list[str]:
    """The message's labels (IMAP keywords, or Gmail labels spelt as keywords: see
    text/labels.py) worth showing, cleaned, in a stable order."""
    return sorted(
        (clean_line(label_of(k)) for k in env.keywords if k.lower() not in _TECHNICAL_KEYWORDS),
        key=str.casefold,
    )
