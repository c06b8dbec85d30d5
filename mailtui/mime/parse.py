"""Whole messages from bytes: decoded headers, an IMAP-numbered part tree, part contents.

Python's `email` package (compat32: lenient, fast, no header objects) does the MIME
splitting; everything it hands back is treated as hostile. Sections follow IMAP
numbering (RFC 9051 §6.4.5) so a part picked from a cached BODYSTRUCTURE and the same
part of a parsed message have the same name:

- a single-part message's body is "1";
- a multipart's children are "1", "2", …, a nested multipart's "2.1", "2.2", …;
- a message/rfc822 part "3" holds its inner message: a multipart body gets section
  "3" too (IMAP's "3.TEXT") with children "3.1", "3.2"; a single-part body is "3.1".
- the top-level multipart (the whole message's TEXT) has section "".
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from email import utils as email_utils
from email.feedparser import BytesFeedParser
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from io import BytesIO

from mailtui.model import Address, BodyPart, Envelope
from mailtui.text.addresses import parse_addresses
from mailtui.text.charset import decode_bytes
from mailtui.text.chunks import STEP, CancelCheck, check
from mailtui.text.dates import parse_date
from mailtui.text.encoded_words import decode_header
from mailtui.text.msgids import normalize_msgid, parse_msgids
from mailtui.text.safe import clean_line, clean_text

__all__ = [
    "MAX_DEPTH",
    "ParsedMessage",
    "decode_part",
    "parse_message",
    "split_header",
    "transfer_decode",
]

# Deeper parts are kept as opaque leaves. `email` itself recurses once per level and
# raises RecursionError somewhere near 1,000; no real message nests past a dozen.
MAX_DEPTH = 64
# Parts beyond this many are dropped from the tree (a MIME bomb of 100k empty parts).
MAX_PARTS = 10_000

# --------------------------------------------------------------------------- parameters

_PARAM_SPECIAL = re.compile(r'[;"]')


def _finish_param(f: str) -> str:
    if "=" in f:
        i = f.index("=")
        f = f[:i].strip().lower() + "=" + f[i + 1 :].strip()
    return f.strip()


def _parseparam(value: object) -> list[str]:
    """`email.message._parseparam`, same result, linear time.

    The stdlib version counts the quotes from the start of the parameter again for
    every ";" it meets and copies the rest of the header after every parameter: 100 KB
    of `a=";;;…"` took 26 s, and `email` runs it while splitting a multipart. A ";"
    ends a parameter when an even number of unescaped quotes precede it there.
    """
    s = str(value)
    plist: list[str] = []
    start = 0
    odd = False
    for m in _PARAM_SPECIAL.finditer(s):
        p = m.start()
        if s[p] == '"':
            if not (p > start and s[p - 1] == "\\"):
                odd = not odd
        elif not odd:
            plist.append(_finish_param(s[start:p]))
            start = p + 1
    plist.append(_finish_param(s[start:]))
    return plist


class _Message(Message):
    """compat32 Message whose Content-Type/-Disposition parameters parse in linear time,
    and which `email` does not descend into when it sits too deep (see _parse_email)."""

    too_deep = False

    def get_content_type(self) -> str:
        if self.too_deep:
            return _TOO_DEEP_TYPE
        return super().get_content_type()

    def _get_params_preserve(self, failobj: object, header: str) -> object:
        # The stdlib method (3.11) with _parseparam replaced; everything else as it was.
        missing = object()
        value = self.get(header, missing)
        if value is missing:
            return failobj
        params: list[tuple[str, str]] = []
        for p in _parseparam(value):
            name, sep, val = p.partition("=")
            params.append((name.strip(), val.strip()) if sep else (p.strip(), ""))
        return email_utils.decode_params(params)


_TOO_DEEP_TYPE = "application/octet-stream"


class _DepthLimitedFactory:
    """Makes `email`'s message objects, marking those nested past MAX_DEPTH.

    `email` checks every line against the boundary of every enclosing multipart, so a
    message nested d deep costs d checks per line, and thousands of nested multiparts
    (60 bytes each) made parsing quadratic. A part past MAX_DEPTH says it is an opaque
    octet stream, so `email` reads its content as one leaf and nests no further.
    """

    def __init__(self) -> None:
        self.parser: BytesFeedParser | None = None

    def __call__(self, policy: object = compat32) -> _Message:
        msg = _Message(policy)  # type: ignore[arg-type]
        # FeedParser._msgstack: the messages being parsed, outermost first (CPython
        # internals, stable since Python 2.4).
        stack = getattr(self.parser, "_msgstack", ())
        msg.too_deep = len(stack) > MAX_DEPTH
        return msg


def _parse_email(raw: bytes, *, headersonly: bool = False) -> Message:
    """`email`'s compat32 tree of `raw`, with the two fixes above (linear parameters,
    bounded nesting)."""
    factory = _DepthLimitedFactory()
    parser = BytesFeedParser(_factory=factory, policy=compat32)
    factory.parser = parser
    if headersonly:
        parser._set_headersonly()
    parser.feed(raw)
    return parser.close()


# --------------------------------------------------------------------------- decoding

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_JUNK = bytes(sorted(set(range(256)) - set(_B64_ALPHABET + b"=")))


def _b64_run(run: bytes) -> bytes:
    """One "="-free run of base64 characters, decoded with its padding repaired."""
    if len(run) % 4 == 1:
        run = run[:-1]
    if not run:
        return b""
    return binascii.a2b_base64(run + b"=" * (-len(run) % 4))


def _b64decode(data: bytes, cancelled: CancelCheck = None) -> bytes:
    """Base64 that survives line noise, missing or early padding and 8-bit junk.

    "=" may only end the data, but mailers that concatenate encoded chunks put it
    inside: each "="-free run is decoded on its own. Worked in slices (see chunks).
    """
    out: list[bytes] = []
    carry = b""  # the current run's characters not yet decoded (fewer than 4)
    for i in range(0, len(data), STEP):
        runs = data[i : i + STEP].translate(None, _B64_JUNK).split(b"=")
        runs[0] = carry + runs[0]
        for run in runs[:-1]:
            out.append(_b64_run(run))
        last = runs[-1]
        whole = len(last) - len(last) % 4
        out.append(binascii.a2b_base64(last[:whole]) if whole else b"")
        carry = last[whole:]
        check(cancelled)
    out.append(_b64_run(carry))
    return b"".join(out)


def _qp_decode(data: bytes, cancelled: CancelCheck = None) -> bytes:
    """Quoted-printable in slices of whole lines (a soft break "=\\n" stays in one)."""
    out: list[bytes] = []
    start = 0
    n = len(data)
    while n - start > STEP:
        nl = data.find(b"\n", start + STEP)
        if nl < 0:
            break
        # a2b_qp keeps malformed "=XY" sequences literally instead of failing.
        out.append(binascii.a2b_qp(data[start : nl + 1]))
        start = nl + 1
        check(cancelled)
    out.append(binascii.a2b_qp(data[start:]))
    return b"".join(out)


def transfer_decode(payload: bytes, encoding: str, *, cancelled: CancelCheck = None) -> bytes:
    """Undo a Content-Transfer-Encoding (RFC 2045 §6); unknown encodings pass through."""
    enc = encoding.strip().lower()
    try:
        if enc == "base64":
            return _b64decode(payload, cancelled)
        if enc == "quoted-printable":
            return _qp_decode(payload, cancelled)
    except (binascii.Error, ValueError, MemoryError):
        return payload
    return payload


def decode_part(
    payload: bytes, encoding: str, charset: str, *, cancelled: CancelCheck = None
) -> str:
    """A fetched text part as display-safe text: transfer decoding, charset, cleaning."""
    data = transfer_decode(payload, encoding, cancelled=cancelled)
    return clean_text(decode_bytes(data, charset, cancelled=cancelled))


# --------------------------------------------------------------------------- structure


def _payload_bytes(msg: Message) -> bytes:
    """The still-encoded body of a leaf, exactly the bytes that were on the wire."""
    # Not get_payload(): without decode=True it re-decodes 8-bit bodies in the declared
    # charset with "replace", destroying the bytes a lying charset needs to be undone.
    payload = getattr(msg, "_payload", None)
    if payload is None:
        payload = msg.get_payload()
    if isinstance(payload, list):  # message/delivery-status and friends: header blocks
        return b"\n".join(_serialize(p) for p in payload if isinstance(p, Message))
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    try:
        return payload.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return payload.encode("utf-8", "surrogateescape")


def _serialize(msg: Message) -> bytes:
    """An encapsulated message back to bytes, as BODY[n] of a message/rfc822 would be."""
    buf = BytesIO()
    try:
        BytesGenerator(buf, mangle_from_=False, policy=compat32).flatten(msg)
    except (RecursionError, LookupError, ValueError, TypeError, UnicodeError):
        return b""
    return buf.getvalue()


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def split_header(raw: bytes) -> tuple[bytes, bytes]:
    """(header block including the blank line, body) of a message or part in bytes."""
    if raw.startswith((b"\n", b"\r\n")):
        blank = 1 if raw.startswith(b"\n") else 2
        return raw[:blank], raw[blank:]
    m = _BLANK_LINE.search(raw)
    if m is None:
        return raw, b""
    return raw[: m.end()], raw[m.end() :]


def _attached(msg: Message) -> Message | None:
    """The message a message/rfc822 (or message/global) part carries, if it has one."""
    if msg.get_content_type() not in ("message/rfc822", "message/global"):
        return None
    payload = msg.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]
    return None


def _body(msg: Message) -> bytes:
    """A message's or part's body as sent: a multipart's with its boundaries."""
    if _Builder._is_multipart(msg):
        return split_header(_serialize(msg))[1]
    return _payload_bytes(msg)


