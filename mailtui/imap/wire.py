"""A lean reader for the hot IMAP responses (bulk FETCH, SEARCH, QRESYNC SELECT), and
the quoting of strings mailtui sends. The pure parsers it hands lines to are `parse`.

imapclient's general parser is about 4 x slower on a bulk header FETCH (measured by
bench/sync.py on 20k messages) and keeps every response in memory. This module reads the response stream straight from
imaplib's buffered socket file (line + literal at a time, so nothing past the tagged
reply is consumed) and decodes only the flat item shapes mailtui asks for in bulk:
UID, FLAGS, MODSEQ, INTERNALDATE, RFC822.SIZE and BODY[...] literals.

What a server may send is capped, and anything past a cap or unreadable is
`MalformedResponse` (the session then drops the connection):
- a line outside literals: `MAX_LINE` (1 MiB); a SEARCH, ESEARCH or VANISHED line,
  which is nothing but UIDs, `MAX_SET_LINE` (16 MiB, ~2 million UIDs without ESEARCH);
- a literal: `MAX_HEADER_LITERAL` (1 MiB) for a header block or any reply that is not
  a body part, `MAX_PART_LITERAL` (64 MiB) for a body part or whole message;
- its size: ASCII digits only — no sign, no "_" (which `int()` accepts), no hex;
- nesting: `scan.MAX_DEPTH` parentheses; numbers: 20 digits, UIDs 1 ≤ uid < 2^32;
- one command's whole reply: `MAX_REPLY` (160 MiB, counting each response's bytes plus
  what its Python object costs, ~320 bytes): a server that answers a NOOP with endless
  `* 1 EXISTS` lines stops there. The largest honest replies are far below: a cold-sync
  batch of 10,000 header blocks, a 64 MiB part, the flags of a 400,000-message folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from mailtui.backend import Fetched
from mailtui.errors import MalformedResponse
from mailtui.imap import scan
from mailtui.imap.errors import ConnectionLost, ProtocolError
from mailtui.imap.parse import Response, Untagged, internaldate_to_epoch, parse_fetch, section_name
from mailtui.imap.scan import shown

MAX_LINE = 1 << 20
MAX_SET_LINE = 16 << 20
MAX_HEADER_LITERAL = 1 << 20
MAX_PART_LITERAL = 64 << 20
MAX_REPLY = 160 << 20
REPLY_OBJECT_COST = 320

_SET_LINE = re.compile(rb"\* (?:SEARCH|ESEARCH|VANISHED)\b", re.I)
_FETCH_HEAD = re.compile(rb"\* ([0-9]{1,10}) FETCH \(", re.I)
_TAGGED = re.compile(rb"(\S+) (OK|NO|BAD)\b ?(.*)\r\n$", re.I | re.S)


def quote(value: str | bytes) -> bytes:
    """An IMAP quoted string (RFC 9051 §4.3); callers encode folder names to mUTF-7 first."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if b"\r" in raw or b"\n" in raw or b"\0" in raw:
        raise ValueError("IMAP quoted strings cannot contain CR, LF or NUL")
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


class LineSource(Protocol):
    """What imaplib.IMAP4 offers: buffered `readline()` and exact `read(n)`."""

    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int, /) -> bytes: ...


def read_line(file: LineSource, line: bytes | None = None) -> bytes:
    """One response line, CRLF included, read through `file` (a buffered socket file)
    without ever holding more than the cap: MAX_LINE, or MAX_SET_LINE for a line of
    UIDs. Longer is MalformedResponse after reading at most the cap; EOF is
    ConnectionLost. `line`: what a caller's own readline(MAX_LINE + 1) got already."""
    if line is None:
        line = file.readline(MAX_LINE + 1)
    if line.endswith(b"\n"):
        return line
    if len(line) <= MAX_LINE:
        raise ConnectionLost(
            "The IMAP server closed the connection mid-line"
            if line
            else "The IMAP server closed the connection"
        )
    if _SET_LINE.match(line) is None:
        raise MalformedResponse(
            f"The IMAP server sent a line longer than {MAX_LINE >> 20} MiB: {shown(line)}"
        )
    parts, total = [line], len(line)
    while not parts[-1].endswith(b"\n"):
        if total > MAX_SET_LINE:
            raise MalformedResponse(
                f"The IMAP server sent a UID list longer than {MAX_SET_LINE >> 20} MiB"
            )
        more = file.readline(MAX_LINE + 1)
        if not more:
            raise ConnectionLost("The IMAP server closed the connection mid-line")
        parts.append(more)
        total += len(more)
    return b"".join(parts)


_LINE_READ = MAX_LINE + 1
_UID_MAX, _NUMBER64_MAX = scan.UID_MAX, scan.NUMBER64_MAX


