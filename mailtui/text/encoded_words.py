"""RFC 2047 encoded words and RFC 2231 parameter values: the one decoder of both.

Header values (Subject, display names) and attachment names from either backend — a
Maildir/`email` parse or an IMAP BODYSTRUCTURE — go through here, so the same name
reads the same wherever it came from. Tolerant of what mailers really send (words
split inside a character, missing base64 padding, lying charsets via
`charset.decode_bytes`) and linear in the input; the result of `decode_header` is
display-safe (`safe.clean_line`). The common case, an ASCII value without "=?", is
answered by `str.isascii` and `clean_line` alone.
"""

from __future__ import annotations

import binascii
import re
from urllib.parse import unquote_to_bytes

from mailtui.text.charset import decode_bytes, from_surrogates
from mailtui.text.safe import clean_line

__all__ = ["ENCODED_WORD", "decode_header", "decode_rfc2231"]

# RFC 2047 §2: =?charset?encoding?encoded-text?= ; charset may carry an RFC 2231
# "*language" suffix. Length limits (75 chars) are not enforced: over-long words are
# common and decoding them is more readable than showing them raw.
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
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
    for m in ENCODED_WORD.finditer(value):
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
        value = from_surrogates(value)
    if "=?" in value:
        try:
            value = _decode_encoded_words(value)
        except (RecursionError, MemoryError):
            pass
    return clean_line(value)


def decode_rfc2231(value: str) -> str:
    """An RFC 2231 extended value ("utf-8'en'%E2%82%AC.pdf") as text, not yet cleaned.

    The bytes are decoded by `decode_bytes` under the declared charset, as a Maildir
    parse decodes them; a value without the two quotes is returned as it is.
    """
    charset, sep, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not (sep and sep2):
        return value
    try:
        return decode_bytes(unquote_to_bytes(encoded), charset)
    except (ValueError, TypeError):
        return value