def _raw_headers(msg: Message) -> dict[str, str]:
    """First occurrence of each header, lower-cased name, value as stored (unparsed)."""
    out: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.lower()
        if key not in out:
            out[key] = value if isinstance(value, str) else str(value)
    return out


def _params(msg: Message) -> tuple[tuple[str, str], ...]:
    """Content-Type parameters, RFC 2231 continuations joined, values display-safe."""
    try:
        raw = msg.get_params() or []
    except (ValueError, TypeError, LookupError, IndexError):
        return ()
    out: list[tuple[str, str]] = []
    for k, v in raw[1:]:
        v = _rfc2231_text(v)
        v = decode_header(v.strip('"')) if k.lower() in ("name", "filename") else clean_line(v)
        out.append((clean_line(k).lower(), v))
    return tuple(out)


def _rfc2231_text(value: str | tuple[str, str, str]) -> str:
    """A parameter value; an RFC 2231 one, (charset, language, bytes as Latin-1), decoded
    by `decode_bytes` as `imap.translate` decodes the same value from BODYSTRUCTURE."""
    if not isinstance(value, tuple):
        return value
    charset, _lang, text = value
    try:
        return decode_bytes(text.encode("latin-1", "replace"), charset or "")
    except (LookupError, UnicodeError):
        return text


