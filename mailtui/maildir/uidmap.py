"""IMAP-style UIDs for Maildir files, kept in mailtui's data dir (never in the Maildir).

One SQLite file per account maps each folder's message unique names to UIDs, with the
folder's UIDVALIDITY and UIDNEXT, plus keywords where the folder has no
dovecot-keywords file and the folders the user unsubscribed. Every change runs in a
`BEGIN IMMEDIATE` transaction, so two mailtui processes (or threads) on one Maildir
assign each file exactly one UID: whoever takes the write lock second re-reads and
finds the work done. UIDs only grow: a name that disappears loses its UID for good
(RFC 9051 §2.3.1.1), and a folder created anew gets a new UIDVALIDITY.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mailtui.config import paths

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE IF NOT EXISTS folders(
    -- AUTOINCREMENT: an id is never reused, so a cached map can never pass for another's.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages(
    folder INTEGER NOT NULL,
    -- the unique name's bytes: file names need not be UTF-8
    name BLOB NOT NULL,
    uid INTEGER NOT NULL,
    keywords TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(folder, name)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_uid ON messages(folder, uid);
CREATE TABLE IF NOT EXISTS unsubscribed(name TEXT PRIMARY KEY);
"""


def _blob(name: str) -> bytes:
    """A file name as stored: its bytes on disk (undecodable ones included)."""
    return os.fsencode(name)


def default_path(account: str) -> Path:
    """`<data dir>/maildir/<account>/uids.sqlite3`; the directory is created 0700."""
    base = paths.ensure_private_dir(paths.data_dir() / "maildir")
    return paths.ensure_private_dir(base / paths.safe_name(account)) / "uids.sqlite3"


@dataclass(frozen=True, slots=True)
class FolderRow:
    id: int
    uidvalidity: int
    uidnext: int
    version: int


@dataclass(slots=True)
class Mapping:
    """A folder's unique name → (uid, keywords), as of `version`."""

    version: int
    uids: dict[str, int]
    keywords: dict[str, str]


