"""Every function that reads a stranger's bytes runs in linear time (issue 12).

Each runs on generated adversarial input (tests/support/hostile.py) at two sizes, ten
times apart; the larger may cost at most LIMIT (30) times the smaller. A quadratic
function costs 100 times more, a cubic one 1,000 times. A linear one measured 10–17
times on CI: a 100 KB input leaves the CPU caches that a 10 KB one fits in (CI failed
once at 15 with normalize_msgid at ×17, which is linear: 1.2 / 11.7 / 62 ms at 10 KB /
100 KB / 1 MB here). This is a complexity test, not a
wall-clock one: no absolute time is asserted.

Cost is the CPU time of this thread (time.thread_time), best of a few runs with the
garbage collector off, the two sizes timed in turn. Not time.perf_counter: on a shared
machine a run of more than a few milliseconds is nearly always interrupted by other
processes, which made linear functions look 20–30 times slower at ten times the size.
A ratio over the limit is measured again before it counts, and a large run under FLOOR
passes whatever the ratio (timer noise on sub-millisecond runs).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from mailtui.backend import query
from mailtui.cache.search import compile_query
from mailtui.imap.search import criteria
from mailtui.maildir.search import matcher
from mailtui.mime.envelope import HEADER_BLOCK_CAP, header_row
from mailtui.mime.html import unescape
from mailtui.mime.parse import parse_message, transfer_decode
from mailtui.mime.render import (
    plain_links,
    reflow_flowed,
    render_body,
    render_message,
    render_part,
    split_blocks,
)
from mailtui.mime.threads import base_subject
from mailtui.model import BodyPart
from mailtui.text.addresses import parse_addresses
from mailtui.text.charset import decode_bytes
from mailtui.text.dates import parse_date
from mailtui.text.encoded_words import decode_header
from mailtui.text.msgids import normalize_msgid, parse_msgids
from mailtui.text.safe import clean_line, clean_text, safe_filename
from tests.support import hostile

SMALL, LARGE = 10_000, 100_000
LIMIT = 30.0
FLOOR = 0.002
ROUNDS = 2
ATTEMPTS = 3


def _time(fn: Callable[[Any], object], arg: Any) -> float:
    start = time.thread_time()
    fn(arg)
    return time.thread_time() - start


def growth(fn: Callable[[Any], object], small: Any, large: Any) -> tuple[float, float]:
    """(best time on `small`, best time on `large`), re-measured while over the limit."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        t_small = t_large = math.inf
        for _ in range(ATTEMPTS):
            for _ in range(ROUNDS):
                t_small = min(t_small, _time(fn, small))
                t_large = min(t_large, _time(fn, large))
            if t_large <= max(LIMIT * t_small, FLOOR):
                break
        return t_small, t_large
    finally:
        if gc_was_on:
            gc.enable()


def assert_linear(
    what: str, fn: Callable[[Any], object], cases: Iterable[tuple[str, Any, Any]]
) -> None:
    """Every (shape, small input, large input) grows at most LIMIT-fold."""
    slow: list[str] = []
    for shape, small, large in cases:
        t_small, t_large = growth(fn, small, large)
        if t_large > max(LIMIT * t_small, FLOOR):
            slow.append(
                f"{shape}: {t_small * 1000:.2f} ms → {t_large * 1000:.2f} ms "
                f"(×{t_large / max(t_small, 1e-9):.0f})"
            )
    assert not slow, f"{what} grows faster than linear on: " + "; ".join(slow)


def _pairs(make: Callable[[int], dict[str, Any]], small: int = SMALL, large: int = LARGE):
    a, b = make(small), make(large)
    return [(shape, a[shape], b[shape]) for shape in a]


# --------------------------------------------------------------------------- headers


def test_header_row_is_linear() -> None:
    # Below the 64 KB cap, so that the cap cannot hide a super-linear parser.
    small, large = HEADER_BLOCK_CAP // 10, HEADER_BLOCK_CAP - 200
    assert_linear(
        "header_row",
        lambda block: header_row(1, (), 0, 0, len(block), block),
        _pairs(hostile.header_blocks, small, large),
    )


def test_header_row_reads_at_most_the_cap() -> None:
    """Past the cap the cost stops growing: a 10 MB header block costs what 64 KB does."""
    block = b"From: " + b"\x1c" * 10_000_000 + b"x\r\n"
    capped = block[:HEADER_BLOCK_CAP]
    t_capped, t_huge = growth(lambda b: header_row(1, (), 0, 0, 1, b), capped, block)
    assert t_huge <= max(3 * t_capped, FLOOR), (t_capped, t_huge)


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("parse_addresses", parse_addresses),
        ("decode_header", decode_header),
        ("parse_msgids", parse_msgids),
        ("normalize_msgid", normalize_msgid),
        ("parse_date", parse_date),
        ("base_subject", base_subject),
        ("clean_line", clean_line),
        ("safe_filename", safe_filename),
        ("unescape", unescape),
    ],
)
def test_header_functions_are_linear(name: str, fn: Callable[[str], object]) -> None:
    assert_linear(name, fn, _pairs(hostile.header_values))


