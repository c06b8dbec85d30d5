"""The lean IMAP reader (mailtui.imap.wire) on hostile byte streams.

Every parse failure is a `MalformedResponse` (a ProtocolError: the session drops the
connection on it), never a ValueError, OverflowError, RecursionError or a read to EOF;
lines and literals are capped; scanning is linear (checked at two sizes: the larger
may cost at most 15× the smaller for 10× the input). The same cases against a live
(scripted) server are in tests/imap/test_hostile_server.py.
"""

from __future__ import annotations

import gc
import io
import time

import pytest

from mailtui.backend import UID_MAX
from mailtui.errors import ConnectionLost, MalformedResponse
from mailtui.imap import parse, scan, wire
from mailtui.imap.parse import parse_search
from mailtui.imap.wire import MAX_HEADER_LITERAL, MAX_LINE, ResponseReader


class Endless(io.RawIOBase):
    """`head`, then `fill` bytes forever (never a newline): a 100 MB line costs nothing
    to make, and `served` says how much of it the reader took."""

    def __init__(self, head: bytes, fill: bytes = b"x") -> None:
        self.head = head
        self.fill = fill
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: memoryview) -> int:  # type: ignore[override]
        n = len(buf)
        if self.served < len(self.head):
            chunk = self.head[self.served : self.served + n]
        else:
            skip = (self.served - len(self.head)) % len(self.fill)
            chunk = (self.fill * (n // len(self.fill) + 2))[skip : skip + n]
        buf[: len(chunk)] = chunk
        self.served += len(chunk)
        return len(chunk)


def reader(data: bytes, **kwargs: object) -> ResponseReader:
    return ResponseReader(io.BufferedReader(io.BytesIO(data)), **kwargs)  # type: ignore[arg-type]


def read(data: bytes, **kwargs: object) -> parse.Response:
    return reader(data, **kwargs).until_tagged(b"A1")


def test_a_line_without_end_is_refused_after_reading_at_most_the_cap() -> None:
    stream = Endless(b"* OK ")
    with pytest.raises(MalformedResponse, match="longer than"):
        ResponseReader(io.BufferedReader(stream)).until_tagged(b"A1")
    assert stream.served <= MAX_LINE + 2 * io.DEFAULT_BUFFER_SIZE


def test_a_search_line_may_be_longer_but_is_capped_too() -> None:
    stream = Endless(b"* SEARCH ", b"1 ")
    with pytest.raises(MalformedResponse, match="UID list longer"):
        ResponseReader(io.BufferedReader(stream)).until_tagged(b"A1")
    assert stream.served <= wire.MAX_SET_LINE + MAX_LINE + 2 * io.DEFAULT_BUFFER_SIZE
    # ... while two million UIDs without ESEARCH (about 15 MB) are read.
    line = b"* SEARCH " + b" ".join(str(u).encode() for u in range(1, 2_000_001)) + b"\r\n"
    assert len(parse_search(read(line + b"A1 OK done\r\n"))) == 2_000_000


@pytest.mark.parametrize(
    "marker", [b"{-1}", b"{-5}", b"{1_0}", b"{0x10}", b"{+5}", b"{1" + b"0" * 30 + b"}", b"{5 }"]
)
def test_a_literal_size_that_is_not_plain_digits_is_refused(marker: bytes) -> None:
    data = b"* 1 FETCH (UID 5 BODY[HEADER] " + marker + b"\r\n" + b"x" * 64 + b")\r\nA1 OK\r\n"
    with pytest.raises(MalformedResponse):
        read(data)


def test_a_literal_above_the_cap_is_refused_before_it_is_read() -> None:
    size = MAX_HEADER_LITERAL + 1
    stream = Endless(b"* 1 FETCH (UID 5 BODY[HEADER] {" + str(size).encode() + b"}\r\n")
    with pytest.raises(MalformedResponse, match="literal of"):
        ResponseReader(io.BufferedReader(stream)).until_tagged(b"A1")
    assert stream.served < 64 * 1024
    # A body part may be bigger: the command chooses the cap.
    body = b"y" * size
    data = b"* 1 FETCH (UID 5 BODY[1] {%d}\r\n" % size + body + b")\r\nA1 OK\r\n"
    resp = read(data, max_literal=wire.MAX_PART_LITERAL)
    assert resp.fetches[0].sections == {"1": body}


def test_literal8_and_literal_plus_markers_still_read() -> None:
    data = b"* 1 FETCH (UID 5 BINARY[1] ~{3}\r\nabc)\r\n* 2 FETCH (UID 6 BODY[1] {2+}\r\nde)\r\n"
    resp = read(data + b"A1 OK\r\n")
    assert [(f.uid, f.sections) for f in resp.fetches] == [(5, {"1": b"abc"}), (6, {"1": b"de"})]


@pytest.mark.parametrize("value", [b"0", b"4294967296", b"4294967297", b"1" * 4300, b"-3", b"1_0"])
def test_a_uid_outside_1_to_2_32_is_refused(value: bytes) -> None:
    for line in (
        b"* 1 FETCH (UID " + value + b" FLAGS (\\Seen))\r\n",
        b"* 1 FETCH (FLAGS (\\Seen) UID " + value + b" BODY[HEADER] {1}\r\nx)\r\n",
        b"* SEARCH 3 " + value + b"\r\n",
        b'* ESEARCH (TAG "A1") UID ALL 1:' + value + b"\r\n",
    ):
        with pytest.raises(MalformedResponse):
            parse_search(read(line + b"A1 OK\r\n"))


def test_the_highest_uid_is_accepted() -> None:
    resp = read(b"* 1 FETCH (UID 4294967295 FLAGS ())\r\nA1 OK\r\n")
    assert resp.fetches[0].uid == UID_MAX


@pytest.mark.parametrize(
    "line",
    [
        b"* " + b"9" * 4300 + b" EXISTS\r\n",
        b"* 1 FETCH (UID 5 MODSEQ (" + b"9" * 4300 + b"))\r\n",
        b"* 1 FETCH (UID 5 RFC822.SIZE " + b"9" * 30 + b")\r\n",
        b"* 1 FETCH (UID 5 MODSEQ (9223372036854775808))\r\n",
    ],
)
def test_numbers_too_long_for_their_field_are_refused(line: bytes) -> None:
    with pytest.raises(MalformedResponse):
        resp = read(line + b"A1 OK\r\n")
        [u.number for u in resp.untagged]


def test_a_huge_year_is_an_unknown_date_not_a_crash() -> None:
    for date in (b"17-Jul-" + b"9" * 4300, b"17-Jul-99999999999999999999", b"01-Jan-0000"):
        line = b'* 1 FETCH (UID 5 INTERNALDATE "' + date + b' 02:44:25 -0700" FLAGS ())\r\n'
        assert read(line + b"A1 OK\r\n").fetches[0].internaldate == 0
    good = b'* 1 FETCH (UID 5 INTERNALDATE "17-Jul-1996 02:44:25 -0700")\r\nA1 OK\r\n'
    assert read(good).fetches[0].internaldate == 837596665


def test_ten_thousand_nested_parentheses_are_refused() -> None:
    nested = b"(" * 10_000 + b")" * 10_000
    for line in (
        b"* LIST " + nested + b' "/" INBOX\r\n',
        b"* STATUS INBOX " + nested + b"\r\n",
    ):
        resp = read(line + b"A1 OK\r\n")
        with pytest.raises(MalformedResponse, match="nested"):
            resp.untagged[0].tokens()
    with pytest.raises(MalformedResponse, match="nested"):
        read(b"* 1 FETCH (UID 5 X-THING " + nested + b")\r\nA1 OK\r\n")


def test_a_nil_status_value_is_left_out() -> None:
    from mailtui.imap.folders import _status_pairs

    resp = read(b"* STATUS INBOX (MESSAGES NIL UIDNEXT 7 UNSEEN 2)\r\nA1 OK\r\n")
    assert _status_pairs(resp.untagged[0].tokens()[2]) == {b"UIDNEXT": 7, b"UNSEEN": 2}
    resp = read(b"* STATUS INBOX (MESSAGES 1_0)\r\nA1 OK\r\n")
    with pytest.raises(MalformedResponse):
        _status_pairs(resp.untagged[0].tokens()[2])


@pytest.mark.parametrize(
    "data",
    [
        b"* 1 FETCH (UID 5 FLAGS (\\Seen)\r\nA1 OK\r\n",  # unclosed
        b'* 1 FETCH (UID 5 "x")\r\nA1 OK\r\n',
        b'* 1 FETCH (UID 5 BODY[HEADER "x")\r\nA1 OK\r\n',
        b"* 1 FETCH (UID 5) trailing\r\nA1 OK\r\n",
        b"+ go ahead\r\nA1 OK\r\n",
        b"garbage\r\nA1 OK\r\n",
        b"A1 MAYBE\r\n",
    ],
)
def test_unreadable_responses_are_malformed(data: bytes) -> None:
    with pytest.raises(MalformedResponse):
        read(data)


def test_end_of_stream_is_a_lost_connection_not_a_malformed_reply() -> None:
    with pytest.raises(ConnectionLost) as info:
        read(b"* 1 FETCH (UID 5 BODY[HEADER] {10}\r\nabc")
    assert not isinstance(info.value, MalformedResponse)


def test_one_reply_is_capped_however_many_responses_it_has() -> None:
    stream = Endless(b"", b"* 1 EXISTS\r\n")
    with pytest.raises(MalformedResponse, match="for one command"):
        ResponseReader(io.BufferedReader(stream)).until_tagged(b"A1")
    assert stream.served < 8 << 20  # (160 MiB of estimated cost: ~6 MB of such lines)


def test_an_esearch_range_bomb_is_two_integers() -> None:
    resp = read(b'* ESEARCH (TAG "A1") UID ALL 1:4294967295\r\nA1 OK\r\n')
    found = parse_search(resp)
    assert len(found) == UID_MAX and found.compress() == "1:4294967295"


# Ten times the input may cost at most 30 times as much: quadratic costs 100 times. A
# linear scan measured up to 17.6 times here (0.024 s → 0.425 s for LIST + 50 parens +
# "a " runs) once the larger input no longer fits the CPU caches, so 15 failed by chance.
GROWTH_LIMIT = 30


def _seconds(fn: object, *args: object) -> float:
    """The best of five CPU times (other processes do not count), with the cyclic GC
    off: its full collections cost O(heap) and would make any allocation look
    superlinear."""
    best = float("inf")
    gc.disable()
    try:
        for _ in range(5):
            started = time.process_time()
            try:
                fn(*args)  # type: ignore[operator]
            except MalformedResponse:
                pass
            best = min(best, time.process_time() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: b"A" * n + b")\r\n",  # one long atom (27 s for 40 KB before)
        lambda n: b"UID 5 X " + b"a " * (n // 2) + b")\r\n",
        lambda n: b"UID 5 X (" + b'"a" ' * (n // 4) + b"))\r\n",
        lambda n: b"UID 5 X (" + b"(" * 90 + b"a " * (n // 2) + b")" * 91 + b")\r\n",
        lambda n: b'UID 5 X "' + b"\\a" * (n // 2) + b")\r\n",
        lambda n: b"UID 5 BODY[" + b"[" * n + b" {1}\r\n",
        lambda n: b"UID 5 FLAGS (" + b"\\Seen " * (n // 6) + b"\r\n",
    ],
)
def test_fetch_scanning_is_linear(shape: object) -> None:
    small, large = shape(50_000), shape(500_000)  # type: ignore[operator]
    t_small = _seconds(parse.parse_fetch, 1, [small], [b"x"])
    t_large = _seconds(parse.parse_fetch, 1, [large], [b"x"])
    # (A floor of 1 ms: below it, timer and cache noise decide the ratio.)
    assert t_large <= GROWTH_LIMIT * max(t_small, 1e-3), (t_small, t_large)


@pytest.mark.parametrize(
    "shape",
    [
        lambda n: b"LIST " + b"a" * n + b"\r\n",
        lambda n: b'LIST "' + b"a" * n + b"\r\n",
        lambda n: b"LIST " + b"(" * 50 + b"a " * (n // 2) + b"\r\n",
        lambda n: b"LIST " + b"{" * n + b"\r\n",
    ],
)
def test_tokenizing_is_linear(shape: object) -> None:
    small, large = shape(50_000), shape(500_000)  # type: ignore[operator]
    t_small = _seconds(scan.tokenize, [small], [])
    t_large = _seconds(scan.tokenize, [large], [])
    assert t_large <= GROWTH_LIMIT * max(t_small, 1e-3), (t_small, t_large)
