"""Folder names as the store spells them (`Folder.raw_name`), for every part of sync.

The cache knows the raw name of every listed folder; one not listed yet (made here,
renamed here, or named by the user before the first LIST) is spelled with modified
UTF-7 (RFC 3501 §5.1.3), which both backends use for their raw names (text/utf7.py,
the one codec). So sync needs neither adapter to name a folder.
"""

from __future__ import annotations

from mailtui.cache.store import HeaderCache
from mailtui.text import utf7


def encode_name(name: str) -> str:
    """A folder name → the store's spelling (modified UTF-7; INBOX as it is)."""
    return utf7.encode(name)


def raw_name(cache: HeaderCache, folder: str) -> str:
    """The store's name of `folder`: as listed, else encoded."""
    return cache.raw_name(folder) or encode_name(folder)
