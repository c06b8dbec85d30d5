"""A `mailto:` link from a message, turned into a draft for mailtui's own composer.

The link came from a stranger, so only what a person reads on the review screen is
taken (RFC 6068): To (the path and `to=`), Cc, Subject and Body. Every other field is
dropped — `attach=`/`attachment=`/`file=` (which some mail clients honour, attaching a
local file such as ~/.ssh/id_rsa), `bcc=` (a hidden copy to the sender of the link),
`in-reply-to=` and arbitrary headers. The values are capped and stripped of control
and format characters; the draft then goes through the normal editor and review.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from urllib.parse import unquote

from mailtui.compose.addresses import parse_address_list
from mailtui.compose.draft import Draft, new_draft
from mailtui.config.model import AccountSettings
from mailtui.model import Address

__all__ = ["Mailto", "is_mailto", "mailto_draft", "parse_mailto"]

MAX_URL = 64 * 1024
"""Characters of a link read at all; the rest is ignored (a body is a note, not a book)."""
MAX_SUBJECT = 998  # RFC 5322 §2.1.1: a header line's limit
MAX_ADDRESSES = 50


@dataclass(frozen=True)
class Mailto:
    """The fields of a mailto: link that mailtui uses."""

    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    subject: str = ""
    body: str = ""


def is_mailto(url: str) -> bool:
    """True for a `mailto:` link (any case, leading blanks allowed)."""
    return url.lstrip()[:7].lower() == "mailto:"


def _plain(text: str, *, lines: bool) -> str:
    """Control and format characters (ESC, bidi overrides, zero-width) removed; line
    breaks kept as \\n in a body, turned to spaces elsewhere."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    keep = "\n\t" if lines else ""
    out = []
    for ch in text:
        if ch in keep:
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(" " if ch in "\n\t\u2028\u2029" else "")
        else:
            out.append(ch)
    result = "".join(out)
    return result if lines else " ".join(result.split())


def _addresses(text: str) -> list[Address]:
    return list(parse_address_list(_plain(text, lines=False), strict=False))


def parse_mailto(url: str) -> Mailto:
    """The To/Cc/Subject/Body of an RFC 6068 `mailto:` URL; other fields are ignored."""
    url = url.strip()[:MAX_URL]
    if not is_mailto(url):
        raise ValueError("not a mailto: link")
    path, _, query = url[7:].partition("?")
    query = query.partition("#")[0]
    to: list[Address] = []
    for item in path.split(","):
        to.extend(_addresses(unquote(item)))
    cc: list[Address] = []
    subject: str | None = None
    body: str | None = None
    for field in query.split("&"):
        name, _, value = field.partition("=")
        name = unquote(name).strip().lower()
        value = unquote(value)
        if name == "to":
            to.extend(_addresses(value))
        elif name == "cc":
            cc.extend(_addresses(value))
        elif name == "subject" and subject is None:
            subject = _plain(value, lines=False)[:MAX_SUBJECT]
        elif name == "body" and body is None:
            body = _plain(value, lines=True)
    return Mailto(
        to=tuple(to[:MAX_ADDRESSES]),
        cc=tuple(cc[:MAX_ADDRESSES]),
        subject=subject or "",
        body=body or "",
    )


def mailto_draft(account: AccountSettings, url: str) -> Draft:
    """A new message from `account` as the link asks (see the module docstring)."""
    fields = parse_mailto(url)
    draft = new_draft(account, to=fields.to, subject=fields.subject, body=fields.body)
    return replace(draft, cc=fields.cc)