# Value patterns for the flat items of a bulk FETCH, to compile one regex per item order.
# Digit counts are bounded so a match can never feed int() a 4,300-digit number.
_ITEM_VALUE = {
    b"UID": rb"UID ([0-9]{1,10})",
    b"FLAGS": rb"FLAGS \(([^()]*)\)",
    b"MODSEQ": rb"MODSEQ \(([0-9]{1,19})\)",
    b"INTERNALDATE": rb'INTERNALDATE "([^"\\]*)"',
    b"RFC822.SIZE": rb"RFC822\.SIZE ([0-9]{1,19})",
}
_SHAPES: dict[tuple[bytes, ...], re.Pattern[bytes] | None] = {}
# A FETCH of flat items only (a flag change, fetch_flags): "UID 5 FLAGS (\Seen) MODSEQ (9))".
_FLAT_ITEM = rb"(?:UID [0-9]{1,10}|FLAGS \([^()]*\)|MODSEQ \([0-9]{1,19}\))"
_FLAT = re.compile(_FLAT_ITEM + rb"(?: " + _FLAT_ITEM + rb")*\)\r\n\Z", re.I)
_FLAT_PARTS = re.compile(rb"(UID|FLAGS|MODSEQ) (?:([0-9]+)|\(([^()]*)\))", re.I)


def _shape_pattern(names: tuple[bytes, ...]) -> re.Pattern[bytes] | None:
    """One regex for a whole FETCH line whose items come in this order, ending in a literal."""
    if names in _SHAPES:
        return _SHAPES[names]
    parts = []
    for name in names[:-1]:
        value = _ITEM_VALUE.get(name.upper())
        if value is None:
            _SHAPES[names] = None
            return None
        parts.append(value)
    last = names[-1]
    parts.append(re.escape(last) + rb" ~?\{([0-9]{1,20})\}\r\n")
    pattern = re.compile(rb" ".join(parts), re.I)
    if len(_SHAPES) < 64:
        _SHAPES[names] = pattern
    return pattern


def _parse_flat(seq: int, line: bytes, start: int) -> Fetched | None:
    """A FETCH of only UID, FLAGS and MODSEQ, the bulk of a flag resync; None otherwise."""
    if _FLAT.match(line, start) is None:
        return None
    rec = Fetched(seq)
    for name, num, paren in _FLAT_PARTS.findall(line, start):
        name = name.upper()
        if name == b"UID":  # (_FLAT let through at most 10 digits)
            rec.uid = int(num)
            if not 1 <= rec.uid <= scan.UID_MAX:
                scan.uid(num)  # raises, saying why
        elif name == b"FLAGS":
            flags = paren.decode("utf-8", "replace").split()
            rec.flags = tuple(f for f in flags if f != "\\Recent")
        else:
            rec.modseq = int(paren)  # (at most 19 digits)
            if rec.modseq > scan.NUMBER64_MAX:
                scan.number(paren, what="a MODSEQ")
    return rec


