"""MIME entities located by byte offsets in the raw message, never re-serialised.

A PGP/MIME signature (RFC 3156 §5) covers the signed part exactly as it was sent: its
MIME headers, the empty line and its body, with CRLF line ends, up to but not including
the CRLF that belongs to the next boundary delimiter (RFC 2046 §5.1.1). Python's
`email` package re-folds headers and rewrites line ends when it serialises, which breaks
signatures; so this module walks boundaries on the bytes themselves and hands back
slices of the original. `email` is used only to read a Content-Type's parameters.

Sections follow IMAP numbering, as `mime.parse` and BODYSTRUCTURE do (RFC 9051
§6.4.5): the top-level multipart is "", its children "1", "2", a nested multipart's
children "2.1"; a message/rfc822 part "3" holds its inner message, whose multipart body
is section "3" too (children "3.1", …) and whose single-part body is "3.1".
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

__all__ = [
    "Entity",
    "SignedParts",
    "canonical_crlf",
    "decode_transfer",
    "encrypted_payload",
    "find_entity",
    "header_fields",
    "imap_signed_bytes",
    "parse_tree",
    "signed_parts",
]

MAX_DEPTH = 64  # as mime.parse: deeper parts are opaque leaves
MAX_PARTS = 10_000


@dataclass(frozen=True, slots=True)
class Entity:
    """One MIME entity: where it sits in the raw bytes and what its headers say."""

    section: str
    start: int  # first byte of its header block (0 for the whole message)
    body_start: int  # first byte of its body
    end: int  # one past its last byte (the CRLF before a delimiter excluded)
    content_type: str  # lower-case "type/subtype"
    params: tuple[tuple[str, str], ...] = ()
    encoding: str = "7bit"  # Content-Transfer-Encoding, lower-case
    children: tuple[Entity, ...] = ()

    def param(self, name: str, default: str = "") -> str:
        """A Content-Type parameter (any case), `default` when absent."""
        key = name.lower()
        return next((v for k, v in self.params if k == key), default)

    def walk(self) -> Iterator[Entity]:
        """Depth-first, self first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class SignedParts:
    """The two halves of a multipart/signed, ready for a detached verify."""

    signed: bytes  # the first part's exact bytes, CRLF line ends
    signature: bytes  # the second part's body, transfer-decoded
    protocol: str  # lower-case protocol parameter ("application/pgp-signature")
    micalg: str  # lower-case micalg parameter ("pgp-sha256")


_LONE_LF = re.compile(rb"(?<!\r)\n")


def canonical_crlf(data: bytes) -> bytes:
    """Bare LF line ends made CRLF (a Maildir file often has LF); CRLF left alone."""
    if b"\n" not in data or data.count(b"\n") == data.count(b"\r\n"):
        return data
    return _LONE_LF.sub(b"\r\n", data)


def imap_signed_bytes(mime_header: bytes, body: bytes) -> bytes:
    """The signed part from an IMAP fetch: ``BODY.PEEK[n.MIME]`` + ``BODY.PEEK[n]``."""
    return canonical_crlf(mime_header + body)


def _line_end(data: bytes, pos: int, end: int) -> int:
    """Index just past the line starting at `pos` (past its LF), at most `end`."""
    nl = data.find(b"\n", pos, end)
    return end if nl < 0 else nl + 1


def _header_block_end(data: bytes, start: int, end: int) -> int:
    """Where the body starts: just after the first empty line, or `end` when none."""
    pos = start
    while pos < end:
        if data.startswith(b"\r\n", pos):
            return pos + 2
        if data.startswith(b"\n", pos):
            return pos + 1
        pos = _line_end(data, pos, end)
    return end


def header_fields(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[str, str]]:
    """Header fields of the block at `start` as (name, unfolded raw value); bytes
    outside ASCII are read as UTF-8. Stops at the empty line or a line that is not a
    field (RFC 5322 §2.2)."""
    stop = len(data) if end is None else end
    body = _header_block_end(data, start, stop)
    fields: list[tuple[str, str]] = []
    pos = start
    while pos < body:
        nxt = _line_end(data, pos, body)
        line = data[pos:nxt].rstrip(b"\r\n")
        pos = nxt
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if fields:
                name, value = fields[-1]
                fields[-1] = (name, value + " " + line.decode("utf-8", "replace").strip())
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip() or b" " in name.strip():
            break
        fields.append(
            (name.strip().decode("ascii", "replace"), value.decode("utf-8", "replace").strip())
        )
    return fields


def _first(fields: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in fields if k.lower() == name), "")