class UidMap:
    """One connection to an account's UID database (owned by one session/thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        paths.private_file(path)
        self.db = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._depth = 0
        self._mappings: dict[int, Mapping] = {}
        with self.write():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                # Not executescript(): it would COMMIT the transaction that guards this.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"{path} has schema version {version}, this mailtui knows {SCHEMA_VERSION}"
                )
        paths.secure_sqlite_files(path)

    def close(self) -> None:
        self.db.close()

    # --- transactions ---------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: the write lock up front, so read-then-assign is atomic."""
        if self._depth:
            self._depth += 1
            try:
                yield self.db
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.db
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            self._mappings.clear()
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    @property
    def in_write(self) -> bool:
        return self._depth > 0

    # --- folders --------------------------------------------------------------------

    def folder(self, name: str) -> FolderRow | None:
        row = self.db.execute(
            "SELECT id, uidvalidity, uidnext, version FROM folders WHERE name=?", (name,)
        ).fetchone()
        return FolderRow(*row) if row else None

    def ensure_folder(self, name: str) -> FolderRow:
        """The folder's row, created with a fresh UIDVALIDITY the first time it is seen."""
        row = self.folder(name)
        if row is not None:
            return row
        with self.write():
            row = self.folder(name)
            if row is not None:
                return row
            validity = self._next_uidvalidity()
            self.db.execute(
                "INSERT INTO folders(name, uidvalidity, uidnext) VALUES (?,?,1)", (name, validity)
            )
            row = self.folder(name)
        assert row is not None
        return row

    def _next_uidvalidity(self) -> int:
        """Time-based like Dovecot's, and strictly above any this database ever gave out."""
        last = self.db.execute("SELECT value FROM meta WHERE key='uidvalidity'").fetchone()
        value = max(int(time.time()), (last[0] + 1) if last else 0)
        value = min(value, 2**32 - 1)  # RFC 9051: nz-number, 32 bits
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('uidvalidity', ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (value,),
        )
        return value

    def drop_folder(self, name: str) -> None:
        """Forget a deleted folder (and its sub-folders' rows stay with their own names)."""
        with self.write():
            row = self.folder(name)
            if row is not None:
                self.db.execute("DELETE FROM messages WHERE folder=?", (row.id,))
                self.db.execute("DELETE FROM folders WHERE id=?", (row.id,))
                self._mappings.pop(row.id, None)

    def rename_folder(self, old: str, new: str, delimiter: str) -> None:
        """Rename a folder and its sub-folders; UIDs and UIDVALIDITY stay (the files do)."""
        with self.write():
            prefix = old + delimiter
            rows = self.db.execute(
                "SELECT name FROM folders WHERE name=? OR substr(name, 1, ?)=?",
                (old, len(prefix), prefix),
            ).fetchall()
            for (name,) in rows:
                target = new + name[len(old) :]
                # A stale row under the target name (a folder that vanished) gives way.
                stale = self.folder(target)
                if stale is not None:
                    self.db.execute("DELETE FROM messages WHERE folder=?", (stale.id,))
                    self.db.execute("DELETE FROM folders WHERE id=?", (stale.id,))
                self.db.execute("UPDATE folders SET name=? WHERE name=?", (target, name))
            subs = self.db.execute(
                "SELECT name FROM unsubscribed WHERE name=? OR substr(name, 1, ?)=?",
                (old, len(prefix), prefix),
            ).fetchall()
            for (name,) in subs:
                self.db.execute(
                    "UPDATE OR REPLACE unsubscribed SET name=? WHERE name=?",
                    (new + name[len(old) :], name),
                )

    # --- message maps ---------------------------------------------------------------

    def mapping(self, folder: FolderRow | int) -> Mapping:
        """The folder's name → UID map; reused from memory while nobody changed it."""
        fid = folder if isinstance(folder, int) else folder.id
        row = self.db.execute("SELECT version FROM folders WHERE id=?", (fid,)).fetchone()
        version = row[0] if row else -1
        hit = self._mappings.get(fid)
        if hit is not None and hit.version == version:
            return hit
        uids: dict[str, int] = {}
        kws: dict[str, str] = {}
        decode = os.fsdecode
        for raw, uid, keywords in self.db.execute(
            "SELECT name, uid, keywords FROM messages WHERE folder=?", (fid,)
        ):
            name = decode(raw)
            uids[name] = uid
            if keywords:
                kws[name] = keywords
        mapping = Mapping(version, uids, kws)
        self._mappings[fid] = mapping
        return mapping

    def _bump(self, fid: int) -> None:
        self.db.execute("UPDATE folders SET version=version+1 WHERE id=?", (fid,))

    def assign(
        self, fid: int, names: Sequence[str], keywords: dict[str, str] | None = None
    ) -> dict[str, int]:
        """UIDs for `names` in the given order; names already mapped keep theirs.

        Must run inside `write()`: the read of UIDNEXT and the inserts are one step.
        """
        assert self.in_write, "assign() needs the write transaction"
        if not names:
            return {}
        known = self.mapping(fid).uids  # consistent: we hold the write lock
        (uidnext,) = self.db.execute("SELECT uidnext FROM folders WHERE id=?", (fid,)).fetchone()
        out: dict[str, int] = {}
        rows: list[tuple[int, str, int, str]] = []
        for name in names:
            uid = known.get(name) or out.get(name)
            if uid is not None:
                out[name] = uid
                continue
            rows.append((fid, _blob(name), uidnext, (keywords or {}).get(name, "")))
            out[name] = uidnext
            uidnext += 1
        if rows:
            self.db.executemany(
                "INSERT INTO messages(folder, name, uid, keywords) VALUES (?,?,?,?)", rows
            )
            self.db.execute("UPDATE folders SET uidnext=? WHERE id=?", (uidnext, fid))
            self._bump(fid)
        return out

    def forget(self, fid: int, names: Iterable[str]) -> None:
        """Drop the UIDs of files that are gone (inside `write()`)."""
        assert self.in_write, "forget() needs the write transaction"
        names = list(names)
        if not names:
            return
        self.db.executemany(
            "DELETE FROM messages WHERE folder=? AND name=?", [(fid, _blob(n)) for n in names]
        )
        self._bump(fid)

    def set_keywords(self, fid: int, changes: dict[str, str]) -> None:
        """Replace the stored keywords (space-separated) of these names (inside `write()`)."""
        assert self.in_write, "set_keywords() needs the write transaction"
        if not changes:
            return
        self.db.executemany(
            "UPDATE messages SET keywords=? WHERE folder=? AND name=?",
            [(kw, fid, _blob(name)) for name, kw in changes.items()],
        )
        self._bump(fid)

    # --- subscriptions ----------------------------------------------------------------

    def unsubscribed(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT name FROM unsubscribed")}

    def set_subscribed(self, name: str, subscribed: bool) -> None:
        with self.write():
            if subscribed:
                self.db.execute("DELETE FROM unsubscribed WHERE name=?", (name,))
            else:
                self.db.execute("INSERT OR IGNORE INTO unsubscribed(name) VALUES (?)", (name,))

    def claim_root(self, root: str) -> bool:
        """Tie this map to one Maildir; a different root drops every folder's UIDs.

        Two trees under one account name (a moved Maildir, a real account called "demo")
        must never share numbers: their files differ, so their UIDs must too. Returns
        True when the map was reset.
        """
        with self.write():
            row = self.db.execute("SELECT value FROM meta WHERE key='root'").fetchone()
            if row is not None and row[0] == root:
                return False
            if row is not None:
                self.forget_all()
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES ('root', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (root,),
            )
            return row is not None

    def forget_all(self) -> None:
        """Drop every folder's map but keep the UIDVALIDITY counter (a re-created tree)."""
        with self.write():
            self.db.execute("DELETE FROM messages")
            self.db.execute("DELETE FROM folders")
            self.db.execute("DELETE FROM unsubscribed")
            self._mappings.clear()
