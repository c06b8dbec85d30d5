"""The cold-sync fast path (mime.envelope) must agree with the complete parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.mime.envelope import header_row
from mailtui.mime.parse import parse_message
from tests.support import mailgen

CONTROL = set(map(chr, range(32))) | {"\x7f"} | set(map(chr, range(0x80, 0xA0)))


def _head(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


def test_fast_path_matches_the_full_parser_on_generated_mail() -> None:
    for msg in mailgen.generate(3000, seed=5, non_ascii_ratio=0.5, thread_ratio=0.6):
        row = header_row(1, ("\\Seen",), 7, 1000, len(msg.raw), _head(msg.raw))
        full = parse_message(msg.raw)
        assert row.subject == full.subject, msg.raw[:300]
        assert (row.from_name, row.from_addr) == (full.from_[0].name, full.from_[0].addr)
        assert row.date == (full.date or 1000)
        assert row.message_id == full.message_id
        assert row.in_reply_to == full.in_reply_to
        assert row.references.split() == list(full.references)


@settings(max_examples=300, deadline=None)
@given(
    subject=st.text(max_size=80),
    name=st.text(max_size=30),
    date=st.text(alphabet="0123456789 :+-ADFJMNOSTacbeglnoprtuvy,", max_size=40),
)
def test_hostile_header_values_come_out_clean(subject: str, name: str, date: str) -> None:
    block = (f"Subject: {subject}\r\nFrom: {name} <a@example.test>\r\nDate: {date}\r\n\r\n").encode(
        "utf-8", "surrogateescape"
    )
    row = header_row(1, (), 0, 5, 10, block)
    for value in (row.subject, row.from_name, row.from_addr):
        assert not (set(value) & CONTROL)
    assert isinstance(row.date, int)


def test_escape_sequences_and_markup_are_neutralised() -> None:
    block = b'Subject: hi \x1b[31mred\x07 [bold]x[/]\r\nFrom: "Eve\x1b]8;;x\x07" <e@x.test>\r\n\r\n'
    row = header_row(1, (), 0, 5, 10, block)
    assert "\x1b" not in row.subject and "\x07" not in row.subject
    assert "[bold]x[/]" in row.subject  # markup stays literal text; rendering never parses it
    assert "\x1b" not in row.from_name


def _broken_blocks() -> dict[str, bytes]:
    """Header blocks a parser can choke on, each with a recognisable Subject."""
    subject = b"Subject: broken \x1b[31m one\r\n"
    return {
        "binary": subject + bytes(range(256)) * 64,
        "nul-and-lone-cr": subject + b"From: a\x00b\rc\r\r\nTo: \x00\x00\r\n",
        "surrogate-bytes": subject + b"From: \xed\xa0\x80 <\xed\xb0\x80@x>\r\n",
        "unterminated-fold": subject + b"From: a\r\n" + b" \r\n" * 5000,
        "whitespace-class-from": subject + b"From: " + b"\x1c\x0b\x0c\x1f" * 25_000 + b"x\r\n",
        "angle-runs": subject + b"To: " + b"<" * 50_000 + b"\r\nFrom: " + b">" * 50_000 + b"\r\n",
        "encoded-word-storm": subject + b"From: " + b"=?utf-8?q?" * 10_000 + b"\r\n",
        "ten-megabytes": subject + b"References: " + b"<a@b> " * 1_700_000 + b"\r\n",
    }


def test_broken_header_blocks_are_still_listed_with_a_safe_subject() -> None:
    """Each broken block becomes a row (never an exception, never a stall: the block is
    cut at 64 KB and parsed in linear time), its subject made safe."""
    for name, block in _broken_blocks().items():
        row = header_row(42, ("\\Seen",), 3, 1000, len(block), block)
        assert row.uid == 42 and row.flags == "\\Seen", name
        assert row.subject == "broken ␛[31m one", (name, row.subject)
        for value in (row.subject, row.from_name, row.from_addr, row.to, row.references):
            assert not (set(value) & CONTROL), (name, value[:80])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_header_row_never_raises(noise: bytes) -> None:
    for block in (noise, b"Subject: s\r\nFrom: " + noise, b"Date: " + noise + b"\r\n"):
        row = header_row(1, (), 0, 7, len(block), block)
        assert isinstance(row.subject, str) and isinstance(row.date, int)
