"""IMAP SEARCH over Maildir files, as the sync layer's query compiler produces it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailtui.errors import ProtocolError
from mailtui.maildir.session import MaildirSession
from mailtui.sync import query
from tests.support import mailgen


@pytest.fixture
def session(tmp_path: Path):
    root = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    messages = [
        (
            mailgen.make_message(
                subject="Grüße aus München",
                sender="Jürgen Groß <j@example.de>",
                body="Straße\n",
                message_id="<m1@x>",
            ),
            "S",
            datetime(2024, 1, 10, 12, tzinfo=UTC),
        ),
        (
            mailgen.make_message(
                subject="Quarterly report",
                sender="Alice <alice@example.com>",
                body="numbers " * 500,
                message_id="<m2@x>",
            ),
            "FS",
            datetime(2024, 2, 1, 9, tzinfo=UTC),
        ),
        (
            mailgen.make_message(
                subject="Lunch?",
                sender="Bob <bob@example.com>",
                body="Grüße\n",
                message_id="<m3@x>",
            ),
            "",
            datetime(2024, 3, 5, 18, tzinfo=UTC),
        ),
    ]
    for i, (raw, info, when) in enumerate(messages):
        path = root / "cur" / f"{int(when.timestamp())}.M{i}P1Q{i}.h:2,{info}"
        path.write_bytes(raw)
        os.utime(path, (when.timestamp(), when.timestamp()))
    s = MaildirSession(root, "search", tmp_path / "uids.sqlite3")
    s.connect()
    s.select("INBOX")
    s.store_flags("3", add=["Work"])
    yield s
    s.close()


def _q(session: MaildirSession, text: str) -> list[int]:
    criteria, charset = query.imap_criteria(query.parse(text))
    return session.search(criteria, charset)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subject:grüße", [1]),
        ("body:straße", [1]),
        ("from:alice flagged", [2]),
        ("Grüße", [1, 3]),
        ("from:jürgen", [1]),
        ("unseen", [3]),
        ("-seen", [3]),
        ("label:work", [3]),
        ("-label:Work", [1, 2]),
        ("since:2024-02-01", [2, 3]),
        ("before:2024-02-01", [1]),
        ("on:2024-03-05", [3]),
        ("larger:2k", [2]),
        ("smaller:2k", [1, 3]),
        ("answered", []),
        ("to:user@example.test", [1, 2, 3]),
    ],
)
def test_query_language_terms(session: MaildirSession, text: str, expected: list[int]) -> None:
    assert _q(session, text) == expected


def test_raw_criteria(session: MaildirSession) -> None:
    assert session.search_uids(b"ALL") == [1, 2, 3]
    assert session.search_uids(b"UID 2:*") == [2, 3]
    assert session.search_uids(b"OR FLAGGED UNSEEN") == [2, 3]
    assert session.search_uids(b'HEADER Message-ID "<m2@x>"') == [2]
    assert session.search_uids(b"(SEEN NOT FLAGGED)") == [1]
    assert session.search_message_ids(["m3@x", "nope@x"]) == {"m3@x": 3}
    with pytest.raises(ProtocolError):
        session.search_uids(b"FROBNICATE")
