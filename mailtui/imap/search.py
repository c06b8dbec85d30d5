"""The query tree as IMAP SEARCH criteria (RFC 9051 §6.4.4), for imapclient's `search`.

Strings go as they are; imapclient quotes them or sends them as literals, and the
command carries CHARSET UTF-8 when any of them is not ASCII (RFC 9051 §6.4.4 lets a
server refuse other charsets, and every server we meet takes UTF-8).
Later, a provider's own search language (Gmail's X-GM-RAW) is one more compiler of the
same tree, chosen by the session's capabilities.
"""

from __future__ import annotations

from datetime import date

from mailtui.backend.query import (
    DATE_TERMS,
    TEXT_TERMS,
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
from mailtui.text.dates import MONTH_ABBREVIATIONS
from mailtui.text.labels import SYSTEM_FLAG_NAMES, label_of

Criteria = list["str | Criteria"]

_TEXT_KEYS = {From: "FROM", To: "TO", Cc: "CC", Subject: "SUBJECT", Body: "BODY", Text: "TEXT"}
_DATE_KEYS = {Since: "SINCE", Before: "BEFORE", On: "ON"}


def criteria(query: Query, *, labels: bool = False) -> tuple[Criteria, str | None]:
    """Criteria for imapclient.search (nested lists become parenthesised groups), and
    "UTF-8" when any string is non-ASCII, else None. With `labels` (Gmail), a label
    term is `X-GM-LABELS name` and `gmail:…` is `X-GM-RAW` (imap/ext/gmail.py); else a
    label is `KEYWORD name` and `gmail:` is refused."""
    out = _keys(query, labels) or ["ALL"]
    return out, (None if _ascii(out) else "UTF-8")


def _keys(query: Query, labels: bool = False) -> Criteria:
    """The search keys for one node; an And is its keys side by side (IMAP ANDs them)."""
    if isinstance(query, And):
        out: Criteria = []
        for item in query.items:
            out.extend(_keys(item, labels))
        return out
    if isinstance(query, Not):
        return ["NOT", *_group(query.item, labels)]
    if isinstance(query, Or):
        if not query.items:
            return ["NOT", "ALL"]
        # OR takes two keys; "OR a OR b c" nests to the right (RFC 9051 §6.4.4).
        result = _group(query.items[-1], labels)
        for item in reversed(query.items[:-1]):
            result = ["OR", *_group(item, labels), *result]
        return result
    if isinstance(query, TEXT_TERMS):
        return [_TEXT_KEYS[type(query)], query.text]
    if isinstance(query, MessageId):
        return ["HEADER", "Message-ID", f"<{query.value}>"]
    if isinstance(query, Flag):
        word = query.name.lstrip("\\").upper()
        return [word if query.present else "UN" + word]
    if isinstance(query, Keyword):
        if labels and query.name.lower() not in SYSTEM_FLAG_NAMES:
            return ["X-GM-LABELS", label_of(query.name)]
        return ["KEYWORD", query.name]
    if isinstance(query, DATE_TERMS):
        return [_DATE_KEYS[type(query)], _imap_date(query.day)]
    if isinstance(query, Muted):
        raise QueryError(
            "muted is mailtui's own memory: it is searched in the cache",
            "search without --server, or use the filter (&)",
        )
    if isinstance(query, Raw):
        if not labels:
            raise QueryError(
                "This server has no search language of its own (gmail: is for Gmail)",
                "drop the gmail: prefix",
            )
        return ["X-GM-RAW", query.text]
    if isinstance(query, Larger):
        return ["LARGER", str(query.size)]
    if isinstance(query, Smaller):
        return ["SMALLER", str(query.size)]
    raise TypeError(f"not a query term: {query!r}")


def _group(query: Query, labels: bool = False) -> Criteria:
    """One search key: several keys are parenthesised, so NOT and OR take them whole."""
    keys = _keys(query, labels)
    if isinstance(query, And) and len(keys) != 1:
        return [keys] if keys else ["ALL"]
    return keys


def _ascii(criteria: Criteria) -> bool:
    return all(_ascii(c) if isinstance(c, list) else c.isascii() for c in criteria)


def _imap_date(day: date) -> str:
    """RFC 9051 date: 1-Jan-2026 (English month names whatever the locale); the year is
    4DIGIT, so "since:9999999y" (the first day there is) is 1-Jan-0001, which Dovecot
    takes, where 1-Jan-1 was refused as an invalid search date."""
    return f"{day.day}-{MONTH_ABBREVIATIONS[day.month - 1]}-{day.year:04d}"
