"""Address lists (From/To/Cc) as headers carry them: the one splitter and the lenient parser.

`split_address_list` is shared by the display parser here (tolerant: it never raises,
garbage gives what can be read) and by `compose.addresses` (strict: it tells the user
which item is wrong). Both split on top-level "," and ";" honouring quotes, <> and
comments, and flatten RFC 5322 groups. Every loop is linear in the input
(tests/unit/test_complexity.py).
"""

from __future__ import annotations

import re

from mailtui.model import Address
from mailtui.text.charset import decode_bytes, from_surrogates
from mailtui.text.encoded_words import ENCODED_WORD, decode_header
from mailtui.text.safe import clean_line

__all__ = ["parse_addresses", "split_address_list"]

_NEEDS_TOKENIZER = re.compile(r'[",();:\\]|=\?')


def _no_space(text: str) -> bool:
    """True when `text` holds no whitespace (what `\\s` matches in a str pattern)."""
    return not text or text.split() == [text]


def _simple_address(value: str) -> Address | None:
    """Fast path for one "Name <a@b>" or "a@b" with nothing that needs a tokenizer.

    Plain string operations, no regex: the regex this replaces backtracked cubically on
    a long run of whitespace-class characters (0x1C–0x1F, VT, FF…) without a "<".
    """
    s = value.strip()
    if not s:
        return None
    if s[-1] == ">":
        lt = s.find("<")
        if lt >= 0 and s.count("<") == 1 and s.count(">") == 1:
            addr = s[lt + 1 : -1]
            if _no_space(addr) and addr.count("@") <= 1:
                name = s[:lt].strip()
                return Address(name=clean_line(name) if name else "", addr=clean_line(addr))
        return None
    if "<" not in s and ">" not in s and _no_space(s):
        return Address(name="", addr=clean_line(s))
    return None


def split_address_list(value: str, *, encoded_words: bool = True) -> tuple[list[str], bool]:
    """The items of an address list and whether it ends inside a quote, <> or comment.

    Splits on "," and ";" outside quotes, angle brackets and comments; RFC 5322 §3.4
    groups ("team: a@b, c@d;") are flattened: the group's display name is dropped, its
    members kept ("mailto:x" inside <> stays, by the angle rule). With `encoded_words`
    an RFC 2047 word is one token, since its decoded text may hold "," ";" ":" — the
    header parser wants that; compose parses what people type, where "=?" is text.
    The strict caller refuses an unclosed list; the lenient one reads what is there.
    """
    items: list[str] = []
    buf: list[str] = []
    quote = False
    angle = 0
    comment = 0
    escape = False
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        i += 1
        if escape:
            buf.append(ch)
            escape = False
            continue
        if encoded_words and ch == "=" and not quote and not comment and value.startswith("?", i):
            m = ENCODED_WORD.match(value, i - 1)
            if m:
                buf.append(m.group(0))
                i = m.end()
                continue
        if ch == "\\" and (quote or comment):
            buf.append(ch)
            escape = True
            continue
        if quote:
            buf.append(ch)
            quote = ch != '"'
            continue
        if comment:
            buf.append(ch)
            comment += (ch == "(") - (ch == ")")
            continue
        if ch == '"':
            quote = True
        elif ch == "(":
            comment = 1
        elif ch == "<":
            angle += 1
        elif ch == ">":
            angle = max(angle - 1, 0)
        elif not angle and ch in ",;":
            items.append("".join(buf))
            buf = []
            continue
        elif not angle and ch == ":":
            buf = []  # a group's display name
            continue
        buf.append(ch)
    items.append("".join(buf))
    return items, bool(quote or angle or comment)


_COMMENT_TEXT = re.compile(r"[^()\\]*")


def _split_comments(text: str) -> list[tuple[bool, str]]:
    """RFC 5322 comments "(…)" (one level, quoted-pairs kept) and the text around them.

    Returns (is_comment, piece) in order, a comment without its parentheses. A scanner
    rather than a regex: `\\((?:[^()\\\\]|\\\\.)*\\)` restarted at every "(" of
    "(\\(\\(\\(…" and read to the end each time (quadratic). Here a failed comment
    never makes the scan go back: every "(" it passed was escaped, and a comment started
    at an escaped "(" reads exactly the same characters, so it fails the same way.
    """
    out: list[tuple[bool, str]] = []
    n = len(text)
    done = 0  # text before this is in `out`
    start = text.find("(")
    while start >= 0:
        j = start + 1
        end = -1
        ch = ""
        while j < n:
            j = _COMMENT_TEXT.match(text, j).end()
            ch = text[j] if j < n else ""
            if ch == ")":
                end = j
                break
            if ch == "\\" and j + 1 < n and text[j + 1] != "\n":
                j += 2
                continue
            break  # "(" (a nested comment), a backslash before a newline, or the end
        if end >= 0:
            if start > done:
                out.append((False, text[done:start]))
            out.append((True, text[start + 1 : end]))
            done = end + 1
            start = text.find("(", done)
        elif ch == "(":
            start = j  # every "(" passed was escaped: the next try starts here
        else:
            start = text.find("(", j + 1)
    if done < n:
        out.append((False, text[done:]))
    return out


def _unquote(text: str) -> str:
    """Remove RFC 5322 quoting and comments from a display name (quoted-pairs kept)."""
    if '"' not in text and "\\" not in text:
        return text.strip()
    out: list[str] = []
    quote = False
    escape = False
    for ch in text:
        if escape:
            out.append(ch)
            escape = False
        elif ch == "\\":
            escape = True
        elif ch == '"':
            quote = not quote
        else:
            out.append(ch)
    return "".join(out).strip()


def _parse_one(text: str) -> Address | None:
    text = text.strip()
    if not text:
        return None
    lt = text.rfind("<")
    if lt >= 0:
        gt = text.find(">", lt)
        addr = text[lt + 1 : gt if gt >= 0 else len(text)]
        name_part = text[:lt] + (text[gt + 1 :] if gt >= 0 else "")
        if "(" in name_part:
            pieces = _split_comments(name_part)
            name_part = "".join(f" {piece} " if comment else piece for comment, piece in pieces)
    else:
        pieces = _split_comments(text) if "(" in text else [(False, text)]
        addr = "".join(" " if comment else piece for comment, piece in pieces)
        # "a@b (Real Name)", the old style
        name_part = " ".join(piece for comment, piece in pieces if comment)
    addr = "".join(addr.split())
    if addr.startswith("@") and ":" in addr:  # obsolete source route "<@relay:a@b>"
        addr = addr.partition(":")[2]
    name = decode_header(_unquote(name_part)) if name_part.strip() else ""
    addr = clean_line(from_surrogates(addr) if not addr.isascii() else addr)
    if not addr and not name:
        return None
    return Address(name=name, addr=addr)


def parse_addresses(value: str | bytes) -> tuple[Address, ...]:
    """From/To/Cc as Addresses: names decoded, groups flattened, garbage tolerated."""
    try:
        if isinstance(value, bytes):
            value = value.decode("ascii") if value.isascii() else decode_bytes(value)
        if not value:
            return ()
        if value.isascii() and not _NEEDS_TOKENIZER.search(value):
            simple = _simple_address(value)
            if simple is not None:
                return (simple,)
        if "\n" in value or "\r" in value:
            value = value.replace("\r", " ").replace("\n", " ")
        out: list[Address] = []
        for text in split_address_list(value)[0]:
            addr = _parse_one(text)
            if addr is not None:
                out.append(addr)
        return tuple(out)
    except (RecursionError, MemoryError, ValueError):
        return ()
