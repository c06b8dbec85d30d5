"""Signed bytes cut out of a raw message by offsets: what gpg verifies, whatever the
nesting, line ends or boundary tricks; sections agree with mailtui's MIME parser."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.crypto import Engine, SigState, pgp_parts, verify_message
from mailtui.crypto.rawmime import canonical_crlf, parse_tree, signed_parts
from mailtui.mime.parse import parse_message
from tests.crypto.keyring import Keyring
from tests.crypto.messages import TEXT_ENTITY, multipart_signed


def _forwarded(inner: bytes) -> bytes:
    """A message whose second part is `inner` attached as message/rfc822."""
    return (
        b"From: carol@example.com\r\nSubject: fwd\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"preamble\r\n--outer\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--outer\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"\r\n--outer--\r\nepilogue\r\n"
    )


def test_signed_message_inside_a_forward_verifies_at_the_parsers_section(
    engine: Engine, keys: Keyring, tmp_path: Path
) -> None:
    sig = keys.sign(keys.bob, TEXT_ENTITY)
    inner = multipart_signed(b"From: bob@example.net\r\nSubject: inner\r\n", TEXT_ENTITY, sig)
    raw = _forwarded(inner)
    # mime.parse and the offset walker agree on where the multipart/signed is …
    sections = [p.section for p in pgp_parts(parse_message(raw).structure)]
    assert sections == ["2"]
    parts = signed_parts(raw, "2")
    assert parts is not None and parts.signed == TEXT_ENTITY
    # … and gpg itself accepts the bytes cut out there.
    assert keys.verify(parts.signed, parts.signature, tmp_path).returncode == 0
    assert verify_message(engine, raw, "2", "bob@example.net").state is SigState.GOOD


def test_boundary_prefix_and_transport_padding(keys: Keyring, tmp_path: Path) -> None:
    entity = (
        b"Content-Type: text/plain\r\n\r\n"
        b"--signed-boundary-42-not-a-delimiter\r\n"  # the boundary as a prefix: body text
        b"x--signed-boundary-42\r\n"  # not at a line start: body text
        b"end\r\n"
    )
    sig = keys.sign(keys.bob, entity)
    raw = multipart_signed(b"From: bob@example.net\r\n", entity, sig)
    raw = raw.replace(
        b"\r\n--signed-boundary-42\r\nContent-Type: application",
        b"\r\n--signed-boundary-42  \t\r\nContent-Type: application",
    )
    parts = signed_parts(raw)
    assert parts is not None and parts.signed == entity
    assert keys.verify(parts.signed, parts.signature, tmp_path).returncode == 0


def test_an_empty_line_before_the_delimiter_belongs_to_the_part() -> None:
    raw = (
        b'Content-Type: multipart/signed; boundary="b"; protocol="application/pgp-signature"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n\r\n--b\r\n\r\nSIG\r\n--b--\r\n"
    )
    parts = signed_parts(raw)
    assert parts is not None
    assert parts.signed == b"Content-Type: text/plain\r\n\r\nbody\r\n"
    assert parts.signature == b"SIG"


def test_lf_only_copy_is_made_crlf_without_touching_crlf() -> None:
    assert canonical_crlf(b"a\nb\r\nc\n") == b"a\r\nb\r\nc\r\n"
    assert canonical_crlf(b"a\r\nb") == b"a\r\nb"


def test_base64_signature_part_is_decoded() -> None:
    raw = (
        b'Content-Type: multipart/signed; boundary="b"; protocol="application/pgp-signature"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"U0lH\r\n--b--\r\n"
    )
    assert signed_parts(raw).signature == b"SIG"  # type: ignore[union-attr]


def test_deep_nesting_is_bounded() -> None:
    raw = b""
    for i in range(200):
        raw = (
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
            + raw
            + f"\r\n--b{i}--\r\n".encode()
        )
    tree = parse_tree(raw)
    assert sum(1 for _ in tree.walk()) <= 66


_line = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(_line, min_size=1, max_size=8), st.lists(_line, max_size=3))
def test_the_first_part_comes_back_byte_for_byte(lines: list[str], junk: list[str]) -> None:
    body = "\r\n".join(lines).encode()
    entity = b"Content-Type: text/plain\r\n\r\n" + body
    if b"--bnd" in entity or any("--bnd" in j for j in junk):
        return  # a real delimiter line, by definition
    raw = (
        b'Content-Type: multipart/signed; boundary="bnd"; protocol="application/pgp-signature"\r\n\r\n'
        + "\r\n".join(junk).encode()
        + b"\r\n--bnd\r\n"
        + entity
        + b"\r\n--bnd\r\nContent-Type: application/pgp-signature\r\n\r\nS\r\n--bnd--\r\n"
    )
    parts = signed_parts(raw)
    assert parts is not None and parts.signed == entity
