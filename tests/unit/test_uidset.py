"""UidSet and UidMap: UID sets stay ranges, whatever a server sends.

A server's `1:4294967295` must cost two integers, not four billion; every operation a
caller needs (count, membership, intersection with what the cache knows, difference,
the text of a command) works on the ranges. Parsing is strict: a UID is 1 ≤ uid < 2^32
written in ASCII digits, anything else is a ProtocolError.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailtui.backend import UID_MAX, UidMap, UidSet, compress_uids
from mailtui.errors import MalformedResponse, ProtocolError

uids = st.integers(min_value=1, max_value=UID_MAX)
# Sets whose UIDs cluster, so that ranges, gaps and neighbours all occur.
small_uids = st.integers(min_value=1, max_value=60)
uid_sets = st.one_of(st.sets(small_uids, max_size=40), st.sets(uids, max_size=20))


@given(uid_sets)
def test_parse_of_compress_round_trips(values: set[int]) -> None:
    if not values:
        return
    text = UidSet(values).compress()
    assert UidSet.parse(text) == sorted(values)
    assert UidSet.parse(text.encode()).compress() == text
    assert compress_uids(values) == text


@given(uid_sets, uid_sets)
def test_set_operations_agree_with_python_sets(a: set[int], b: set[int]) -> None:
    sa, sb = UidSet(a), UidSet(b)
    assert list(sa) == sorted(a) and len(sa) == len(a)
    assert list(reversed(sa)) == sorted(a, reverse=True)
    assert list(sa & sb) == sorted(a & b)
    assert list(sa | sb) == sorted(a | b)
    assert list(sa - sb) == sorted(a - b)
    assert list(sa & b) == sorted(a & b)  # any iterable of UIDs on the right
    for uid in (*a, *b, 1, UID_MAX):
        assert (uid in sa) == (uid in a)
    existing = sorted(b)
    assert sa.within(existing) == sorted(a & b)
    assert sa.pick(existing) == sorted(a & b)


@given(st.lists(st.tuples(small_uids, small_uids), min_size=1, max_size=12))
def test_ranges_in_any_order_and_direction_merge(pairs: list[tuple[int, int]]) -> None:
    text = ",".join(f"{a}:{b}" for a, b in pairs)
    expected = set()
    for a, b in pairs:
        expected |= set(range(min(a, b), max(a, b) + 1))
    got = UidSet.parse(text)
    assert list(got) == sorted(expected)
    # Merged: no two ranges touch.
    ranges = list(got.ranges())
    assert all(prev[1] + 1 < nxt[0] for prev, nxt in itertools.pairwise(ranges))


def test_a_range_bomb_costs_its_ranges_not_its_uids() -> None:
    tracemalloc.start()
    try:
        started = time.process_time()
        bomb = UidSet.parse(b"1:4294967295")
        assert len(bomb) == UID_MAX and 77 in bomb and UID_MAX in bomb and 0 not in bomb
        assert list((bomb & UidSet([5, 9, 2**31])).ranges()) == [(5, 5), (9, 9), (2**31, 2**31)]
        assert (bomb - UidSet.span(2, UID_MAX)).compress() == "1"
        assert bomb.compress() == "1:4294967295"
        assert bomb.pick([3, 4, 10]) == [3, 4, 10]
        mapping = UidMap(b"1:4294967295", b"4294967295:1")
        assert len(mapping) == UID_MAX and mapping[1] == UID_MAX and mapping[UID_MAX] == 1
        assert mapping.restrict([10, 20]) == {10: UID_MAX - 9, 20: UID_MAX - 19}
        elapsed = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"a range bomb took {peak:,} bytes"
    assert elapsed < 1.0


@pytest.mark.parametrize(
    "text",
    [
        b"0",
        b"4294967296",
        b"4294967297",
        b"1:4294967296",
        b"1:-5",
        b"-1",
        b"+1",
        b"1_0",
        b"0x10",
        b"1,,2",
        b"1,",
        b",1",
        b"1:",
        b":5",
        b"1 2",
        b"*",
        b"",
        b"   ",
        "\u0661".encode(),  # an Arabic-Indic digit: str.isdigit() says yes
        b"1" * 4300,
        b"9" * 11,
    ],
)
def test_anything_but_a_uid_set_is_a_protocol_error(text: bytes) -> None:
    with pytest.raises(ProtocolError):
        UidSet.parse(text)
    with pytest.raises(MalformedResponse):
        UidSet.parse(text.decode("utf-8"))


def test_star_only_where_the_caller_says_what_it_is() -> None:
    assert UidSet.parse("2:*", star=9) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert UidSet.parse("12:*", star=9) == [9, 10, 11, 12]  # "n:*" includes the highest
    assert UidSet.parse("*", star=7) == [7]


@given(st.lists(st.tuples(small_uids, small_uids), min_size=1, max_size=8), st.data())
def test_copyuid_pairs_up_in_the_order_written(
    pairs: list[tuple[int, int]], data: st.DataObject
) -> None:
    """RFC 4315 §3: source and destination pair up in order; a range may run down."""
    source = [u for a, b in pairs for u in (range(a, b + 1) if a <= b else range(a, b - 1, -1))]
    if len(set(source)) != len(source):
        with pytest.raises(ValueError):
            UidMap(_ordered_text(pairs), _ordered_text([(1000, 999 + len(source))]))
        return
    dest = data.draw(st.permutations(range(500, 500 + len(source))))
    dest_text = _ordered_text([(d, d) for d in dest])
    mapping = UidMap(_ordered_text(pairs), dest_text)
    assert len(mapping) == len(source)
    assert dict(mapping.items()) == dict(zip(source, dest, strict=True))
    assert mapping.restrict([*source, 9999]) == dict(zip(source, dest, strict=True))
    assert 9999 not in mapping and mapping.get(9999) is None


def test_copyuid_sets_of_different_sizes_pair_nothing() -> None:
    with pytest.raises(ValueError):
        UidMap(b"1:3", b"10:11")
    with pytest.raises(MalformedResponse):
        UidMap(b"1:0", b"5")


def _ordered_text(pairs: list[tuple[int, int]]) -> str:
    return ",".join(f"{a}:{b}" if a != b else str(a) for a, b in pairs)


def test_uid_ranges_gives_the_bounds_as_written() -> None:
    from mailtui.backend.uidset import uid_ranges

    assert list(uid_ranges("9:3,7,5:*", star=0)) == [(9, 3), (7, 7), (5, 0)]
    with pytest.raises(MalformedResponse):
        list(uid_ranges("1,,2"))


def test_a_maildir_fetch_rescans_only_for_uids_written_past_uidnext() -> None:
    """'uidnext:*' (how a sync asks for new mail) is answered from the folder as
    selected; a UID written out at or past UIDNEXT means another session numbered it."""
    from types import SimpleNamespace

    from mailtui.maildir.base import mentions_unknown

    view = SimpleNamespace(uidnext=31)
    assert not mentions_unknown("31:*", view)  # type: ignore[arg-type]
    assert not mentions_unknown("*", view)  # type: ignore[arg-type]
    assert not mentions_unknown("1:30", view)  # type: ignore[arg-type]
    assert mentions_unknown("29,31", view)  # type: ignore[arg-type]
    assert mentions_unknown("*:40", view)  # type: ignore[arg-type]
    assert mentions_unknown("40:1", view)  # type: ignore[arg-type]
    assert not mentions_unknown("not a set", view)  # type: ignore[arg-type]
