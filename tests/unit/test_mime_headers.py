"""Header decoding (mailtui.text: charset, encoded_words, addresses, dates, msgids)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.model import Address
from mailtui.text.addresses import parse_addresses
from mailtui.text.charset import decode_bytes, lookup_charset
from mailtui.text.dates import parse_date
from mailtui.text.encoded_words import decode_header
from mailtui.text.msgids import normalize_msgid, parse_msgids
from mailtui.text.safe import clean_line


def _no_controls(s: str) -> bool:
    return not any(unicodedata.category(ch) == "Cc" for ch in s)


# --- decode_header ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain ASCII subject", "Plain ASCII subject"),
        ("Folded\r\n subject\r\n\tline", "Folded subject line"),
        ("=?utf-8?q?caf=C3=A9?=", "café"),
        ("=?UTF-8?Q?hello_world?=", "hello world"),
        ("=?utf-8?b?w6l0w6k=?=", "été"),
        ("=?utf-8?b?w6l0w6k?=", "été"),  # missing padding
        # RFC 2047 §6.2: whitespace between adjacent encoded words is dropped …
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),
        ("=?utf-8?q?a?=\r\n =?iso-8859-1?q?b?=", "ab"),
        # … but kept between an encoded word and ordinary text.
        ("x =?utf-8?q?a?= y", "x a y"),
        # A multi-byte character split across two words (non-conforming, common).
        ("=?utf-8?b?4pw=?= =?utf-8?b?lA==?=", "✔"),
        ("=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        ("=?iso-8859-1?q?caf=E9?=", "café"),
        ("=?utf-8*en?q?hi?=", "hi"),  # RFC 2231 language suffix
        ("=?x-no-such-charset?q?caf=C3=A9?=", "café"),
        ("=?x-no-such-charset?q?caf=E9?=", "café"),
        ("=?utf-8?b?not base64?=", "=?utf-8?b?not base64?="),  # broken: left readable
        ("=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="),
        ("=?base64?q?abc?=", "abc"),  # a bytes codec name is not a charset
        ("=?unicode_escape?q?\\x1b?=", "\\x1b"),
        ("Over =?utf-8?q?" + "a" * 200 + "?= long", "Over " + "a" * 200 + " long"),
    ],
)
def test_decode_header(raw: str, expected: str) -> None:
    assert decode_header(raw) == expected


def test_decode_header_raw_8bit() -> None:
    assert decode_header(b"caf\xc3\xa9") == "café"
    assert decode_header(b"caf\xe9") == "café"  # cp1252 fallback
    # What email's compat32 hands back for raw 8-bit header bytes.
    assert decode_header("caf\udcc3\udca9") == "café"


def test_decode_header_makes_controls_visible() -> None:
    assert decode_header("=?utf-8?q?=1B]0;pwned=07?=") == "␛]0;pwned␇"
    assert decode_header("\x1b[2Jx") == "␛[2Jx"
    assert decode_header("=?utf-8?q?=C2=9B2J?=") == "\ufffd2J"
    assert decode_header("=?utf-8?q?a=0Ab?=") == "a b"


def test_decode_header_ascii_fast_path_returns_same_text() -> None:
    s = "Re: [list] An ordinary subject line"
    assert decode_header(s) == s


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_decode_header_never_raises_and_is_inert(s: str) -> None:
    out = decode_header(s)
    assert _no_controls(out)
    assert "\n" not in out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=10),
            st.builds(
                lambda cs, enc, body: f"=?{cs}?{enc}?{body}?=",
                st.sampled_from(["utf-8", "iso-8859-1", "x-bogus", "gb2312", "iso-2022-jp", ""]),
                st.sampled_from(["q", "b", "Q", "B", "x"]),
                st.text(alphabet="=ABCDEFabcdef0123456789_+/?", max_size=20),
            ),
        ),
        max_size=6,
    )
)
def test_decode_header_on_encoded_word_soup(parts: list[str]) -> None:
    out = decode_header(" ".join(parts))
    assert _no_controls(out)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_decode_header_on_random_bytes(b: bytes) -> None:
    assert _no_controls(decode_header(b))


# --- charsets ---------------------------------------------------------------------------


def test_lookup_charset_aliases_and_refusals() -> None:
    assert lookup_charset("ISO-8859-1") == "cp1252"
    assert lookup_charset("ks_c_5601-1987") == "cp949"
    assert lookup_charset("gb2312") == "gb18030"
    assert lookup_charset("no-such-thing") is None
    assert lookup_charset("base64") is None
    assert lookup_charset("rot13") is None
    assert lookup_charset("unicode_escape") is None
    assert lookup_charset("../../etc") is None
    assert lookup_charset("x" * 100) is None


def test_decode_bytes_lying_charsets() -> None:
    assert decode_bytes("naïve".encode(), "us-ascii") == "naïve"
    assert decode_bytes("“q” café".encode("cp1252"), "utf-8") == "“q” café"
    assert decode_bytes("café".encode("latin-1"), "iso-8859-1") == "café"
    assert decode_bytes("你好".encode("gbk"), "gb2312") == "你好"
    assert decode_bytes(b"caf\xc3\xa9 \xff ok", "utf-8") == "café \ufffd ok"
    assert decode_bytes("привет".encode("koi8-r"), "koi8-r") == "привет"
    assert decode_bytes("こ".encode("iso2022_jp"), "iso-2022-jp") == "こ"


@settings(max_examples=200, deadline=None)
@given(st.binary(), st.sampled_from(["", "utf-8", "us-ascii", "gbk", "shift_jis", "utf-16", "x-?"]))
def test_decode_bytes_never_raises(data: bytes, charset: str) -> None:
    assert isinstance(decode_bytes(data, charset), str)


# --- addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Joe <joe@example.com>", [("Joe", "joe@example.com")]),
        ("joe@example.com", [("", "joe@example.com")]),
        ("<joe@example.com>", [("", "joe@example.com")]),
        ('"Doe, John" <j@x.org>, b@c.org', [("Doe, John", "j@x.org"), ("", "b@c.org")]),
        ("=?utf-8?q?Doe=2C_J=C3=B6rg?= <j@x.org>", [("Doe, Jörg", "j@x.org")]),
        ("=?utf-8?b?RG9lLCBK?= <j@x.org>, k@y.org", [("Doe, J", "j@x.org"), ("", "k@y.org")]),
        (
            "team: a@b.org, C <c@d.org>;, e@f.org",
            [("", "a@b.org"), ("C", "c@d.org"), ("", "e@f.org")],
        ),
        ("undisclosed-recipients:;", []),
        ("a@b.org (Real Name)", [("Real Name", "a@b.org")]),
        ('"Quoted \\"Nick\\"" <q@x.org>', [('Quoted "Nick"', "q@x.org")]),
        ("<@relay.example:a@b.org>", [("", "a@b.org")]),
        ("", []),
    ],
)
def test_parse_addresses(raw: str, expected: list[tuple[str, str]]) -> None:
    assert parse_addresses(raw) == tuple(Address(n, a) for n, a in expected)


def test_parse_addresses_8bit_and_hostile_names() -> None:
    assert parse_addresses(b"Jos\xc3\xa9 <j@x.org>") == (Address("José", "j@x.org"),)
    (addr,) = parse_addresses("=?utf-8?b?G104OztodHRwOi8vZRtcQmFuaw==?= <x@e.org>")
    assert "\x1b" not in addr.name and addr.name.startswith("␛]8")
    (addr,) = parse_addresses('"[bold]x[/]" <a@b.org>')
    assert addr.name == "[bold]x[/]"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_addresses_never_raises(s: str) -> None:
    for a in parse_addresses(s):
        assert isinstance(a, Address)
        assert _no_controls(a.name) and _no_controls(a.addr)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*'"<>,;:()\\ ', "a@b", "=?", "?="])))
def test_parse_addresses_on_syntax_soup(parts: list[str]) -> None:
    parse_addresses("".join(parts))


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 1 Jan 2026 10:00:00 +0000", 1767261600),
        ("Thu, 01 Jan 2026 11:00:00 +0100", 1767261600),
        ("1 Jan 2026 05:00:00 -0500", 1767261600),
        ("Thu, 1 Jan 2026 10:00 +0000", 1767261600),
        ("Thu, 1 Jan 2026 10:00:00 +0000 (UTC)", 1767261600),
        ("Thu, 1 Jan 26 10:00:00 GMT", 1767261600),
        ("Thu, 1 Jan 2026 10:00:00", 1767261600),  # no zone: read as UTC
        ("Thu, 1 Jan 2026 10:00:00 EST", 1767279600),
    ],
)
def test_parse_date(raw: str, expected: int) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "garbage", "Mon, 99 Foo 2026", "Mon, 1 Jan 99999 10:00:00 +0000"]
)
def test_parse_date_garbage(raw: str) -> None:
    assert parse_date(raw) is None


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_parse_date_fast_path_agrees_with_email_utils(dt: datetime, offset_min: int) -> None:
    aware = dt.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset_min)))
    text = format_datetime(aware)
    assert parse_date(text) == int(parsedate_to_datetime(text).timestamp())


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_date_never_raises(s: str) -> None:
    result = parse_date(s)
    assert result is None or isinstance(result, int)


# --- message ids ------------------------------------------------------------------------


def test_parse_msgids() -> None:
    assert parse_msgids("<a@b> <c@d>\r\n <a@b>") == ("a@b", "c@d")
    assert parse_msgids("junk <x@y> more junk") == ("x@y",)
    assert parse_msgids("bare@id.example") == ("bare@id.example",)
    assert parse_msgids("<with space@x> <ok@x>") == ("ok@x",)
    assert all(_no_controls(m) for m in parse_msgids("<a\x1bb@x>"))
    assert parse_msgids("") == ()
    assert normalize_msgid(" <x@y> ") == "x@y"
    assert normalize_msgid("x@y") == "x@y"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_msgids_never_yield_line_breaks(s: str) -> None:
    for mid in parse_msgids(s):
        assert mid and _no_controls(mid) and " " not in mid and "<" not in mid


# The scanners that replaced backtracking regexes answer what those regexes answered.
_OLD_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")
_OLD_BARE_MSGID = re.compile(r"[^<>\s\x00-\x1f\x7f-\x9f,;]+@[^<>\s\x00-\x1f\x7f-\x9f,;]+")
_OLD_SIMPLE_ANGLE = re.compile(r"\s*([^<>]*?)\s*<([^<>\s]*)>\s*")
_OLD_SIMPLE_BARE = re.compile(r"\s*([^\s<>]+)\s*")
_TRICKY = st.text(
    alphabet=st.sampled_from(
        ["(", ")", "\\", "a", " ", "\n", "@", "<", ">", ",", ";", "\x1c", "\x0b", "\u3000", "é"]
    ),
    max_size=16,
)


@settings(max_examples=500, deadline=None)
@given(_TRICKY)
def test_comment_scanner_matches_the_old_regex(text: str) -> None:
    from mailtui.text.addresses import _split_comments

    pieces = _split_comments(text)
    assert "".join(" " if c else p for c, p in pieces) == _OLD_COMMENT.sub(" ", text)
    assert [p for c, p in pieces if c] == [m[1:-1] for m in _OLD_COMMENT.findall(text)]


@settings(max_examples=500, deadline=None)
@given(_TRICKY)
def test_bare_message_ids_match_the_old_regex(text: str) -> None:
    from mailtui.text.msgids import _bare_msgids

    assert _bare_msgids(text) == _OLD_BARE_MSGID.findall(text)


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(["<", ">", "@", "a", " ", "\t", "\x1c", "\x0b"]), max_size=12)
)
def test_simple_address_matches_the_old_regexes(text: str) -> None:
    from mailtui.text.addresses import _simple_address

    m = _OLD_SIMPLE_ANGLE.fullmatch(text)
    if m and m.group(2).count("@") <= 1:
        expected: Address | None = Address(clean_line(m.group(1)), clean_line(m.group(2)))
    else:
        m = _OLD_SIMPLE_BARE.fullmatch(text)
        expected = Address("", clean_line(m.group(1))) if m else None
    assert _simple_address(text) == expected


@settings(max_examples=500, deadline=None)
@given(st.binary().map(lambda b: b"".join(bytes([b'<>@a "=(;:\\.'[x % 12]]) for x in b[:14])))
def test_envelope_sender_fast_path_matches_the_old_regexes(value: bytes) -> None:
    from mailtui.mime.envelope import _simple_sender

    old_from = re.compile(rb'"?([^"<>\\=(),;:@]*?)"?[ \t]*<([^<>\s"(),;:@]+@[^<>\s"(),;:@]+)>')
    old_bare = re.compile(rb"[^<>\s\"(),;:@]+@[^<>\s\"(),;:@]+")
    m = old_from.fullmatch(value.strip())
    if m:
        expected: tuple[bytes, bytes] | None = (m.group(1).strip(), m.group(2))
    elif old_bare.fullmatch(value.strip()):
        expected = (b"", value.strip())
    else:
        expected = None
    assert _simple_sender(value) == expected
