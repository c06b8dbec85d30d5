"""What a reply quotes and a forward carries is exactly the text the reader shows.

The reader decodes a body part from the bytes the server sends for BODY[n] (still
transfer-encoded) with `mime.render.body_text`; reply, forward and a recalled draft
start from the whole message (BODY[]). Every transfer encoding and several charsets,
a lying one included, must give the same text both ways — a second quoted-printable
pass once turned "a=42" into "aB" in replies.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import pytest

from mailtui.compose.draft import forward_draft, quote_body, recalled_draft, reply_draft
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.mime.parse import parse_message
from mailtui.mime.render import body_text, choose_body, render_message
from mailtui.usecase.reading import original_from_raw


def account() -> AccountSettings:
    table = {
        "email": "me@example.com",
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
    }
    return make_settings({"w": table}).account("w")


# Text that a second quoted-printable pass would change ("=42" is "B", "=3D" is "=").
TRAP = "a=42 b=3D c=20end\nhttps://example.com/report?id=42&sig=3D3D\n"


@dataclass(frozen=True)
class Case:
    name: str
    charset: str  # declared
    extra: str  # text after TRAP
    codec: str  # how the bytes are really encoded

    @property
    def data(self) -> bytes:
        """The body's bytes before transfer encoding."""
        return (TRAP + self.extra).encode(self.codec)


CASES = [
    Case("ascii", "us-ascii", "", "ascii"),
    Case("utf-8", "utf-8", "Grüße, 東京 – “ok” €\n", "utf-8"),
    Case("latin-1", "iso-8859-1", "Café naïve ½\n", "latin-1"),
    Case("cp1252", "windows-1252", "“Smart” – €5\n", "cp1252"),
    # A lying charset: declared us-ascii, the bytes are UTF-8 (the reader trusts the bytes).
    Case("lying", "us-ascii", "Zoë’s café\n", "utf-8"),
]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64"]


def encoded(data: bytes, cte: str) -> bytes:
    crlf = data.replace(b"\n", b"\r\n")
    if cte == "quoted-printable":
        return binascii.b2a_qp(crlf, istext=False).replace(b"=0D=0A", b"\r\n")
    if cte == "base64":
        return base64.encodebytes(crlf).replace(b"\n", b"\r\n")
    return crlf


def single_part(case: Case, cte: str) -> tuple[bytes, bytes]:
    """The message, and the bytes an IMAP server returns for its BODY[1]."""
    body = encoded(case.data, cte)
    head = (
        "From: Alice <alice@example.org>\r\nTo: me@example.com\r\nSubject: Numbers\r\n"
        "Message-ID: <numbers@example.org>\r\nDate: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={case.charset}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode() + body, body


def alternative(case: Case, cte: str) -> tuple[bytes, bytes]:
    """multipart/alternative (text + HTML); the reader shows section 1's text."""
    body = encoded(case.data, cte)
    raw = (
        b"From: Alice <alice@example.org>\r\nTo: me@example.com\r\nSubject: Numbers\r\n"
        b"Message-ID: <numbers-alt@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="XX"\r\n\r\n'
        b"--XX\r\nContent-Type: text/plain; charset=" + case.charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n" + body + b"\r\n"
        b"--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--XX--\r\n"
    )
    return raw, body


def reader_text(raw: bytes, wire: bytes) -> str:
    """What the reader shows: BODYSTRUCTURE's chosen part, decoded from the wire bytes."""
    part = choose_body(parse_message(raw).structure, "plain")
    assert part is not None
    return body_text(part, wire)[0]


# 7bit carries ASCII only: an 8-bit body declared 7bit is not a case of its own.
COMBINATIONS = [
    pytest.param(case, cte, id=f"{case.name}-{cte}")
    for case in CASES
    for cte in ENCODINGS
    if cte != "7bit" or case.data.isascii()
]


@pytest.mark.parametrize("shape", [single_part, alternative], ids=["single", "alternative"])
@pytest.mark.parametrize(("case", "cte"), COMBINATIONS)
def test_reply_forward_and_recall_carry_the_text_the_reader_shows(
    case: Case, cte: str, shape
) -> None:
    raw, wire = shape(case, cte)
    shown = reader_text(raw, wire)
    assert shown == TRAP + case.extra  # the reader is right
    original = original_from_raw(raw)
    assert original.body == shown
    assert quote_body(shown) in reply_draft(account(), original).body
    assert shown.rstrip("\n") in forward_draft(account(), original).body
    assert recalled_draft(account(), original).body == shown


@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_a_whole_message_renders_the_text_the_reader_shows(cte: str) -> None:
    """render_message on a parsed message (what prints a message whole) decodes once too."""
    raw, wire = single_part(CASES[1], cte)
    assert reader_text(raw, wire) in render_message(parse_message(raw)).plain