def _filename(msg: Message) -> str:
    """What `Message.get_filename` finds, its RFC 2231 value decoded by `_rfc2231_text`."""
    try:
        name = msg.get_param("filename", None, "content-disposition")
        if name is None:
            name = msg.get_param("name", None)
    except (ValueError, TypeError, LookupError, IndexError, UnicodeError):
        return ""
    if not name:
        return ""
    name = (_rfc2231_text(name) if isinstance(name, tuple) else email_utils.unquote(name)).strip()
    # Encoded words inside a filename are not RFC 2231 but are what most mailers send.
    return decode_header(name) if name else ""


def _disposition(msg: Message) -> str:
    value = msg.get("Content-Disposition")
    if value is None:
        return ""
    kind = str(value).split(";", 1)[0].strip().lower()
    if kind in ("inline", "attachment"):
        return kind
    # RFC 2183 §2.8: an unrecognised disposition is treated as "attachment".
    return "attachment" if kind else ""


def _leaf_sizes(parts: tuple[BodyPart, ...]) -> list[int]:
    """Sizes of every leaf under `parts` (without recursion)."""
    sizes: list[int] = []
    stack = list(parts)
    while stack:
        part = stack.pop()
        if part.children:
            stack.extend(part.children)
        else:
            sizes.append(part.size)
    return sizes


