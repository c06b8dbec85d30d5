"""Bytes of a declared (or lying) charset to text: one decoder for headers and bodies.

Never raises. Mail in the wild declares charsets it does not use ("us-ascii" on UTF-8,
"utf-8" on cp1252, "iso-8859-1" on Windows smart quotes), names charsets Python spells
otherwise, or names codecs that are not charsets at all (base64, unicode_escape); the
rules below pick what reads best and never let a message choose a dangerous codec.
Long input is decoded in slices that ask a cancel check (`text.chunks`).
"""

from __future__ import annotations

import codecs
import functools
import re

from mailtui.text.chunks import STEP, CancelCheck, check

__all__ = ["decode_bytes", "from_surrogates", "lookup_charset"]

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


def from_surrogates(value: str) -> str:
    """Undo surrogateescape (how `email` carries raw 8-bit header bytes) and redecode."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return decode_bytes(raw)
