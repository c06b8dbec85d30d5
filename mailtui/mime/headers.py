"""Header decoding for every message of a sync: fast on plain ASCII, tolerant of the rest.

All functions here take what a server or a file handed us and never raise; the result
is already display-safe (`safe.clean_line`). The common case — an ASCII header with no
encoded words — is answered by a `str.isprintable` check and nothing else.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re

from mailtui.model import Address
from mailtui.text.chunks import STEP, CancelCheck, check
from mailtui.text.dates import parse_date
from mailtui.text.safe import clean_line

__all__ = [
    "decode_bytes",
    "decode_header",
    "lookup_charset",
    "normalize_msgid",
    "parse_addresses",
    "parse_date",
    "parse_msgids",
]

# --------------------------------------------------------------------------- charsets

# Labels that mail in the wild uses for something else, or that Python does not know.
# Latin-1 and ASCII labels are read as cp1252, as browsers do (WHATWG Encoding): mailers
# that say ISO-8859-1 routinely send Windows "smart quotes" in 0x80–0x9F.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
# Codecs that are "text encodings" to Python but interpret escapes or are not charsets:
# a message must not be able to pick them.
_FORBIDDEN_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "undefined", "idna", "punycode", "mbcs", "oem"}
)
# Codecs in which ASCII bytes do not simply mean ASCII (escape-based or multi-byte units).
_NOT_ASCII_COMPATIBLE = ("iso2022", "utf_7", "utf_16", "utf_32", "hz")
_CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,39}")


@functools.lru_cache(maxsize=256)
def lookup_charset(label: str) -> str | None:
    """Python codec name for a MIME charset label, or None when unknown or not allowed."""
    label = label.strip().strip("\"'").lower()
    label = label.partition("*")[0]  # RFC 2231 language suffix: "utf-8*en"
    if not label or not _CHARSET_NAME.fullmatch(label):
        return None
    label = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
        b"a".decode(info.name, "ignore")  # rejects bytes-to-bytes codecs such as base64
    except (LookupError, ValueError, TypeError, UnicodeError):
        return None
    if info.name.replace("-", "_") in _FORBIDDEN_CODECS:
        return None
    return info.name


@functools.lru_cache(maxsize=64)
def _single_byte(codec: str) -> bool:
    """True for charsets where every byte is a character (any bytes "decode cleanly")."""
    # Multi-byte charsets (UTF-8, GBK, Big5, EUC-*, Shift_JIS, UTF-16) each join some of
    # these byte pairs into one character; single-byte ones never do.
    if codec.replace("-", "_").startswith(_NOT_ASCII_COMPATIBLE):
        return False
    probe = b"\x81\x40\xa4\xa1\xc3\xa9\xe3\x81\x82\xb0\xa1"
    try:
        return len(probe.decode(codec, "replace")) == len(probe)
    except (LookupError, ValueError):
        return False


# A well-formed UTF-8 multi-byte sequence (a lead byte C2–DF, E0–EF or F0–F4 and then
# 1, 2 or 3 continuation bytes 80–BF): legacy 8-bit text almost never contains one. Found
# by mapping each byte to its class and searching the class string (a regex trying every
# position was 100 ns a byte).
_UTF8_CLASS = bytes(
    b"c"[0]
    if 0x80 <= b <= 0xBF
    else b"2"[0]
    if 0xC2 <= b <= 0xDF
    else b"3"[0]
    if 0xE0 <= b <= 0xEF
    else b"4"[0]
    if 0xF0 <= b <= 0xF4
    else b"."[0]
    for b in range(256)
)
_UTF8_SEQUENCES = (b"2c", b"3cc", b"4ccc")


# Codecs whose incremental decoder does not read as `bytes.decode` does: UTF-16/32 want
# a BOM, ISO-2022 ones raise "pending buffer overflow" on junk. They are decoded whole
# (they are C codecs that read hundreds of MB per second).
_DECODED_WHOLE = ("utf_16", "utf_32", "iso2022")


def _decode(data: bytes, codec: str, errors: str, cancelled: CancelCheck) -> str:
    """`data.decode(codec, errors)`, in slices when long (see chunks); raises as it would."""
    if len(data) <= STEP or codec.replace("-", "_").startswith(_DECODED_WHOLE):
        return data.decode(codec, errors)
    decoder = codecs.getincrementaldecoder(codec)(errors)
    out: list[str] = []
    for i in range(0, len(data), STEP):
        out.append(decoder.decode(data[i : i + STEP], final=i + STEP >= len(data)))
        check(cancelled)
    return "".join(out)


def _has_utf8_sequence(data: bytes) -> bool:
    """True when `data` holds a well-formed UTF-8 multi-byte sequence (slices overlap by
    the longest sequence, so none is missed at a cut)."""
    for i in range(0, len(data), STEP):
        classes = data[i : i + STEP + 3].translate(_UTF8_CLASS)
        if any(seq in classes for seq in _UTF8_SEQUENCES):
            return True
    return False


def decode_bytes(data: bytes, charset: str = "", *, cancelled: CancelCheck = None) -> str:
    """Bytes to text: the declared charset if it fits, else UTF-8, else cp1252; never raises.

    A declared charset is trusted only when the bytes decode cleanly in it, because
    mailers lie ("us-ascii" on UTF-8, "utf-8" on cp1252). Single-byte charsets decode
    any bytes "cleanly", so for them valid UTF-8 wins. The result is not cleaned. Long
    input is decoded in slices, asking `cancelled` between them.
    """
    codec = lookup_charset(charset) if charset else None
    if data.isascii() and (
        codec is None or not codec.replace("-", "_").startswith(_NOT_ASCII_COMPATIBLE)
    ):
        return data.decode("ascii")
    if codec is not None and not _single_byte(codec):
        try:
            return _decode(data, codec, "strict", cancelled)
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
    try:
        return _decode(data, "utf-8", "strict", cancelled)
    except UnicodeDecodeError:
        pass
    if codec is not None and _single_byte(codec):
        return _decode(data, codec, "replace", cancelled)
    if codec is not None and not codec.startswith("utf"):
        # A legacy multi-byte charset that mostly fits (a stray byte) reads best in itself.
        try:
            text = _decode(data, codec, "replace", cancelled)
            if text.count("\ufffd") <= max(1, len(text) // 20):
                return text
        except (LookupError, ValueError):
            pass
    if _has_utf8_sequence(data):
        return _decode(data, "utf-8", "replace", cancelled)  # UTF-8 with damage
    return _decode(data, "cp1252", "replace", cancelled)


def _from_surrogates(value: str) -> str:
    """Undo surrogateescape (how `email` carries raw 8-bit header bytes) and redecode."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return decode_bytes(raw)


