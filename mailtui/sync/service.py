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
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mailtui.backend import Session
from mailtui.cache.store import HeaderCache
from mailtui.errors import MailtuiError
from mailtui.imap.errors import ConnectionLost, FolderGone, ProtocolError
from mailtui.model import ROLE_ORDER, BodyPart, Envelope, Folder, FolderState, Role, SyncStats
from mailtui.sync import commands as cmd
from mailtui.sync import events, query
from mailtui.sync.actions import ActionError, ActionLog, ExpungeMessages, Policy, UndoRecord
from mailtui.sync.idle import Watcher
from mailtui.sync.journal import Entry, Writer
from mailtui.sync.resync import FolderSyncer, SyncCancelled

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings

log = logging.getLogger("mailtui.sync")

Listener = Callable[[events.Event], None]


class SessionFactory(Protocol):
    def __call__(self) -> Session: ...


_STOP = object()


class Worker(threading.Thread):
    """Runs commands one at a time on its own connection."""

    def __init__(self, service: SyncService, name: str) -> None:
        super().__init__(name=f"mailtui-{service.account}-{name}", daemon=True)
        self.service = service
        self.role = name
        self.queue: queue.Queue[Any] = queue.Queue()
        self.session: Session | None = None
        self.cancel = threading.Event()
        self._cache: HeaderCache | None = None

    @property
    def cache(self) -> HeaderCache:
        if self._cache is None:
            self._cache = self.service.open_cache()
        return self._cache

    def run(self) -> None:
        try:
            while True:
                item = self.queue.get()
                if item is _STOP:
                    break
                self._handle(item)
        finally:
            if self.session is not None:
                self.session.close()
            if self._cache is not None:
                self._cache.close()

    def _handle(self, command: cmd.Command) -> None:
        emit = self.service.emit
        account = self.service.account
        try:
            result = self.service.dispatch(self, command)
        except SyncCancelled:
            emit(events.Cancelled(account=account, request_id=command.request_id))
        except MailtuiError as exc:
            if isinstance(exc, ConnectionLost):
                self._went_offline(exc)
            emit(
                events.Failed(
                    account=account,
                    request_id=command.request_id,
                    message=str(exc),
                    hint=exc.hint,
                    kind=type(exc).__name__,
                )
            )
        except Exception as exc:  # a bug: keep the worker alive, tell the user
            log.exception("command %r failed", command)
            emit(
                events.Failed(
                    account=account,
                    request_id=command.request_id,
                    message=f"Internal error: {type(exc).__name__}: {exc}",
                    kind="InternalError",
                )
            )
        else:
            emit(events.Done(account=account, request_id=command.request_id, result=result))

    def _went_offline(self, exc: MailtuiError) -> None:
        if self.session is not None and not self.session.connected:
            self.session = None
        self.service.connection_state(False, exc.sentence())

    def connected_session(self) -> Session:
        """The worker's session, (re)connecting if needed."""
        if self.session is not None and self.session.connected:
            return self.session
        session = self.service.session_factory()
        self.service.connecting()
        try:
            session.connect()
        except MailtuiError as exc:
            self.service.connection_state(False, exc.sentence())
            raise
        self.session = session
        self.service.connection_state(True)
        return session


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
        self._poller: threading.Thread | None = None
        self._poll_stop = threading.Event()
        self._watch_lock = threading.Lock()
        self._folder_locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._state_lock = threading.Lock()
        self._online: bool | None = None
        self._connecting = False
        self._journal_requests: dict[int, int] = {}
        self._announced_top: dict[str, int] = {}
        self._started = False
        # Create the schema now, in the caller's thread, so readers never race a migration.
        self.cache()

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and the journal writer (which replays what a past run left)."""
        if self._started:
            return
        self._started = True
        for role in ("background", "interactive"):
            worker = Worker(self, role)
            self._workers[role] = worker
            worker.start()
        self._writer = Writer(self)
        self._writer.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop everything after the command in hand (syncs stop at the next batch)."""
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
            worker.cancel.set()
            worker.queue.put(_STOP)
        for thread in [
            *self._workers.values(),
            *watchers,
            *([poller] if poller else []),
            *([self._writer] if self._writer else []),
        ]:
            thread.join(timeout)
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
        import time

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
            for name in list(self._watchers):
                if name not in wanted:
                    self._watchers.pop(name).stop()
        self._start_watchers()
        self._start_poller()

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
            worker = self._workers.get("background")
            if self._started and worker is not None and worker.queue.empty():
                self.submit(cmd.RefreshFolders())

    def _start_watchers(self) -> None:
        """Start the wanted watchers whose folders the cache knows. On a first start the
        folder list is not cached yet: the LIST that fills it calls this again."""
        with self._watch_lock:
            for name in self._watch_wanted:
                if name not in self._watchers and self.cache().raw_name(name) is not None:
                    watcher = Watcher(self, name)
                    self._watchers[name] = watcher
                    watcher.start()

    def retry_now(self) -> None:
        """Wake the journal writer (e.g. the user asked to retry, or the link is back)."""
        if self._writer is not None:
            self._writer.wake.set()

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
        if isinstance(command, _JOURNALED):
            self._apply_action(command, undoable=getattr(command, "undoable", True))
            return command.request_id
        if isinstance(command, cmd.Undo):
            # Undo may wait for the server to confirm the action it reverses: never in the
            # caller's (the UI's) thread. Its ending comes by event like any command's.
            threading.Thread(target=self._undo_in_thread, args=(command,), daemon=True).start()
            return command.request_id
        role = "interactive" if command.interactive else "background"
        self._workers[role].queue.put(command)
        return command.request_id

    def _fail(self, command: cmd.Command, exc: MailtuiError) -> None:
        self.emit(
            events.Failed(
                account=self.account,
                request_id=command.request_id,
                message=str(exc),
                hint=exc.hint,
                kind=type(exc).__name__,
            )
        )

    def _apply_action(self, command: cmd.Command, *, undoable: bool = True) -> None:
        try:
            applied = self.actions.apply(self.cache(), command)
        except MailtuiError as exc:
            self._fail(command, exc)
            return
        if not undoable:
            with self.actions.lock:
                if self.actions.undo and self.actions.undo[-1].journal_id == applied.journal_id:
                    self.actions.undo.pop()
        self._journal_requests[applied.journal_id] = command.request_id
        self.emit(
            events.ActionApplied(
                account=self.account,
                folder=applied.folder,
                kind=applied.kind,
                uids=applied.uids,
                dest=applied.dest,
            )
        )
        self._announce_pending()
        if self._writer is not None:
            self._writer.wake.set()

    def _announce_pending(self) -> None:
        self.emit(events.PendingChanged(account=self.account, count=self.cache().journal_count()))

    def _undo_in_thread(self, command: cmd.Undo) -> None:
        try:
            self._undo(command)
        finally:
            cache = getattr(self._local, "cache", None)
            if cache is not None:
                cache.close()
                self._local.cache = None

    def _undo(self, command: cmd.Undo) -> None:
        """Reverse the newest action: cancel it if still unsent, else send its inverse."""
        cache = self.cache()
        try:
            record = self.actions.pop_undo()
            if self._cancel_unsent(cache, record):
                self.emit(
                    events.Done(
                        account=self.account, request_id=command.request_id, result="cancelled"
                    )
                )
                return
            if not record.confirmed.wait(15):
                raise ActionError(
                    "The action is still on its way to the server", "try undo again in a moment"
                )
            inverses = self.actions.inverse(cache, record)
        except MailtuiError as exc:
            self._fail(command, exc)
            return
        for inverse in inverses:
            self._apply_action(inverse, undoable=False)
        self.emit(
            events.Done(account=self.account, request_id=command.request_id, result="reversed")
        )

    def _cancel_unsent(self, cache: Any, record: UndoRecord) -> bool:
        """An action the writer has not started can be taken back without the server."""
        with cache.transaction():
            rows = [r for r in cache.journal() if r.id == record.journal_id]
            if not rows or rows[0].state != "pending":
                return False
            cache.journal_remove(record.journal_id)
            if record.kind == "flags":
                cache.set_flag_strings(record.folder, record.prior_flags)
            elif record.kind == "move" and record.rows:
                cache.store_batch(record.folder, record.rows)
        self.actions.forget(record.journal_id)
        self.emit(
            events.FlagsChanged(account=self.account, folder=record.folder, uids=record.uids)
            if record.kind == "flags"
            else events.HeadersSynced(account=self.account, folder=record.folder, uids=record.uids)
        )
        self._announce_pending()
        return True

    # --- called by the writer thread ------------------------------------------------------

    def action_confirmed(self, entry: Entry, result: dict) -> None:
        """The writer sent `entry` and checked what the server did: confirm what it shows
        done, and put right (and report) what it did not apply."""
        failed = tuple(result.get("failed") or ())
        gone = tuple(result.get("gone") or ())
        record = self.actions.by_journal.get(entry.id)
        if record is not None:
            record.dest_uids = dict(result.get("mapping", {}))
            record.gone = gone
            record.confirmed.set()
        skipped = {*failed, *gone}
        self.emit(
            events.ActionConfirmed(
                account=self.account,
                folder=entry.folder,
                kind=entry.kind,
                uids=tuple(u for u in entry.uid_set if u not in skipped),
            )
        )
        if skipped:
            self._not_applied(entry, record, failed, gone)
        dest = entry.args.get("dest", "")
        if (
            dest
            and entry.kind in ("move", "copy")
            and (record is None or not record.rows)
            and self.cache().folder_state(dest).synced
        ):
            # Replayed for an earlier run or another process: the rows it would place in
            # the destination's cache live only in that process's memory. Resync it.
            self.submit(cmd.SyncFolder(folder=dest))
        request_id = self._journal_requests.pop(entry.id, None)
        if request_id is not None:
            if failed:
                self.emit(
                    events.Failed(
                        account=self.account,
                        request_id=request_id,
                        message=_not_applied_sentence(entry.kind, len(failed), len(entry.uid_set)),
                        kind="ActionRefused",
                        details={"failed": failed, "gone": gone},
                    )
                )
            else:
                payload = {k: v for k, v in result.items() if k != "rows"}
                self.emit(events.Done(account=self.account, request_id=request_id, result=payload))
        self._announce_pending()

    def _not_applied(
        self,
        entry: Entry,
        record: UndoRecord | None,
        failed: tuple[int, ...],
        gone: tuple[int, ...],
    ) -> None:
        """Some messages of an action were not changed by the server: roll the cache back
        for them (a resync refetches their rows) and say so."""
        if failed and record is not None and record.rows and entry.kind == "move":
            back = [r for r in record.rows if r.uid in set(failed)]
            with self.cache().transaction():
                self.cache().store_batch(entry.folder, back)
            self.emit(events.HeadersSynced(account=self.account, folder=entry.folder, uids=failed))
        if failed:
            message = _not_applied_sentence(entry.kind, len(failed), len(entry.uid_set))
        else:
            n = len(gone)
            message = (
                f"{n} message{'s were' if n != 1 else ' was'} already gone from the server "
                "(removed by another client)"
            )
        self.emit(
            events.ActionFailed(
                account=self.account, folder=entry.folder, kind=entry.kind, message=message
            )
        )
        if self.cache().raw_name(entry.folder) is not None:
            self.submit(cmd.SyncFolder(folder=entry.folder, refetch=failed))
        dest = entry.args.get("dest", "")
        if dest and self.cache().raw_name(dest) is not None:
            self.submit(cmd.SyncFolder(folder=dest))

    def action_refused(self, entry: Entry, message: str) -> None:
        record = self.actions.by_journal.get(entry.id)
        if record is not None and record.rows and entry.kind == "move":
            # Put the rows back at once; the resync below confirms against the server.
            with self.cache().transaction():
                self.cache().store_batch(entry.folder, record.rows)
            self.emit(
                events.HeadersSynced(account=self.account, folder=entry.folder, uids=record.uids)
            )
        self.actions.forget(entry.id)
        self.emit(
            events.ActionFailed(
                account=self.account,
                folder=entry.folder,
                kind=entry.kind,
                message=f"The server refused the {entry.kind}: {message}",
            )
        )
        request_id = self._journal_requests.pop(entry.id, None)
        if request_id is not None:
            self.emit(
                events.Failed(
                    account=self.account,
                    request_id=request_id,
                    message=message,
                    kind="ActionRefused",
                )
            )
        self._announce_pending()
        # Our optimistic change may now disagree with the server: resync to converge.
        dropped = tuple(entry.uid_set) if entry.kind in ("move", "expunge") else ()
        if self.cache().raw_name(entry.folder) is not None and entry.uids:
            self.submit(cmd.SyncFolder(folder=entry.folder, refetch=dropped))
        dest = entry.args.get("dest", "")
        if dest and self.cache().raw_name(dest) is not None:
            self.submit(cmd.SyncFolder(folder=dest))
        if entry.kind in ("create", "rename", "delete_folder", "subscribe"):
            self.submit(cmd.RefreshFolders())

    def action_queued(self, journal_id: int) -> None:
        request_id = self._journal_requests.get(journal_id)
        if request_id is not None:
            self.emit(
                events.Queued(
                    account=self.account,
                    request_id=request_id,
                    message="The server is unreachable; the change is saved and will be sent later",
                )
            )

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
        handler = _HANDLERS.get(type(command))
        if handler is None:
            raise MailtuiError(f"Unsupported request: {type(command).__name__}")
        return handler(self, worker, command)

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

    def folders(self) -> list[Folder]:
        return self.cache().folders()

    def view(self, folder: str, sort: str = "date", reverse: bool = True) -> list[int]:
        return self.cache().view(folder, sort, reverse)

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


