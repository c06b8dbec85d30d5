"""Whole-message parsing (mailtui.mime.parse): IMAP section numbers and hostile structure."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtui.mime.parse import MAX_DEPTH, decode_part, parse_message, transfer_decode
from mailtui.mime.render import render_message
from mailtui.model import Address

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sections(raw: bytes) -> list[tuple[str, str]]:
    return [(p.section, p.mime_type) for p in parse_message(raw).structure.walk()]


# --- fixtures ---------------------------------------------------------------------------


def test_plain_message_headers_and_body() -> None:
    msg = parse_message(fixture("plain.eml"))
    assert msg.subject == "Lunch on Frédéric's birthday"
    assert msg.from_ == (Address("Alice Example", "alice@example.com"),)
    assert msg.to == (Address("Bob", "bob@example.org"),)
    assert msg.date == 1767603600
    assert msg.message_id == "plain-1@example.com"
    assert sections(fixture("plain.eml")) == [("1", "text/plain")]
    assert "café" in msg.part_bytes("1").decode()
    assert ("Subject", "Lunch on Frédéric's birthday") in msg.headers


def test_threading_headers() -> None:
    msg = parse_message(fixture("flowed.eml"))
    assert msg.in_reply_to == "orig-1@example.org"
    assert msg.references == ("root-0@example.org", "orig-1@example.org")


def test_attachments_with_rfc2231_and_encoded_word_names() -> None:
    msg = parse_message(fixture("attachments.eml"))
    parts = {p.section: p for p in msg.structure.walk()}
    assert parts["2"].filename == "€ rates 2026.pdf"
    assert parts["2"].disposition == "attachment"
    assert parts["3"].filename == "Très long nom de fichier.txt"
    assert parts["4"].filename == "écran.png"
    assert parts["4"].content_id == "img1@example.com"
    assert msg.part_bytes("2").startswith(b"%PDF-1.4")
    assert msg.part_bytes("3") == b"hello"


def test_iso_2022_jp() -> None:
    msg = parse_message(fixture("iso2022jp.eml"))
    assert msg.subject == "こんにちは"
    assert msg.from_[0].name == "山田"
    part = msg.structure.find("1")
    assert part is not None
    text = decode_part(msg.part_bytes("1"), part.encoding, part.charset)
    assert text.startswith("こんにちは、世界。")


def test_lying_and_unknown_charsets() -> None:
    msg = parse_message(fixture("lying_charset.eml"))
    texts = []
    for section in ("1", "2", "3"):
        part = msg.structure.find(section)
        assert part is not None
        texts.append(decode_part(msg.part_bytes(section), part.encoding, part.charset))
    assert texts[0].endswith("naïve café")
    assert texts[1].endswith("“quoted” café")
    assert texts[2].endswith("café")


def test_nested_rfc822_numbering() -> None:
    assert sections(fixture("nested_rfc822.eml")) == [
        ("", "multipart/mixed"),
        ("1", "text/plain"),
        ("2", "message/rfc822"),
        ("2", "multipart/mixed"),  # IMAP's "2.TEXT": the inner message's body
        ("2.1", "multipart/alternative"),
        ("2.1.1", "text/plain"),
        ("2.1.2", "text/html"),
        ("2.2", "application/pdf"),
        ("3", "message/rfc822"),
        ("3.1", "text/plain"),  # a single-part inner body is "3.1"
    ]
    msg = parse_message(fixture("nested_rfc822.eml"))
    inner = msg.structure.find("2")
    assert inner is not None and inner.description == "Original"
    assert msg.part_bytes("2").startswith(b"From: Heidi")
    assert msg.part_bytes("2.1.1").strip() == b"Inner plain."
    assert msg.part_bytes("3.1").strip() == b"Second inner body."


def _rfc9051_example() -> bytes:
    """The message whose part numbers RFC 9051 §6.4.5 lists, built part for part."""

    def leaf(ctype: str, body: str = "x") -> str:
        return f"Content-Type: {ctype}\r\n\r\n{body}\r\n"

    def multi(sub: str, boundary: str, parts: list[str]) -> str:
        inner = "".join(f"--{boundary}\r\n{p}" for p in parts)
        return (
            f"Content-Type: multipart/{sub}; boundary={boundary}\r\n\r\n{inner}--{boundary}--\r\n"
        )

    def message(body: str) -> str:
        return f"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n{body}"

    three = message(multi("mixed", "b3", [leaf("text/plain"), leaf("application/octet-stream")]))
    four_two = message(
        multi(
            "mixed",
            "b42",
            [
                leaf("text/plain"),
                multi("alternative", "b422", [leaf("text/plain"), leaf("text/richtext")]),
            ],
        )
    )
    four = multi("mixed", "b4", [leaf("image/gif"), four_two])
    top = multi("mixed", "b0", [leaf("text/plain"), leaf("application/octet-stream"), three, four])
    return ("Subject: RFC 9051 example\r\n" + top).encode()


def test_rfc9051_part_numbering_example() -> None:
    leaves = [(s, t) for s, t in sections(_rfc9051_example()) if not t.startswith("multipart/")]
    multis = [(s, t) for s, t in sections(_rfc9051_example()) if t.startswith("multipart/")]
    assert leaves == [
        ("1", "text/plain"),
        ("2", "application/octet-stream"),
        ("3", "message/rfc822"),
        ("3.1", "text/plain"),
        ("3.2", "application/octet-stream"),
        ("4.1", "image/gif"),
        ("4.2", "message/rfc822"),
        ("4.2.1", "text/plain"),
        ("4.2.2.1", "text/plain"),
        ("4.2.2.2", "text/richtext"),
    ]
    assert ("4", "multipart/mixed") in multis
    assert ("4.2.2", "multipart/alternative") in multis


# --- random MIME trees against a reference numbering -------------------------------------


@dataclass(frozen=True)
class Leaf:
    ctype: str
    body: bytes


@dataclass(frozen=True)
class Multi:
    subtype: str
    children: tuple[Leaf | Multi | Rfc822, ...]


@dataclass(frozen=True)
class Rfc822:
    inner: Leaf | Multi | Rfc822


Node = Leaf | Multi | Rfc822

leaves = st.builds(
    Leaf,
    st.sampled_from(["text/plain", "text/html", "application/octet-stream", "image/png"]),
    st.binary(max_size=40),
)
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.builds(
            Multi,
            st.sampled_from(["mixed", "alternative", "related"]),
            st.lists(kids, min_size=1, max_size=4).map(tuple),
        ),
        st.builds(Rfc822, kids),
    ),
    max_leaves=12,
)


def _entity(node: Node, counter: itertools.count) -> str:
    """MIME text for a node: leaves base64 so no body can look like a boundary."""
    if isinstance(node, Leaf):
        body = base64.b64encode(node.body).decode()
        return f"Content-Type: {node.ctype}\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
    if isinstance(node, Rfc822):
        return (
            f"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n{_entity(node.inner, counter)}"
        )
    boundary = f"=_b{next(counter)}"
    parts = "".join(f"--{boundary}\r\n{_entity(c, counter)}" for c in node.children)
    return (
        f'Content-Type: multipart/{node.subtype}; boundary="{boundary}"\r\n\r\n'
        f"{parts}--{boundary}--\r\n"
    )


def _reference(node: Node) -> list[tuple[str, str, bytes | None]]:
    """RFC 9051 §6.4.5 numbering, written from the RFC's wording, of leaves and messages."""
    out: list[tuple[str, str, bytes | None]] = []

    def children_of_multipart(multi: Multi, prefix: str) -> None:
        for i, child in enumerate(multi.children, 1):
            part(child, f"{prefix}{i}")

    def body_of_message(body: Node, msg_section: str) -> None:
        # "Every message has at least one part number": a non-multipart body is part 1
        # of its message; a multipart body's parts are the message's parts.
        if isinstance(body, Multi):
            children_of_multipart(body, f"{msg_section}." if msg_section else "")
        else:
            part(body, f"{msg_section}.1" if msg_section else "1")

    def part(p: Node, section: str) -> None:
        if isinstance(p, Leaf):
            out.append((section, p.ctype, p.body))
        elif isinstance(p, Rfc822):
            out.append((section, "message/rfc822", None))
            body_of_message(p.inner, section)
        else:
            children_of_multipart(p, f"{section}.")

    body_of_message(node, "")
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_sections_match_reference_numbering(tree: Node) -> None:
    raw = (
        "Subject: generated\r\nMIME-Version: 1.0\r\n" + _entity(tree, itertools.count())
    ).encode()
    msg = parse_message(raw)
    got = [(p.section, p.mime_type) for p in msg.structure.walk() if not p.is_multipart]
    expected = _reference(tree)
    assert got == [(s, t) for s, t, _ in expected]
    for section, _ctype, body in expected:
        if body is not None:
            assert msg.part_bytes(section) == body


