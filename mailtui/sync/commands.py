"""Requests to the sync service, in the imperative. Each gets one ending event.

The read commands are defined here; each write action is defined by its operation
(sync/ops/) and re-exported here, so callers import every command from one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.sync.ops.append import AppendMessage
from mailtui.sync.ops.copy import CopyMessages
from mailtui.sync.ops.delete import DeleteMessages
from mailtui.sync.ops.expunge import ExpungeMessages
from mailtui.sync.ops.flags import SetFlags
from mailtui.sync.ops.folders import CreateFolder, DeleteFolder, RenameFolder, SubscribeFolder
from mailtui.sync.ops.junk import MarkJunk, RefileJunk
from mailtui.sync.ops.labels import RestoreLabel
from mailtui.sync.ops.mark_read import MarkFolderRead
from mailtui.sync.ops.move import ArchiveMessages, MoveMessages
from mailtui.sync.request import Action, Command


@dataclass(frozen=True, kw_only=True)
class RefreshFolders(Command):
    """LIST the folders (roles, counts) into the cache."""


@dataclass(frozen=True, kw_only=True)
class SyncFolder(Command):
    """Bring one folder's cached headers up to date (cold, QRESYNC, CONDSTORE or plain)."""

    folder: str
    # UIDs whose rows must be fetched again whatever the server says changed (after a
    # refused move/delete, the cache dropped rows the server still has).
    refetch: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SyncAll(Command):
    """Refresh the folder list, then sync the given folders (all when empty), INBOX first."""

    folders: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class FetchPreviews(Command):
    """The preview line of these messages ({uid: text}): the cache's, else the server's
    PREVIEW or a capped partial fetch of the text part, then cached."""

    folder: str
    uids: tuple[int, ...]
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class FetchStructure(Command):
    """The message's MIME tree (BODYSTRUCTURE), cached after the first fetch."""

    folder: str
    uid: int
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class FetchPart(Command):
    """One MIME part's raw (transfer-encoded) bytes, with BODY.PEEK so \\Seen is untouched.

    `section=""` is the whole message as stored (BODY.PEEK[]), for reply/forward/export.
    """

    folder: str
    uid: int
    section: str
    interactive: bool = True
    # Attachments are fetched for saving only: keep them out of the size-capped part cache.
    cache: bool = True


@dataclass(frozen=True, kw_only=True)
class Prefetch(Command):
    """Fetch the bodies of the newest messages for offline reading (sync/prefetch.py);
    result: PrefetchStats. `mode` "text" | "all" | "none" overrides the account's
    setting, `folders` its folders."""

    mode: str = ""
    folders: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Undo(Command):
    """Reverse the most recent undoable action (flags back; moves back via the new UIDs)."""

    interactive: bool = True


# --- search and live updates -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Search(Command):
    """Run a query (mailtui.backend.query syntax) on the server; result: matching UIDs, newest first.

    `local=True` answers from the header cache (FTS5) without the network.
    """

    folder: str
    query: str
    local: bool = False
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class KeepFoldersCurrent(Command):
    """Re-list the folders with their counts every `poll_interval` seconds, so counts of
    folders nobody watches and folders made elsewhere stay current (Watch implies it)."""


@dataclass(frozen=True, kw_only=True)
class Watch(Command):
    """Keep `folder` (and INBOX) live: IDLE where offered, else NOOP polling."""

    folder: str


__all__ = [
    "Action",
    "AppendMessage",
    "ArchiveMessages",
    "Command",
    "CopyMessages",
    "CreateFolder",
    "DeleteFolder",
    "DeleteMessages",
    "ExpungeMessages",
    "FetchPart",
    "FetchPreviews",
    "FetchStructure",
    "KeepFoldersCurrent",
    "MarkFolderRead",
    "MarkJunk",
    "MoveMessages",
    "Prefetch",
    "RefileJunk",
    "RefreshFolders",
    "RenameFolder",
    "RestoreLabel",
    "Search",
    "SetFlags",
    "SubscribeFolder",
    "SyncAll",
    "SyncFolder",
    "Undo",
    "Watch",
]
