"""The query tree evaluated over Maildir files, with IMAP SEARCH's meaning."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailtui.backend import query
from mailtui.backend.query import And, Flag, MessageId, Not, Or, Since
from mailtui.errors import ProtocolError
from mailtui.maildir.session import MaildirSession
from mailtui.model import FLAGGED, SEEN
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
    return session.search(query.parse(text))


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


def test_trees_beyond_the_language_and_the_listing(session: MaildirSession) -> None:
    assert session.search(Or((Flag(FLAGGED), Flag(SEEN, False)))) == [2, 3]
    assert session.search(And((Flag(SEEN), Not(Flag(FLAGGED))))) == [1]
    assert session.search(MessageId("m2@x")) == [2]
    assert session.search(Or(())) == []
    assert session.search(Since(date.min)) == [1, 2, 3]
    assert session.search_message_ids(["m3@x", "nope@x"]) == {"m3@x": 3}
    # What sync lists comes from the directory listing; a query goes through search().
    assert session.search_uids(b"ALL") == [1, 2, 3]
    assert session.search_uids(b"UID 2:*") == [2, 3]
    with pytest.raises(ProtocolError):
        session.search_uids(b"FROBNICATE")
