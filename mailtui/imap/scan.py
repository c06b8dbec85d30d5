"""Linear-time readers for the pieces of an IMAP response (RFC 9051 §4 and §7.5.2).

Every byte here was chosen by a server. So each reader runs in time linear in its
input: regexes are only matched at a fixed position and have no nested or overlapping
quantifiers (a FETCH item scanner built on `findall` took 27 s on a 40 KB atom), nesting
is capped (`MAX_DEPTH`), numbers are checked for length before `int()`, and whatever
cannot be read raises `MalformedResponse` — a ProtocolError after which the session
drops its connection, since the next reply could no longer be told from this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mailtui.backend import UID_MAX
from mailtui.errors import MalformedResponse

# Deeper parentheses than any real response (a BODYSTRUCTURE of nested multiparts is a
# few dozen levels at most); 10,000 of them must not reach a recursive consumer.
MAX_DEPTH = 100
# RFC 9051 number64 / RFC 7162 mod-sequence-value: at most 2^63 - 1.
NUMBER64_MAX = 2**63 - 1


def shown(value: bytes | None, size: int = 60) -> str:
    """A server's bytes, cut short, for an error message (the edge sanitises it)."""
    if value is None:
        return "NIL"
    return repr(value[:size]) + ("…" if len(value) > size else "")


def number(value: bytes | None, *, what: str, low: int = 0, limit: int = NUMBER64_MAX) -> int:
    """An unsigned decimal number in [low, limit]: ASCII digits only (no sign, no "_",
    never more than 20 of them), else MalformedResponse naming `what`."""
    if value is None or not value.isdigit() or len(value) > 20:
        raise MalformedResponse(f"The IMAP server sent {shown(value)} where {what} belongs")
    n = int(value)
    if not low <= n <= limit:
        raise MalformedResponse(f"The IMAP server sent {what} out of range: {shown(value)}")
    return n


def uid(value: bytes | None) -> int:
    """A UID: 1 ≤ uid < 2^32 (RFC 9051 §9 nz-number)."""
    return number(value, what="a UID", low=1, limit=UID_MAX)


# A literal marker ends its line: "{123}\r\n", "~{123}\r\n" (RFC 3516 literal8); "+" is
# the client's LITERAL+ form, tolerated as before.
_LITERAL_TAIL = re.compile(rb"~?\{([^{}\s]{1,24})\}\r\n\Z")


def literal_size(line: bytes, limit: int) -> int | None:
    """The size of the literal announced at the end of `line`, or None when the line
    ends otherwise. A marker whose size is not plain digits ({-1}, {1_0}, {0x10}) or
    is over `limit` bytes is MalformedResponse: reading on would misframe the stream."""
    if not line.endswith(b"}\r\n"):
        return None
    m = _LITERAL_TAIL.search(line, max(0, len(line) - 32))
    if m is None:
        return None
    inner = m.group(1)
    if inner.endswith(b"+"):
        inner = inner[:-1]
    if not inner.isdigit() or len(inner) > 20:
        raise MalformedResponse(f"The IMAP server announced a literal of {shown(inner)} bytes")
    size = int(inner)
    if size > limit:
        raise MalformedResponse(
            f"The IMAP server announced a literal of {size:,} bytes; "
            f"mailtui accepts at most {limit:,} here"
        )
    return size


# --- tokens (LIST, STATUS, ENABLED…) ---------------------------------------------------------

# A quoted string's body, unrolled and possessive ("normal* (special normal*)*"): the
# obvious (?:[^"\\]|\\.)* backtracks through a stack per character when unclosed.
_QUOTED_BODY = rb'[^"\\\r\n]*+(?:\\.[^"\\\r\n]*+)*+'
_TOKEN = re.compile(
    rb'[ \t]*(?:(\()|(\))|"(' + _QUOTED_BODY + rb')"|~?\{(\d+)\+?\}\r\n$|([^\s()"]+))'
)


def tokenize(segments: list[bytes], literals: list[bytes]) -> list:
    """An IMAP response as nested lists of bytes atoms (None for NIL), literals in place
    (RFC 9051 §4). Nesting beyond MAX_DEPTH is MalformedResponse."""
    root: list = []
    stack = [root]
    lit_index = 0
    for seg in segments:
        seg = seg if seg.endswith(b"}\r\n") else seg.rstrip(b"\r\n")
        pos = 0
        while pos < len(seg):
            m = _TOKEN.match(seg, pos)
            if m is None or m.end() == pos:
                break
            pos = m.end()
            if m.group(1):
                if len(stack) > MAX_DEPTH:
                    raise MalformedResponse(
                        f"The IMAP server nested parentheses deeper than {MAX_DEPTH}"
                    )
                new: list = []
                stack[-1].append(new)
                stack.append(new)
            elif m.group(2):
                if len(stack) > 1:
                    stack.pop()
            elif m.group(3) is not None:
                stack[-1].append(unquote(m.group(3)))
            elif m.group(4) is not None:
                stack[-1].append(literals[lit_index] if lit_index < len(literals) else b"")
                lit_index += 1
            else:
                atom = m.group(5)
                stack[-1].append(None if atom.upper() == b"NIL" else atom)
    return root


_ESCAPED = re.compile(rb"\\(.)")


def unquote(value: bytes) -> bytes:
    """A quoted string's content with its backslash escapes resolved."""
    if b"\\" not in value:
        return value
    return _ESCAPED.sub(rb"\1", value)


