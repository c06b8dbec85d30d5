"""Address lists as people type them and as headers carry them, parsed without `email`.

The stdlib's header parser raises IndexError/HeaderParseError on half-typed input
("bob@", "Ann <a@b"), and a compose window sees nothing but half-typed input; so this
small parser splits an RFC 5322 address list itself (quotes, angle brackets, comments,
groups) and says, in one sentence, which item is wrong. Domains may be Unicode (sent as
IDNA); local parts must be ASCII, since mailtui does not send SMTPUTF8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailtui.errors import MailtuiError
from mailtui.model import Address
from mailtui.text.addresses import split_address_list

__all__ = [
    "AddressError",
    "ascii_domain",
    "dedupe",
    "format_address",
    "format_addresses",
    "is_valid_addr",
    "parse_address_list",
]


class AddressError(MailtuiError):
    """An address the user typed cannot be sent to."""


# RFC 5322 §3.2.3 atext; a dot-atom is atext runs joined by single dots.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = rf"{_ATEXT}+(?:\.{_ATEXT}+)*"
_QUOTED_LOCAL = r'"(?:[^"\\\x00-\x1f\x7f]|\\[\x20-\x7e])*"'
# A domain label: letters/digits (any script: IDNA is applied when sending) and inner
# hyphens; or an address literal such as [192.0.2.1] (RFC 5321 §4.1.3).
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[A-Za-z0-9:.]+\])"
_ADDR_SPEC = re.compile(rf"(?:{_DOT_ATOM}|{_QUOTED_LOCAL})@{_DOMAIN}")
# Display names that can go unquoted: atoms and spaces only (RFC 5322 §3.2.5 phrase).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ \-\u0080-\U0010ffff]+")


def is_valid_addr(addr: str) -> bool:
    """True for a sendable addr-spec (ASCII local part, any-script domain)."""
    if not _ADDR_SPEC.fullmatch(addr):
        return False
    local, _, domain = addr.rpartition("@")
    if len(local) > 64 and not local.startswith('"'):
        return False
    try:
        ascii_domain(domain)
    except UnicodeError:
        return False
    return True


def ascii_domain(domain: str) -> str:
    """A domain as it goes on the wire: IDNA (RFC 5890) for non-ASCII labels."""
    if domain.isascii():
        return domain
    return domain.encode("idna").decode("ascii")


def dedupe(addresses: Iterable[Address], exclude: Iterable[str] = ()) -> tuple[Address, ...]:
    """Addresses in order, each mailbox once, leaving out `exclude`.

    Compared case-insensitively: local parts are case-sensitive by RFC 5321 §2.4, but
    no provider treats them so, and every mail client compares them this way."""
    seen = {e.casefold() for e in exclude}
    out: list[Address] = []
    for a in addresses:
        key = a.addr.casefold()
        if not a.addr or key in seen:
            continue
        seen.add(key)
        out.append(a)
    return tuple(out)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_address(address: Address) -> str:
    """`Name <addr>` for editing and display; the name quoted only when it must be."""
    name = address.name.strip()
    if not name:
        return address.addr
    if not _PLAIN_NAME.fullmatch(name) or name != " ".join(name.split()):
        name = _quote(name)
    return f"{name} <{address.addr}>"


def format_addresses(addresses: Iterable[Address]) -> str:
    return ", ".join(format_address(a) for a in addresses)


def _split_items(text: str) -> list[str]:
    """Split an address list at top-level commas; group names ("team:") are dropped."""
    # "=?" is text here: people type it; only headers carry encoded words.
    items, unclosed = split_address_list(text, encoded_words=False)
    if unclosed:
        # Report the unclosed item whole rather than guessing where it ends.
        raise AddressError(f"{text.strip()!r} has an unclosed quote, bracket or parenthesis")
    return items


_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")


def _unquote_name(text: str) -> str:
    """A display name: quotes and escapes removed, comments outside quotes dropped."""
    out: list[str] = []
    quote = escape = False
    comment = 0
    for ch in text:
        if escape:
            if not comment:
                out.append(ch)
            escape = False
        elif ch == "\\" and (quote or comment):
            escape = True
        elif comment:
            comment += (ch == "(") - (ch == ")")
        elif ch == '"':
            quote = not quote
        elif ch == "(" and not quote:
            comment = 1
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def _angle_start(text: str) -> int:
    """Index of the "<" that opens the address: the first one outside quotes/comments."""
    quote = escape = False
    comment = 0
    for i, ch in enumerate(text):
        if escape:
            escape = False
        elif ch == "\\" and (quote or comment):
            escape = True
        elif quote:
            quote = ch != '"'
        elif comment:
            comment += (ch == "(") - (ch == ")")
        elif ch == '"':
            quote = True
        elif ch == "(":
            comment = 1
        elif ch == "<":
            return i
    return -1


def _parse_item(item: str) -> Address:
    text = item.strip()
    lt = _angle_start(text)
    if lt >= 0:
        gt = text.find(">", lt)
        addr = text[lt + 1 : gt].strip()
        trailing = _COMMENT.sub("", text[gt + 1 :]).strip()
        if trailing:
            raise AddressError(f"{text!r} has text after the closing >")
        name = _unquote_name(text[:lt])
    else:
        comments = [c[1:-1] for c in _COMMENT.findall(text)]
        addr = _COMMENT.sub(" ", text).strip()
        name = " ".join(" ".join(comments).split())  # "a@b (Real Name)", the old style
    if addr.startswith("mailto:"):
        addr = addr[len("mailto:") :]
    if not is_valid_addr(addr):
        if addr and not addr.isascii() and "@" in addr and addr.rpartition("@")[0].isascii():
            raise AddressError(f"{text!r}: the domain is not a valid internationalised name")
        if "@" in addr and not addr.rpartition("@")[0].isascii():
            raise AddressError(
                f"{text!r} has non-ASCII characters before the @, which mailtui cannot send"
            )
        raise AddressError(f"{text!r} is not an email address")
    return Address(name=name, addr=addr)


def parse_address_list(text: str, *, strict: bool = True) -> tuple[Address, ...]:
    """Addresses from a To/Cc line; strict raises AddressError, lenient skips bad items."""
    hint = "write addresses as Name <user@example.com>, separated by commas"
    text = " ".join(text.split())
    if not text:
        return ()
    try:
        items = _split_items(text)
    except AddressError as exc:
        if not strict:
            return ()
        raise AddressError(str(exc), hint) from None
    out: list[Address] = []
    for item in items:
        if not item.strip():
            continue
        try:
            out.append(_parse_item(item))
        except AddressError as exc:
            if strict:
                raise AddressError(str(exc), hint) from None
    return tuple(out)
