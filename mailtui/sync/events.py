"""What the sync service reports, in the past tense. Listeners get these from worker threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailtui.model import Folder, SyncStats


@dataclass(frozen=True, kw_only=True)
class Event:
    account: str


@dataclass(frozen=True, kw_only=True)
class ConnectionChanged(Event):
    """online | connecting | offline; `detail` says why when offline."""

    state: str
    detail: str = ""


@dataclass(frozen=True, kw_only=True)
class FoldersListed(Event):
    folders: tuple[Folder, ...]


@dataclass(frozen=True, kw_only=True)
class SyncStarted(Event):
    folder: str
    mode: str
    total: int = 0


@dataclass(frozen=True, kw_only=True)
class HeadersSynced(Event):
    """A batch of envelopes was committed to the cache (newest first on a cold sync)."""

    folder: str
    uids: tuple[int, ...]
    done: int = 0
    total: int = 0


@dataclass(frozen=True, kw_only=True)
class FlagsChanged(Event):
    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class MessagesVanished(Event):
    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class FolderSynced(Event):
    folder: str
    stats: SyncStats


@dataclass(frozen=True, kw_only=True)
class OfflineReadable(Event):
    """How much of the prefetch window can be read without the server (sync/prefetch.py):
    `readable` of `wanted` messages; `running` while a pass goes on."""

    readable: int
    wanted: int
    fetched: int = 0  # messages this pass has kept so far
    running: bool = False


# --- one ending per command, linked by request id ------------------------------------


@dataclass(frozen=True, kw_only=True)
class Ending(Event):
    request_id: int


@dataclass(frozen=True, kw_only=True)
class Done(Ending):
    result: Any = None


@dataclass(frozen=True, kw_only=True)
class Failed(Ending):
    """`message` is one sentence for the user; `hint` what to do next; `kind` the error class."""

    message: str
    hint: str = ""
    kind: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Cancelled(Ending):
    pass


# --- write-back and live updates ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ActionApplied(Event):
    """An action changed the cache (optimistically); the server write follows."""

    folder: str
    kind: str
    uids: tuple[int, ...]
    dest: str = ""


@dataclass(frozen=True, kw_only=True)
class ActionConfirmed(Event):
    """The server accepted a journaled action."""

    folder: str
    kind: str
    uids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ActionFailed(Event):
    """The server refused an action; it was dropped and the folder resynced."""

    folder: str
    kind: str
    message: str


@dataclass(frozen=True, kw_only=True)
class PendingChanged(Event):
    """How many journaled actions still wait for the server."""

    count: int


@dataclass(frozen=True, kw_only=True)
class FolderChanged(Event):
    """The folder's cached content changed in ways not announced (another mailtui process
    sharing the cache applied them): reload the view."""

    folder: str


@dataclass(frozen=True, kw_only=True)
class NewMail(Event):
    """Messages arrived in a folder (after IDLE/poll-triggered resync)."""

    folder: str
    uids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class Queued(Ending):
    """The action is safe in the journal but the server is unreachable; it is sent later."""

    message: str = ""
