"""What the sync service's threads need from it, as Protocols.

The worker, the journal writer, the IDLE watcher and the read handlers each depend on
one of these instead of on `SyncService`: the service implements them all, nothing
here imports it, so none of those modules imports the service back (no cycle), and a
test can drive a thread with a small host of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mailtui.backend import Session
from mailtui.cache.store import HeaderCache

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings
    from mailtui.sync import events
    from mailtui.sync.commands import Command
    from mailtui.sync.ops.base import Entry, UndoRecord


class SessionFactory(Protocol):
    def __call__(self) -> Session: ...


class Host(Protocol):
    """One account's shared state, as every thread of its service sees it."""

    account: str
    cache_path: Path
    settings: AccountSettings | None
    session_factory: SessionFactory

    def open_cache(self) -> HeaderCache:
        """A new connection to the account's cache, for a thread of its own."""
        ...

    def emit(self, event: events.Event) -> None: ...

    def connecting(self) -> None:
        """Announce the first connection attempt."""
        ...

    def connection_state(self, online: bool, detail: str = "") -> None:
        """Many connections, one account state: the service announces only changes."""
        ...

    def folder_lock(self, folder: str) -> threading.Lock:
        """Serialises syncs of one folder across the service's threads."""
        ...

    def crowded(self) -> None:
        """The server refused a connection for too many open ones: hold fewer."""
        ...

    def announced_top(self, folder: str) -> int:
        """The highest UID the service has told its listeners about."""
        ...


class WriterHost(Host, Protocol):
    """What the journal writer reports back, entry by entry (see sync/reconcile.py)."""

    def action_confirmed(self, entry: Entry, result: dict[str, Any]) -> None: ...
    def action_refused(self, entry: Entry, message: str) -> None: ...
    def action_queued(self, journal_id: int) -> None: ...

    def undo_record(self, journal_id: int) -> UndoRecord | None:
        """What the action of this journal row changed, while this process remembers it."""
        ...


class HandlerHost(Host, Protocol):
    """What the read handlers (sync/handlers.py) need beyond the shared state."""

    def submit(self, command: Command) -> int: ...

    def folders_listed(self) -> None:
        """The cache's folder list was refreshed: start the watchers that waited for it."""
        ...


class WatchHost(Host, Protocol):
    """What an IDLE watcher (sync/idle.py) needs beyond the shared state."""

    def submit(self, command: Command) -> int: ...

    def watched(self) -> frozenset[str]:
        """The folders the user asked to watch by name (INBOX, the open one, --folder)."""
        ...

    def watching_everywhere(self, folder: str, live: bool) -> None:
        """The watcher of `folder` hears (live) or no longer hears of every subscribed
        folder on its connection (NOTIFY): the other watchers are redundant, or needed."""
        ...


class ReconcileHost(Protocol):
    """What the reconciler (sync/reconcile.py) needs from the service."""

    account: str

    def emit(self, event: events.Event) -> None: ...
    def submit(self, command: Command) -> int: ...

    def cache(self) -> HeaderCache:
        """The calling thread's own connection to the account's cache."""
        ...

    def wake_writer(self) -> None:
        """A new journal row is waiting to be sent."""
        ...


Dispatch = Callable[[Any, "Command"], Any]
"""Runs one command for a worker (the worker, the command) → its result."""
