"""Requests to the sync service, in the imperative. Each gets one ending event."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

_ids = itertools.count(1)


def _next_id() -> int:
    return next(_ids)


@dataclass(frozen=True, kw_only=True)
class Command:
    request_id: int = field(default_factory=_next_id)
    # Interactive commands (the user is waiting) run on their own connection.
    interactive: bool = False


@dataclass(frozen=True, kw_only=True)
class RefreshFolders(Command):
    """LIST the folders (roles, counts) into the cache."""


@dataclass(frozen=True, kw_only=True)
class SyncFolder(Command):
    """Bring one folder's cached headers up to date (cold, QRESYNC, CONDSTORE or plain)."""

    folder: str


@dataclass(frozen=True, kw_only=True)
class SyncAll(Command):
    """Refresh the folder list, then sync the given folders (all when empty), INBOX first."""

    folders: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FetchStructure(Command):
    """The message's MIME tree (BODYSTRUCTURE), cached after the first fetch."""

    folder: str
    uid: int
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class FetchPart(Command):
    """One MIME part's raw (transfer-encoded) bytes, with BODY.PEEK so \\Seen is untouched."""

    folder: str
    uid: int
    section: str
    interactive: bool = True
    # Attachments are fetched for saving only: keep them out of the size-capped part cache.
    cache: bool = True
