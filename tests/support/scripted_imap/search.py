"""SEARCH criteria (RFC 9051 §6.4.4): parsed into predicates over a message and its number.

Strings match as case-insensitive substrings of decoded text, as Dovecot does: header
values with RFC 2047 words decoded, bodies transfer-decoded and charset-decoded. A
provider emulation adds its own keys (Gmail's X-GM-RAW, X-GM-LABELS...) to `KEYS`.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.utils
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from email import policy

from tests.support.scripted_imap.protocol import (
    ParseError,
    Token,
    parse_search_date,
    parse_set,
    text,
)
from tests.support.scripted_imap.store import Message

CHARSETS = ("UTF-8", "US-ASCII")


@dataclass
class Scope:
    """What a predicate may need besides the message: its number and the view's tops."""

    top_seq: int
    top_uid: int


Predicate = Callable[[Message, int, Scope], bool]
# name → (number of arguments, build(args) → predicate); arguments are raw tokens.
KEYS: dict[str, tuple[int, Callable[[list[Token]], Predicate]]] = {}


def key(
    name: str, arity: int = 0
) -> Callable[[Callable[[list[Token]], Predicate]], Callable[[list[Token]], Predicate]]:
    def register(build: Callable[[list[Token]], Predicate]) -> Callable[[list[Token]], Predicate]:
        KEYS[name] = (arity, build)
        return build

    return register


def parse(tokens: list[Token]) -> Predicate:
    """All keys of a criteria list, ANDed."""
    preds = []
    i = 0
    while i < len(tokens):
        pred, i = _one(tokens, i)
        preds.append(pred)
    if not preds:
        raise ParseError("empty search criteria")
    return lambda m, s, sc: all(p(m, s, sc) for p in preds)


def _one(tokens: list[Token], i: int) -> tuple[Predicate, int]:
    tok = tokens[i]
    if isinstance(tok, list):
        return parse(tok), i + 1
    word = text(tok).upper()
    if word == "NOT":
        inner, j = _one(tokens, i + 1)
        return (lambda m, s, sc: not inner(m, s, sc)), j
    if word == "OR":
        left, j = _one(tokens, i + 1)
        right, k = _one(tokens, j)
        return (lambda m, s, sc: left(m, s, sc) or right(m, s, sc)), k
    if word in KEYS:
        arity, build = KEYS[word]
        args = tokens[i + 1 : i + 1 + arity]
        if len(args) != arity:
            raise ParseError(f"{word} needs {arity} argument(s)")
        return build(args), i + 1 + arity
    if word[:1].isdigit() or word[:1] == "*":
        spec = word
        return (lambda m, s, sc: _in(s, spec, sc.top_seq)), i + 1
    raise ParseError(f"unknown search key {word}")


def _in(number: int, spec: str, top: int) -> bool:
    return any(lo <= number <= hi for lo, hi in parse_set(spec, top))


# --- flags -----------------------------------------------------------------------------------

for _name, _flag in {
    "ANSWERED": "\\Answered",
    "DELETED": "\\Deleted",
    "DRAFT": "\\Draft",
    "FLAGGED": "\\Flagged",
    "SEEN": "\\Seen",
}.items():
    KEYS[_name] = (0, lambda _a, f=_flag: lambda m, s, sc: m.has_flag(f))
    KEYS["UN" + _name] = (0, lambda _a, f=_flag: lambda m, s, sc: not m.has_flag(f))
KEYS["ALL"] = KEYS["OLD"] = (0, lambda _a: lambda m, s, sc: True)
KEYS["RECENT"] = (0, lambda _a: lambda m, s, sc: False)  # \Recent is not kept (RFC 9051)
KEYS["NEW"] = KEYS["UNSEEN"]


@key("KEYWORD", 1)
def _keyword(args: list[Token]) -> Predicate:
    flag = text(args[0])
    return lambda m, s, sc: m.has_flag(flag)


@key("UNKEYWORD", 1)
def _unkeyword(args: list[Token]) -> Predicate:
    flag = text(args[0])
    return lambda m, s, sc: not m.has_flag(flag)


@key("UID", 1)
def _uid(args: list[Token]) -> Predicate:
    spec = text(args[0])
    parse_set(spec, 1)  # reject a bad set now, not per message
    return lambda m, s, sc: _in(m.uid, spec, sc.top_uid)