# --- handlers (run in a worker thread) ------------------------------------------------


def _refresh_folders(service: SyncService, worker: Worker, command: cmd.Command) -> list[Folder]:
    """LIST (with counts where offered) into the cache. A synced folder whose counts on
    the server differ from the cache's was changed elsewhere: resync it, so the tree
    shows what the server holds rather than counting stale rows."""
    session = worker.connected_session()
    folders = session.list_folders()
    stale = [
        f.name
        for f in folders
        if f.total is not None
        and f.unread is not None
        and worker.cache.folder_state(f.name).synced
        and worker.cache.counts(f.name) != (f.total, f.unread)
    ]
    worker.cache.replace_folders(folders)
    listed = worker.cache.folders()
    if service._watch_wanted and service._started:
        service._start_watchers()
    service.emit(events.FoldersListed(account=service.account, folders=tuple(listed)))
    if not isinstance(command, cmd.SyncAll):  # SyncAll syncs every folder next anyway
        for name in stale:
            service.submit(cmd.SyncFolder(folder=name))
    return listed


def _sync_folder(service: SyncService, worker: Worker, command: cmd.SyncFolder) -> SyncStats:
    session = worker.connected_session()
    if worker.cache.raw_name(command.folder) is None:
        _refresh_folders(service, worker, command)
        if worker.cache.raw_name(command.folder) is None:
            raise FolderGone(f"There is no folder named {command.folder!r}")
    syncer = FolderSyncer(service.account, session, worker.cache, service.emit, worker.cancel)
    with service.folder_lock(command.folder):
        return syncer.sync(command.folder, command.refetch)


