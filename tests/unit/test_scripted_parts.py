"""The scripted IMAP server's pure parts: command tokens, sets, names, dates, MIME sections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient import imap_utf7

from tests.support import mailgen
from tests.support.scripted_imap import mime
from tests.support.scripted_imap.protocol import (
    Literal,
    ParseError,
    compress,
    format_internaldate,
    ordered,
    parse_internaldate,
    parse_set,
    pick,
    string,
    tokenize,
    utf7_decode,
    utf7_encode,
)


def test_tokenize_atoms_strings_lists_sections_and_literals() -> None:
    parts = [
        b'A1 UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10> "q\\"x")',
    ]
    assert tokenize(parts) == [
        "A1",
        "UID",
        "FETCH",
        "1:*",
        ["UID", "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.10>", b'q"x'],
    ]
    with_literal = tokenize([b"A2 SEARCH CHARSET UTF-8 (SUBJECT ", Literal("grüße".encode()), b")"])
    assert with_literal[-1] == ["SUBJECT", "grüße".encode()]
    assert isinstance(with_literal[-1][1], Literal)
    for bad in (b"A3 LIST (", b"A4 LIST )", b'A5 LOGIN "open'):
        with pytest.raises(ParseError):
            tokenize([bad])


def test_sequence_sets() -> None:
    assert parse_set("1:3,7,9:*", 12) == [(1, 3), (7, 7), (9, 12)]
    assert parse_set("559:*", 100) == [(100, 559)]  # n:* includes the top (RFC 9051 §6.4.9)
    assert pick([2, 4, 6, 8], parse_set("3:7,8", 8)) == [4, 6, 8]
    assert pick([5, 9], parse_set("1:4294967295", 9)) == [5, 9]
    assert pick([], parse_set("*", 0)) == []
    assert compress([5, 1, 2, 3, 9, 10]) == "1:3,5,9:10"
    assert ordered([5, 6, 2, 3, 4]) == "5:6,2:4"
    for bad in ("", "0", "1:x", "1,,2"):
        with pytest.raises(ParseError):
            parse_set(bad, 5)


@given(st.text(min_size=1, max_size=30))
def test_modified_utf7_agrees_with_imapclient(name: str) -> None:
    encoded = utf7_encode(name)
    assert encoded == imap_utf7.encode(name).decode("ascii")
    assert utf7_decode(encoded) == name


def test_strings_and_dates_on_the_wire() -> None:
    assert string("plain") == b'"plain"'
    assert string('say "hi" \\') == b'"say \\"hi\\" \\\\"'
    assert string("grüße") == b"{7}\r\n" + "grüße".encode()
    assert string(None) == b"NIL"
    when = datetime(2024, 1, 8, 18, 40, 52, tzinfo=timezone(timedelta(hours=10)))
    assert format_internaldate(when) == b'"08-Jan-2024 18:40:52 +1000"'
    assert parse_internaldate(" 8-Jan-2024 18:40:52 +1000") == when
    assert parse_internaldate("08-jan-2024 08:40:52 +0000") == when.astimezone(UTC)


def test_sections_of_a_message_with_an_attached_message() -> None:
    inner = mailgen.make_message(
        subject="inner",
        body="inner text\n",
        attachments=[("x.bin", "application/octet-stream", b"\x00\x01")],
    )
    outer = (
        b'Subject: outer\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nouter text\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n"
    )
    root = mime.parse(outer)
    assert mime.section(outer, "") == outer
    assert b"outer text" in mime.section(outer, "1")
    assert mime.section(outer, "2.HEADER").startswith(b"Date:")
    assert b"Subject: inner" in mime.section(outer, "2.HEADER.FIELDS (SUBJECT)")
    assert b"inner text" in mime.section(outer, "2.1")
    assert mime.section(outer, "2.2.MIME").startswith(b"Content-Type: application/octet-stream")
    assert mime.section(outer, "9") == b"" and mime.section(outer, "1.1.1") == b""
    structure = mime.bodystructure(root)
    assert b'"message" "rfc822"' in structure and b'"inner"' in structure  # with its ENVELOPE


def test_a_single_part_message_is_its_own_part_one_and_deep_nesting_is_capped() -> None:
    raw = b"Subject: s\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
    root = mime.parse(raw)
    assert mime.section(raw, "1") == b"body\r\n"
    assert mime.section(raw, "1.MIME") == mime.section(raw, "HEADER")
    assert mime.section(raw, "TEXT") == b"body\r\n"
    assert mime.section(raw, "HEADER.FIELDS.NOT (SUBJECT)") == b"Content-Type: text/plain\r\n\r\n"
    assert mime.bodystructure(root) == (
        b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)'
    )
    deep = b"Content-Type: text/plain\r\n\r\nleaf"
    for level in range(200):
        b = f"b{level}".encode()
        deep = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\r\n\r\n--'
            + b
            + b"\r\n"
            + deep
            + b"\r\n--"
            + b
            + b"--\r\n"
        )
    assert mime.bodystructure(mime.parse(deep)).count(b"(") < 3 * mime.MAX_DEPTH
