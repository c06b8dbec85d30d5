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
    # UIDs whose rows must be fetched again whatever the server says changed (after a
    # refused move/delete, the cache dropped rows the server still has).
    refetch: tuple[int, ...] = ()


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
    """One MIME part's raw (transfer-encoded) bytes, with BODY.PEEK so \\Seen is untouched.

    `section=""` is the whole message as stored (BODY.PEEK[]), for reply/forward/export.
    """

    folder: str
    uid: int
    section: str
    interactive: bool = True
    # Attachments are fetched for saving only: keep them out of the size-capped part cache.
    cache: bool = True


# --- write-back (journaled: applied to the cache at once, sent to the server after) -----


@dataclass(frozen=True, kw_only=True)
class Action(Command):
    """A change the user makes; `submit()` applies it to the cache before returning."""

    folder: str
    uids: tuple[int, ...]
    interactive: bool = True
    # False for side effects the user did not ask for directly (\\Answered after a reply),
    # so that `u` undoes the user's last own action.
    undoable: bool = True


@dataclass(frozen=True, kw_only=True)
class SetFlags(Action):
    """Add/remove flags and keywords: \\Seen, \\Flagged, \\Answered, or labels like "Work"."""

    add: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class MoveMessages(Action):
    dest: str


@dataclass(frozen=True, kw_only=True)
class CopyMessages(Action):
    dest: str


@dataclass(frozen=True, kw_only=True)
class ArchiveMessages(Action):
    """Move to the account's archive folder (config `archive_folder`, else \\Archive)."""


@dataclass(frozen=True, kw_only=True)
class DeleteMessages(Action):
    """Move to Trash; in Trash (or with `delete = "expunge"`) \\Deleted + UID EXPUNGE of just these."""

    # Remove for good whatever the delete policy (a draft replaced by its new version).
    permanent: bool = False


@dataclass(frozen=True, kw_only=True)
class Undo(Command):
    """Reverse the most recent undoable action (flags back; moves back via the new UIDs)."""

    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class CreateFolder(Command):
    name: str
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class RenameFolder(Command):
    old: str
    new: str
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class DeleteFolder(Command):
    name: str
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class SubscribeFolder(Command):
    name: str
    subscribed: bool = True
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class AppendMessage(Command):
    """Store a complete message in a folder (Sent copies, drafts); result: its UID or None."""

    folder: str
    raw: bytes
    flags: frozenset[str] = frozenset()
    interactive: bool = True


# --- search and live updates -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Search(Command):
    """Run a query (mailtui.sync.query syntax) on the server; result: matching UIDs, newest first.

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
