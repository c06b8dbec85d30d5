"""Completion for address fields and attachment paths, as one suggestion per input.

Both return the whole new field value (or None), and the suggestion always starts with
what is typed, character for character in length, so an input widget can show the rest
as ghost text: Textual's `Input` draws `suggestion[len(value):]`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from mailtui.compose.addresses import format_address, parse_address_list
from mailtui.model import Address

__all__ = ["AddressBook", "complete_address", "complete_path"]


class AddressBook:
    """Known addresses (most used first, as the caller ranks them), each mailbox once."""

    def __init__(self, known: Iterable[Address | str] = ()) -> None:
        self._entries: list[tuple[str, str, Address]] = []
        seen: set[str] = set()
        for item in known:
            found = parse_address_list(item, strict=False) if isinstance(item, str) else (item,)
            for a in found:
                key = a.addr.casefold()
                if a.addr and key not in seen:
                    seen.add(key)
                    self._entries.append((format_address(a).casefold(), key, a))

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def addresses(self) -> tuple[Address, ...]:
        """The known addresses, in rank order."""
        return tuple(a for _, _, a in self._entries)

    def match(self, prefix: str) -> Address | None:
        """The first address whose "Name <addr>" or addr starts with `prefix` (any case)."""
        p = prefix.casefold()
        if not p:
            return None
        for formatted, addr, a in self._entries:
            if formatted.startswith(p) or addr.startswith(p):
                return a
        return None


def complete_address(value: str, book: AddressBook) -> str | None:
    """Complete the last item of a comma-separated address field."""
    head, sep, last = value.rpartition(",")
    prefix = last.lstrip()
    if not prefix:
        return None
    found = book.match(prefix)
    if found is None:
        return None
    p = prefix.casefold()
    full = format_address(found)
    candidate = full if full.casefold().startswith(p) else found.addr
    if candidate.casefold() == p:
        return None
    leading = last[: len(last) - len(prefix)]
    return f"{head}{sep}{leading}{candidate}"


def complete_path(value: str, *, limit: int = 2000) -> str | None:
    """Complete a file path (~ expanded for the lookup, kept as typed in the result).

    One match completes fully (a directory gains "/"); several complete to their
    common prefix, or to the first when they share nothing more than what is typed.
    """
    if not value:
        return None
    directory, _, stem = value.rpartition("/")
    lookup = Path(os.path.expanduser(directory or "/")) if "/" in value else Path(".")
    try:
        names: list[str] = []
        with os.scandir(lookup) as it:
            for entry in it:
                if len(names) >= limit:
                    break
                if entry.name.startswith(stem) and (stem.startswith(".") or entry.name[0] != "."):
                    names.append(entry.name + ("/" if _is_dir(entry) else ""))
    except OSError:
        return None
    if not names:
        return None
    names.sort()
    if len(names) == 1:
        choice = names[0]
    else:
        common = _common_prefix(names)
        choice = common if len(common) > len(stem) else names[0]
    if choice == stem:
        return None
    return value + choice[len(stem) :]


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _common_prefix(names: list[str]) -> str:
    """The longest string every name starts with (character-wise, not by path part)."""
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]
