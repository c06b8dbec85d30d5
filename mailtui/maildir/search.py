"""IMAP SEARCH (RFC 9051 §6.4.4) evaluated over Maildir files.

Criteria arrive as imapclient-style lists (`["NOT", "FROM", "alice", "UNSEEN"]`, what
`sync.query.imap_criteria` builds) or as raw bytes (`b"UID 1:50"`). They are compiled
into a small tree once; each message is then tested with the cheap keys (flags, size,
dates, UIDs) first, reading its header only when a header key needs it and the whole
file only for BODY/TEXT. String matching is case-insensitive on decoded text.
"""

from __future__ import annotations

import calendar
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from mailtui.backend import UID_MAX, UidSet
from mailtui.errors import MalformedResponse, ProtocolError
from mailtui.mime.parse import parse_message
from mailtui.model import ANSWERED, DELETED, DRAFT, FLAGGED, SEEN
from mailtui.text.charset import decode_bytes
from mailtui.text.dates import parse_date
from mailtui.text.encoded_words import decode_header

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_FLAG_KEYS = {
    "ANSWERED": (ANSWERED, True),
    "UNANSWERED": (ANSWERED, False),
    "DELETED": (DELETED, True),
    "UNDELETED": (DELETED, False),
    "DRAFT": (DRAFT, True),
    "UNDRAFT": (DRAFT, False),
    "FLAGGED": (FLAGGED, True),
    "UNFLAGGED": (FLAGGED, False),
    "SEEN": (SEEN, True),
    "UNSEEN": (SEEN, False),
}
_HEADER_KEYS = {"FROM": "from", "TO": "to", "CC": "cc", "BCC": "bcc", "SUBJECT": "subject"}
_DATE_KEYS = ("SINCE", "BEFORE", "ON", "SENTSINCE", "SENTBEFORE", "SENTON")


class Candidate:
    """One message as search sees it; header and body are loaded on first use."""

    def __init__(
        self,
        uid: int,
        seq: int,
        flags: set[str],
        size: Callable[[], int],
        internaldate: Callable[[], int],
        header: Callable[[], bytes],
        raw: Callable[[], bytes],
    ) -> None:
        self.uid = uid
        self.seq = seq
        self.flags = flags
        self._size = size
        self._internaldate = internaldate
        self._header = header
        self._raw = raw
        self._fields: dict[str, list[str]] | None = None
        self._body: str | None = None
        self._size_v: int | None = None
        self._date_v: int | None = None

    @property
    def size(self) -> int:
        if self._size_v is None:
            self._size_v = self._size()
        return self._size_v

    @property
    def internaldate(self) -> int:
        if self._date_v is None:
            self._date_v = self._internaldate()
        return self._date_v

    def fields(self) -> dict[str, list[str]]:
        """Lower-case field name → raw (unfolded) values, every occurrence."""
        if self._fields is None:
            block = self._header()
            block = re.sub(rb"\r?\n[ \t]+", b" ", block)
            out: dict[str, list[str]] = {}
            for line in block.split(b"\n"):
                name, sep, value = line.partition(b":")
                if sep and name and not name[:1].isspace():
                    key = name.strip().decode("ascii", "replace").lower()
                    out.setdefault(key, []).append(value.strip().decode("utf-8", "surrogateescape"))
            self._fields = out
        return self._fields

    def header_text(self, name: str) -> str:
        values = self.fields().get(name.lower(), [])
        return "\n".join(decode_header(v) for v in values).casefold()

    def all_headers_text(self) -> str:
        return "\n".join(
            f"{k}: {decode_header(v)}" for k, vs in self.fields().items() for v in vs
        ).casefold()

    def body_text(self) -> str:
        """Every text part, transfer- and charset-decoded, case-folded."""
        if self._body is None:
            parsed = parse_message(self._raw())
            texts: list[str] = []
            for part in parsed.structure.walk():
                if part.is_multipart or part.maintype != "text":
                    continue
                data = parsed.part_bytes(part.section)
                texts.append(decode_bytes(data, part.charset))
            self._body = "\n".join(texts).casefold()
        return self._body

    def sent_date(self) -> int | None:
        values = self.fields().get("date")
        return parse_date(values[0]) if values else None


@dataclass
class Node:
    """One compiled search key; `cost` orders an AND so cheap tests run first."""

    test: Callable[[Candidate], bool]
    cost: int = 0
    children: list[Node] = field(default_factory=list)

    def __call__(self, msg: Candidate) -> bool:
        return self.test(msg)


def _all(nodes: list[Node]) -> Node:
    ordered = sorted(nodes, key=lambda n: n.cost)
    cost = max((n.cost for n in nodes), default=0)
    return Node(lambda m: all(n(m) for n in ordered), cost, ordered)


def _imap_date(text: str) -> date:
    m = re.fullmatch(r'"?(\d{1,2})-([A-Za-z]{3})-(\d{4})"?', text.strip())
    if m is None or m.group(2).lower() not in _MONTHS:
        raise ProtocolError(f"SEARCH failed: {text!r} is not an IMAP date (like 8-Jan-2024)")
    try:
        return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except ValueError as exc:
        raise ProtocolError(f"SEARCH failed: {text!r}: {exc}") from exc


