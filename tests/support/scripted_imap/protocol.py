"""IMAP wire syntax for the scripted server: command tokens in, response atoms out.

Pure functions, no I/O, so the server's commands and a test's hooks build responses
the same way. Client input is parsed leniently (a test server should accept what any
real client sends); output is strict RFC 9051 syntax unless a hook says otherwise.
"""

from __future__ import annotations

import base64
import bisect
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

# A parsed argument: `str` for an atom (NIL included), `bytes` for a quoted string or a
# literal (RFC 9051 §4.3), `list` for a parenthesised list (§4.4).
Token = str | bytes | list


class Literal(bytes):
    """The bytes of one literal the client sent, kept apart from the line around it."""


class ParseError(ValueError):
    """The client's command is not valid IMAP syntax (answered with BAD)."""


_ATOM_END = frozenset(b' ()"{\r\n')
_WS = frozenset(b" \t")


def tokenize(parts: Sequence[bytes]) -> list[Token]:
    """Tokens of a command whose literals were read separately (`Literal` parts).

    An atom may hold a bracketed section with spaces and parentheses inside it, as
    FETCH's `BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>` does (RFC 9051 §6.4.5).
    """
    root: list[Token] = []
    stack: list[list[Token]] = [root]
    for part in parts:
        if isinstance(part, Literal):
            stack[-1].append(part)  # kept a Literal: APPEND tells its message from its date
            continue
        pos, end = 0, len(part)
        while pos < end:
            ch = part[pos]
            if ch in _WS:
                pos += 1
            elif ch == 0x28:  # (
                new: list[Token] = []
                stack[-1].append(new)
                stack.append(new)
                pos += 1
            elif ch == 0x29:  # )
                if len(stack) == 1:
                    raise ParseError("unbalanced ')'")
                stack.pop()
                pos += 1
            elif ch == 0x22:  # "
                pos = _quoted(part, pos + 1, stack[-1])
            else:
                pos = _atom(part, pos, stack[-1])
    if len(stack) != 1:
        raise ParseError("unbalanced '('")
    return root


def _quoted(data: bytes, pos: int, into: list[Token]) -> int:
    out = bytearray()
    while pos < len(data):
        ch = data[pos]
        if ch == 0x5C and pos + 1 < len(data):  # backslash escape
            out.append(data[pos + 1])
            pos += 2
        elif ch == 0x22:
            into.append(bytes(out))
            return pos + 1
        else:
            out.append(ch)
            pos += 1
    raise ParseError("unterminated quoted string")


def _atom(data: bytes, pos: int, into: list[Token]) -> int:
    start, depth = pos, 0
    while pos < len(data):
        ch = data[pos]
        if ch == 0x5B:  # [
            depth += 1
        elif ch == 0x5D and depth:  # ]
            depth -= 1
        elif depth == 0 and ch in _ATOM_END:
            break
        pos += 1
    if pos == start:
        raise ParseError(f"unexpected character {chr(data[pos])!r}")
    into.append(data[start:pos].decode("ascii", "surrogateescape"))
    return pos


def text(token: Token) -> str:
    """An astring argument (atom, quoted or literal) as str; lists are an error."""
    if isinstance(token, list):
        raise ParseError("expected a string, got a list")
    if isinstance(token, bytes):
        return token.decode("utf-8", "surrogateescape")
    return token


def raw(token: Token) -> bytes:
    """An astring argument as the bytes the client sent."""
    if isinstance(token, list):
        raise ParseError("expected a string, got a list")
    return token if isinstance(token, bytes) else token.encode("ascii", "surrogateescape")


def atoms(token: Token) -> list[str]:
    """A flag list: `(\\Seen foo)` or a single bare atom (RFC 9051 §6.4.6 allows both)."""
    items = token if isinstance(token, list) else [token]
    return [text(t) for t in items]


# --- sequence sets (RFC 9051 §9 sequence-set, §6.4.9 for UIDs) ------------------------


def parse_set(spec: str, top: int) -> list[tuple[int, int]]:
    """The ranges of a sequence set, each as (low, high); `*` is `top`, the highest
    number in use. A range is unordered ("4:2" = "2:4"), so "n:*" includes `top` even
    when n > top (RFC 9051 §6.4.9). Ranges stay ranges: "1:4294967295" costs nothing.
    """
    out: list[tuple[int, int]] = []
    for item in spec.split(","):
        if not item:
            raise ParseError(f"bad sequence set {spec!r}")
        lo_s, sep, hi_s = item.partition(":")
        lo = _seq_number(lo_s, top)
        hi = _seq_number(hi_s, top) if sep else lo
        out.append((min(lo, hi), max(lo, hi)))
    return out