# --------------------------------------------------------------------------- RFC 2047

# RFC 2047 §2: =?charset?encoding?encoded-text?= ; charset may carry an RFC 2231
# "*language" suffix. Length limits (75 chars) are not enforced: over-long words are
# common and decoding them is more readable than showing them raw.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_WS_ONLY = re.compile(r"[ \t\r\n]*")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_B64_WORD = re.compile(r"[A-Za-z0-9+/]*=*")


def _b64_decode(text: bytes) -> bytes | None:
    """Base64 tolerant of missing padding and stray characters; None if hopeless."""
    text = _B64_JUNK.sub(b"", text)
    if len(text) % 4 == 1:
        text = text[:-1]
    text += b"=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(text)
    except binascii.Error:
        return None


def _q_decode(text: bytes) -> bytes:
    """RFC 2047 §4.2 "Q": underscore is space, =XX is a byte, anything else literal."""
    return _Q_HEX.sub(lambda m: bytes((int(m.group(1), 16),)), text.replace(b"_", b" "))


def _decode_encoded_words(value: str) -> str:
    out: list[str] = []
    pos = 0
    # Bytes of consecutive encoded words in one charset are joined before decoding:
    # mailers split multi-byte characters across words (RFC 2047 §5 forbids it; they do).
    pending: bytearray = bytearray()
    pending_charset = ""
    have_prev = False
    for m in _ENCODED_WORD.finditer(value):
        charset, enc, text = m.group(1).lower(), m.group(2), m.group(3)
        raw_text = text.encode("ascii", "replace")
        if enc in "bB":
            # Only a word that is base64 (padding may be missing) is decoded; anything
            # else would turn into confident-looking garbage.
            data = _b64_decode(raw_text) if _B64_WORD.fullmatch(text) else None
        else:
            data = _q_decode(raw_text)
        if data is None:  # broken word: leave it readable as it was
            have_prev = False
            continue
        gap = value[pos : m.start()]
        # RFC 2047 §6.2: whitespace between adjacent encoded words is not displayed.
        adjacent = have_prev and _WS_ONLY.fullmatch(gap) is not None
        if not (adjacent and charset == pending_charset):
            if pending:
                out.append(decode_bytes(bytes(pending), pending_charset))
                pending.clear()
            if not adjacent:
                out.append(gap)
        pending_charset = charset
        pending += data
        pos = m.end()
        have_prev = True
    if pending:
        out.append(decode_bytes(bytes(pending), pending_charset))
    out.append(value[pos:])
    return "".join(out)