def _day_start(day: date) -> int:
    return calendar.timegm((day.year, day.month, day.day, 0, 0, 0))


def _uid_matcher(text: str, field_name: str) -> Callable[[Candidate], bool]:
    """A sequence set ("1:5,9,20:*") tested against the UID or sequence number ("*",
    the highest in use, stands for any number from its range's other end up)."""
    try:
        wanted = UidSet.parse(text, star=UID_MAX)
    except MalformedResponse as exc:
        raise ProtocolError(f"SEARCH failed: bad sequence set {text!r:.80}") from exc

    def test(m: Candidate) -> bool:
        return getattr(m, field_name) in wanted

    return test


class _Parser:
    def __init__(self, tokens: Sequence[str | bytes | int]) -> None:
        self.tokens = [
            t.decode("utf-8", "surrogateescape") if isinstance(t, bytes) else str(t) for t in tokens
        ]
        self.i = 0

    def take(self) -> str:
        if self.i >= len(self.tokens):
            raise ProtocolError("SEARCH failed: the criteria end too early")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def program(self) -> Node:
        nodes = []
        while self.i < len(self.tokens):
            nodes.append(self.key())
        return _all(nodes) if nodes else Node(lambda m: True)

    def key(self) -> Node:
        tok = self.take()
        if tok == "(":
            nodes = []
            while self.i < len(self.tokens) and self.tokens[self.i] != ")":
                nodes.append(self.key())
            self.take()
            return _all(nodes)
        word = tok.upper()
        if word == "ALL":
            return Node(lambda m: True)
        if word == "NOT":
            inner = self.key()
            return Node(lambda m: not inner(m), inner.cost)
        if word == "OR":
            a, b = self.key(), self.key()
            return Node(lambda m: a(m) or b(m), max(a.cost, b.cost))
        if word in _FLAG_KEYS:
            flag, wanted = _FLAG_KEYS[word]
            return Node(lambda m: (flag in m.flags) == wanted)
        if word in ("NEW", "RECENT"):
            return Node(lambda m: False)  # no \Recent in a Maildir session
        if word == "OLD":
            return Node(lambda m: True)
        if word in ("KEYWORD", "UNKEYWORD"):
            kw = self.take().lower()
            wanted = word == "KEYWORD"
            return Node(lambda m: any(f.lower() == kw for f in m.flags) == wanted)
        if word in ("LARGER", "SMALLER"):
            try:
                n = int(self.take())
            except ValueError as exc:
                raise ProtocolError(f"SEARCH failed: {word} needs a number") from exc
            if word == "LARGER":
                return Node(lambda m: m.size > n, 1)
            return Node(lambda m: m.size < n, 1)
        if word in _DATE_KEYS:
            return self._date(word, _imap_date(self.take()))
        if word == "UID":
            return Node(_uid_matcher(self.take(), "uid"))
        if word in _HEADER_KEYS:
            needle = self.take().casefold()
            name = _HEADER_KEYS[word]
            return Node(lambda m: needle in m.header_text(name), 2)
        if word == "HEADER":
            name, needle = self.take(), self.take().casefold()
            return Node(lambda m: needle in m.header_text(name), 2)
        if word == "BODY":
            needle = self.take().casefold()
            return Node(lambda m: needle in m.body_text(), 3)
        if word == "TEXT":
            needle = self.take().casefold()
            return Node(lambda m: needle in m.all_headers_text() or needle in m.body_text(), 3)
        if re.fullmatch(r"[\d*:,]+", tok):
            return Node(_uid_matcher(tok, "seq"))
        raise ProtocolError(f"SEARCH failed: unknown search key {tok!r}")

    def _date(self, word: str, day: date) -> Node:
        start = _day_start(day)
        end = start + 86400
        sent = word.startswith("SENT")
        kind = word[4:] if sent else word

        def value(m: Candidate) -> int | None:
            return m.sent_date() if sent else m.internaldate

        def test(m: Candidate) -> bool:
            v = value(m)
            if v is None:
                return False
            if kind == "SINCE":
                return v >= start
            if kind == "BEFORE":
                return v < start
            return start <= v < end

        return Node(test, 2 if sent else 1)


def compile_criteria(criteria: Sequence[str | bytes | int] | bytes | str) -> Node:
    """A test for one message from criteria as a list or as IMAP text."""
    if isinstance(criteria, bytes | str):
        text = (
            criteria.decode("utf-8", "surrogateescape") if isinstance(criteria, bytes) else criteria
        )
        text = text.replace("(", " ( ").replace(")", " ) ")
        try:
            tokens: Sequence[str | bytes | int] = shlex.split(text)
        except ValueError as exc:
            raise ProtocolError(f"SEARCH failed: {exc}") from exc
    else:
        tokens = list(criteria)
    return _Parser(tokens).program()