def _content_type(value: str, default: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """("type/subtype", params) from a Content-Type value, via `email`'s lenient reader."""
    if not value:
        return default, ()
    msg = Message()
    msg["Content-Type"] = value
    ctype = msg.get_content_type()
    if ctype == "text/plain" and "/" not in value.split(";", 1)[0]:
        ctype = default  # garbage type: RFC 2045 §5.2 says text/plain, digest says rfc822
    params: list[tuple[str, str]] = []
    for key, val in (msg.get_params() or [])[1:]:
        text = val if isinstance(val, str) else str(val[2])
        params.append((key.lower(), text))
    return ctype, tuple(params)


def _delimiters(data: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int, bool]]:
    """Each delimiter line as (where its preceding line break starts, where the next
    part starts, whether it closes), per RFC 2046 §5.1.1."""
    marker = b"--" + boundary
    found: list[tuple[int, int, bool]] = []
    pos = start
    while pos < end:
        i = data.find(marker, pos, end)
        if i < 0:
            break
        pos = i + len(marker)
        if i != start and data[i - 1 : i] != b"\n":
            continue  # not at the start of a line
        after = i + len(marker)
        closing = data.startswith(b"--", after)
        j = after + 2 if closing else after
        while j < end and data[j] in b" \t":  # transport padding
            j += 1
        at_eol = j >= end or data.startswith(b"\r\n", j) or data[j : j + 1] == b"\n"
        if not at_eol and not closing:
            continue  # the boundary is only a prefix of something longer
        next_start = _line_end(data, j, end)
        if i == start:
            brk = i
        elif data[i - 2 : i] == b"\r\n" and i - 2 >= start:
            brk = i - 2
        else:
            brk = i - 1
        found.append((brk, next_start, closing))
        if closing:
            break
    return found


class _Walker:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.count = 0

    def entity(
        self, section: str, start: int, end: int, depth: int, default: str = "text/plain"
    ) -> Entity:
        """The entity at data[start:end] that is a multipart child or a message body."""
        self.count += 1
        fields = header_fields(self.data, start, end)
        body_start = _header_block_end(self.data, start, end)
        ctype, params = _content_type(_first(fields, "content-type"), default)
        cte = _first(fields, "content-transfer-encoding").strip().lower() or "7bit"
        children: tuple[Entity, ...] = ()
        boundary = dict(params).get("boundary", "")
        if ctype.startswith("multipart/") and boundary and depth < MAX_DEPTH:
            children = self._children(section, body_start, end, boundary, depth, ctype)
        elif ctype in ("message/rfc822", "message/global") and depth < MAX_DEPTH:
            children = (self.message_body(section, body_start, end, depth + 1),)
        return Entity(section, start, body_start, end, ctype, params, cte, children)

    def message_body(self, section: str, start: int, end: int, depth: int) -> Entity:
        """A whole (possibly encapsulated) message: its body's section per IMAP."""
        fields = header_fields(self.data, start, end)
        ctype, _ = _content_type(_first(fields, "content-type"), "text/plain")
        if ctype.startswith("multipart/"):
            return self.entity(section, start, end, depth)
        return self.entity(f"{section}.1" if section else "1", start, end, depth)

    def _children(
        self, section: str, start: int, end: int, boundary: str, depth: int, ctype: str
    ) -> tuple[Entity, ...]:
        delims = _delimiters(self.data, start, end, boundary.encode("utf-8", "replace"))
        default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
        prefix = f"{section}." if section else ""
        out: list[Entity] = []
        for n, (_, part_start, closing) in enumerate(delims):
            if closing or self.count >= MAX_PARTS:
                break
            part_end = delims[n + 1][0] if n + 1 < len(delims) else end
            part_end = max(part_end, part_start)
            out.append(self.entity(f"{prefix}{n + 1}", part_start, part_end, depth + 1, default))
        return tuple(out)


def parse_tree(raw: bytes) -> Entity:
    """The MIME tree of a whole message, each node located in `raw` by offsets."""
    return _Walker(raw).message_body("", 0, len(raw), 0)


def find_entity(root: Entity, section: str, content_type: str = "") -> Entity | None:
    """The entity with that section (and type, when given); the outermost one wins."""
    for node in root.walk():
        if node.section == section and (not content_type or node.content_type == content_type):
            return node
    return None


def decode_transfer(data: bytes, encoding: str) -> bytes:
    """A body under its Content-Transfer-Encoding decoded; unknown ones left as they are."""
    enc = encoding.strip().lower()
    if enc == "base64":
        try:
            return base64.b64decode(b"".join(data.split()) + b"==", validate=False)
        except (binascii.Error, ValueError):
            return b""
    if enc == "quoted-printable":
        return quopri.decodestring(data)
    return data


def _body(raw: bytes, node: Entity) -> bytes:
    return decode_transfer(raw[node.body_start : node.end], node.encoding)


def signed_parts(raw: bytes, section: str = "") -> SignedParts | None:
    """The signed bytes and the signature of the multipart/signed at `section` of a
    whole message (a Maildir file, an IMAP ``BODY[]``); None when there is none there."""
    node = find_entity(parse_tree(raw), section, "multipart/signed")
    if node is None or len(node.children) < 2:
        return None
    first, sig = node.children[0], node.children[1]
    return SignedParts(
        signed=canonical_crlf(raw[first.start : first.end]),
        signature=_body(raw, sig),
        protocol=node.param("protocol").lower(),
        micalg=node.param("micalg").lower(),
    )


def encrypted_payload(raw: bytes, section: str = "") -> bytes | None:
    """The ciphertext (second part) of the multipart/encrypted at `section`, or None."""
    node = find_entity(parse_tree(raw), section, "multipart/encrypted")
    if node is None or len(node.children) < 2:
        return None
    return _body(raw, node.children[1])