def sync_order(folders: Sequence[Folder]) -> list[Folder]:
    """INBOX first, then special folders in ROLE_ORDER, then the rest by name."""
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    return sorted(
        folders,
        key=lambda f: (rank.get(f.role, len(rank)) if f.role != Role.NONE else len(rank), f.name),
    )


def _sync_all(service: SyncService, worker: Worker, command: cmd.SyncAll) -> list[SyncStats]:
    listed = _refresh_folders(service, worker, command)
    wanted = set(command.folders)
    if wanted:
        known = {f.name for f in listed}
        missing = wanted - known
        if missing:
            raise FolderGone(f"No such folder: {', '.join(sorted(missing))}")
        targets = [f for f in listed if f.name in wanted]
    else:
        targets = [f for f in listed if f.selectable]
    results = []
    failed: list[str] = []
    for folder in sync_order(targets):
        if worker.cancel.is_set():
            raise SyncCancelled(folder.name)
        session = worker.connected_session()
        syncer = FolderSyncer(service.account, session, worker.cache, service.emit, worker.cancel)
        try:
            with service.folder_lock(folder.name):
                results.append(syncer.sync(folder.name))
        except FolderGone:
            continue  # deleted by another client since LIST: the next LIST drops it
        except ProtocolError as exc:
            # One folder the server cannot serve must not stop the others.
            log.warning("syncing %s failed: %s", folder.name, exc)
            failed.append(f"{folder.name}: {exc}")
    if failed:
        raise ProtocolError(
            f"{len(failed)} folder(s) could not be synced — {failed[0]}",
            "the other folders are up to date; try again, or check the server's log",
        )
    return results


