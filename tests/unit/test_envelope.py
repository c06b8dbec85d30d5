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