# --- hostile structure ------------------------------------------------------------------


def _nested_multipart(depth: int) -> bytes:
    head = "Subject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    opens = "".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(depth)
    )
    leaf = f"--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n"
    closes = "".join(f"--b{i}--\r\n" for i in range(depth, -1, -1))
    return (head + opens + leaf + closes).encode()


def test_sixty_levels_of_nesting_parse_fully() -> None:
    msg = parse_message(_nested_multipart(60))
    deepest = ".".join(["1"] * 61)
    part = msg.structure.find(deepest)
    assert part is not None and part.mime_type == "text/plain"
    assert msg.part_bytes(deepest) == b"deep text"


def test_nesting_past_the_cap_is_opaque_not_fatal() -> None:
    msg = parse_message(_nested_multipart(MAX_DEPTH + 20))
    assert msg.subject == "deep"
    depth = max(p.section.count(".") for p in msg.structure.walk())
    assert depth <= MAX_DEPTH + 1


@pytest.mark.parametrize("depth", [2000, 5000])
def test_recursion_bombs_degrade_to_headers(depth: int) -> None:
    msg = parse_message(_nested_multipart(depth))
    assert msg.subject == "deep"
    render_message(msg)
    nested = "Subject: rfc822 bomb\r\n" + "Content-Type: message/rfc822\r\n\r\n" * depth + "x"
    msg = parse_message(nested.encode())
    assert msg.subject == "rfc822 bomb"
    render_message(msg)