# --- FETCH items ---------------------------------------------------------------------------

_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9.\-]*")
_SECTION = re.compile(rb"\[[^\]\r\n]*\](?:<[0-9]{1,20}>)?")
_BLANKS = re.compile(rb"[ \t]*")
_DIGITS = re.compile(rb"[0-9]+")
_QUOTED = re.compile(rb'"(' + _QUOTED_BODY + rb')"')
_ATOM = re.compile(rb'[^\s()"\[\]{}]+')
_LITERAL = re.compile(rb"~?\{([0-9]{1,20})\+?\}\r\n")
# Inside parentheses, the next byte that matters.
_SPECIAL = re.compile(rb'[()"{\r\n]')
_END = re.compile(rb"\)[ \t]*\r?\n?\Z")

# What scan_fetch yields for a value: its kind and bytes.
PAREN, QUOTED, LITERAL, NUMBER, NIL, ATOM = "paren", "quoted", "literal", "number", "nil", "atom"


def scan_fetch(text: bytes, literals: list[bytes]) -> Iterator[tuple[bytes, str, bytes | None]]:
    """The items of one FETCH response — `text` is what follows "* n FETCH (", with each
    literal marker followed by the next of `literals` — as (NAME, kind, value).

    A parenthesised value comes back as its raw inner text (nested lists included, the
    literals inside skipped); a literal as its bytes; NIL as None.
    """
    pos, end, lit = 0, len(text), 0
    while True:
        pos = _BLANKS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            raise MalformedResponse("The IMAP server sent a FETCH response without its ')'")
        if text[pos] == 0x29:  # ")"
            if _END.match(text, pos) is None:
                raise MalformedResponse(
                    f"The IMAP server sent more after a FETCH response: {shown(text[pos:])}"
                )
            return
        m = _NAME.match(text, pos)
        if m is None:
            raise MalformedResponse(f"The IMAP server sent a FETCH item {shown(text[pos:])}")
        pos = m.end()
        if pos < end and text[pos] == 0x5B:  # "["
            section = _SECTION.match(text, pos)
            if section is None:
                raise MalformedResponse(f"The IMAP server sent a section {shown(text[pos:])}")
            pos = section.end()
        name = text[m.start() : pos].upper()
        if pos >= end or text[pos] != 0x20:
            raise MalformedResponse(
                f"The IMAP server sent a FETCH item without value: {shown(name)}"
            )
        pos += 1
        kind, value, pos, lit = _value(text, pos, literals, lit)
        yield name, kind, value


def _value(
    text: bytes, pos: int, literals: list[bytes], lit: int
) -> tuple[str, bytes | None, int, int]:
    """One FETCH value at `pos`: (kind, value, position after it, literals used)."""
    c = text[pos] if pos < len(text) else 0
    if c == 0x28:  # "("
        stop, lit = _skip_parens(text, pos, literals, lit)
        return PAREN, text[pos + 1 : stop - 1], stop, lit
    if c == 0x22:  # '"'
        m = _QUOTED.match(text, pos)
        if m is None:
            raise MalformedResponse(f"The IMAP server sent an unclosed string {shown(text[pos:])}")
        return QUOTED, unquote(m.group(1)), m.end(), lit
    if c in (0x7B, 0x7E):  # "{", "~"
        m = _LITERAL.match(text, pos)
        if m is None or lit >= len(literals):
            raise MalformedResponse(f"The IMAP server sent a literal marker {shown(text[pos:])}")
        return LITERAL, literals[lit], m.end(), lit + 1
    if 0x30 <= c <= 0x39:
        m = _DIGITS.match(text, pos)
        assert m is not None
        return NUMBER, m.group(), m.end(), lit
    m = _ATOM.match(text, pos)
    if m is None:
        raise MalformedResponse(f"The IMAP server sent a FETCH value {shown(text[pos:])}")
    if m.group().upper() == b"NIL":
        return NIL, None, m.end(), lit
    return ATOM, m.group(), m.end(), lit


def _skip_parens(text: bytes, pos: int, literals: list[bytes], lit: int) -> tuple[int, int]:
    """The position just after the ")" closing the "(" at `pos`, and the literals used
    inside; quoted strings are skipped whole. Linear: each byte is looked at once."""
    depth = 0
    while True:
        m = _SPECIAL.search(text, pos)
        if m is None:
            raise MalformedResponse("The IMAP server sent unbalanced parentheses")
        at = m.start()
        c = text[at]
        if c == 0x28:
            depth += 1
            if depth > MAX_DEPTH:
                raise MalformedResponse(
                    f"The IMAP server nested parentheses deeper than {MAX_DEPTH}"
                )
            pos = at + 1
        elif c == 0x29:
            depth -= 1
            pos = at + 1
            if depth == 0:
                return pos, lit
        elif c == 0x22:
            q = _QUOTED.match(text, at)
            if q is None:
                raise MalformedResponse(
                    f"The IMAP server sent an unclosed string {shown(text[at:])}"
                )
            pos = q.end()
        elif c == 0x7B:
            marker = _LITERAL.match(text, at)
            if marker is None:
                pos = at + 1  # a "{" inside an atom
            elif lit >= len(literals):
                raise MalformedResponse("The IMAP server sent a literal marker without data")
            else:
                lit += 1
                pos = marker.end()
        else:
            raise MalformedResponse("The IMAP server sent unbalanced parentheses")