def test_header_decoding_is_linear_on_raw_bytes() -> None:
    # (header_row above takes the other functions through their bytes paths.)
    def as_bytes(size: int) -> dict[str, bytes]:
        return {
            k: v.encode("utf-8", "surrogateescape") for k, v in hostile.header_values(size).items()
        }

    assert_linear("decode_header(bytes)", decode_header, _pairs(as_bytes))


@pytest.mark.parametrize("charset", hostile.CHARSETS)
def test_charset_decoding_is_linear(charset: str) -> None:
    assert_linear(
        f"decode_bytes({charset})",
        lambda data: decode_bytes(data, charset),
        _pairs(hostile.charset_payloads),
    )


# --------------------------------------------------------------------------- MIME


def _walk(raw: bytes) -> None:
    """Parse, then take out the bytes of every part a reader or a save can ask for (the
    leaves and the attached messages)."""
    parsed = parse_message(raw)
    stack = [parsed.structure]
    while stack:
        part = stack.pop()
        stack.extend(part.children)
        if part.section and (not part.children or part.mime_type == "message/rfc822"):
            parsed.part_bytes(part.section)


def test_mime_walking_is_linear() -> None:
    assert_linear("parse_message", _walk, _pairs(hostile.mime_messages))


def test_transfer_decoding_is_linear() -> None:
    assert_linear(
        "transfer_decode",
        lambda pair: transfer_decode(pair[1], pair[0]),
        _pairs(hostile.transfer_encoded),
    )


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("reflow_flowed", lambda text: reflow_flowed(text, False)),
        ("reflow_flowed(delsp)", lambda text: reflow_flowed(text, True)),
        ("split_blocks", split_blocks),
        ("render_body", lambda text: render_body(text, width=80)),
        ("plain_links", plain_links),
        ("clean_text", clean_text),
    ],
)
def test_text_body_functions_are_linear(name: str, fn: Callable[[str], object]) -> None:
    assert_linear(name, fn, _pairs(hostile.text_bodies))


def _part(mime_type: str, **params: str) -> BodyPart:
    return BodyPart(
        section="1",
        mime_type=mime_type,
        params=tuple(params.items()),
        encoding="8bit",
    )


@pytest.mark.parametrize(
    ("label", "part", "make"),
    [
        # html_to_text at width 80, behind the charset decoding and the cap.
        ("html", _part("text/html", charset="utf-8"), hostile.html_documents),
        ("plain", _part("text/plain", charset="utf-8"), hostile.text_bodies),
        ("flowed", _part("text/plain", format="flowed", delsp="yes"), hostile.text_bodies),
    ],
)
def test_render_part_is_linear(label: str, part: BodyPart, make: Callable) -> None:
    def as_bytes(size: int) -> dict[str, bytes]:
        return {k: v.encode("utf-8", "surrogatepass") for k, v in make(size).items()}

    assert_linear(
        f"render_part({label})",
        lambda payload: render_part(part, payload, width=80),
        _pairs(as_bytes),
    )


def test_a_whole_message_renders_in_linear_time() -> None:
    def message(size: int) -> dict[str, bytes]:
        # Every fifth header shape with every fifth HTML shape: the parts are each tested
        # on all their shapes above; this is the whole path, end to end.
        heads = list(hostile.header_values(size))[::5]
        docs = list(hostile.html_documents(size).values())[::5]
        blocks = hostile.header_blocks(size)
        return {
            shape: blocks[f"From:{shape}"][:-2]
            + b"Content-Type: text/html\r\n\r\n"
            + doc.encode("utf-8", "surrogatepass")
            for shape, doc in zip(heads, docs, strict=False)
        }

    def show(raw: bytes) -> None:
        parsed = parse_message(raw)
        render_message(parsed, width=80)

    assert_linear("render_message", show, _pairs(message))


# --------------------------------------------------------------------------- search


def _parse_query(text: str) -> None:
    try:
        query.parse(text)
    except query.QueryError:
        pass


def test_search_parsing_is_linear() -> None:
    assert_linear("query.parse", _parse_query, _pairs(hostile.queries))


def _compile_query(text: str) -> None:
    try:
        tree = query.parse(text)
    except query.QueryError:
        return
    criteria(tree)
    compile_query(tree)
    matcher(tree)


def test_search_compiling_is_linear() -> None:
    """The tree of a hostile query costs each compiler linear time too (SEARCH criteria,
    the cache's SQL, the Maildir test)."""
    assert_linear("query compilers", _compile_query, _pairs(hostile.queries))
