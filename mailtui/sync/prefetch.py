"""Prefetch for offline reading: after the headers, the bodies of the newest messages.

`prefetch = "text"` keeps the text parts the reader shows (the plain and the HTML
version), `"all"` the whole message as well (attachments, reply and forward offline),
of each prefetched folder's messages dated within `prefetch_days`, at most
`prefetch_messages` per folder, newest first, INBOX first, within `prefetch_max_mb`
(cache/offline.py keeps the rows and evicts the oldest when newer mail needs room).

It runs as a `Prefetch` command on the background worker, queued once after a folder
sync or new mail, and is the least of that worker's jobs: between batches it gives way
to any command waiting behind it (a folder the user opened) and queues itself again
after it. Messages the user opens are fetched on the interactive connection, which
prefetch never uses, so they never wait behind it. Each batch is one transaction
(parts and `offline` rows), so a stopped or killed run resumes where it was, and what
is kept is never fetched again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailtui.cache import offline
from mailtui.cache.store import HeaderCache
from mailtui.mime.render import choose_body
from mailtui.model import BodyPart, Folder, Role
from mailtui.sync import commands as cmd
from mailtui.sync import events
from mailtui.sync.handlers import ensure_selected, sync_order
from mailtui.sync.resync import SyncCancelled
from mailtui.sync.worker import Worker

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings
    from mailtui.sync.host import HandlerHost

__all__ = ["Plan", "PrefetchStats", "Prefetcher", "plan_for", "readable_counts", "wanted_sections"]

log = logging.getLogger("mailtui.sync")

MB = 1024 * 1024
BATCH = 100  # messages per round: between rounds prefetch gives way
STRUCTURES = 25  # BODYSTRUCTUREs per FETCH
GIVE_WAY_S = 2.0  # at most this long paused for one user request, then on
BATCH_BYTES = 2 * MB  # per FETCH command, so no one reply holds the link for long
WHOLE = ""  # the section of the whole message (BODY.PEEK[])
# Folders left out unless named in prefetch_folders: deleted mail, spam, and the
# stores' views of mail kept elsewhere (Gmail's All Mail, Important, Starred).
SKIPPED_ROLES = (Role.TRASH, Role.JUNK, Role.ALL, Role.IMPORTANT, Role.FLAGGED)


@dataclass(frozen=True)
class Plan:
    """What one pass wants: the mode, each folder's window, the byte budget."""

    mode: str
    folders: tuple[str, ...]
    window: offline.Window
    cap: int


@dataclass
class PrefetchStats:
    """What a pass did (`mailtui sync` prints it)."""

    mode: str = "none"
    messages: int = 0  # messages newly kept offline
    bytes: int = 0  # bytes fetched for them
    evicted: int = 0  # older messages dropped to make room
    readable: int = 0  # of the window, now readable offline
    wanted: int = 0  # messages in the window
    full: bool = False  # the budget stopped the pass
    yielded: bool = False  # gave way to another command; queued again


def plan_for(
    settings: AccountSettings,
    folders: Sequence[Folder],
    mode: str = "",
    now: float | None = None,
    only: Sequence[str] = (),
) -> Plan:
    """The pass's plan from the account's settings (`mode` overrides `prefetch`, `only`
    the folders)."""
    mode = mode or settings.prefetch
    days = settings.prefetch_days
    since = int((time.time() if now is None else now) - days * 86400) if days else 0
    selectable = [f for f in folders if f.selectable]
    if only or settings.prefetch_folders:
        known = {f.name for f in selectable}
        names = [n for n in (only or settings.prefetch_folders) if n in known]
    else:
        names = [f.name for f in sync_order(selectable) if f.role not in SKIPPED_ROLES]
    return Plan(
        mode=mode,
        folders=tuple(names),
        window=offline.Window(since=since, limit=settings.prefetch_messages),
        cap=settings.prefetch_max_mb * MB,
    )


def readable_counts(cache: HeaderCache, plan: Plan) -> tuple[int, int]:
    """(readable offline, wanted) over the plan's folders."""
    readable = wanted = 0
    for folder in plan.folders:
        have, want = offline.readable(cache, folder, plan.window)
        readable += have
        wanted += want
    return readable, wanted


def wanted_sections(structure: BodyPart, mode: str) -> list[str]:
    """The sections a mode keeps: the text the reader shows (plain and HTML), and for
    "all" the whole message too."""
    found = [p.section for p in (choose_body(structure, "plain"), choose_body(structure, "html"))]
    sections = list(dict.fromkeys(s for s in found if s is not None))
    if mode == "all":
        sections.append(WHOLE)
    return sections


