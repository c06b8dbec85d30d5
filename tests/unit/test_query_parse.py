"""The search language: parsed once into the query tree, compiled to IMAP SEARCH and to
the cache's SQL; the tree prints back to text that parses to the same tree."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailtui.backend import query
from mailtui.backend.query import (
    And,
    Body,
    Flag,
    From,
    Keyword,
    Larger,
    MessageId,
    Not,
    Or,
    Since,
    Subject,
    Text,
)
from mailtui.cache.store import HeaderCache
from mailtui.imap.search import criteria
from mailtui.model import FLAGGED, SEEN, HeaderRow


def test_example_from_the_docs() -> None:
    q = query.parse('from:alice subject:"q3 report" unseen since:2026-01-01 invoice')
    assert q == And(
        (
            From("alice"),
            Subject("q3 report"),
            Flag(SEEN, False),
            Since(date(2026, 1, 1)),
            Text("invoice"),
        )
    )
    keys, charset = criteria(q)
    assert keys == [
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
    keys, charset = criteria(query.parse("subject:grüße -label:Done larger:2M"))
    assert charset == "UTF-8"
    assert keys == [
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
    assert q.items[0].day == date.today() - timedelta(days=7)  # type: ignore[union-attr]
    assert q.items[1].day == date.today()  # type: ignore[union-attr]


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
    keys, _charset = criteria(q)
    assert keys
    # The local query is always valid SQL for SQLite/FTS5, whatever the user typed.
    cache = HeaderCache(":memory:")
    cache.store_batch(
        "INBOX", [HeaderRow(1, "", 0, 0, 10, 0, "s", "n", "a@b", "", "", "", "m", "", "", "", 0)]
    )
    try:
        cache.search("INBOX", q)
    except sqlite3.OperationalError as exc:  # pragma: no cover - the assertion below explains
        raise AssertionError(f"{text!r} → {q!r}: {exc}") from exc
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
        return cache.search("INBOX", query.parse(text))

    assert run("unseen") == [3, 2]
    assert run("from:alice") == [1]
    assert run("subject:grüße") == [3]
    assert run("label:Work flagged") == [3]
    assert run("larger:1M") == [3]
    assert run("since:2026-01-02") == [3, 2]
    assert run("-from:bob") == [3, 1]
    assert run("quarter") == [1]  # prefix match
    # Trees the language cannot say compile too: Or, a negated And, a Message-ID.
    assert cache.search("INBOX", Or((From("bob"), Flag(FLAGGED)))) == [3, 2]
    assert cache.search("INBOX", Not(And((From("bob"), Flag(SEEN, False))))) == [3, 1]
    assert cache.search("INBOX", Or((Subject("lunch"), Not(Subject("lunch"))))) == [3, 2, 1]
    assert cache.search("INBOX", MessageId("2")) == [2]
    assert cache.search("INBOX", Or(())) == []
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
    assert query.parse("since:9999999y") == And((Since(date.min),))


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


# --- the tree -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("", And()),
        ("-unseen", And((Not(Flag(SEEN, False)),))),
        ("is:starred", And((Flag(FLAGGED),))),
        ("tag:Work -keyword:Done", And((Keyword("Work"), Not(Keyword("Done"))))),
        ("FROM:Alice foo:bar", And((From("Alice"), Text("foo:bar")))),
        ("'unseen' body:x", And((Flag(SEEN, False), Body("x")))),
        ("larger:2k -", And((Larger(2048), Text("-")))),
    ],
)
def test_the_tree_of_a_query(text: str, tree: And) -> None:
    assert query.parse(text) == tree


def test_nul_cr_lf_never_reach_a_term() -> None:
    """IMAP strings cannot carry them (RFC 9051 §4.3): NUL goes, CR and LF become blanks."""
    assert query.parse("subject:'a\x00b\rc\nd'") == And((Subject("ab c d"),))


_WORDS = st.sampled_from(
    [
        "from:alice",
        "-from:bob",
        'subject:"q3 report"',
        "subject:'it''s'",
        'text:"say \\"hi\\""',
        "body:x",
        "unseen",
        "-seen",
        "is:flagged",
        "unflagged",
        "answered",
        "-draft",
        "label:Work",
        "-tag:''",
        "since:7d",
        "before:today",
        "on:2026-01-03",
        "date:yesterday",
        "larger:2M",
        "smaller:20k",
        "foo:bar",
        "-x",
        "''",
        "-",
        "grüße",
        "text:unseen",
        "text:-x",
        "\\-a",
    ]
)


@given(st.lists(_WORDS, max_size=6).map(" ".join) | st.text(max_size=40))
def test_a_tree_prints_as_text_that_parses_back_to_it(text: str) -> None:
    try:
        tree = query.parse(text)
    except query.QueryError:
        return
    shown = query.format_query(tree)
    assert query.parse(shown) == tree, shown


def test_trees_the_language_cannot_say_are_refused() -> None:
    for tree in (
        Or((From("a"), From("b"))),
        And((And((From("a"),)),)),
        MessageId("x@y"),
        Flag("\\Deleted"),
        Not(Not(From("a"))),
        Not(Text("")),
    ):
        with pytest.raises(ValueError):
            query.format_query(tree)


def test_or_and_grouping_become_nested_search_keys() -> None:
    tree = Or((From("a"), And((Flag(SEEN), Larger(5))), Not(Keyword("Done"))))
    assert criteria(tree) == (
        ["OR", "FROM", "a", "OR", ["SEEN", "LARGER", "5"], "NOT", "KEYWORD", "Done"],
        None,
    )
    assert criteria(Not(And((Flag(SEEN), From("ü"))))) == (
        ["NOT", ["SEEN", "FROM", "ü"]],
        "UTF-8",
    )
    assert criteria(Or(())) == (["NOT", "ALL"], None)
    assert criteria(MessageId("m@x")) == (["HEADER", "Message-ID", "<m@x>"], None)