@key("MODSEQ", 1)
def _modseq(args: list[Token]) -> Predicate:
    """RFC 7162 §3.1.5 (entry-name/type-req forms are not supported)."""
    least = int(text(args[0]))
    return lambda m, s, sc: m.modseq >= least


@key("LARGER", 1)
def _larger(args: list[Token]) -> Predicate:
    n = int(text(args[0]))
    return lambda m, s, sc: len(m.raw) > n


@key("SMALLER", 1)
def _smaller(args: list[Token]) -> Predicate:
    n = int(text(args[0]))
    return lambda m, s, sc: len(m.raw) < n


# --- dates (disregarding time and time zone, RFC 9051 §6.4.4) ---------------------------------


def _date_key(name: str, sent: bool, test: Callable[[date, date], bool]) -> None:
    def build(args: list[Token]) -> Predicate:
        day = parse_search_date(text(args[0])).date()

        def pred(m: Message, _s: int, _sc: Scope) -> bool:
            when = _sent_date(m) if sent else m.internaldate.date()
            return when is not None and test(when, day)

        return pred

    KEYS[name] = (1, build)


for _prefix, _sent in (("", False), ("SENT", True)):
    _date_key(_prefix + "BEFORE", _sent, lambda a, b: a < b)
    _date_key(_prefix + "ON", _sent, lambda a, b: a == b)
    _date_key(_prefix + "SINCE", _sent, lambda a, b: a >= b)


def _sent_date(m: Message) -> date | None:
    value = _fields(m).headers.get("date")
    if not value:
        return None
    try:
        parsed: datetime = email.utils.parsedate_to_datetime(value[0])
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.date()


# --- text --------------------------------------------------------------------------------------


@dataclass
class _Fields:
    headers: dict[str, list[str]]  # lower-case name → decoded values
    header_text: str
    body: str


_cache: weakref.WeakKeyDictionary[Message, _Fields] = weakref.WeakKeyDictionary()


def _fields(m: Message) -> _Fields:
    """Decoded headers and body text of a message, computed once per message."""
    found = _cache.get(m)
    if found is None:
        found = _cache[m] = _decode(m.raw)
    return found


def _decode(raw: bytes) -> _Fields:
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    headers: dict[str, list[str]] = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), []).append(_decode_header(str(value)))
    header_text = "\n".join(f"{k}: {v}" for k, vs in headers.items() for v in vs)
    bodies: list[str] = []
    try:
        parts = list(msg.walk())
    except RecursionError:
        parts = []
    for part in parts:
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        bodies.append(_text_of(payload, part.get_content_charset() or "us-ascii"))
    if not parts:
        bodies.append(raw.decode("utf-8", "replace"))
    return _Fields(headers, header_text, "\n".join(bodies))


def _text_of(payload: bytes, charset: str) -> str:
    """The declared charset if it fits, else UTF-8 (a lying "us-ascii" is common), else
    replacement characters — Dovecot finds such text too."""
    for name in (charset, "utf-8"):
        try:
            return payload.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", "replace")


def _decode_header(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return value


def _contains(haystack: str, needle: str) -> bool:
    return " ".join(needle.split()).casefold() in " ".join(haystack.split()).casefold()


def _header_key(name: str, header: str) -> None:
    def build(args: list[Token]) -> Predicate:
        needle = text(args[0])
        return lambda m, s, sc: any(
            _contains(v, needle) for v in _fields(m).headers.get(header, [])
        )

    KEYS[name] = (1, build)


for _name in ("BCC", "CC", "FROM", "TO", "SUBJECT"):
    _header_key(_name, _name.lower())


@key("HEADER", 2)
def _header(args: list[Token]) -> Predicate:
    name, needle = text(args[0]).lower(), text(args[1])
    # An empty string matches every message that has the field (RFC 9051 §6.4.4).
    return lambda m, s, sc: any(_contains(v, needle) for v in _fields(m).headers.get(name, []))


@key("BODY", 1)
def _body(args: list[Token]) -> Predicate:
    needle = text(args[0])
    return lambda m, s, sc: _contains(_fields(m).body, needle)


@key("TEXT", 1)
def _text(args: list[Token]) -> Predicate:
    needle = text(args[0])
    return lambda m, s, sc: (
        _contains(_fields(m).header_text, needle) or _contains(_fields(m).body, needle)
    )
