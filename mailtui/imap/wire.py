"""A lean reader for the hot IMAP responses (bulk FETCH, SEARCH, QRESYNC SELECT).

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
from dataclasses import dataclass, field
from typing import Protocol

from mailtui.backend import Fetched, UidSet
from mailtui.backend.uidset import _Builder
from mailtui.errors import MalformedResponse
from mailtui.imap import scan
from mailtui.imap.errors import ConnectionLost, ProtocolError
from mailtui.imap.scan import NIL, NUMBER, PAREN, QUOTED, shown, tokenize
from mailtui.text.dates import MONTHS_BYTES, day_epoch

MAX_LINE = 1 << 20
MAX_SET_LINE = 16 << 20
MAX_HEADER_LITERAL = 1 << 20
MAX_PART_LITERAL = 64 << 20
MAX_REPLY = 160 << 20
REPLY_OBJECT_COST = 320

_SET_LINE = re.compile(rb"\* (?:SEARCH|ESEARCH|VANISHED)\b", re.I)
_FETCH_HEAD = re.compile(rb"\* ([0-9]{1,10}) FETCH \(", re.I)
_TAGGED = re.compile(rb"(\S+) (OK|NO|BAD)\b ?(.*)\r\n$", re.I | re.S)

_DATE_CACHE: dict[bytes, int] = {}


# RFC 9051 §9 date-time: date-day-fixed "-" date-month "-" date-year SP time SP zone.
_INTERNALDATE = re.compile(
    rb" ?([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"
)


def quote(value: str | bytes) -> bytes:
    """An IMAP quoted string (RFC 9051 §4.3); callers encode folder names to mUTF-7 first."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if b"\r" in raw or b"\n" in raw or b"\0" in raw:
        raise ValueError("IMAP quoted strings cannot contain CR, LF or NUL")
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def internaldate_to_epoch(value: bytes) -> int:
    """Parse an INTERNALDATE ("17-Jul-1996 02:44:25 -0700") to epoch seconds; 0 when it
    is not one (a year of 4,300 digits included).

    Unlike a bad UID, a bad date is no reason to drop the connection: the stream is
    intact and the message is still listed (undated), so one odd message cannot make a
    folder unsyncable. The day part is cached: a mailbox has far fewer days than mail.
    """
    parts = value.split(b" ")
    if len(parts) == 3:  # the usual "17-Jul-1996 02:44:25 -0700" of an already-seen day
        base = _DATE_CACHE.get(parts[0])
        tm, zone = parts[1], parts[2]
        if base is not None and len(tm) == 8 and len(zone) == 5 and zone[0] in b"+-":
            try:  # (bounded pieces: int() here costs nothing, whatever they hold)
                offset = int(zone[1:3]) * 3600 + int(zone[3:5]) * 60
                seconds = int(tm[:2]) * 3600 + int(tm[3:5]) * 60 + int(tm[6:])
            except ValueError:
                pass
            else:
                return base + seconds - (offset if zone[0] == 0x2B else -offset)
    m = _INTERNALDATE.fullmatch(value.strip())
    if m is None:
        return 0
    d, mon, y, hh, mm, ss, sign, zh, zm = m.groups()
    day_part = value.strip()[: m.end(3)]
    base = _DATE_CACHE.get(day_part)
    if base is None:
        base = day_epoch(int(y), MONTHS_BYTES.get(mon.lower()), int(d))
        if base is None:  # an unknown month, day 32, year 0000
            return 0
        if len(_DATE_CACHE) < 65536:
            _DATE_CACHE[day_part] = base
    offset = (int(zh) * 3600 + int(zm) * 60) * (-1 if sign == b"-" else 1)
    return base + int(hh) * 3600 + int(mm) * 60 + int(ss) - offset


@dataclass(slots=True)
class Untagged:
    """A non-FETCH untagged response, without its "* " prefix."""

    segments: list[bytes]
    literals: list[bytes]

    @property
    def keyword(self) -> bytes:
        """The response name: "LIST", "VANISHED", "OK" — or for "* 5 EXISTS", "EXISTS"."""
        words = self.segments[0].split(None, 2)
        if words and words[0].isdigit() and len(words) > 1:
            return words[1].upper()
        return words[0].upper() if words else b""

    @property
    def number(self) -> int | None:
        """The message count or sequence number before the keyword ("* 5 EXISTS")."""
        head = self.segments[0].split(None, 1)
        if not head or not head[0].isdigit():
            return None
        return scan.number(head[0], what="a message number", limit=scan.NUMBER64_MAX)

    @property
    def rest(self) -> bytes:
        """Text after the keyword on the first line (literals not inlined)."""
        words = self.segments[0].rstrip(b"\r\n").split(None, 2 if self.number is not None else 1)
        tail = words[2:] if self.number is not None else words[1:]
        return tail[0] if tail else b""

    def tokens(self) -> list:
        """The response as nested lists of bytes atoms (None for NIL), literals resolved."""
        return tokenize(self.segments, self.literals)


