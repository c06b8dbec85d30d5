"""Pure parsers of IMAP responses (RFC 9051 §7): no socket, no imaplib.

What the reader in `wire` (or imapclient, or a test) hands over as bytes becomes the
model's values here: an untagged response and its keyword, number and tokens, a whole
command's `Response` with its response codes, one FETCH's items as `Fetched`, SEARCH
and ESEARCH results as a `UidSet`, an INTERNALDATE as epoch seconds. Everything is
capped and checked as `scan` checks it; anything unreadable is MalformedResponse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailtui.backend import Fetched, UidSet
from mailtui.backend.uidset import _Builder
from mailtui.errors import MalformedResponse
from mailtui.imap import scan
from mailtui.imap.scan import LITERAL, NIL, NUMBER, PAREN, QUOTED, shown, tokenize
from mailtui.text import utf7
from mailtui.text.dates import MONTHS_BYTES, day_epoch
from mailtui.text.labels import token_of

_DATE_CACHE: dict[bytes, int] = {}


# RFC 9051 §9 date-time: date-day-fixed "-" date-month "-" date-year SP time SP zone.
_INTERNALDATE = re.compile(
    rb" ?([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"
)


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
            rec.sections[section_name(name)] = None if kind == NIL else value
        elif name == b"PREVIEW":  # RFC 8970 (imap/ext/preview.py): kept as a section
            rec.sections["PREVIEW"] = value if kind in (QUOTED, LITERAL) else None
        elif name == b"X-GM-LABELS":  # Gmail (imap/ext/gmail.py)
            if kind != PAREN:
                raise MalformedResponse(f"The IMAP server sent X-GM-LABELS {shown(value)}")
            rec.labels = parse_labels(value)
        elif name == b"X-GM-MSGID":
            rec.message_key = scan.number(value if kind == NUMBER else None, what="X-GM-MSGID")
        elif name == b"X-GM-THRID":
            rec.thread_key = scan.number(value if kind == NUMBER else None, what="X-GM-THRID")
    if rec.labels is not None and rec.flags is not None:
        rec.flags = rec.flags + tuple(token_of(label) for label in rec.labels)
    return rec


def parse_labels(value: bytes | None) -> tuple[str, ...]:
    """The inner text of Gmail's X-GM-LABELS list → label names (imap/ext/gmail.py);
    modified UTF-7 decoded where canonical, as Gmail spells non-ASCII labels like folder
    names. Linear: one tokenizer pass over text the reader already capped."""
    out = []
    for tok in tokenize([value or b""], []):
        if isinstance(tok, bytes) and tok:
            out.append(utf7.decode_name(tok.decode("utf-8", "replace")))
    return tuple(out)


_SECTION_NAMES: dict[bytes, str] = {}


def section_name(item: bytes) -> str:
    """ "BODY[HEADER.FIELDS (DATE)]<0>" → "HEADER.FIELDS (DATE)"; cached (few distinct)."""
    name = _SECTION_NAMES.get(item)
    if name is None:
        inner = item[item.find(b"[") + 1 : item.rfind(b"]")] if b"[" in item else item
        name = inner.decode("ascii", "replace")
        if len(_SECTION_NAMES) < 1024:
            _SECTION_NAMES[item] = name
    return name


def parse_search(resp: Response) -> UidSet:
    """UIDs from `* SEARCH n n n` or `* ESEARCH (TAG "x") UID ALL 1:5,7` (RFC 4731), as
    a UidSet: `ALL 1:4294967295` costs two integers, never four billion."""
    found = UidSet()
    searched = _Builder()  # (no per-UID check again: scan.uid has checked each)
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
