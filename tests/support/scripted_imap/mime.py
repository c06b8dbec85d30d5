"""A message's MIME tree with exact byte ranges: FETCH sections, BODYSTRUCTURE, ENVELOPE.

IMAP hands out parts byte for byte (`BODY[1.2]` is the part's content exactly as it
sits in the message, RFC 9051 §6.4.5), and `email` re-serialises rather than keeping
offsets. So parts are split here on their boundary lines, and `email` parses only the
header blocks (content type, parameters, addresses). Nesting deeper than `MAX_DEPTH`
is served as an opaque leaf, as real servers cap it too.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import Message as EmailMessage
from email.parser import BytesHeaderParser

from tests.support.scripted_imap.protocol import string

MAX_DEPTH = 50
_BLANK = re.compile(rb"\r?\n\r?\n")
_HEADER_LINE = re.compile(rb"[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*(?:\r?\n|$)")
_header_parser = BytesHeaderParser(policy=policy.compat32)


@dataclass
class MimePart:
    """One node: its header block (with the blank line that ends it) and its content."""

    header: bytes
    body: bytes
    headers: EmailMessage
    children: list[MimePart] = field(default_factory=list)
    message: MimePart | None = None  # the message inside a message/rfc822 part
    alias: bool = False  # a leaf standing in as its own part 1 (see _body_only)

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    @property
    def multipart(self) -> bool:
        return bool(self.children)

    @property
    def raw(self) -> bytes:
        return self.header + self.body

    def field(self, name: str) -> bytes | None:
        """The first `name:` value as sent (unfolded, 8-bit kept), or None."""
        values = self.fields(name)
        return values[0] if values else None

    def fields(self, name: str) -> list[bytes]:
        wanted = name.lower().encode()
        out = []
        for m in _HEADER_LINE.finditer(self.header):
            key, colon, value = m.group(0).partition(b":")
            if colon and key.strip().lower() == wanted:
                out.append(b" ".join(re.sub(rb"\r?\n(?=[ \t])", b"", value).split()))
        return out


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header block including the empty line that ends it, body); RFC 5322 §2.1."""
    if raw.startswith((b"\r\n", b"\n")):
        cut = 2 if raw.startswith(b"\r\n") else 1
        return raw[:cut], raw[cut:]
    m = _BLANK.search(raw)
    if m is None:
        return raw, b""
    return raw[: m.end()], raw[m.end() :]


def parse(raw: bytes, default_type: str = "text/plain", depth: int = 0) -> MimePart:
    """The MIME tree of `raw` (a message or a body part)."""
    header, body = split_header(raw)
    headers = _header_parser.parsebytes(header)
    headers.set_default_type(default_type)
    part = MimePart(header, body, headers)
    if depth >= MAX_DEPTH:
        return part
    ctype = part.content_type
    if ctype.startswith("multipart/"):
        boundary = headers.get_param("boundary")
        pieces = _split_multipart(body, str(boundary)) if isinstance(boundary, str) else []
        child_default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        part.children = [parse(p, child_default, depth + 1) for p in pieces]
        if not part.children:
            # No boundary, or none found: one empty text/plain part (as Dovecot serves it).
            empty = _header_parser.parsebytes(b"")
            part.children = [MimePart(b"", b"", empty)]
    elif ctype == "message/rfc822":
        part.message = parse(body, "text/plain", depth + 1)
    return part


def _split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """Part contents between delimiter lines; the line break before a delimiter belongs
    to the delimiter (RFC 2046 §5.1.1). An unclosed multipart runs to the end."""
    delim = re.compile(
        rb"(?:\A|\r?\n)--"
        + re.escape(boundary.encode("utf-8", "surrogateescape"))
        + rb"(--)?[ \t]*(?:\r?\n|\Z)"
    )
    pieces: list[bytes] = []
    start: int | None = None
    for m in delim.finditer(body):
        if start is not None:
            pieces.append(body[start : m.start()])
        if m.group(1):
            return pieces
        start = m.end()
    if start is not None:
        pieces.append(body[start:])
    return pieces


