"""SyncService: the one object the UI and the CLI talk to for an account.

Two worker threads, each owning its own IMAP connection (imapclient is blocking and not
thread-safe): `background` runs folder syncs; `interactive` serves what a user is
waiting for (open a message, fetch a part), so a 100k cold sync never delays them.
Commands go in through `submit()`; results come back as events to subscribed
listeners, called from the worker threads. Reads of cached data (`view`, `envelopes`)
run in the caller's thread on its own SQLite connection, without the network.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailtui.backend import query
from mailtui.cache.store import HeaderCache
from mailtui.errors import ConnectionLost, MailtuiError
from mailtui.model import BodyPart, Envelope, Folder, FolderState
from mailtui.sync import commands as cmd
from mailtui.sync import events, handlers, ops
from mailtui.sync.actionlog import ActionLog
from mailtui.sync.handlers import sync_order
from mailtui.sync.host import SessionFactory
from mailtui.sync.idle import Watcher
from mailtui.sync.journal import Writer
from mailtui.sync.muting import Muter
from mailtui.sync.ops.base import ActionError, Entry, Policy, UndoRecord
from mailtui.sync.prefetch import Prefetcher
from mailtui.sync.reconcile import Reconciler
from mailtui.sync.worker import LinkedThread, Worker

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings

__all__ = ["ActionQueued", "SessionFactory", "SyncService", "sync_order"]

log = logging.getLogger("mailtui.sync")

# Seconds without IDLE watchers after the server said too many connections (`crowded`).
CROWDED_FOR = 300.0

Listener = Callable[[events.Event], None]


class SyncService:
    """One account's sync: workers, writer, watchers, cache file, listeners."""

    def __init__(
        self,
        account: str,
        cache_path: Path,
        session_factory: SessionFactory,
        *,
        settings: AccountSettings | None = None,
        part_cap_bytes: int = 200 * 1024 * 1024,
    ) -> None:
        self.account = account
        self.cache_path = cache_path
        self.session_factory = session_factory
        self.settings = settings
        self.part_cap_bytes = part_cap_bytes
        self.actions = ActionLog(
            Policy(
                archive_folder=settings.archive_folder if settings else None,
                trash_folder=settings.trash_folder if settings else None,
                delete=settings.delete if settings else "trash",
            )
        )
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()
        self._local = threading.local()
        self._workers: dict[str, Worker] = {}
        self._writer: Writer | None = None
        self._watchers: dict[str, Watcher] = {}
        self._watch_wanted: set[str] = set()
        self._watch_open: str | None = None  # the folder on screen (watched first)
        self._everywhere: str | None = None  # the watcher hearing every folder (NOTIFY)
        self._notify_offered = False  # the store offered NOTIFY: one watcher is enough
        self._poller: threading.Thread | None = None
        self._poll_stop = threading.Event()
        self._watch_lock = threading.Lock()
        self._folder_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._state_lock = threading.Lock()
        self._online: bool | None = None
        self._connecting = False
        self.reconciler = Reconciler(self, self.actions)
        self._announced_top: dict[str, int] = {}
        self._started = False
        self._crowded_until = 0.0  # monotonic time until which no watcher starts (crowded)
        # Bodies of the newest mail for offline reading, after each sync (prefetch = …).
        self.prefetcher = Prefetcher(self)
        self.subscribe(self.prefetcher.listen)
        # New replies to muted conversations archived and read (sync/muting.py).
        self.subscribe(Muter(self).listen)
        # Create the schema now, in the caller's thread, so readers never race a migration.
        self.cache()

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and the journal writer (which replays what a past run left)."""
        if self._started:
            return
        self._started = True
        for role in ("background", "interactive"):
            worker = Worker(self, role, self.dispatch)
            self._workers[role] = worker
            worker.start()
        self._writer = Writer(self)
        self._writer.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop now, whatever is in hand (issue 17: `q` gives the prompt back at once).

        Every thread is told to stop, then every connection is shut under it (so a read
        blocked on the network, a cold-sync batch or a part fetch, ends at once) and a
        cold sync's storing child is killed. Nothing committed is lost: each batch is
        one transaction, a journal row still 'sending' is replayed by the next start,
        and the next cold sync resumes from the last committed batch. Threads are
        joined for at most `timeout` seconds in all; one still blocked (a TCP connect
        to a host that never answers) is a daemon and ends with the process.
        """
        with self._watch_lock:
            watchers = list(self._watchers.values())
            self._watchers.clear()
            self._watch_wanted = set()
        for watcher in watchers:
            watcher.stop()
        self._poll_stop.set()
        poller, self._poller = self._poller, None
        if self._writer is not None:
            self._writer.stop()
        for worker in self._workers.values():
            worker.stop()
        linked: list[LinkedThread] = [
            *self._workers.values(),
            *watchers,
            *([self._writer] if self._writer else []),
        ]
        for thread in linked:
            thread.abort()
        deadline = time.monotonic() + timeout
        for thread in [*linked, *([poller] if poller else [])]:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._workers.clear()
        self._writer = None
        self._started = False
        cache = getattr(self._local, "cache", None)
        if cache is not None:
            cache.close()
            self._local.cache = None

    def __enter__(self) -> SyncService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def folder_lock(self, folder: str) -> threading.Lock:
        """Serialises syncs of one folder across this service's threads."""
        return self._folder_locks[folder]

    def connecting(self) -> None:
        """Announce the first connection attempt (status: connecting…). Reconnects after a
        loss keep showing "offline" until they succeed, rather than flickering."""
        with self._state_lock:
            if self._online is not None or self._connecting:
                return
            self._connecting = True
        self.emit(events.ConnectionChanged(account=self.account, state="connecting"))

    def connection_state(self, online: bool, detail: str = "") -> None:
        """Many connections, one account state: announce only changes."""
        with self._state_lock:
            was_connecting, self._connecting = self._connecting, False
            if self._online == online and not was_connecting:
                return
            self._online = online
            self.offline_reason = "" if online else detail
        self.emit(
            events.ConnectionChanged(
                account=self.account, state="online" if online else "offline", detail=detail
            )
        )

    def announced_top(self, folder: str) -> int:
        """The highest UID this process has told its listeners about."""
        with self._state_lock:
            return self._announced_top.get(folder, 0)

    def interactive_busy(self) -> bool:
        """Something the user waits for is being fetched (prefetch gives way)."""
        worker = self._workers.get("interactive")
        return worker is not None and (worker.busy or not worker.queue.empty())

    @property
    def started(self) -> bool:
        """Workers are running (between start() and stop())."""
        return self._started

    @property
    def online(self) -> bool | None:
        return self._online

    offline_reason: str = ""
    """Why the account went offline, as last announced (for a listener that came late)."""

    def pending_actions(self) -> int:
        return self.cache().journal_count()

    def wait_writer_idle(self, timeout: float = 30) -> bool:
        """True once the journal is empty and the writer waits (tests, CLI)."""
        if self._writer is None:
            return self.cache().journal_count() == 0
        self._writer.wake.set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._writer.idle.wait(0.05) and self.cache().journal_count() == 0:
                return True
        return False

    # --- live updates -----------------------------------------------------------------

    def watch(self, folder: str | None, *more: str) -> None:
        """Keep INBOX and the given folders live (IDLE or polling); other watchers stop."""
        wanted = {"INBOX", *more} | ({folder} if folder else set())
        with self._watch_lock:
            self._watch_wanted = wanted
            self._watch_open = folder
            self._move_everywhere()
            kept = set(self._watch_order()[: self._watcher_budget()])
            for name in list(self._watchers):
                if name not in kept:  # not wanted, or a folder nearer the user needs it
                    self._watchers.pop(name).stop()
                    if name == self._everywhere:  # the next first watcher takes over
                        self._everywhere = None
        self._start_watchers()
        self._start_poller()

    def _move_everywhere(self) -> None:
        """With NOTIFY live, the watcher that hears every folder moves to the new first
        folder on its own connection instead of being replaced (no reconnect, no second
        NOTIFY SET). Called under _watch_lock."""
        order = self._watch_order()
        first, current = (order[0] if order else None), self._everywhere
        watcher = self._watchers.get(current) if current is not None else None
        if watcher is None or first is None or first == current:
            return
        if first in self._watchers or self.cache().raw_name(first) is None:
            return
        self._watchers[first] = self._watchers.pop(current)
        self._everywhere = first
        watcher.switch_to(first)

    def _start_poller(self) -> None:
        """While anything is watched, LIST the folders (with counts) every `poll_interval`
        seconds: other folders' counts and folders made elsewhere stay current, and a
        folder changed elsewhere is resynced (see _refresh_folders)."""
        if self._poller is not None:
            return
        interval = self.settings.poll_interval if self.settings is not None else 60
        self._poll_stop.clear()
        self._poller = threading.Thread(
            target=self._poll_folders,
            args=(interval,),
            name=f"mailtui-{self.account}-folder-poll",
            daemon=True,
        )
        self._poller.start()

    def _poll_folders(self, interval: float) -> None:
        while not self._poll_stop.wait(interval):
            if self._everywhere is not None:
                continue  # NOTIFY reports every subscribed folder's changes as they happen
            worker = self._workers.get("background")
            if self._started and worker is not None and worker.queue.empty():
                self.submit(cmd.RefreshFolders())

    def _start_watchers(self) -> None:
        """Start the wanted watchers whose folders the cache knows. On a first start the
        folder list is not cached yet: the LIST that fills it calls this again."""
        with self._watch_lock:
            budget = self._watcher_budget()
            order = self._watch_order()
            for name in order:
                if len(self._watchers) >= budget:
                    break  # the rest is kept current by NOTIFY or the folder poller
                if name not in self._watchers and self.cache().raw_name(name) is not None:
                    watcher = Watcher(self, name, everywhere=name == order[0])
                    self._watchers[name] = watcher
                    watcher.start()

    def _watch_order(self) -> list[str]:
        """Wanted folders, the one on screen first (what the user looks at must show
        what the server holds), then INBOX, then the rest; when `max_connections`
        leaves fewer watchers than that, the tail is kept current by the poller."""
        first = self._watch_open
        return sorted(self._watch_wanted, key=lambda n: (n != first, n != "INBOX", n))

    def watched(self) -> frozenset[str]:
        with self._watch_lock:
            return frozenset(self._watch_wanted)

    def watching_everywhere(self, folder: str, live: bool) -> None:
        """Called by the first watcher after each connect (sync/idle.py): with NOTIFY
        live it alone keeps every subscribed folder and INBOX current, so the others
        stop; without, INBOX and the open folder get a watcher each again and the
        folder poll resumes."""
        with self._watch_lock:
            self._notify_offered = live
            if live:
                self._everywhere = folder
                for name in [n for n in self._watchers if n != folder]:
                    self._watchers.pop(name).stop()
            elif self._everywhere == folder:
                self._everywhere = None
        if not live and self._watch_wanted and self._started:
            self._start_watchers()

    def crowded(self) -> None:
        """The server said too many connections are open (Gmail counts every client's):
        share by giving up the IDLE watchers for CROWDED_FOR seconds, so the workers and
        the writer get the connections; the folder poller keeps counts and new mail
        current meanwhile, and the next watch() after the pause starts them again."""
        with self._watch_lock:
            self._crowded_until = time.monotonic() + CROWDED_FOR
            stopping = list(self._watchers.values())
            self._watchers.clear()
            self._everywhere = None
        for watcher in stopping:
            watcher.stop()
        if stopping:
            log.info("%s: too many connections; %d watcher(s) stopped", self.account, len(stopping))
        if self._watch_wanted:
            self._start_poller()

    def _watcher_budget(self) -> int:
        """IDLE watchers this account may run: none for a while after the server said
        too many connections (`crowded`), one where the store offers NOTIFY, else
        `max_connections` less the two command workers and the writer (an IMAP
        account; a Maildir holds no connections)."""
        if time.monotonic() < self._crowded_until:
            return 0
        if self._notify_offered:
            return 1
        settings = self.settings
        if settings is None or settings.imap is None:
            return 1 << 16
        return max(settings.max_connections - 3, 0)

    def retry_now(self) -> None:
        """Wake the journal writer (e.g. the user asked to retry, or the link is back)."""
        self.wake_writer()

    def watcher(self, folder: str) -> Watcher | None:
        with self._watch_lock:
            return self._watchers.get(folder)

    # --- events -----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: events.Event) -> None:
        if isinstance(event, events.HeadersSynced | events.NewMail) and event.uids:
            with self._state_lock:
                top = self._announced_top.get(event.folder, 0)
                self._announced_top[event.folder] = max(top, max(event.uids))
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("listener failed on %r", event)

    # --- commands ---------------------------------------------------------------------

    def submit(self, command: cmd.Command) -> int:
        """Queue a command; its ending event carries the returned request id.

        Actions are applied to the cache (and journaled) before this returns, so a
        caller that re-reads the cache sees the change at once.
        """
        if not self._started:
            self.start()
        if isinstance(command, cmd.Watch | cmd.KeepFoldersCurrent):
            if isinstance(command, cmd.Watch):
                self.watch(command.folder)
            self._start_poller()
            self.emit(events.Done(account=self.account, request_id=command.request_id))
            return command.request_id
        if ops.for_command(command) is not None:
            self.reconciler.apply(command, undoable=getattr(command, "undoable", True))
            return command.request_id
        if isinstance(command, cmd.Undo):
            # Undo may wait for the server to confirm the action it reverses: never in the
            # caller's (the UI's) thread. Its ending comes by event like any command's.
            threading.Thread(target=self._undo_in_thread, args=(command,), daemon=True).start()
            return command.request_id
        role = "interactive" if command.interactive else "background"
        self._workers[role].queue.put(command)
        return command.request_id

    def _undo_in_thread(self, command: cmd.Undo) -> None:
        try:
            self.reconciler.undo(command)
        finally:
            cache = getattr(self._local, "cache", None)
            if cache is not None:
                cache.close()
                self._local.cache = None

    def wake_writer(self) -> None:
        if self._writer is not None:
            self._writer.wake.set()

    # --- called by the writer thread (see sync/reconcile.py) ------------------------------

    def action_confirmed(self, entry: Entry, result: dict[str, Any]) -> None:
        self.reconciler.confirmed(entry, result)

    def action_refused(self, entry: Entry, message: str) -> None:
        self.reconciler.refused(entry, message)

    def action_queued(self, journal_id: int) -> None:
        self.reconciler.queued(journal_id)

    def undo_record(self, journal_id: int) -> UndoRecord | None:
        return self.actions.by_journal.get(journal_id)

    # --- called by the read handlers --------------------------------------------------------

    def folders_listed(self) -> None:
        if self._watch_wanted and self._started:
            self._start_watchers()

    def run(self, command: cmd.Command, timeout: float | None = None) -> Any:
        """Submit and wait for the ending; returns Done.result or raises MailtuiError."""
        done = threading.Event()
        ending: list[events.Ending] = []

        def listen(event: events.Event) -> None:
            if isinstance(event, events.Ending) and event.request_id == command.request_id:
                ending.append(event)
                done.set()

        unsubscribe = self.subscribe(listen)
        try:
            self.submit(command)
            if not done.wait(timeout):
                raise ConnectionLost("The mail server did not finish in time")
        finally:
            unsubscribe()
        end = ending[0]
        if isinstance(end, events.Done):
            return end.result
        if isinstance(end, events.Failed):
            error = _ERROR_KINDS.get(end.kind, MailtuiError)(end.message, end.hint)
            raise error
        if isinstance(end, events.Queued):
            raise ActionQueued(
                end.message, "it is replayed on the next connection (any mailtui command)"
            )
        raise MailtuiError("The request was cancelled")

    def dispatch(self, worker: Worker, command: cmd.Command) -> Any:
        if isinstance(command, cmd.Prefetch):
            return self.prefetcher.run(worker, command)
        return handlers.dispatch(self, worker, command)

    # --- reads from the cache (caller's thread, no network) -----------------------------

    def open_cache(self) -> HeaderCache:
        return HeaderCache(self.cache_path, part_cap_bytes=self.part_cap_bytes)

    def cache(self) -> HeaderCache:
        """This thread's own connection to the account's cache."""
        cache = getattr(self._local, "cache", None)
        if cache is None:
            cache = self.open_cache()
            self._local.cache = cache
        return cache

    def folders(self, counts: bool = True) -> list[Folder]:
        return self.cache().folders(counts)

    def view(self, folder: str, sort: str = "date", reverse: bool = True) -> list[int]:
        return self.cache().view(folder, sort, reverse)

    def order(
        self, folder: str, sort: str = "date", reverse: bool = True, limit: int = -1
    ) -> Sequence[int]:
        """The view's UIDs in the list's compact form (cache.messages.order)."""
        return self.cache().order(folder, sort, reverse, limit)

    def envelopes(self, folder: str, uids: Sequence[int]) -> dict[int, Envelope]:
        return self.cache().envelopes(folder, uids)

    def envelope(self, folder: str, uid: int) -> Envelope | None:
        return self.cache().envelope(folder, uid)

    def counts(self, folder: str) -> tuple[int, int]:
        return self.cache().counts(folder)

    def folder_state(self, folder: str) -> FolderState:
        return self.cache().folder_state(folder)

    def thread_items(self, folder: str) -> list[tuple[int, str, str, str, str, int]]:
        """(uid, message_id, in_reply_to, references, subject, date) rows for threading."""
        return self.cache().thread_items(folder)

    def cached_structure(self, folder: str, uid: int) -> BodyPart | None:
        return self.cache().bodystructure(folder, uid)

    def cached_part(self, folder: str, uid: int, section: str) -> bytes | None:
        return self.cache().get_part(folder, uid, section)


def _error_kinds() -> dict[str, type[MailtuiError]]:
    """Error classes by name, so `run` raises what the worker caught (a dead OAuth2
    sign-in stays a SignInExpired, which the CLI exits on with its own status)."""
    from mailtui import errors as store_errors
    from mailtui.oauth2 import errors as oauth2_errors

    kinds: dict[str, type[MailtuiError]] = {}
    for module in (store_errors, oauth2_errors):
        for name in dir(module):
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, MailtuiError):
                # The nearest mailtui.errors class: its constructor takes (message, hint).
                kinds[name] = next(c for c in obj.__mro__ if c.__module__ == "mailtui.errors")
    from mailtui.errors import ConfigError, CredentialError

    kinds["ConfigError"] = ConfigError
    kinds["CredentialError"] = CredentialError
    return kinds


class ActionQueued(MailtuiError):
    """The action is journaled but could not reach the server yet."""


_ERROR_KINDS = _error_kinds()
_ERROR_KINDS["ActionError"] = ActionError
_ERROR_KINDS["QueryError"] = query.QueryError