def _ensure_selected(session: Session, cache: HeaderCache, folder: str) -> None:
    raw = cache.raw_name(folder)
    if raw is None:
        from mailtui.imap.translate import encode_folder_name

        raw = encode_folder_name(folder)
    if session.selected != raw:
        session.select(raw)


def _fetch_structure(service: SyncService, worker: Worker, command: cmd.FetchStructure) -> BodyPart:
    cached = worker.cache.bodystructure(command.folder, command.uid)
    if cached is not None:
        return cached
    session = worker.connected_session()
    _ensure_selected(session, worker.cache, command.folder)
    part = session.fetch_bodystructure(command.uid)
    worker.cache.set_bodystructure(command.folder, command.uid, part)
    return part


def _fetch_part(service: SyncService, worker: Worker, command: cmd.FetchPart) -> bytes:
    cached = worker.cache.get_part(command.folder, command.uid, command.section)
    if cached is not None:
        return cached
    session = worker.connected_session()
    _ensure_selected(session, worker.cache, command.folder)
    data = session.fetch_section(command.uid, command.section)
    if command.cache:
        worker.cache.put_part(command.folder, command.uid, command.section, data)
    return data


def _search(service: SyncService, worker: Worker, command: cmd.Search) -> list[int]:
    """Server-side UID SEARCH (or the local cache when asked); newest first."""
    q = query.parse(command.query)
    if command.local:
        where, params, fts = query.local_sql(q)
        return worker.cache.search_where(command.folder, where, params, fts)
    session = worker.connected_session()
    _ensure_selected(session, worker.cache, command.folder)
    # Mail the cache learnt on another connection must be known to this one, or the
    # search misses it (RFC 9051 §7.4.1): one NOOP when the cache is ahead.
    session.ensure_visible(worker.cache.folder_state(command.folder).uidnext - 1)
    criteria, charset = query.imap_criteria(q)
    uids = session.search(criteria, charset)
    order = {uid: i for i, uid in enumerate(worker.cache.view(command.folder))}
    return sorted(uids, key=lambda u: (order.get(u, -1), -u))