def _size(structure: BodyPart, section: str, whole: int) -> int:
    if section == WHOLE:
        return whole
    part = structure.find(section)
    return part.size if part is not None else 0


class Prefetcher:
    """One account's prefetch: when to queue a pass, and the pass (see the docstring)."""

    def __init__(self, host: HandlerHost) -> None:
        self.host = host
        # The TUI and `mailtui watch` prefetch after every sync; `mailtui sync` turns
        # this off and asks for one pass itself, to report it.
        self.auto = True
        self._queued = False
        self._lock = threading.Lock()

    def counts(self, cache: HeaderCache) -> tuple[int, int] | None:
        """(readable offline, wanted) from the cache, None when the account does not
        prefetch (a face showing the figure before a pass has announced it)."""
        settings = self.host.settings
        if settings is None or settings.imap is None or settings.prefetch == "none":
            return None
        return readable_counts(cache, plan_for(settings, cache.folders()))

    def listen(self, event: events.Event) -> None:
        """Subscribed to the service: a folder synced or new mail came → one pass."""
        if self.auto and isinstance(event, events.FolderSynced | events.NewMail):
            settings = self.host.settings
            if settings is not None and settings.imap is not None and settings.prefetch != "none":
                self.schedule()

    def schedule(self, mode: str = "") -> None:
        """Queue a pass on the background worker, unless one is queued already."""
        if not getattr(self.host, "started", False):
            return  # stopping (a last sync's event): never start the workers again
        with self._lock:
            if self._queued:
                return
            self._queued = True
        try:
            self.host.submit(cmd.Prefetch(mode=mode))
        except (KeyError, RuntimeError):  # stopped meanwhile
            with self._lock:
                self._queued = False

    def run(self, worker: Worker, command: cmd.Prefetch) -> PrefetchStats:
        """One pass (the Prefetch command's handler, on the background worker)."""
        with self._lock:
            self._queued = False
        settings = self.host.settings
        cache = worker.cache
        if settings is None:
            return PrefetchStats()
        plan = plan_for(settings, cache.folders(), command.mode, only=command.folders)
        stats = PrefetchStats(mode=plan.mode)
        if plan.mode == "none":
            stats.readable, stats.wanted = readable_counts(cache, plan)
            return stats
        offline.drop_stale(cache, plan.window.since, plan.folders)
        stats.readable, stats.wanted = readable_counts(cache, plan)
        self._progress(stats, running=True)
        try:
            for folder in plan.folders:
                if not self._folder(worker, folder, plan, stats):
                    break
        finally:
            self._progress(stats, running=False)
        log.info(
            "prefetch (%s): kept %d messages (%d bytes), evicted %d; %d of %d readable%s",
            plan.mode,
            stats.messages,
            stats.bytes,
            stats.evicted,
            stats.readable,
            stats.wanted,
            " (budget full)" if stats.full else " (gave way)" if stats.yielded else "",
        )
        return stats

    def _progress(self, stats: PrefetchStats, *, running: bool) -> None:
        self.host.emit(
            events.OfflineReadable(
                account=self.host.account,
                readable=stats.readable,
                wanted=stats.wanted,
                fetched=stats.messages,
                running=running,
            )
        )

    def _folder(self, worker: Worker, folder: str, plan: Plan, stats: PrefetchStats) -> bool:
        """Prefetch one folder's window; False when the pass must stop (budget, yield)."""
        cache = worker.cache
        win = offline.window(cache, folder, plan.window)
        whole = plan.mode == "all"  # rows kept as text are fetched again whole
        have = offline.prefetched(cache, folder, (uid for uid, _ in win), whole=whole)
        todo = [(uid, date) for uid, date in win if uid not in have]
        for start in range(0, len(todo), BATCH):
            if worker.cancel.is_set():
                raise SyncCancelled(folder)
            if not worker.queue.empty():
                stats.yielded = True  # someone waits: after them, go on from here
                if self.auto:  # (else the caller asks again: `mailtui sync` reports it)
                    self.schedule(plan.mode)
                return False
            going = self._batch(worker, folder, todo[start : start + BATCH], plan, stats)
            # Counted again, not added up: an eviction may have left the window anyway.
            stats.readable, stats.wanted = readable_counts(cache, plan)
            self._progress(stats, running=True)
            if not going:
                return False
        return True

    def _give_way(self, worker: Worker) -> None:
        """Wait while the interactive connection serves the user (a message being
        opened): this thread's parsing would otherwise compete with it for the
        interpreter. Never longer than GIVE_WAY_S at a time."""
        busy = getattr(self.host, "interactive_busy", None)
        if busy is None:
            return
        deadline = time.monotonic() + GIVE_WAY_S
        while busy() and time.monotonic() < deadline and not worker.cancel.is_set():
            worker.cancel.wait(0.005)

    def _batch(
        self,
        worker: Worker,
        folder: str,
        batch: Sequence[tuple[int, int]],
        plan: Plan,
        stats: PrefetchStats,
    ) -> bool:
        cache = worker.cache
        session = worker.connected_session()
        ensure_selected(session, cache, folder)
        structures = {uid: cache.bodystructure(folder, uid) for uid, _ in batch}
        missing = [uid for uid, s in structures.items() if s is None]
        for start in range(0, len(missing), STRUCTURES):
            # imapclient parses BODYSTRUCTURE in Python: a few at a time, so a message
            # the user opens meanwhile never waits long for the interpreter.
            self._give_way(worker)
            fetched = session.fetch_structures(missing[start : start + STRUCTURES])
            with cache.transaction():
                for uid, part in fetched.items():
                    cache.set_bodystructure(folder, uid, part)
            structures.update(fetched)
        sizes = _whole_sizes(cache, folder, (uid for uid, _ in batch))
        chosen: list[tuple[int, int, list[str], list[str]]] = []  # uid, date, fetch, kept
        # What is kept plus what this batch adds: while under the budget, no message
        # needs the (summing) eviction check.
        planned = offline.prefetched_bytes(cache)
        for uid, date in batch:
            structure = structures.get(uid)
            if structure is None:
                continue  # gone from the server meanwhile
            wanted = wanted_sections(structure, plan.mode)
            cached = offline.cached_sections(cache, folder, uid)
            fetch = [s for s in wanted if s not in cached]
            need = sum(_size(structure, s, sizes.get(uid, 0)) for s in wanted)
            planned += need
            if planned > plan.cap and not offline.room_for(cache, need, date, plan.cap):
                if need > plan.cap:
                    planned -= need
                    continue  # this one alone is over the budget: leave it out
                stats.full = True
                break
            chosen.append((uid, date, fetch, [s for s in wanted if s in cached]))
        data = self._fetch(worker, folder, chosen, sizes, structures)
        total = offline.prefetched_bytes(cache)
        with cache.transaction():  # one commit a batch: a stop loses at most this batch
            for uid, date, fetch, kept in chosen:
                parts = {s: data[(uid, s)] for s in fetch if (uid, s) in data}
                if len(parts) < len(fetch):
                    continue  # a part the server no longer has
                evicted = offline.store_offline(
                    cache, folder, uid, date, parts, kept, plan.cap, total=total
                )
                if evicted is None:
                    stats.full = True
                    break
                stats.messages += 1
                stats.bytes += sum(len(d) for d in parts.values())
                # Known while nothing was evicted and no kept part's size is only in the table.
                kept_none = not evicted and not kept and total is not None
                total = total + sum(len(d) for d in parts.values()) if kept_none else None
                stats.evicted += evicted
        return not stats.full

    def _fetch(
        self,
        worker: Worker,
        folder: str,
        chosen: Sequence[tuple[int, int, list[str], list[str]]],
        sizes: dict[int, int],
        structures: dict[int, BodyPart | None],
    ) -> dict[tuple[int, str], bytes]:
        """The sections to fetch, one UID FETCH per section and ≤ BATCH_BYTES of it."""
        by_section: dict[str, list[tuple[int, int]]] = {}
        for uid, _, fetch, _ in chosen:
            structure = structures[uid]
            assert structure is not None
            for section in fetch:
                size = _size(structure, section, sizes.get(uid, 0))
                by_section.setdefault(section, []).append((uid, size))
        session = worker.connected_session()
        found: dict[tuple[int, str], bytes] = {}
        for section, members in by_section.items():
            for group in _groups(members, BATCH_BYTES):
                if worker.cancel.is_set():
                    raise SyncCancelled(folder)
                self._give_way(worker)
                ensure_selected(session, worker.cache, folder)
                got = session.fetch_section_many(group, section)
                for uid, raw in got.items():
                    found[(uid, section)] = raw
        return found


def _groups(members: Iterable[tuple[int, int]], budget: int) -> list[list[int]]:
    """UIDs in runs whose sizes add up to at most `budget` (at least one each)."""
    groups: list[list[int]] = []
    current: list[int] = []
    total = 0
    for uid, size in members:
        if current and total + size > budget:
            groups.append(current)
            current, total = [], 0
        current.append(uid)
        total += size
    if current:
        groups.append(current)
    return groups


def _whole_sizes(cache: HeaderCache, folder: str, uids: Iterable[int]) -> dict[int, int]:
    """RFC822.SIZE of these messages, from their cached envelopes."""
    return {uid: env.size for uid, env in cache.envelopes(folder, list(uids)).items()}