class _Builder:
    """Walks an `email` tree into BodyParts, remembering each section's node."""

    def __init__(self) -> None:
        self.nodes: dict[str, Message] = {}
        self.count = 0

    def _remember(self, section: str, msg: Message) -> None:
        # The first (outermost) claim wins: "3" is the message/rfc822 part, not its body.
        self.nodes.setdefault(section, msg)

    def message_body(self, msg: Message, section: str, depth: int) -> BodyPart:
        """The body of a message whose own section is `section` ("" for the top)."""
        if self._is_multipart(msg):
            return self._multipart(msg, section, depth)
        return self.part(msg, f"{section}.1" if section else "1", depth)

    @staticmethod
    def _is_multipart(msg: Message) -> bool:
        return msg.get_content_maintype() == "multipart" and isinstance(msg.get_payload(), list)

    def _multipart(self, msg: Message, section: str, depth: int) -> BodyPart:
        self._remember(section, msg)
        children: list[BodyPart] = []
        if depth < MAX_DEPTH:
            prefix = f"{section}." if section else ""
            for i, child in enumerate(msg.get_payload(), 1):
                if self.count >= MAX_PARTS:
                    break
                if isinstance(child, Message):
                    children.append(self.part(child, f"{prefix}{i}", depth + 1))
        return BodyPart(
            section=section,
            mime_type=self._type(msg),
            params=_params(msg),
            children=tuple(children),
            description="" if depth < MAX_DEPTH else "nested too deeply to show",
        )

    @staticmethod
    def _type(msg: Message) -> str:
        ctype = msg.get_content_type()
        if msg.get_content_maintype() == "multipart" and not isinstance(msg.get_payload(), list):
            # A multipart whose boundary never appears is just text to `email`; show it.
            return "text/plain"
        return clean_line(ctype).lower()

    def part(self, msg: Message, section: str, depth: int) -> BodyPart:
        """A part that is a child of a multipart (or the single body of a message)."""
        self.count += 1
        if self._is_multipart(msg):
            return self._multipart(msg, section, depth)
        self._remember(section, msg)
        ctype = self._type(msg)
        payload = msg.get_payload()
        children: tuple[BodyPart, ...] = ()
        description = ""
        # RFC 9051 §7.5.2: message/rfc822 and message/global carry a nested structure.
        if ctype in ("message/rfc822", "message/global") and isinstance(payload, list):
            inner = payload[0] if payload and isinstance(payload[0], Message) else None
            if inner is not None:
                description = decode_header(_raw_headers(inner).get("subject", ""))
                if depth < MAX_DEPTH:
                    children = (self.message_body(inner, section, depth + 1),)
        cte = str(msg.get("Content-Transfer-Encoding", "7bit") or "7bit")
        if isinstance(payload, list) and depth > 1:
            # An attached message inside an attached message: its size is the sum of its
            # parts', not its re-serialized length — that would serialize every level
            # again for each level above it (quadratic in the nesting).
            size = sum(_leaf_sizes(children))
        else:
            size = len(_payload_bytes(msg))
        return BodyPart(
            section=section,
            mime_type=ctype,
            params=_params(msg),
            encoding=clean_line(cte).lower() or "7bit",
            size=size,
            disposition=_disposition(msg),
            filename=_filename(msg),
            content_id=clean_line(str(msg.get("Content-ID", "") or "")).strip("<>"),
            children=children,
            description=description,
        )


# --------------------------------------------------------------------------- message


