"""Gmail labels spelt as IMAP keywords, so the cache, the list, search and `l` treat a
label like any other keyword (Gmail's labels: developers.google.com/workspace/gmail/imap/
imap-extensions, "X-GM-LABELS").

A message's flags are one space-separated string in the cache, and a keyword is an IMAP
atom; a Gmail label is any string ("Muy Importante", "Café", "$x"). So:
- a label that is already a plain keyword (printable ASCII, none of ` (){%*"]\\`, not
  starting with `$` — `$` keywords stay real IMAP keywords on Gmail) is itself;
- Gmail's system labels (`\\Inbox`, `\\Important`, `\\Sent`…) keep their backslash: like
  system flags, they are not shown among a message's labels (the folder tree shows them);
- any other label is percent-encoded (`Muy%20Importante`). `%` is never in a keyword a
  user can type (the label picker refuses it, IMAP reserves it), so decoding is exact.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

__all__ = ["SYSTEM_FLAG_NAMES", "is_encoded", "keyword_for", "label_of", "token_of"]

# IMAP system flags (RFC 9051 §2.3.2): these go to FLAGS, never to X-GM-LABELS.
SYSTEM_FLAG_NAMES = frozenset({"\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"})
# Bytes a keyword atom cannot hold (RFC 9051 §9 atom-specials, resp-specials), plus "%"
# (our escape character) and space.
_NOT_ATOM = frozenset(' (){%*"]\\')
# What quote() leaves alone: every printable ASCII character an atom may hold.
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in _NOT_ATOM)


def _plain(label: str) -> bool:
    return (
        bool(label)
        and label.isascii()
        and label.isprintable()
        and not label.startswith("$")
        and not any(c in _NOT_ATOM for c in label)
    )


def token_of(label: str) -> str:
    """The keyword a label is cached and shown as (see the module docstring)."""
    if label.startswith("\\") and label[1:].isalpha():
        return label
    if _plain(label):
        return label
    return quote(label, safe=_SAFE.replace("$", ""))


def is_encoded(token: str) -> bool:
    return "%" in token


def label_of(token: str) -> str:
    """The label behind a cached keyword (its display text, and what X-GM-LABELS gets)."""
    return unquote(token) if is_encoded(token) else token


def keyword_for(name: str) -> str:
    """What a name typed for a label (`l`, `:label`, `mark --label`) is cached as on a
    store with labels: a flag or keyword already spelt as one stays itself, any other
    name ("Big Project", "50% off") becomes its token."""
    if name.startswith(("\\", "$")) or token_of(label_of(name)) == name:
        return name
    return token_of(name)
