"""The cache's SQLite connection: opening, schema migration, transactions, folder ids.

One SQLite file per account holds folders, envelopes, parts and the journal. One writer
(the account's sync thread) and any number of readers (UI, CLI) each open their own
HeaderCache on the same file; WAL lets readers see committed batches while a sync is
running. Every sync batch is a single transaction that also records the folder's sync
state, so a kill -9 can lose the batch in flight but never leave rows and recorded
state disagreeing. The table classes (folders.py, messages.py, parts.py, journal.py)
build on `CacheDB`; store.py composes them into HeaderCache.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mailtui.cache.schema import DDL, DISPOSABLE, SCHEMA_VERSION
from mailtui.model import Role

# SQLite's page cache per connection. Every worker thread has a connection, and each
# cache fills to its cap once a 100k folder has been walked: 32 MB each took the app to
# 155 MB resident, 4 MB each near 85 MB; 1 MB each saved another ~10 MB with the 100k
# folder open (issue 17: ≤ 50 MB), with no measurable cost to reads (the file's pages
# stay in the OS cache: view 85-170 ms, counts 37-60 ms, a page of envelopes 1.3-2 ms
# at 1 MB against 116-118, 50-60 and 1.4 at 4 MB, on a loaded machine).
# Bulk cold-sync writers ask for more (BULK_PAGE_CACHE_KB): big index inserts need it.
PAGE_CACHE_KB = 1024
BULK_PAGE_CACHE_KB = 32768


# What each version added to the one before, from v7 on (columns, v9 a table) (see CacheDB._migrate).
_ADDED_COLUMNS = (
    "ALTER TABLE folders ADD COLUMN change_token INTEGER NOT NULL DEFAULT 0;\n",  # v7
    "ALTER TABLE messages ADD COLUMN message_key INTEGER NOT NULL DEFAULT 0;\n"  # v8
    "ALTER TABLE messages ADD COLUMN thread_key INTEGER NOT NULL DEFAULT 0;\n",
    "CREATE TABLE IF NOT EXISTS offline(message INTEGER PRIMARY KEY, date INTEGER NOT NULL,"  # v9
    " bytes INTEGER NOT NULL, sections TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS offline_by_date ON offline(date);\n",
)


def message_key(folder_id: int, uid: int) -> int:
    """A message's primary key: its folder's rows form one contiguous id range."""
    return (folder_id << 32) | uid


def folder_range(folder_id: int) -> tuple[int, int]:
    """The lowest and highest message key a folder's rows can have."""
    return folder_id << 32, (folder_id << 32) | 0xFFFFFFFF


class CacheDB:
    """The account's local store; not thread-safe — one instance per thread."""

    def __init__(
        self,
        path: Path | str,
        *,
        part_cap_bytes: int = 200 * 1024 * 1024,
        page_cache_kb: int = PAGE_CACHE_KB,
    ) -> None:
        self.path = Path(path)
        self.part_cap_bytes = part_cap_bytes
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _touch_private(self.path)
        self.db = sqlite3.connect(
            str(path), timeout=30, isolation_level=None, check_same_thread=False
        )
        _patiently(lambda: self.db.execute("PRAGMA journal_mode=WAL"))
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.execute("PRAGMA temp_store=MEMORY")
        self.db.execute(f"PRAGMA cache_size=-{int(page_cache_kb)}")
        _patiently(self._migrate)
        if str(path) != ":memory:":
            for suffix in ("-wal", "-shm"):
                sib = Path(str(self.path) + suffix)
                if sib.exists():
                    os.chmod(sib, 0o600)
        self._folder_ids: dict[str, int] = {}

    # --- schema -------------------------------------------------------------------

    def _migrate(self) -> None:
        """Rebuild the disposable tables on a version change, keeping the journal."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version in (6, 7, 8):  # v7 to v9 only add columns or a table: keep the cached mail
            steps = _ADDED_COLUMNS[version - 6 :]
            self.db.executescript(
                "BEGIN IMMEDIATE;\n"
                + "".join(steps)
                + f"PRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;"
            )
            return
        drops = "".join(f"DROP TABLE IF EXISTS {t};\n" for t in DISPOSABLE) if version else ""
        # executescript runs it as one transaction: a crash leaves the old schema intact.
        try:
            self.db.executescript(
                f"BEGIN IMMEDIATE;\n{drops}{DDL}\nPRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;"
            )
        except sqlite3.OperationalError:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: one atomic unit (a sync batch, a journaled action)."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- folder ids: every table keys its rows by them ---------------------------------

    def folder_id(self, name: str, *, create: bool = False) -> int | None:
        fid = self._folder_ids.get(name)
        if fid is not None:
            return fid
        row = self.db.execute("SELECT id FROM folders WHERE name=?", (name,)).fetchone()
        if row is None:
            if not create:
                return None
            cur = self.db.execute(
                "INSERT INTO folders(name, raw_name, role) VALUES (?, ?, ?)",
                (name, name, Role.INBOX.value if name.upper() == "INBOX" else ""),
            )
            fid = int(cur.lastrowid or 0)
        else:
            fid = int(row[0])
        self._folder_ids[name] = fid
        return fid

    def _require_folder(self, name: str) -> int:
        fid = self.folder_id(name, create=True)
        assert fid is not None
        return fid

    def _bump(self, fid: int) -> None:
        """Another process sharing this file learns that the folder changed (see Watcher)."""
        self.db.execute("UPDATE folders SET version = version + 1 WHERE id=?", (fid,))

    def _forget_messages(self, fid: int) -> None:
        """Drop every cached message of a folder with its index entries and parts."""
        lo, hi = folder_range(fid)
        self.db.execute("DELETE FROM messages_fts WHERE rowid BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM parts WHERE message BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM offline WHERE message BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM messages WHERE id BETWEEN ? AND ?", (lo, hi))


def _patiently(step: Callable[[], object], seconds: float = 30) -> None:
    """Retry a set-up step another process is racing us for (two mailtui instances
    creating one cache): switching to WAL does not always wait on the busy handler."""
    deadline = time.monotonic() + seconds
    delay = 0.01
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _touch_private(path: Path) -> None:
    """Create the DB file 0600 before SQLite does (it would honour the umask).

    Never open an existing cache file: closing any descriptor of it drops every POSIX
    lock this process holds on it, including another thread's SQLite locks; a second
    process then believes it is alone, checkpoints and removes the WAL under us, and
    the database is corrupt (seen with the cold-sync child process).
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return
    os.close(fd)