# --- sections (RFC 9051 §6.4.5) ---------------------------------------------------------


def section(raw: bytes, spec: str, parsed: Callable[[], MimePart] | None = None) -> bytes:
    """The bytes of `BODY[spec]` of message `raw`; an address that names nothing gives b""
    (as Dovecot). The MIME tree (`parsed`, else parsed here) is only needed for part
    numbers: a bulk HEADER.FIELDS fetch splits the header off and no more."""
    words = spec.strip().split(None, 1)
    head = words[0] if words else ""
    names = words[1] if len(words) > 1 else ""
    if not head[:1].isdigit():
        if not head:
            return raw
        header, body = split_header(raw)
        return _text_section(header, body, head.upper(), names)
    path: list[int] = []
    rest = head
    while rest and rest[0].isdigit():
        num, _, rest = rest.partition(".")
        if not num.isdigit() or int(num) == 0:
            return b""
        path.append(int(num))
    part = parsed() if parsed is not None else parse(raw)
    for n in path:
        kids = _children(part)
        if n > len(kids):
            return b""
        part = kids[n - 1]
    text_part = rest.upper()
    if not text_part:
        return part.body
    if text_part == "MIME":
        return part.header
    # HEADER/TEXT of a part address the message inside a message/rfc822 part.
    if part.message is None:
        return b""
    return _text_section(part.message.header, part.message.body, text_part, names)


def _text_section(header: bytes, body: bytes, text_part: str, names: str) -> bytes:
    if text_part == "HEADER":
        return header
    if text_part == "TEXT":
        return body
    if text_part in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        wanted = {n.upper() for n in names.strip("() ").split()}
        return header_fields(header, wanted, exclude=text_part.endswith(".NOT"))
    return b""


def _children(part: MimePart) -> list[MimePart]:
    if part.children:
        return part.children
    if part.message is not None:
        inner = part.message
        return inner.children or [_body_only(inner)]
    # Every message has a part 1: a single-part message's body (RFC 9051 §6.4.5).
    return [] if part.alias else [_body_only(part)]


def _body_only(part: MimePart) -> MimePart:
    """A leaf addressed as its own part 1 ("2.1" of a leaf is "2", as Dovecot serves it);
    its MIME header is the header it has."""
    return MimePart(part.header, part.body, part.headers, alias=True)


def header_fields(header: bytes, names: set[str], *, exclude: bool = False) -> bytes:
    """The header lines (folded continuation lines kept) whose names are (not) in `names`,
    plus the empty line, as HEADER.FIELDS[.NOT] returns them."""
    out: list[bytes] = []
    for m in _HEADER_LINE.finditer(header):
        line = m.group(0)
        if not line.strip():
            continue
        name = line.split(b":", 1)[0].strip().upper().decode("ascii", "replace")
        if (name in names) != exclude:
            out.append(line if line.endswith(b"\n") else line + b"\r\n")
    return b"".join(out) + b"\r\n"


# --- BODYSTRUCTURE and ENVELOPE (RFC 9051 §7.5.2) ----------------------------------------
# Values go out as the message has them (8-bit bytes, RFC 2047 words and RFC 2231
# parameters undecoded), as Dovecot sends them; types are lower case.


