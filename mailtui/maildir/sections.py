"""What IMAP's BODY.PEEK[section] returns, computed from a message file (RFC 9051 §6.4.5).

"" is the whole message, "HEADER"/"TEXT" its header block and body, "2.1" a part's
payload still transfer-encoded (the sync layer decodes it, as it does for IMAP), and
"2.MIME" a part's own header. Part numbers follow the same rules as
`mime.parse.parse_message`, from the same `email` parser, so a section picked from
the structure this backend reports names the same bytes here.
"""

from __future__ import annotations

import os
import re
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from io import BytesIO

HEADER_READ = 16 * 1024
HEADER_CAP = 1024 * 1024  # a header block past this is abuse: stop reading there

_SECTION = re.compile(r"^((?:\d+\.)*\d+)?(?:\.?(HEADER|TEXT|MIME))?$", re.I)
_BLANK = re.compile(rb"\r?\n\r?\n")


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header block including the blank line, body)."""
    if raw.startswith((b"\n", b"\r\n")):
        blank = 1 if raw.startswith(b"\n") else 2
        return raw[:blank], raw[blank:]
    m = _BLANK.search(raw)
    if m is None:
        return raw, b""
    return raw[: m.end()], raw[m.end() :]


def read_header(fd: int) -> bytes:
    """The header block of an open message file: reads only as far as the blank line."""
    buf = b""
    while len(buf) < HEADER_CAP:
        chunk = os.read(fd, HEADER_READ if not buf else max(HEADER_READ, len(buf)))
        if not chunk:
            return buf
        start = max(0, len(buf) - 3)
        buf += chunk
        if buf.startswith((b"\n", b"\r\n")):
            return split_header(buf)[0]
        m = _BLANK.search(buf, start)
        if m is not None:
            return buf[: m.end()]
    return buf[:HEADER_CAP]


def _wire(msg: Message) -> bytes:
    """A leaf's payload exactly as it was in the file (compat32 keeps it as surrogates)."""
    payload = getattr(msg, "_payload", None)
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        try:
            return payload.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            return payload.encode("utf-8", "surrogateescape")
    return b""


def _flatten(msg: Message) -> bytes:
    buf = BytesIO()
    try:
        BytesGenerator(buf, mangle_from_=False, policy=compat32).flatten(msg)
    except (RecursionError, LookupError, ValueError, TypeError, UnicodeError):
        return b""
    return buf.getvalue()


def _is_multipart(msg: Message) -> bool:
    return msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list)


def _inner(msg: Message) -> Message | None:
    """The encapsulated message of a message/rfc822 (or message/global) part."""
    if msg.get_content_type() not in ("message/rfc822", "message/global"):
        return None
    payload = msg.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _step(node: Message, is_message: bool, n: int) -> Message | None:
    """Part n below `node`; a message's non-multipart body is its part 1."""
    if not is_message:
        inner = _inner(node)
        if inner is not None:
            return _step(inner, True, n)
    if _is_multipart(node):
        children = node.get_payload()
        if 1 <= n <= len(children) and isinstance(children[n - 1], Message):
            return children[n - 1]
        return None
    return node if is_message and n == 1 else None


def _header_of(msg: Message) -> bytes:
    return split_header(_flatten(msg))[0]


def _body_of(msg: Message) -> bytes:
    if _is_multipart(msg):
        return split_header(_flatten(msg))[1]
    return _wire(msg)


def extract(raw: bytes, section: str) -> bytes:
    """BODY[section] of the message `raw`; b"" for a section the message does not have."""
    section = section.strip()
    if not section:
        return raw
    m = _SECTION.match(section)
    if m is None:
        return b""
    numbers, suffix = m.group(1), (m.group(2) or "").upper()
    if not numbers:
        head, body = split_header(raw)
        return head if suffix == "HEADER" else body if suffix == "TEXT" else b""
    try:
        node: Message | None = message_from_bytes(raw, policy=compat32)
        is_message = True
        for text in numbers.split("."):
            assert node is not None
            node = _step(node, is_message, int(text))
            is_message = False
            if node is None:
                return b""
        assert node is not None
        if suffix == "MIME":
            return _header_of(node)
        if suffix in ("HEADER", "TEXT"):
            inner = _inner(node)
            if inner is None:
                return b""
            return _header_of(inner) if suffix == "HEADER" else _body_of(inner)
        inner = _inner(node)
        if inner is not None:
            return _flatten(inner)
        return _body_of(node)
    except (RecursionError, LookupError, ValueError, TypeError, IndexError):
        return b""
