"""The preview line: the start of what a message says, as one short plain line.

From the server's PREVIEW (RFC 8970, already plain text), or from the first bytes of
the message's text part (`BODY.PEEK[n]<0.N>`, transfer-encoded, maybe cut mid-word or
mid-character): decoded, HTML reduced to its words, quoted lines and the "On …
wrote:" line before them left out, whitespace folded, controls made visible, capped.
Linear in its (capped) input.
"""

from __future__ import annotations

import re

from mailtui.mime.html import unescape
from mailtui.mime.parse import decode_part
from mailtui.mime.render import choose_body
from mailtui.model import BodyPart
from mailtui.text.safe import clean_line

__all__ = ["FETCH_BYTES", "PREVIEW_CHARS", "preview_of_part", "preview_part", "tidy_preview"]

PREVIEW_CHARS = 200
"""The most characters a preview keeps (RFC 8970 §3: a server sends at most 256)."""
FETCH_BYTES = 512
"""How much of a text part the fallback fetches (`<0.512>`): base64 and
quoted-printable take room, and HTML spends much of it on markup."""
_INPUT_CAP = 16_384
# "On Mon, Bob wrote:" where a server's preview joined it to the text after the quote.
_ATTRIBUTION = re.compile(
    r"(?:on|am|le|el|il|op) [^:\n]{1,200}?(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef):\s*",
    re.I,
)
_TAG = re.compile(r"<[^<>]{0,2000}>")
_HIDDEN = re.compile(r"<(style|script|head)\b[^<>]{0,2000}>.*?</\1\s*>", re.I | re.S)


def preview_part(structure: BodyPart) -> BodyPart | None:
    """The part a preview is taken from: the plain text when there is one, else HTML."""
    return choose_body(structure, "plain")


def _unquoted(text: str) -> str:
    lines = text.splitlines()
    kept = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        following = next((n.strip() for n in lines[index + 1 : index + 3] if n.strip()), "")
        if stripped.endswith(":") and following.startswith(">"):
            continue  # "On Mon, Bob wrote:" before the quote
        if stripped in ("--", "-- "):
            break  # the signature
        kept.append(stripped)
    return " ".join(kept)


def tidy_preview(text: str) -> str:
    """A preview as the list shows it: one line, no quotes, at most PREVIEW_CHARS."""
    words = " ".join(_unquoted(text[:_INPUT_CAP]).split())
    found = _ATTRIBUTION.match(words)
    if found:
        words = words[found.end() :]
    return clean_line(words)[:PREVIEW_CHARS]


def preview_of_part(part: BodyPart, head: bytes) -> str:
    """The preview from the first bytes of a text part (transfer-encoded as fetched)."""
    data = head[:_INPUT_CAP]
    if part.encoding.lower() == "base64":
        data = data[: len(data) - len(data) % 4]  # whole quanta only
    text = decode_part(data, part.encoding, part.charset)
    if part.mime_type == "text/html":
        text = unescape(_TAG.sub(" ", _HIDDEN.sub(" ", text)))
        text = text.rsplit("<", 1)[0] if "<" in text[-2000:] else text  # a tag cut short
    return tidy_preview(text)