@dataclass(frozen=True)
class ParsedMessage:
    """A message as the reader and `mailtui show` need it; every string display-safe."""

    subject: str
    from_: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: int | None
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    list_id: str
    list_post: str
    structure: BodyPart
    # Every header in order, (name, decoded value), for a "show all headers" view.
    headers: tuple[tuple[str, str], ...] = ()
    _nodes: dict[str, Message] = field(default_factory=dict, repr=False, compare=False)
    _raw_body: bytes = field(default=b"", repr=False, compare=False)

    def part_bytes(self, section: str) -> bytes:
        """Transfer-decoded content of a part ("1", "2.1"); b"" when there is no such part."""
        msg = self._nodes.get(section)
        if msg is None:
            return self._raw_body if section == "1" and not self._nodes else b""
        # The node's own type, not structure.find(section): a walk of the tree per call
        # made taking out every part of a 10,000-part message quadratic.
        inner = _attached(msg)
        if inner is not None:
            return _serialize(inner)
        cte = str(msg.get("Content-Transfer-Encoding", "") or "")
        return transfer_decode(_payload_bytes(msg), cte)

    def wire_section(self, section: str) -> bytes:
        """BODY[section] of a numbered part as an IMAP server sends it (RFC 9051 §6.4.5),
        by the numbering of `structure`: a leaf still transfer-encoded, an attached
        message whole, "N.MIME" a part's own header, "N.HEADER"/"N.TEXT" an attached
        message's header and body; b"" for a part the message does not have. (A local
        store such as Maildir answers FETCH BODY[…] with it.)"""
        numbers, dot, suffix = section.rpartition(".")
        suffix = suffix.upper()
        if not (dot and suffix in ("HEADER", "TEXT", "MIME")):
            numbers, suffix = section, ""
        node = self._nodes.get(numbers)
        if node is None:
            return self._raw_body if numbers == "1" and not self._nodes and not suffix else b""
        if suffix == "MIME":
            return split_header(_serialize(node))[0]
        inner = _attached(node)
        if suffix:
            if inner is None:
                return b""
            return split_header(_serialize(inner))[0] if suffix == "HEADER" else _body(inner)
        return _serialize(inner) if inner is not None else _body(node)

    def header(self, name: str) -> str:
        """The first header called `name` (any case), decoded; "" when absent."""
        key = name.lower()
        return next((v for k, v in self.headers if k.lower() == key), "")

    def to_envelope(
        self,
        uid: int,
        flags: frozenset[str] = frozenset(),
        internaldate: int = 0,
        size: int = 0,
    ) -> Envelope:
        """The list row for this message (for local sources such as Maildir)."""
        return Envelope(
            uid=uid,
            flags=flags,
            internaldate=internaldate,
            size=size,
            date=self.date if self.date is not None else internaldate,
            subject=self.subject,
            from_=self.from_,
            # The envelope keeps recipients as decoded header text (see model.Envelope).
            to=self.header("To"),
            cc=self.header("Cc"),
            reply_to=self.header("Reply-To"),
            message_id=self.message_id,
            in_reply_to=self.in_reply_to,
            references=self.references,
            list_id=self.list_id,
            has_attachments=self.structure.has_attachments,
        )


_ANGLE = re.compile(r"<([^<>]*)>")


def _angle_or_value(value: str) -> str:
    """The <...> content of List-Id/List-Post, or the cleaned value if it has none."""
    m = _ANGLE.search(value)
    return clean_line(m.group(1) if m else value)


def _degraded(raw: bytes) -> tuple[Message, BodyPart]:
    """Headers only, body opaque: for messages `email` cannot take apart."""
    try:
        msg = _parse_email(raw, headersonly=True)
    except Exception:  # last resort for input `email` cannot read at all
        msg = Message()
    part = BodyPart(
        section="1",
        mime_type="application/octet-stream",
        description="structure too complex to show",
    )
    return msg, part


def _header_pairs(msg: Message) -> tuple[tuple[str, str], ...]:
    return tuple(
        (clean_line(name), decode_header(value if isinstance(value, str) else str(value)))
        for name, value in msg.raw_items()
    )


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a whole RFC 5322 message; never raises, degrades to what can be read."""
    nodes: dict[str, Message] = {}
    raw_body = b""
    try:
        msg = _parse_email(raw)
        builder = _Builder()
        structure = builder.message_body(msg, "", 0)
        nodes = builder.nodes
    except Exception:
        # RecursionError (deep nesting), LookupError (charsets), and whatever else a
        # hostile message finds in `email`: show the headers and keep the body opaque.
        msg, structure = _degraded(raw)
        _, _, raw_body = raw.partition(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n")
    h = _raw_headers(msg)
    in_reply_to = parse_msgids(h.get("in-reply-to", ""))
    return ParsedMessage(
        subject=decode_header(h.get("subject", "")),
        from_=parse_addresses(h.get("from", "")),
        to=parse_addresses(h.get("to", "")),
        cc=parse_addresses(h.get("cc", "")),
        reply_to=parse_addresses(h.get("reply-to", "")),
        date=parse_date(h.get("date", "")),
        message_id=normalize_msgid(h.get("message-id", "")),
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=parse_msgids(h.get("references", "")),
        list_id=_angle_or_value(decode_header(h.get("list-id", ""))),
        list_post=_angle_or_value(decode_header(h.get("list-post", ""))),
        structure=structure,
        headers=_header_pairs(msg),
        _nodes=nodes,
        _raw_body=raw_body,
    )