def test_never_closed_and_missing_boundaries() -> None:
    unclosed = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    msg = parse_message(unclosed)
    assert msg.part_bytes("1").strip() == b"hello"
    missing = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno boundary here\r\n"
    msg = parse_message(missing)
    assert msg.structure.section == "1"
    assert msg.part_bytes("1").strip() == b"no boundary here"
    noparam = b"Content-Type: multipart/mixed\r\n\r\ntext\r\n"
    assert parse_message(noparam).part_bytes("1").strip() == b"text"


def test_huge_line_and_thousands_of_headers() -> None:
    raw = b"Subject: big\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
    raw += b"\r\n" + b"a" * 1_000_000 + b"\r\n"
    msg = parse_message(raw)
    assert msg.subject == "big"
    assert len(msg.headers) == 5001
    assert len(msg.part_bytes("1")) >= 1_000_000


def test_bad_transfer_encodings() -> None:
    raw = (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"w6l0w6k\r\n!!garbage**\r\n"
    )
    assert parse_message(raw).part_bytes("1").startswith("été".encode())
    raw = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=ZZb=\r\nc=3D\r\n"
    assert parse_message(raw).part_bytes("1").startswith(b"a=ZZbc=")


@pytest.mark.parametrize(
    ("payload", "encoding", "expected"),
    [
        (b"aGVsbG8=", "base64", b"hello"),
        (b"aGVsbG8", "base64", b"hello"),  # no padding
        (b"aGVs\r\nbG8=\r\n", "BASE64", b"hello"),
        (b"aGVsbA==aGVsbA==", "base64", b"hellhell"),  # concatenated chunks
        (b"a\xffGVsbG8=", "base64", b"hello"),  # 8-bit junk
        (b"caf=C3=A9=\r\n!", "quoted-printable", "café!".encode()),
        (b"raw \xff bytes", "8bit", b"raw \xff bytes"),
        (b"x", "x-unknown", b"x"),
    ],
)
def test_transfer_decode(payload: bytes, encoding: str, expected: bytes) -> None:
    assert transfer_decode(payload, encoding) == expected