class ResponseReader:
    """Reads one command's responses through imaplib's buffer, never past its tagged line.

    `max_literal` caps each literal: MAX_HEADER_LITERAL unless the command asked for a
    body part (MAX_PART_LITERAL).
    """

    def __init__(
        self,
        source: LineSource,
        on_line: Callable[[bytes], None] | None = None,
        *,
        max_literal: int = MAX_HEADER_LITERAL,
    ) -> None:
        # imaplib's buffered socket file when there is one: its C readline/read skip a
        # Python frame per call, which adds up over 300k calls in a 100k-message sync.
        self.file = getattr(source, "file", None) or source
        self.on_line = on_line
        self.max_literal = max_literal
        self._fast: re.Pattern[bytes] | None = None
        self._fast_names: tuple[bytes, ...] = ()
        self._fast_section = ""
        self._fast_idx: tuple[int, ...] = ()

    def _read_literal(self, n: int) -> bytes:
        data = self.file.read(n)
        if len(data) != n:
            raise ConnectionLost("The IMAP server closed the connection mid-response")
        return data

    def _learn(self, names: list[bytes]) -> None:
        """Remember this server's item order for the shape regex."""
        shape = tuple(names)
        if not shape or shape == self._fast_names:
            return
        self._fast = _shape_pattern(shape)
        self._fast_names = shape
        self._fast_section = section_name(shape[-1].upper())
        upper = [n.upper() for n in shape[:-1]]
        self._fast_idx = tuple(
            upper.index(item) if item in upper else -1
            for item in (b"UID", b"FLAGS", b"MODSEQ", b"INTERNALDATE", b"RFC822.SIZE")
        )

    def _parse_fast(
        self, seq: int, first: bytes, start: int, segments: list[bytes], literal: bytes
    ) -> Fetched | None:
        assert self._fast is not None
        m = self._fast.match(first, start)
        if m is None or len(segments) != 2 or segments[1] != b")\r\n":
            return None
        g = m.groups()
        iu, ifl, ims, idt, isz = self._fast_idx
        uid = int(g[iu]) if iu >= 0 else 1
        modseq = int(g[ims]) if ims >= 0 else 0
        size = int(g[isz]) if isz >= 0 else 0
        if not 0 < uid <= _UID_MAX or modseq > _NUMBER64_MAX or size > _NUMBER64_MAX:
            return None  # the careful parser says why
        if iu < 0:
            uid = 0
        flags = None
        if ifl >= 0:
            raw_flags = g[ifl]
            flags = tuple(raw_flags.decode("utf-8", "replace").split())
            if b"\\Recent" in raw_flags:
                flags = tuple(f for f in flags if f != "\\Recent")
        return Fetched(
            seq,
            uid,
            flags,
            modseq,
            internaldate_to_epoch(g[idt]) if idt >= 0 else 0,
            size,
            {self._fast_section: literal},
        )

    def read_one(self) -> tuple[list[bytes], list[bytes]]:
        """One logical response: its text segments and the literals between them."""
        # (Inlined for the 300k calls of a 100k-message sync; read_line does the rest.)
        file, on_line, limit = self.file, self.on_line, self.max_literal
        line = file.readline(_LINE_READ)
        if not line.endswith(b"\n"):
            line = read_line(file, line)
        if on_line is not None:
            on_line(line)
        if not line.endswith(b"}\r\n"):
            return [line], []
        segments = [line]
        literals: list[bytes] = []
        while True:
            # The usual "{123}\r\n" without a regex; scan.literal_size for the rest.
            brace = line.rfind(b"{", -26)
            digits = line[brace + 1 : -3]
            if brace >= 0 and digits.isdigit() and len(digits) <= 20 and int(digits) <= limit:
                size: int | None = int(digits)
            else:
                size = scan.literal_size(line, limit)
            if size is None:
                break
            literals.append(self._read_literal(size))
            line = file.readline(_LINE_READ)
            if not line.endswith(b"\n"):
                line = read_line(file, line)
            if on_line is not None:
                on_line(line)
            segments.append(line)
        return segments, literals

    def until_tagged(
        self,
        tag: bytes,
        on_fetch: Callable[[Fetched], None] | None = None,
    ) -> Response:
        """Collect responses until `tag`'s completion; FETCHes are decoded on the fly."""
        try:
            return self._until_tagged(tag, on_fetch)
        except TimeoutError as exc:
            raise ConnectionLost("The IMAP server stopped answering (timed out)") from exc
        except (ConnectionLost, ProtocolError):
            raise
        except OSError as exc:
            raise ConnectionLost(f"The IMAP connection broke: {exc}") from exc

    def _until_tagged(self, tag: bytes, on_fetch: Callable[[Fetched], None] | None) -> Response:
        resp = Response("", "")
        prefix = tag + b" "
        budget = MAX_REPLY
        while True:
            segments, literals = self.read_one()
            first = segments[0]
            budget -= len(first) + REPLY_OBJECT_COST
            if literals:
                budget -= sum(map(len, literals)) + sum(map(len, segments))
            if budget < 0:
                raise MalformedResponse(
                    f"The IMAP server sent more than {MAX_REPLY >> 20} MiB for one command"
                )
            if first.startswith(prefix):
                m = _TAGGED.match(first)
                if m is None:
                    raise MalformedResponse(f"Unparseable IMAP reply: {shown(first, 200)}")
                resp.status = m.group(2).decode().upper()
                resp.text = m.group(3).decode("utf-8", "replace")
                return resp
            if first.startswith(b"* "):
                head = _FETCH_HEAD.match(first)
                if head is None:
                    segments[0] = first[2:]
                    resp.untagged.append(Untagged(segments, literals))
                    continue
                seq = int(head.group(1))
                rec = None
                if len(literals) == 1 and self._fast is not None:
                    rec = self._parse_fast(seq, first, head.end(), segments, literals[0])
                elif not literals:
                    rec = _parse_flat(seq, first, head.end())
                if rec is None:
                    segments[0] = first[head.end() :]
                    names: list[bytes] = []
                    rec = parse_fetch(seq, segments, literals, names)
                    if len(literals) == 1 and len(segments) == 2 and rec.uid:
                        self._learn(names)
                if on_fetch is not None:
                    on_fetch(rec)
                else:
                    resp.fetches.append(rec)
                continue
            if first.startswith(b"+"):
                raise MalformedResponse(
                    "The IMAP server asked for a continuation mailtui did not expect"
                )
            raise MalformedResponse(f"Unexpected IMAP line: {shown(first, 200)}")
