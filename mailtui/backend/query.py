"""The search query as a typed tree, and the parser of what the user types.

    from:alice subject:"q3 report" unseen since:2026-01-01 invoice -label:Done

The text is parsed once, here, into frozen records (`From`, `Flag`, `Since`, …,
joined by `And`/`Or`/`Not`); each backend compiles the tree its own way: the cache to
SQL (`cache/search.py`), IMAP to SEARCH criteria (`imap/search.py`), a Maildir session
evaluates it on the files (`maildir/search.py`). So no consumer re-parses another's
output, and a new term is one record plus one case per compiler.

The language: terms are ANDed. `key:value` terms: from, to, cc, subject, body, text,
label/keyword/tag, since/after, before, on/date, larger, smaller, is:<flag word>. Bare
flag words: unseen/unread/new, seen/read, flagged/starred, unflagged,
answered/replied, unanswered, draft; `muted` (conversations muted in mailtui, answered
from the cache). A leading "-" negates a term. Anything else is
free text (IMAP TEXT on the server, every cached header field locally).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from mailtui.errors import MailtuiError
from mailtui.model import ANSWERED, DRAFT, FLAGGED, SEEN


class QueryError(MailtuiError):
    """The search query has a term mailtui cannot understand."""


# --- the tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class From:
    """The From header contains `text`."""

    text: str


@dataclass(frozen=True)
class To:
    """The To header contains `text`."""

    text: str


@dataclass(frozen=True)
class Cc:
    """The Cc header contains `text`."""

    text: str


@dataclass(frozen=True)
class Subject:
    """The Subject header contains `text`."""

    text: str


@dataclass(frozen=True)
class Body:
    """The body contains `text` (the cache, which holds no bodies, looks at headers)."""

    text: str


@dataclass(frozen=True)
class Text:
    """The header or the body contains `text`: what a bare word means."""

    text: str


@dataclass(frozen=True)
class MessageId:
    """The message whose Message-ID is `value` (without <>): for finding one message
    again (a replied-to message, a replayed append), never typed by the user."""

    value: str


@dataclass(frozen=True)
class Flag:
    """A system flag (`model.SEEN`, …) is set (`present`) or not."""

    name: str
    present: bool = True


@dataclass(frozen=True)
class Keyword:
    """A keyword (what the UI calls a label) is set."""

    name: str


@dataclass(frozen=True)
class Since:
    """Dated on or after `day` (UTC)."""

    day: date


@dataclass(frozen=True)
class Before:
    """Dated before `day` (UTC)."""

    day: date


@dataclass(frozen=True)
class On:
    """Dated on `day` (UTC)."""

    day: date


@dataclass(frozen=True)
class Larger:
    """Larger than `size` bytes."""

    size: int


@dataclass(frozen=True)
class Smaller:
    """Smaller than `size` bytes."""

    size: int


@dataclass(frozen=True)
class And:
    """Every item matches; no items match everything (the empty query)."""

    items: tuple[Query, ...] = ()


@dataclass(frozen=True)
class Or:
    """At least one item matches; no items match nothing."""

    items: tuple[Query, ...] = ()


@dataclass(frozen=True)
class Raw:
    """The store's own search language, sent as typed: `gmail:has:attachment
    older_than:1y` is Gmail's X-GM-RAW (imap/ext/gmail.py). Only a server offering
    one answers it (`Capabilities.raw_search`); the cache and a Maildir cannot."""

    text: str


@dataclass(frozen=True)
class Muted:
    """A message of a conversation the user muted (mailtui's own memory, in the cache:
    cache/muted.py); answered from the cache, never by a server."""


@dataclass(frozen=True)
class Not:
    """The item does not match."""

    item: Query


TextTerm = From | To | Cc | Subject | Body | Text
DateTerm = Since | Before | On
Query = (
    TextTerm
    | MessageId
    | Flag
    | Keyword
    | DateTerm
    | Larger
    | Smaller
    | Raw
    | Muted
    | And
    | Or
    | Not
)
TEXT_TERMS = (From, To, Cc, Subject, Body, Text)
DATE_TERMS = (Since, Before, On)


# --- the user's text → the tree ----------------------------------------------------------

_TEXT_KEYS: dict[str, type[TextTerm]] = {
    "from": From,
    "to": To,
    "cc": Cc,
    "subject": Subject,
    "body": Body,
    "text": Text,
}
FLAG_WORDS: dict[str, Flag] = {
    "unseen": Flag(SEEN, False),
    "unread": Flag(SEEN, False),
    "new": Flag(SEEN, False),
    "seen": Flag(SEEN),
    "read": Flag(SEEN),
    "flagged": Flag(FLAGGED),
    "starred": Flag(FLAGGED),
    "unflagged": Flag(FLAGGED, False),
    "answered": Flag(ANSWERED),
    "replied": Flag(ANSWERED),
    "unanswered": Flag(ANSWERED, False),
    "draft": Flag(DRAFT),
}
_DATE_KEYS: dict[str, type[DateTerm]] = {
    "since": Since,
    "after": Since,
    "before": Before,
    "on": On,
    "date": On,
}
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)[bB]?$")
# Sizes must fit SQLite's and IMAP's 63-bit numbers; more digits cannot.
_MAX_SIZE = 2**63 - 1
_MAX_SIZE_DIGITS = 19

_PLAIN = re.compile(r"""[^ \t\r\n'"\\]+""")
_IN_DOUBLE = re.compile(r'[^"\\]+')
_BLANKS = re.compile(r"[ \t\r\n]*")


def split_words(text: str) -> list[str]:
    """`shlex.split(text)` (POSIX rules), in linear time; raises ValueError as it does.

    Blanks separate words; '…' is literal; in "…" a backslash escapes only " and \\;
    outside quotes it escapes any character; quoted parts join the word around them
    (subject:"q3 report" is one word). shlex itself grows each word one character at a
    time and copies it every time: quadratic in a long word.
    """
    words: list[str] = []
    n = len(text)
    i = _BLANKS.match(text).end()
    while i < n:
        parts: list[str] = []
        while i < n:
            ch = text[i]
            if ch in " \t\r\n":
                break
            if ch == "'":
                close = text.find("'", i + 1)
                if close < 0:
                    raise ValueError("No closing quotation")
                parts.append(text[i + 1 : close])
                i = close + 1
            elif ch == '"':
                i += 1
                while True:
                    if i >= n:
                        raise ValueError("No closing quotation")
                    m = _IN_DOUBLE.match(text, i)
                    if m:
                        parts.append(m.group(0))
                        i = m.end()
                        continue
                    if text[i] == '"':
                        i += 1
                        break
                    if i + 1 >= n:  # a backslash at the very end
                        raise ValueError("No escaped character")
                    nxt = text[i + 1]
                    parts.append(nxt if nxt in '"\\' else "\\" + nxt)
                    i += 2
            elif ch == "\\":
                if i + 1 >= n:
                    raise ValueError("No escaped character")
                parts.append(text[i + 1])
                i += 2
            else:
                m = _PLAIN.match(text, i)
                assert m is not None  # ch is none of the characters it stops at
                parts.append(m.group(0))
                i = m.end()
        words.append("".join(parts))
        i = _BLANKS.match(text, i).end()
    return words


RAW_PREFIX = "gmail:"


def parse(text: str) -> And:
    """The query the user typed, as an `And` of its terms; raises QueryError naming the
    offending term (with a hint the UI and the CLI show as is).

    `gmail:` first: everything after it is the store's own language (`Raw`)."""
    head = text.lstrip()
    if head[:6].lower() == RAW_PREFIX:
        raw = head[6:].strip().replace("\x00", "").replace("\r", " ").replace("\n", " ")
        if not raw:
            raise QueryError("gmail: needs Gmail's search words", "e.g. gmail:has:attachment")
        return And((Raw(raw),))
    try:
        words = split_words(text)
    except ValueError as exc:
        raise QueryError(
            f"Cannot read the search {_shown(text)}: {exc}",
            'close the quotes: subject:"q3 report"',
        ) from exc
    terms: list[Query] = []
    for word in words:
        # IMAP strings cannot carry NUL, CR or LF (RFC 9051 §4.3).
        word = word.replace("\x00", "").replace("\r", " ").replace("\n", " ")
        negated = word.startswith("-") and len(word) > 1
        if negated:
            word = word[1:]
        term = _term(word)
        terms.append(Not(term) if negated else term)
    return And(tuple(terms))


def _term(word: str) -> Query:
    key, sep, value = word.partition(":")
    lowered = key.lower()
    if not sep:
        if lowered == "muted":
            return Muted()
        return FLAG_WORDS.get(lowered) or Text(word)
    if lowered in _TEXT_KEYS:
        if not value:
            raise QueryError(f"{key}: needs a value", f'e.g. {key}:alice or {key}:"two words"')
        return _TEXT_KEYS[lowered](value)
    if lowered in ("label", "keyword", "tag"):
        return Keyword(value)
    if lowered in _DATE_KEYS:
        return _DATE_KEYS[lowered](_parse_day(word, value))
    if lowered == "larger":
        return Larger(_parse_size(word, value))
    if lowered == "smaller":
        return Smaller(_parse_size(word, value))
    if lowered == "is" and value.lower() == "muted":
        return Muted()
    if lowered == "is" and value.lower() in FLAG_WORDS:
        return FLAG_WORDS[value.lower()]
    return Text(word)


def local_only(query: Query) -> bool:
    """Whether the query names something only mailtui's cache knows (`muted`): then
    it is answered there, not by a server SEARCH."""
    if isinstance(query, And | Or):
        return any(local_only(q) for q in query.items)
    if isinstance(query, Not):
        return local_only(query.item)
    return isinstance(query, Muted)


def _parse_day(word: str, value: str) -> date:
    value = value.strip().lower()
    today = date.today()
    if value == "today":
        return today
    if value == "yesterday":
        return today - timedelta(days=1)
    m = re.fullmatch(r"(\d{1,7})([dwmy])", value)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * n
        try:
            return today - timedelta(days=days)
        except OverflowError:  # before year 1
            return date.min
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise QueryError(
            f"{_shown(word)} is not a date mailtui understands",
            "use YYYY-MM-DD, today, yesterday, or 7d/2w/3m/1y",
        ) from exc


def _parse_size(word: str, value: str) -> int:
    m = _SIZE.match(value.strip())
    size = -1
    if m and len(m.group(1)) <= _MAX_SIZE_DIGITS:
        scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
        size = int(m.group(1)) * scale
    if not 0 <= size <= _MAX_SIZE:
        raise QueryError(f"{_shown(word)} is not a size", "e.g. larger:5M or smaller:20k")
    return size


def _shown(word: str) -> str:
    """A term quoted for an error message, cut if it is very long."""
    return repr(word if len(word) <= 60 else word[:60] + "…")


# --- the tree → the user's text ----------------------------------------------------------

_WORD_OF_FLAG = {flag: word for word, flag in reversed(FLAG_WORDS.items())}
_KEY_OF_TEXT = {cls: key for key, cls in _TEXT_KEYS.items()}
_KEY_OF_DATE = {Since: "since", Before: "before", On: "on"}


def format_query(query: Query) -> str:
    """The text that parses back to `query` (relative dates come back as the days they
    meant): what a saved search or a status line shows. Trees the language cannot say
    (Or, nested And, MessageId, a flag word it lacks) raise ValueError."""
    if isinstance(query, And) and len(query.items) == 1 and isinstance(query.items[0], Raw):
        return RAW_PREFIX + query.items[0].text
    if isinstance(query, And):
        return " ".join(_format_term(q) for q in query.items)
    return _format_term(query)


def _format_term(query: Query) -> str:
    if isinstance(query, Not) and not isinstance(query.item, And | Or | Not):
        inner = _format_term(query.item)
        if inner.startswith("-") or inner in ("", "''"):
            raise ValueError(f"no query text says {query!r}")
        return "-" + inner
    if isinstance(query, Text):
        value = query.text
        bare = (
            _PLAIN.fullmatch(value) is not None
            and ":" not in value
            and not value.startswith("-")
            and value.lower() not in FLAG_WORDS
            and value.lower() != "muted"
        )
        return value if bare else ("text:" + _quote(value) if value else "''")
    if isinstance(query, TEXT_TERMS):
        return f"{_KEY_OF_TEXT[type(query)]}:{_quote(query.text)}"
    if isinstance(query, Flag) and query in _WORD_OF_FLAG:
        return _WORD_OF_FLAG[query]
    if isinstance(query, Keyword):
        return "label:" + _quote(query.name)
    if isinstance(query, DATE_TERMS):
        return f"{_KEY_OF_DATE[type(query)]}:{query.day.isoformat()}"
    if isinstance(query, Muted):
        return "muted"
    if isinstance(query, Larger):
        return f"larger:{query.size}"
    if isinstance(query, Smaller):
        return f"smaller:{query.size}"
    raise ValueError(f"no query text says {query!r}")


def _quote(value: str) -> str:
    """One word for split_words: bare when plain, else '…', else "…" with escapes."""
    if _PLAIN.fullmatch(value):
        return value
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
