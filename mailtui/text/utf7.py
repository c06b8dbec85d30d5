"""Modified UTF-7 (RFC 3501 §5.1.3): IMAP's spelling of folder names, also used on disk.

Printable ASCII other than "&" stands for itself; "&" is written "&-"; any other run of
characters is UTF-16BE in base64 with "," for "/", between "&" and "-". The one codec
for both backends: IMAP folder names (`imap.translate`), Dovecot/Courier Maildir++
directory names (`maildir.layout`), and the raw names sync derives for new folders.
Decoding is strict: anything `encode` would not write raises ValueError (printable ASCII
in base64, pad bits, controls), so a hostile name cannot pass for another folder.
"""

from __future__ import annotations

import binascii
import re

__all__ = ["decode", "decode_name", "encode", "is_canonical"]

_B64_RUN = re.compile(r"&([A-Za-z0-9+,]*)-")


def _printable(c: str) -> bool:
    return "\x20" <= c <= "\x7e"


def _b64(chars: str) -> str:
    return _b64_of(chars.encode("utf-16-be", "surrogatepass"))


def encode(name: str) -> str:
    """str → modified UTF-7 (always ASCII)."""
    out: list[str] = []
    run: list[str] = []
    for c in name:
        if _printable(c):
            if run:
                out.append("&" + _b64("".join(run)) + "-")
                run.clear()
            out.append("&-" if c == "&" else c)
        else:
            run.append(c)
    if run:
        out.append("&" + _b64("".join(run)) + "-")
    return "".join(out)


def decode(text: str) -> str:
    """Modified UTF-7 → str; raises ValueError for anything that is not valid mUTF-7."""
    if not text.isascii():
        raise ValueError("modified UTF-7 is ASCII only")
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "&":
            if not _printable(c):
                raise ValueError(f"control character at {i}")
            out.append(c)
            i += 1
            continue
        m = _B64_RUN.match(text, i)
        if m is None:
            raise ValueError(f"unterminated '&' at {i}")
        payload = m.group(1)
        i = m.end()
        if not payload:
            out.append("&")
            continue
        out.append(_decode_run(payload))
    return "".join(out)


def _decode_run(payload: str) -> str:
    # 4 base64 chars carry 3 bytes; a run must hold whole UTF-16 units with zero pad bits.
    if len(payload) % 4 == 1:
        raise ValueError("truncated base64 run")
    padded = payload.replace(",", "/") + "=" * (-len(payload) % 4)
    try:
        data = binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(f"bad base64 run: {exc}") from exc
    if len(data) % 2:
        raise ValueError("odd number of bytes in a UTF-16 run")
    if _b64_of(data) != payload:
        raise ValueError("non-zero padding bits")
    text = data.decode("utf-16-be", "surrogatepass")
    if any(_printable(c) for c in text):
        # RFC 3501: printable ASCII must represent itself, never be base64-encoded.
        raise ValueError("printable ASCII inside a base64 run")
    return text


def _b64_of(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii").rstrip("=").replace("/", ",")


def is_canonical(text: str) -> bool:
    """True when `text` is mUTF-7 exactly as `encode` would write it (safe to decode)."""
    try:
        return encode(decode(text)) == text
    except ValueError:
        return False


def decode_name(text: str) -> str:
    """A folder name for display: decoded when it is canonical mUTF-7, else as it is.

    Both backends read names so: a name `encode` would not have written (base64 for
    printable ASCII, two runs where one would do, controls, UTF-8) is shown as sent,
    so no two spellings can show as the same folder.
    """
    if "&" in text and text.isascii() and is_canonical(text):
        return decode(text)
    return text
