"""What IMAP's BODY.PEEK[section] returns, computed from a message file (RFC 9051 §6.4.5).

"" is the whole message, "HEADER"/"TEXT" its header block and body, "2.1" a part's
payload still transfer-encoded (the sync layer decodes it, as it does for IMAP), and
"2.MIME" a part's own header. Numbered sections come from `mime.parse`'s own walk
(`ParsedMessage.wire_section`), the one that numbers the structure this backend
reports, so a section picked from that structure names the same bytes here.
"""

from __future__ import annotations

import os
import re

from mailtui.mime.parse import parse_message, split_header

HEADER_READ = 16 * 1024
HEADER_CAP = 1024 * 1024  # a header block past this is abuse: stop reading there

_SECTION = re.compile(r"^((?:\d+\.)*\d+)?(?:\.?(HEADER|TEXT|MIME))?$", re.I)
_BLANK = re.compile(rb"\r?\n\r?\n")

__all__ = ["extract", "read_header", "split_header"]


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
    return parse_message(raw).wire_section(f"{numbers}.{suffix}" if suffix else numbers)