def bodystructure(part: MimePart, *, extensible: bool = True) -> bytes:
    """BODYSTRUCTURE (or BODY when not `extensible`) of a part and what it contains."""
    h = part.headers
    if part.children:
        out = b"".join(bodystructure(c, extensible=extensible) for c in part.children)
        out += b" " + string(h.get_content_subtype())
        if extensible:
            out += b" " + b" ".join(
                [
                    _params(part),
                    _disposition(part),
                    _language(part),
                    string(part.field("Content-Location")),
                ]
            )
        return b"(" + out + b")"
    fields = [
        string(h.get_content_maintype()),
        string(h.get_content_subtype()),
        _params(part),
        string(part.field("Content-ID")),
        string(part.field("Content-Description")),
        string(part.field("Content-Transfer-Encoding") or b"7bit"),
        str(len(part.body)).encode(),
    ]
    if part.message is not None:
        fields += [
            envelope(part.message),
            bodystructure(part.message, extensible=extensible),
            str(_lines(part.body)).encode(),
        ]
    elif h.get_content_maintype() == "text":
        fields.append(str(_lines(part.body)).encode())
    if extensible:
        fields += [
            string(part.field("Content-MD5")),
            _disposition(part),
            _language(part),
            string(part.field("Content-Location")),
        ]
    return b"(" + b" ".join(fields) + b")"


def _lines(body: bytes) -> int:
    """Line breaks in the body (a last line without one is not counted, as Dovecot)."""
    return body.count(b"\n")


_CONTINUATION = re.compile(rb"(.+)\*\d+(\*?)")
_PARAM = re.compile(rb';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _params(part: MimePart, header: str = "Content-Type") -> bytes:
    """Parameters as written (RFC 2231 values stay encoded, as Dovecot sends them)."""
    value = part.field(header) or b""
    merged: dict[bytes, bytes] = {}
    for key, raw_value in _PARAM.findall(value):
        v = raw_value.strip()
        if v.startswith(b'"') and v.endswith(b'"') and len(v) > 1:
            v = re.sub(rb"\\(.)", rb"\1", v[1:-1])
        # RFC 2231 §3 continuations (name*0*=, name*1*=) are joined, still encoded.
        m = _CONTINUATION.fullmatch(key.lower())
        name = m.group(1) + m.group(2) if m else key.lower()
        if m and m.group(1) + b"*" in merged:
            name = m.group(1) + b"*"
        merged[name] = merged.get(name, b"") + v
    if header == "Content-Type" and part.headers.get_content_maintype() == "text":
        # Dovecot names the default charset (RFC 2045 §5.2) when the message does not.
        merged = {b"charset": b"us-ascii", **merged} if b"charset" not in merged else merged
    pairs = [string(k) + b" " + string(v) for k, v in merged.items()]
    return b"(" + b" ".join(pairs) + b")" if pairs else b"NIL"


def _disposition(part: MimePart) -> bytes:
    value = part.field("Content-Disposition")
    if value is None:
        return b"NIL"
    kind = value.split(b";", 1)[0].strip().lower()
    return b"(" + string(kind) + b" " + _params(part, "Content-Disposition") + b")"


def _language(part: MimePart) -> bytes:
    value = part.field("Content-Language")
    return string(value) if value else b"NIL"


def envelope(msg: MimePart) -> bytes:
    """ENVELOPE; Sender and Reply-To default to From (RFC 9051 §7.5.2)."""
    sender = _addresses(msg, "From")
    fields = [
        string(msg.field("Date")),
        string(msg.field("Subject")),
        sender,
        _addresses(msg, "Sender") if msg.field("Sender") else sender,
        _addresses(msg, "Reply-To") if msg.field("Reply-To") else sender,
        _addresses(msg, "To"),
        _addresses(msg, "Cc"),
        _addresses(msg, "Bcc"),
        string(msg.field("In-Reply-To")),
        string(msg.field("Message-ID")),
    ]
    return b"(" + b" ".join(fields) + b")"


def _addresses(msg: MimePart, name: str) -> bytes:
    values = [v.decode("utf-8", "surrogateescape") for v in msg.fields(name)]
    out: list[bytes] = []
    for display, addr in email.utils.getaddresses(values):
        if not addr and not display:
            continue
        local, _, domain = addr.rpartition("@") if "@" in addr else (addr, "", "")
        items = [display or None, None, local or None, domain or None]
        out.append(b"(" + b" ".join(string(x) for x in items) + b")")
    return b"(" + b"".join(out) + b")" if out else b"NIL"
