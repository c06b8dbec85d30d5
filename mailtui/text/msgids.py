"""Message ids (Message-ID, In-Reply-To, References) as threading and replies use them.

Ids are written back into References when replying, so what comes out never holds a
line break or a control; parsing is linear in the input.
"""

from __future__ import annotations

import re

from mailtui.text.safe import clean_line

__all__ = ["normalize_msgid", "parse_msgids"]

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