def test_decode_part_is_clean_text() -> None:
    assert decode_part(b"G1szMW0=", "base64", "utf-8") == "␛[31m"
    assert decode_part(b"a\r\nb", "7bit", "") == "a\nb"
    assert decode_part(b"caf\xe9", "8bit", "no-such") == "café"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    msg = parse_message(raw)
    for part in msg.structure.walk():
        msg.part_bytes(part.section)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.eml"))),
    st.lists(st.tuples(st.integers(0, 5000), st.binary(max_size=8)), max_size=8),
)
def test_mutated_fixtures_never_raise(name: str, edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(fixture(name))
    for pos, junk in edits:
        pos %= len(raw) + 1
        raw[pos : pos + len(junk) // 2] = junk
    msg = parse_message(bytes(raw))
    for part in msg.structure.walk():
        msg.part_bytes(part.section)
    render_message(msg)


def test_to_envelope() -> None:
    msg = parse_message(fixture("attachments.eml"))
    env = msg.to_envelope(7, internaldate=5, size=100)
    assert env.uid == 7 and env.subject == "Files" and env.has_attachments
    assert env.message_id == "att-1@example.com"
    assert parse_message(fixture("plain.eml")).to_envelope(1).has_attachments is False


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([";", '"', "\\", "a", "=", " ", "B", 'x="y;z"']), max_size=30).map(
        "".join
    )
)
def test_content_type_parameters_split_as_email_splits_them(value: str) -> None:
    """The linear splitter gives the stdlib's answer (which is quadratic on ";" runs)."""
    from email.message import _parseparam as stdlib_parseparam

    from mailtui.mime.parse import _parseparam

    assert _parseparam(value) == stdlib_parseparam(value)


def test_parameters_full_of_semicolons_and_quotes_parse() -> None:
    raw = (
        b'From: a@b\r\nContent-Type: text/plain; charset=utf-8; x="'
        + b";" * 200_000
        + b'"; name="f.txt"\r\nContent-Disposition: attachment; filename="'
        + b'\\";' * 50_000
        + b'"\r\n\r\nbody'
    )
    parsed = parse_message(raw)
    assert parsed.structure.param("charset") == "utf-8"
    assert parsed.part_bytes("1") == b"body"


def test_nesting_past_the_limit_is_one_opaque_part() -> None:
    """Thousands of nested multiparts: `email` would check each line against every
    enclosing boundary (quadratic); past MAX_DEPTH a part is not split further."""
    depth = 3 * MAX_DEPTH
    raw = (
        b"From: a@b\r\n"
        + b"".join(
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
            for i in range(depth)
        )
        + b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    )
    parsed = parse_message(raw)
    levels, part = 0, parsed.structure
    while part.children:
        part, levels = part.children[0], levels + 1
    assert MAX_DEPTH - 2 <= levels <= MAX_DEPTH + 2
    assert not part.children


def test_attached_messages_nested_deep_parse_with_sizes() -> None:
    raw = b"From: a@b\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 500 + b"inner body"
    parsed = parse_message(raw)
    part = parsed.structure
    assert part.mime_type == "message/rfc822" and part.size > 0