_HANDLERS: dict[type, Callable[..., Any]] = {
    cmd.Search: _search,
    cmd.RefreshFolders: _refresh_folders,
    cmd.SyncFolder: _sync_folder,
    cmd.SyncAll: _sync_all,
    cmd.FetchStructure: _fetch_structure,
    cmd.FetchPart: _fetch_part,
}


def _error_kinds() -> dict[str, type[MailtuiError]]:
    from mailtui import errors as store_errors

    kinds: dict[str, type[MailtuiError]] = {}
    for name in dir(store_errors):
        obj = getattr(store_errors, name)
        if isinstance(obj, type) and issubclass(obj, MailtuiError):
            kinds[name] = obj
    from mailtui.errors import ConfigError, CredentialError

    kinds["ConfigError"] = ConfigError
    kinds["CredentialError"] = CredentialError
    return kinds


def _not_applied_sentence(kind: str, failed: int, total: int) -> str:
    what = {"flags": "change", "move": "move", "copy": "copy", "expunge": "deletion"}.get(
        kind, kind
    )
    of = (
        f"{failed} of {total} messages"
        if total != failed
        else ("the message" if total == 1 else f"the {total} messages")
    )
    return f"The server did not apply the {what} to {of}, even after a retry"


class ActionQueued(MailtuiError):
    """The action is journaled but could not reach the server yet."""


_JOURNALED = (
    cmd.SetFlags,
    cmd.MoveMessages,
    cmd.CopyMessages,
    cmd.ArchiveMessages,
    cmd.DeleteMessages,
    ExpungeMessages,
    cmd.AppendMessage,
    cmd.CreateFolder,
    cmd.RenameFolder,
    cmd.DeleteFolder,
    cmd.SubscribeFolder,
)

_ERROR_KINDS = _error_kinds()
_ERROR_KINDS["ActionError"] = ActionError
_ERROR_KINDS["QueryError"] = query.QueryError