def decode_header(value: str | bytes) -> str:
    """A raw header value as display text: encoded words decoded, unfolded, made safe."""
    if isinstance(value, bytes):
        value = value.decode("ascii") if value.isascii() else decode_bytes(value)
    elif not isinstance(value, str):
        value = str(value)
    if value.isascii():
        if "=?" not in value:
            # Fast path. Unfolding (RFC 5322 §2.2.3) is removing CRLF before WSP;
            # clean_line turns CR/LF/TAB to spaces and folds runs, which is the same
            # for display.
            return clean_line(value)
    elif any(0xDC80 <= ord(c) <= 0xDCFF for c in value):
        value = _from_surrogates(value)
    if "=?" in value:
        try:
            value = _decode_encoded_words(value)
        except (RecursionError, MemoryError):
            pass
    return clean_line(value)


# --------------------------------------------------------------------------- addresses

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


def _split_top_level(value: str) -> list[tuple[str, bool]]:
    """Split an address list on commas and group syntax, honouring quotes, <> and ()."""
    items: list[tuple[str, bool]] = []  # (text, is_group_name)
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
        if ch == "=" and not quote and not comment and value.startswith("?", i):
            # An encoded word is one token: its decoded text may hold "," ";" ":".
            m = _ENCODED_WORD.match(value, i - 1)
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
            if ch == '"':
                quote = False
            continue
        if comment:
            buf.append(ch)
            if ch == "(":
                comment += 1
            elif ch == ")":
                comment -= 1
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
            items.append(("".join(buf), False))
            buf = []
            continue
        elif not angle and ch == ":":
            # "group: a@b, c@d;" — the display name of a group is dropped (flattened),
            # but "mailto:x" style garbage inside an address is kept by the angle rule.
            items.append(("".join(buf), True))
            buf = []
            continue
        buf.append(ch)
    items.append(("".join(buf), False))
    return items


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
    addr = clean_line(_from_surrogates(addr) if not addr.isascii() else addr)
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
        for text, is_group_name in _split_top_level(value):
            if is_group_name:
                continue
            addr = _parse_one(text)
            if addr is not None:
                out.append(addr)
        return tuple(out)
    except (RecursionError, MemoryError, ValueError):
        return ()


# --------------------------------------------------------------------------- message ids

# RFC 5322 §3.6.4 msg-id is "<" id-left "@" id-right ">"; in practice anything between
# angle brackets. Controls and whitespace are excluded: ids are written back into
# References when replying, so they must never carry a line break.
_MSGID = re.compile(r"<([^<>\s\x00-\x1f\x7f-\x9f]+)>")
# What separates bare "id@host" words: brackets, "," ";", controls and whitespace. One
# character class repeated, nothing after it: nothing to backtrack.
_BARE_SEPARATORS = re.compile(r"[\s<>,;\x00-\x1f\x7f-\x9f]+")


def _bare_msgids(value: str) -> list[str]:
    """Words with an "@" that has something on both sides, split on separators.

    Replaces a `[^sep]+@[^sep]+` findall, which on a long word without "@" retried at
    every character and read to the word's end each time (quadratic).
    """
    return [w for w in _BARE_SEPARATORS.split(value) if "@" in w[1:-1]]


def parse_msgids(value: str | bytes) -> tuple[str, ...]:
    """The message ids in References/In-Reply-To, without angle brackets, in order."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not value:
        return ()
    ids = _MSGID.findall(value)
    if not ids:  # "foo@bar" without brackets, written by broken mailers
        ids = _bare_msgids(value)
    seen: set[str] = set()
    out: list[str] = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return tuple(out)


def normalize_msgid(value: str) -> str:
    """One message id in the form threading compares: no brackets, no whitespace."""
    if not value:
        return ""
    ids = parse_msgids(value)
    if ids:
        return ids[0]
    return "".join(clean_line(value).split()).strip("<>")
