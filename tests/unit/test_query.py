"""The search language: parsed once, compiled to IMAP SEARCH and to the local cache query."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailtui.cache.store import HeaderCache
from mailtui.model import HeaderRow
from mailtui.sync import query


def test_example_from_the_docs() -> None:
    q = query.parse('from:alice subject:"q3 report" unseen since:2026-01-01 invoice')
    criteria, charset = query.imap_criteria(q)
    assert criteria == [
        "FROM",
        "alice",
        "SUBJECT",
        "q3 report",
        "UNSEEN",
        "SINCE",
        "1-Jan-2026",
        "TEXT",
        "invoice",
    ]
    assert charset is None


def test_non_ascii_terms_ask_for_utf8_and_negation_works() -> None:
    criteria, charset = query.imap_criteria(query.parse("subject:grüße -label:Done larger:2M"))
    assert charset == "UTF-8"
    assert criteria == [
        "SUBJECT",
        "grüße",
        "NOT",
        "KEYWORD",
        "Done",
        "LARGER",
        str(2 * 1024 * 1024),
    ]


def test_relative_dates() -> None:
    q = query.parse("since:7d before:today")
    assert q.terms[0].day == date.today().fromordinal(date.today().toordinal() - 7)
    assert q.terms[1].day == date.today()


@pytest.mark.parametrize(
    "bad", ['subject:"unclosed', "since:yesterday-ish", "larger:lots", "from:"]
)
def test_bad_terms_are_one_clear_error(bad: str) -> None:
    with pytest.raises(query.QueryError) as err:
        query.parse(bad)
    assert err.value.hint


@given(st.text(max_size=60))
def test_any_input_parses_or_fails_cleanly(text: str) -> None:
    try:
        q = query.parse(text)
    except query.QueryError:
        return
    criteria, _charset = query.imap_criteria(q)
    assert criteria
    where, params, fts = query.local_sql(q)
    # The local query is always valid SQL for SQLite/FTS5, whatever the user typed.
    cache = HeaderCache(":memory:")
    cache.store_batch(
        "INBOX", [HeaderRow(1, "", 0, 0, 10, 0, "s", "n", "a@b", "", "", "", "m", "", "", "", 0)]
    )
    try:
        cache.search_where("INBOX", where, params, fts)
    except sqlite3.OperationalError as exc:  # pragma: no cover - the assertion below explains
        raise AssertionError(f"{text!r} → {where!r} {fts!r}: {exc}") from exc
    finally:
        cache.close()


def test_local_search_filters_by_flags_text_and_dates() -> None:
    cache = HeaderCache(":memory:")
    rows = [
        HeaderRow(
            1,
            "\\Seen",
            0,
            0,
            100,
            1767225600,
            "Quarterly report",
            "Alice",
            "alice@x",
            "",
            "",
            "",
            "1",
            "",
            "",
            "",
            0,
        ),
        HeaderRow(
            2, "", 0, 0, 100, 1767312000, "Lunch", "Bob", "bob@x", "", "", "", "2", "", "", "", 0
        ),
        HeaderRow(
            3,
            "\\Flagged Work",
            0,
            0,
            5_000_000,
            1767398400,
            "Grüße",
            "Jürgen",
            "j@x",
            "",
            "",
            "",
            "3",
            "",
            "",
            "",
            0,
        ),
    ]
    cache.store_batch("INBOX", rows)

    def run(text: str) -> list[int]:
        where, params, fts = query.local_sql(query.parse(text))
        return cache.search_where("INBOX", where, params, fts)

    assert run("unseen") == [3, 2]
    assert run("from:alice") == [1]
    assert run("subject:grüße") == [3]
    assert run("label:Work flagged") == [3]
    assert run("larger:1M") == [3]
    assert run("since:2026-01-02") == [3, 2]
    assert run("-from:bob") == [3, 1]
    assert run("quarter") == [1]  # prefix match
    cache.close()


@pytest.mark.parametrize(
    "term",
    [
        "larger:" + "9" * 5000,
        "smaller:99999999999999999999G",
        "since:" + "9" * 5000 + "d",
        "since:99999999999d",
        "before:123456789012y",
    ],
)
def test_absurd_numbers_are_one_clear_error(term: str) -> None:
    with pytest.raises(query.QueryError) as err:
        query.parse(term)
    assert err.value.hint and len(str(err.value)) < 200


def test_a_far_past_day_is_the_first_day() -> None:
    assert query.parse("since:9999999y").terms[0].day == date.min


@given(
    st.lists(
        st.sampled_from([" ", "\t", "\n", "'", '"', "\\", "a", "b:", "-", "é", "\x0b"]),
        max_size=40,
    ).map("".join)
)
def test_words_split_as_shlex_splits_them(text: str) -> None:
    import shlex

    try:
        expected: object = shlex.split(text, posix=True)
    except ValueError as exc:
        expected = ("error", str(exc))
    try:
        got: object = query.split_words(text)
    except ValueError as exc:
        got = ("error", str(exc))
    assert got == expected