@dataclass(slots=True)
class Response:
    """Everything a command produced: the tagged result plus untagged data."""

    status: str
    text: str
    fetches: list[Fetched] = field(default_factory=list)
    untagged: list[Untagged] = field(default_factory=list)

    def all(self, keyword: bytes) -> list[Untagged]:
        kw = keyword.upper()
        return [u for u in self.untagged if u.keyword == kw]

    def first(self, keyword: bytes) -> Untagged | None:
        found = self.all(keyword)
        return found[0] if found else None

    def code(self, name: bytes) -> bytes | None:
        """A response code's argument from untagged OKs or the tagged text ("[UIDNEXT 5]")."""
        pattern = re.compile(rb"\[" + re.escape(name) + rb"(?: ([^\]]*))?\]", re.I)
        for u in self.untagged:
            if u.keyword in (b"OK", b"NO", b"BAD"):
                m = pattern.search(u.segments[0])
                if m:
                    return m.group(1) or b""
        m = pattern.search(self.text.encode("utf-8", "replace"))
        return (m.group(1) or b"") if m else None

    def number(self, name: bytes, *, low: int = 0, limit: int = scan.NUMBER64_MAX) -> int | None:
        """A numeric response code ("[UIDNEXT 5]"), checked; None when absent."""
        value = self.code(name)
        if value is None:
            return None
        return scan.number(value.strip(), what=name.decode(), low=low, limit=limit)


def parse_fetch(
    seq: int, segments: list[bytes], literals: list[bytes], names: list[bytes] | None = None
) -> Fetched:
    """Decode the items of one `* n FETCH (...)` response (after its opening paren).

    `segments` are the text pieces between literals; a segment ending in a literal
    marker is followed by the matching entry of `literals`. The item names go to
    `names` when given. Anything unreadable is MalformedResponse.
    """
    rec = Fetched(seq)
    text = segments[0] if len(segments) == 1 else b"".join(segments)
    for name, kind, value in scan.scan_fetch(text, literals):
        if names is not None:
            names.append(name)
        if name == b"UID":
            rec.uid = scan.uid(value if kind == NUMBER else None)
        elif name == b"FLAGS":
            if kind != PAREN:
                raise MalformedResponse(f"The IMAP server sent FLAGS {shown(value)}")
            # \Recent is per-session state (RFC 9051 dropped it): never cache it.
            rec.flags = tuple(
                f for f in (value or b"").decode("utf-8", "replace").split() if f != "\\Recent"
            )
        elif name == b"MODSEQ":
            raw = (value or b"").strip() if kind == PAREN else value if kind == NUMBER else None
            rec.modseq = scan.number(raw, what="a MODSEQ")
        elif name == b"INTERNALDATE":
            rec.internaldate = internaldate_to_epoch(value or b"") if kind == QUOTED else 0
        elif name == b"RFC822.SIZE":
            rec.size = scan.number(value if kind == NUMBER else None, what="a size")
        elif name.startswith((b"BODY[", b"BINARY[", b"RFC822")):
            rec.sections[_section_name(name)] = None if kind == NIL else value
    return rec


_SECTION_NAMES: dict[bytes, str] = {}


def _section_name(item: bytes) -> str:
    """ "BODY[HEADER.FIELDS (DATE)]<0>" → "HEADER.FIELDS (DATE)"; cached (few distinct)."""
    name = _SECTION_NAMES.get(item)
    if name is None:
        inner = item[item.find(b"[") + 1 : item.rfind(b"]")] if b"[" in item else item
        name = inner.decode("ascii", "replace")
        if len(_SECTION_NAMES) < 1024:
            _SECTION_NAMES[item] = name
    return name


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
        self._fast_section = _section_name(shape[-1].upper())
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


def parse_search(resp: Response) -> UidSet:
    """UIDs from `* SEARCH n n n` or `* ESEARCH (TAG "x") UID ALL 1:5,7` (RFC 4731), as
    a UidSet: `ALL 1:4294967295` costs two integers, never four billion."""
    found = UidSet()
    searched = _Builder()
    for u in resp.all(b"SEARCH"):
        # RFC 7162 §3.1.5: "* SEARCH 2 5 (MODSEQ 917)" — drop the modseq suffix.
        body = u.rest.split(b"(", 1)[0]
        for m in _WORD.finditer(body):
            uid = scan.uid(m.group())
            searched.add(uid, uid)
    for u in resp.all(b"ESEARCH"):
        m = _ESEARCH_ALL.search(u.rest)
        if m:
            found = found | UidSet.parse(m.group(1))
    return found | searched.build() if found else searched.build()


_WORD = re.compile(rb"\S+")
_ESEARCH_ALL = re.compile(rb"(?:^| )ALL (\S+)", re.I)
