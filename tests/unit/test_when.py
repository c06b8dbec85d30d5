"""The send-later prompt's times: relative, day and clock, weekday, ISO; past refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mailtui.compose.draft import DraftError
from mailtui.compose.when import parse_when

ZONE = timezone(timedelta(hours=1))
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=ZONE)  # a Monday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2h", datetime(2026, 12, 7, 14, 0, tzinfo=ZONE)),
        ("In 30 min", datetime(2026, 12, 7, 12, 30, tzinfo=ZONE)),
        ("in 1h 30m", datetime(2026, 12, 7, 13, 30, tzinfo=ZONE)),
        ("in 2 days", datetime(2026, 12, 9, 12, 0, tzinfo=ZONE)),
        ("tomorrow 9:00", datetime(2026, 12, 8, 9, 0, tzinfo=ZONE)),
        ("tomorrow", datetime(2026, 12, 8, 9, 0, tzinfo=ZONE)),
        ("today 17:30", datetime(2026, 12, 7, 17, 30, tzinfo=ZONE)),
        ("17:00", datetime(2026, 12, 7, 17, 0, tzinfo=ZONE)),
        ("9:00", datetime(2026, 12, 8, 9, 0, tzinfo=ZONE)),  # past today: tomorrow's
        ("5pm", datetime(2026, 12, 7, 17, 0, tzinfo=ZONE)),
        ("fri 8:30", datetime(2026, 12, 11, 8, 30, tzinfo=ZONE)),
        ("monday", datetime(2026, 12, 14, 9, 0, tzinfo=ZONE)),  # today is Monday: next week's
        ("2026-12-24T09:00", datetime(2026, 12, 24, 9, 0, tzinfo=ZONE)),
        ("2026-12-24 09:00+00:00", datetime(2026, 12, 24, 10, 0, tzinfo=ZONE)),
    ],
)
def test_times_people_type(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Say when"),
        ("someday", "Cannot read"),
        ("in 2 fortnights", "Cannot read"),
        ("25:00", "not a time"),
        ("13pm", "not a time"),
        ("today 11:00", "has passed"),
        ("2020-01-01T00:00", "has passed"),
        ("in 400 days", "more than a year"),
        ("x" * 10_000, "Cannot read"),
    ],
)
def test_what_is_not_a_time_is_said(text: str, says: str) -> None:
    with pytest.raises(DraftError) as caught:
        parse_when(text, NOW)
    assert says in caught.value.sentence()
