"""The search language shared by the CLI and the UI.

    from:alice subject:"q3 report" unseen since:2026-01-01 invoice -label:Done

Terms are ANDed. `key:value` terms: from, to, cc, subject, body, text, label/keyword,
since, before, on, larger, smaller. Bare flags: unseen/unread, seen/read, flagged,
unflagged, answered, unanswered, draft. A leading "-" negates a term. Anything else
is free text (IMAP TEXT on the server, all cached header fields locally).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from mailtui.errors import MailtuiError

TEXT_KEYS = {"from", "to", "cc", "subject", "body", "text"}
FLAG_WORDS = {
    "unseen": ("UNSEEN", "seen", False),
    "unread": ("UNSEEN", "seen", False),
    "new": ("UNSEEN", "seen", False),
    "seen": ("SEEN", "seen", True),
    "read": ("SEEN", "seen", True),
    "flagged": ("FLAGGED", "flag", True),
    "starred": ("FLAGGED", "flag", True),
    "unflagged": ("UNFLAGGED", "flag", False),
    "answered": ("ANSWERED", "answered", True),
    "replied": ("ANSWERED", "answered", True),
    "unanswered": ("UNANSWERED", "answered", False),
    "draft": ("DRAFT", "draft", True),
}
_IMAP_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)[bB]?$")
# Sizes must fit SQLite's and IMAP's 63-bit numbers; more digits cannot.
_MAX_SIZE = 2**63 - 1
_MAX_SIZE_DIGITS = 19


class QueryError(MailtuiError):
    """The search query has a term mailtui cannot understand."""


@dataclass(frozen=True)
class Term:
    key: str  # "text", "from", …, "flag", "label", "since", "before", "on", "larger", "smaller"
    value: str = ""
    negated: bool = False
    flag: tuple[str, str, bool] | None = None  # (IMAP key, cache flag, wanted)
    day: date | None = None
    size: int = 0


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.terms

    def needs_body(self) -> bool:
        return any(t.key in ("body", "text") for t in self.terms)


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


def parse(text: str) -> Query:
    """Parse the query; raises QueryError with the offending term."""
    try:
        words = split_words(text)
    except ValueError as exc:
        raise QueryError(
            f"Cannot read the search {_shown(text)}: {exc}",
            'close the quotes: subject:"q3 report"',
        ) from exc
    terms = []
    # IMAP strings cannot carry NUL, CR or LF (RFC 9051 §4.3).
    words = [w.replace("\x00", "").replace("\r", " ").replace("\n", " ") for w in words]
    for word in words:
        negated = word.startswith("-") and len(word) > 1
        if negated:
            word = word[1:]
        key, sep, value = word.partition(":")
        lowered = key.lower()
        if not sep:
            if lowered in FLAG_WORDS:
                terms.append(Term("flag", lowered, negated, flag=FLAG_WORDS[lowered]))
            else:
                terms.append(Term("text", word, negated))
            continue
        if lowered in TEXT_KEYS:
            if not value:
                raise QueryError(f"{key}: needs a value", f'e.g. {key}:alice or {key}:"two words"')
            terms.append(Term(lowered, value, negated))
        elif lowered in ("label", "keyword", "tag"):
            terms.append(Term("label", value, negated))
        elif lowered in ("since", "after", "before", "on", "date"):
            canonical = {"after": "since", "date": "on"}.get(lowered, lowered)
            terms.append(Term(canonical, value, negated, day=_parse_day(word, value)))
        elif lowered in ("larger", "smaller"):
            terms.append(Term(lowered, value, negated, size=_parse_size(word, value)))
        elif lowered == "is" and value.lower() in FLAG_WORDS:
            terms.append(Term("flag", value.lower(), negated, flag=FLAG_WORDS[value.lower()]))
        else:
            terms.append(Term("text", word, negated))
    return Query(tuple(terms))


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


# --- to IMAP SEARCH (RFC 9051 §6.4.4) -----------------------------------------------------


def imap_criteria(query: Query) -> tuple[list[str], str | None]:
    """Criteria for imapclient.search, and "UTF-8" when any string is non-ASCII."""
    criteria: list[str] = []
    charset = None
    for term in query.terms:
        parts: list[str]
        if term.key in TEXT_KEYS:
            parts = [term.key.upper(), term.value]
        elif term.key == "label":
            parts = ["KEYWORD", term.value]
        elif term.key == "flag":
            assert term.flag is not None
            parts = [term.flag[0]]
        elif term.key in ("since", "before", "on"):
            assert term.day is not None
            parts = [term.key.upper(), _imap_date(term.day)]
        elif term.key in ("larger", "smaller"):
            parts = [term.key.upper(), str(term.size)]
        else:
            parts = ["TEXT", term.value]
        if any(not p.isascii() for p in parts):
            charset = "UTF-8"
        if term.negated:
            criteria.append("NOT")
        criteria.extend(parts)
    return (criteria or ["ALL"]), charset


def _imap_date(day: date) -> str:
    return f"{day.day}-{_IMAP_MONTHS[day.month - 1]}-{day.year}"


# --- to the local cache ------------------------------------------------------------------


def local_sql(query: Query) -> tuple[str, list[object], str | None]:
    """(extra WHERE on messages m, params, FTS5 MATCH expression or None)."""
    where: list[str] = []
    params: list[object] = []
    fts: list[str] = []
    for term in query.terms:
        if term.key in TEXT_KEYS:
            column = {
                "from": "sender",
                "to": "recipients",
                "cc": "recipients",
                "subject": "subject",
            }.get(term.key)
            expr = _fts_phrase(term.value, column)
            if expr is None:
                continue  # nothing searchable in it (punctuation, controls)
            fts.append(f"NOT {expr}" if term.negated and fts else expr)
            if term.negated and len(fts) == 1:
                # FTS5 cannot start with NOT: fall back to a LIKE on the row.
                fts.pop()
                where.append("NOT (m.subject LIKE ? OR m.from_name LIKE ? OR m.from_addr LIKE ?)")
                like = f"%{term.value}%"
                params += [like, like, like]
        elif term.key == "label":
            clause = "instr(' ' || m.flags || ' ', ?) > 0"
            where.append(f"NOT ({clause})" if term.negated else clause)
            params.append(f" {term.value} ")
        elif term.key == "flag":
            assert term.flag is not None
            _imap, name, wanted = term.flag
            flag = {
                "seen": "\\Seen",
                "flag": "\\Flagged",
                "answered": "\\Answered",
                "draft": "\\Draft",
            }[name]
            has = "instr(' ' || m.flags || ' ', ?) > 0"
            want = wanted != term.negated
            where.append(has if want else f"NOT ({has})")
            params.append(f" {flag} ")
        elif term.key in ("since", "before", "on"):
            assert term.day is not None
            start = int(
                datetime(term.day.year, term.day.month, term.day.day, tzinfo=UTC).timestamp()
            )
            clause = {
                "since": "m.date >= ?",
                "before": "m.date < ?",
                "on": "(m.date >= ? AND m.date < ? + 86400)",
            }[term.key]
            where.append(f"NOT {clause}" if term.negated else clause)
            params += [start, start] if term.key == "on" else [start]
        elif term.key in ("larger", "smaller"):
            clause = "m.size > ?" if term.key == "larger" else "m.size < ?"
            where.append(f"NOT ({clause})" if term.negated else clause)
            params.append(term.size)
    fts_expr = " AND ".join(fts).replace("AND NOT", "NOT") if fts else None
    return " AND ".join(where), params, fts_expr


def _fts_phrase(value: str, column: str | None) -> str | None:
    """A prefix-matching FTS5 phrase for each word, optionally limited to one column."""
    words = re.findall(r"\w+", value, re.UNICODE)
    if not words:
        return None
    phrase = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
    return f"{column} : ({phrase})" if column else f"({phrase})"
