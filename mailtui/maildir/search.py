"""The query tree evaluated over Maildir files, with IMAP SEARCH's meaning.

The tree (`backend/query.py`) is turned into one test per folder; each message is then
tested with the cheap terms (flags, size, dates) first, reading its header only when a
header term needs it and the whole file only for body: and free text. String matching
is a case-insensitive substring of the decoded text, as a server's SEARCH is
(RFC 9051 §6.4.4), so a Maildir account answers as an IMAP one would.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass

from mailtui.backend.query import (
    And,
    Before,
    Body,
    Cc,
    Flag,
    From,
    Keyword,
    Larger,
    MessageId,
    Muted,
    Not,
    On,
    Or,
    Query,
    QueryError,
    Raw,
    Since,
    Smaller,
    Subject,
    Text,
    To,
)
from mailtui.mime.parse import parse_message
from mailtui.text.charset import decode_bytes
from mailtui.text.encoded_words import decode_header


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


@dataclass
class Node:
    """One compiled query node; `cost` orders an And so cheap tests run first."""

    test: Callable[[Candidate], bool]
    cost: int = 0

    def __call__(self, msg: Candidate) -> bool:
        return self.test(msg)


# Cost of a test: 0 flags (in the file name), 1 size and date (a stat), 2 the header,
# 3 the whole file.
_HEADER_OF = {From: "from", To: "to", Cc: "cc", Subject: "subject"}


def matcher(query: Query) -> Node:
    """A test for one message, built once for the whole folder."""
    if isinstance(query, And):
        nodes = sorted((matcher(q) for q in query.items), key=lambda n: n.cost)
        return Node(lambda m: all(n(m) for n in nodes), max((n.cost for n in nodes), default=0))
    if isinstance(query, Or):
        nodes = sorted((matcher(q) for q in query.items), key=lambda n: n.cost)
        return Node(lambda m: any(n(m) for n in nodes), max((n.cost for n in nodes), default=0))
    if isinstance(query, Not):
        inner = matcher(query.item)
        return Node(lambda m: not inner(m), inner.cost)
    if isinstance(query, Flag):
        flag, wanted = query.name, query.present
        return Node(lambda m: (flag in m.flags) == wanted)
    if isinstance(query, Keyword):
        kw = query.name.lower()
        return Node(lambda m: any(f.lower() == kw for f in m.flags))
    if isinstance(query, Larger):
        size = query.size
        return Node(lambda m: m.size > size, 1)
    if isinstance(query, Smaller):
        size = query.size
        return Node(lambda m: m.size < size, 1)
    if isinstance(query, Since | Before | On):
        return _date(query)
    if isinstance(query, Body):
        needle = query.text.casefold()
        return Node(lambda m: needle in m.body_text(), 3)
    if isinstance(query, Text):
        needle = query.text.casefold()
        return Node(lambda m: needle in m.all_headers_text() or needle in m.body_text(), 3)
    if isinstance(query, MessageId):
        # As an IMAP server answers HEADER Message-ID "<id>": a substring of the field.
        needle = f"<{query.value}>".casefold()
        return Node(lambda m: needle in m.header_text("message-id"), 2)
    if isinstance(query, From | To | Cc | Subject):
        name, needle = _HEADER_OF[type(query)], query.text.casefold()
        return Node(lambda m: needle in m.header_text(name), 2)
    if isinstance(query, Muted):
        raise QueryError("muted is searched in the cache", "use the filter (&)")
    if isinstance(query, Raw):
        raise QueryError("gmail: searches need a Gmail account", "drop the gmail: prefix")
    raise TypeError(f"not a query term: {query!r}")


def _date(query: Since | Before | On) -> Node:
    """The internal date (the file's mtime) against the day's UTC bounds, as SINCE,
    BEFORE and ON compare (RFC 9051 §6.4.4)."""
    start = calendar.timegm((query.day.year, query.day.month, query.day.day, 0, 0, 0))
    end = start + 86400
    if isinstance(query, Since):
        return Node(lambda m: m.internaldate >= start, 1)
    if isinstance(query, Before):
        return Node(lambda m: m.internaldate < start, 1)
    return Node(lambda m: start <= m.internaldate < end, 1)