def pick(values: Sequence[int], ranges: Iterable[tuple[int, int]]) -> list[int]:
    """The members of sorted `values` that fall in any of `ranges`, sorted, once each."""
    found: set[int] = set()
    for lo, hi in ranges:
        found.update(values[bisect.bisect_left(values, lo) : bisect.bisect_right(values, hi)])
    return sorted(found)


def _seq_number(value: str, top: int) -> int:
    if value == "*":
        return max(top, 1)
    if not value.isdigit() or int(value) == 0:
        raise ParseError(f"bad sequence number {value!r}")
    return int(value)


def compress(numbers: Iterable[int]) -> str:
    """Sorted numbers as a compact set: [1, 2, 3, 5] → "1:3,5"."""
    out: list[str] = []
    run: list[int] = []
    for n in sorted(set(numbers)):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(_run(run))
        run = [n]
    if run:
        out.append(_run(run))
    return ",".join(out)


def ordered(numbers: Sequence[int]) -> str:
    """Numbers as a set in the given order (COPYUID pairs sets by position, RFC 4315 §3)."""
    out: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        out.append(_run(list(numbers[i : j + 1])))
        i = j + 1
    return ",".join(out)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}:{run[-1]}"


# --- output atoms -----------------------------------------------------------------------


def string(value: str | bytes | None) -> bytes:
    """An nstring: NIL, a quoted string, or a literal for 8-bit or CR/LF data (§4.3)."""
    if value is None:
        return b"NIL"
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if not data.isascii() or b"\r" in data or b"\n" in data or b"\0" in data:
        return literal(data)
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def mailbox(name: str) -> bytes:
    """A mailbox name on the wire: modified UTF-7 (RFC 3501 §5.1.3), quoted."""
    return string(utf7_encode(name))


def flag_list(flags: Iterable[str]) -> bytes:
    return b"(" + " ".join(flags).encode("ascii", "replace") + b")"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_TIME = re.compile(
    r"^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)$"
)


def format_internaldate(when: datetime) -> bytes:
    """`"02-Mar-2026 10:00:00 +0000"` (RFC 9051 §9 date-time), in `when`'s own offset."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return (
        f'"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year:04d} '
        f'{when:%H:%M:%S} {sign}{hh:02d}{mm:02d}"'
    ).encode()


def parse_internaldate(value: str) -> datetime:
    m = _DATE_TIME.match(value)
    if m is None:
        raise ParseError(f"bad date-time {value!r}")
    day, mon, year, hh, mi, ss, sign, oh, om = m.groups()
    try:
        month = [x.lower() for x in _MONTHS].index(mon.lower()) + 1
    except ValueError:
        raise ParseError(f"bad month in {value!r}") from None
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    return datetime(int(year), month, int(day), int(hh), int(mi), int(ss), tzinfo=timezone(offset))


def parse_search_date(value: str) -> datetime:
    """A SEARCH date ("1-Feb-1994", RFC 9051 §9 date) as midnight of that day."""
    day, _, rest = value.partition("-")
    mon, _, year = rest.partition("-")
    try:
        month = [x.lower() for x in _MONTHS].index(mon.lower()) + 1
        return datetime(int(year), month, int(day))
    except ValueError:
        raise ParseError(f"bad date {value!r}") from None


# --- modified UTF-7 (RFC 3501 §5.1.3) ---------------------------------------------------


def utf7_encode(name: str) -> str:
    """Unicode mailbox name → modified UTF-7 ("&" is "&-", others in modified base64)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def utf7_decode(name: str) -> str:
    """Modified UTF-7 → Unicode; text that is not valid mUTF-7 is kept as sent."""
    out: list[str] = []
    pos = 0
    while pos < len(name):
        amp = name.find("&", pos)
        if amp < 0:
            out.append(name[pos:])
            break
        out.append(name[pos:amp])
        dash = name.find("-", amp)
        if dash < 0:
            out.append(name[amp:])
            break
        chunk = name[amp + 1 : dash]
        if not chunk:
            out.append("&")
        else:
            padded = chunk.replace(",", "/") + "=" * (-len(chunk) % 4)
            try:
                out.append(base64.b64decode(padded).decode("utf-16-be"))
            except ValueError:
                out.append(name[amp : dash + 1])
        pos = dash + 1
    return "".join(out)
