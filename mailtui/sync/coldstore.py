"""Committing cold-sync batches: on a thread for small folders, in a child process for big ones.

Turning header blocks into rows and inserting them costs more CPU than reading the
bytes off the socket. In one process the GIL makes the two take turns; for a large
cold sync a child process parses and commits while the parent keeps reading, so the
two run on different cores. Either way each batch is one transaction that also
records the new cold floor, committed in order: a kill -9 (of either process) loses at
most batches in flight, never consistency.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from mailtui.cache.store import BULK_PAGE_CACHE_KB, HeaderCache
from mailtui.mime.envelope import header_row
from mailtui.model import HeaderRow
from mailtui.sync import events

log = logging.getLogger("mailtui.sync.coldstore")

# (uid, flags, modseq, internaldate, size, header block[, message key, thread key]) —
# what the parser hands over (the keys only from a store that has them: Gmail).
Record = tuple[int, "tuple[str, ...] | None", int, int, int, "bytes | None"]

# Below this many messages a child process is not worth its start-up (~0.1 s).
PROCESS_THRESHOLD = 20_000


def rows_of(records: list[Record]) -> list[HeaderRow]:
    return [header_row(*r) for r in records]


class _Progress:
    """Announces committed batches (from whichever thread learns of them)."""

    def __init__(
        self, emit: Callable[[events.Event], None], account: str, folder: str, total: int, done: int
    ) -> None:
        self.emit = emit
        self.account = account
        self.folder = folder
        self.total = total
        self.done = done
        self.stored = 0

    def committed(self, uids: tuple[int, ...]) -> None:
        self.stored += len(uids)
        self.done += len(uids)
        self.emit(
            events.HeadersSynced(
                account=self.account,
                folder=self.folder,
                uids=uids,
                done=self.done,
                total=self.total,
            )
        )


class Stopped(Exception):
    """The sync was cancelled while waiting for the store (see `_wait`)."""


# How often a sync blocked on a busy store looks at its cancel flag (seconds).
_CANCEL_POLL = 0.05


def _wait(acquire: Callable[[float], bool], cancel: threading.Event) -> None:
    """Block on `acquire(timeout)` until it succeeds, or raise Stopped once `cancel` is set:
    a stop must not wait for the store to finish a batch (issue 17: q within 0.3 s)."""
    while not acquire(_CANCEL_POLL):
        if cancel.is_set():
            raise Stopped


class ThreadBatchStore:
    """Parses and commits on a thread: sqlite3 releases the GIL while it writes."""

    def __init__(
        self,
        cache: HeaderCache,
        folder: str,
        progress: _Progress,
        cancel: threading.Event | None = None,
    ) -> None:
        self.path = cache.path
        self.part_cap = cache.part_cap_bytes
        self.folder = folder
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.queue: queue.Queue[tuple[list[Record], int] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        # Set when the sync stopped early: batches still queued are dropped, not stored
        # (each batch commits whole, in order, so what is stored stays a clean prefix).
        self.dropping = False
        self.thread = threading.Thread(
            target=self._run, name=f"mailtui-store-{folder}", daemon=True
        )

    def __enter__(self) -> ThreadBatchStore:
        self.thread.start()
        return self

    def put(self, records: list[Record], floor: int) -> None:
        if self.error is not None:
            raise self.error
        item = (records, floor)
        _wait(lambda t: _put(self.queue, item, t), self.cancel)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc is not None:
            # Stopped (or failed): keep what is committed, drop what waits, and do not
            # wait for the batch being committed (the thread ends after it by itself).
            self.dropping = True
            with contextlib.suppress(queue.Empty):
                while True:
                    self.queue.get_nowait()
            self.queue.put_nowait(None)  # room now: only the storing thread takes items
            return
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        cache = HeaderCache(
            self.path, part_cap_bytes=self.part_cap, page_cache_kb=BULK_PAGE_CACHE_KB
        )
        try:
            while (item := self.queue.get()) is not None:
                if self.error is not None or self.dropping:
                    continue  # drain so the producer never blocks
                records, floor = item
                try:
                    rows = rows_of(records)
                    with cache.transaction():
                        cache.store_batch(self.folder, rows, index=False)
                        cache.set_cold_floor(self.folder, floor)
                except BaseException as exc:  # surfaced to the sync thread by put()/exit
                    self.error = exc
                    continue
                self.progress.committed(tuple(r.uid for r in rows))
        finally:
            cache.close()


def _child(inp: BinaryIO, out: BinaryIO, path: str, part_cap: int, folder: str) -> None:
    """The child process: parse, commit, acknowledge — in order, until told to stop."""
    cache = HeaderCache(Path(path), part_cap_bytes=part_cap, page_cache_kb=BULK_PAGE_CACHE_KB)
    try:
        while True:
            try:
                item = pickle.load(inp)
            except (EOFError, pickle.UnpicklingError):
                return  # the parent is gone (killed?): what is committed stays consistent
            if item is None:
                return
            kind, payload, floor = item
            try:
                rows = rows_of(payload) if kind == "records" else [HeaderRow(*r) for r in payload]
                with cache.transaction():
                    cache.store_batch(folder, rows, index=False)
                    cache.set_cold_floor(folder, floor)
            except BaseException as exc:
                _send(out, ("error", f"{type(exc).__name__}: {exc}"))
                return
            _send(out, ("ok", tuple(r.uid for r in rows)))
    finally:
        cache.close()


def _send(stream: BinaryIO, obj: object) -> None:
    pickle.dump(obj, stream, protocol=pickle.HIGHEST_PROTOCOL)
    stream.flush()


class ProcessBatchStore:
    """Parses and commits in a child process (`python -m mailtui.sync.coldstore`).

    A plain subprocess rather than multiprocessing: the child never re-imports the
    parent's __main__ (a script, `python -m mailtui`, a test runner), whatever it is.
    """

    def __init__(
        self,
        cache: HeaderCache,
        folder: str,
        progress: _Progress,
        cancel: threading.Event | None = None,
    ) -> None:
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.error: str | None = None
        import mailtui

        env = dict(os.environ)
        root = str(Path(mailtui.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mailtui.sync.coldstore",
                str(cache.path),
                str(cache.part_cap_bytes),
                folder,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.to_child: BinaryIO = self.proc.stdin
        self.from_child: BinaryIO = self.proc.stdout
        self.in_flight = threading.Semaphore(3)  # batches sent but not acknowledged
        self.backlog = 0
        self.lock = threading.Lock()
        self.acks = threading.Thread(target=self._read_acks, daemon=True)

    def __enter__(self) -> ProcessBatchStore:
        self.acks.start()
        return self

    def put(self, records: list[Record], floor: int) -> None:
        if self.error is not None:
            raise RuntimeError(f"storing the headers failed: {self.error}")
        # Self-balancing: while the child still has batches to chew on, the parent
        # builds this batch's rows itself and the child only commits them.
        if self.backlog >= 1:
            message: tuple = ("rows", [tuple(r) for r in rows_of(records)], floor)
        else:
            message = ("records", records, floor)
        _wait(lambda t: self.in_flight.acquire(timeout=t), self.cancel)
        with self.lock:
            self.backlog += 1
        try:
            _send(self.to_child, message)
        except (BrokenPipeError, OSError) as exc:
            raise RuntimeError(f"storing the headers failed: {self.error or exc}") from exc

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc is not None:
            # Stopped (or failed): end the child now. Each batch it commits is one
            # transaction, so what it committed stays and a batch half-written is rolled
            # back by SQLite; the next run resumes from the last committed floor.
            self.proc.kill()
            self.proc.wait()
            return
        try:
            _send(self.to_child, None)
            self.to_child.close()
        except OSError:
            pass
        self.acks.join()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.error is not None and exc is None:
            raise RuntimeError(f"storing the headers failed: {self.error}")

    def _read_acks(self) -> None:
        try:
            while True:
                try:
                    kind, payload = pickle.load(self.from_child)
                except (EOFError, OSError, pickle.UnpicklingError):
                    code = self.proc.wait()
                    if code != 0 and self.error is None:
                        self.error = f"the storing process ended with code {code}"
                    return
                if kind == "error":
                    self.error = payload
                    return
                with self.lock:
                    self.backlog -= 1
                self.in_flight.release()
                self.progress.committed(payload)
        finally:
            for _ in range(4):  # never leave the producer waiting on a dead child
                self.in_flight.release()


def batch_store(
    cache: HeaderCache,
    folder: str,
    emit: Callable[[events.Event], None],
    account: str,
    total: int,
    done_before: int,
    *,
    pending: int,
    cancel: threading.Event | None = None,
) -> ThreadBatchStore | ProcessBatchStore:
    """The right store for a cold sync of `pending` messages; `cancel` (the sync's) stops
    a put() that waits for the store."""
    progress = _Progress(emit, account, folder, total, done_before)
    if pending >= PROCESS_THRESHOLD and str(cache.path) != ":memory:":
        try:
            return ProcessBatchStore(cache, folder, progress, cancel)
        except (OSError, RuntimeError) as exc:  # no multiprocessing here: the thread will do
            log.warning("cannot start a storing process (%s); storing on a thread", exc)
    return ThreadBatchStore(cache, folder, progress, cancel)


def _put(q: queue.Queue[Any], item: object, timeout: float) -> bool:
    try:
        q.put(item, timeout=timeout) if timeout else q.put_nowait(item)
    except queue.Full:
        return False
    return True


if __name__ == "__main__":  # the child: python -m mailtui.sync.coldstore PATH PART_CAP FOLDER
    _child(sys.stdin.buffer, sys.stdout.buffer, sys.argv[1], int(sys.argv[2]), sys.argv[3])
