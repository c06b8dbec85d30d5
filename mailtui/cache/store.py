"""HeaderCache: one SQLite file per account holding folders, envelopes, parts and the journal.

One writer (the account's sync thread) and any number of readers (UI, CLI) each open
their own HeaderCache on the same file; WAL lets readers see committed batches while a
sync is running. Every sync batch is a single transaction that also records the
folder's sync state, so a kill -9 can lose the batch in flight but never leave rows
and recorded state disagreeing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mailtui.cache.journal import JournalTable
from mailtui.cache.schema import DDL, DISPOSABLE, SCHEMA_VERSION
from mailtui.model import Address, BodyPart, Envelope, Folder, FolderState, HeaderRow, Role

# SQLite's page cache per connection. Every worker thread has a connection, and each
# cache fills to its cap once a 100k folder has been walked: 32 MB each took the app to
# 155 MB resident; 4 MB each keeps it near 85 MB with no measurable cost to reads.
# Bulk cold-sync writers ask for more (BULK_PAGE_CACHE_KB): big index inserts need it.
PAGE_CACHE_KB = 4096
BULK_PAGE_CACHE_KB = 32768

SORT_COLUMNS = {
    "date": "date",
    "from": "from_name COLLATE NOCASE",
    "subject": "subject COLLATE NOCASE",
    "size": "size",
    "uid": "uid",
}

_ROW_COLUMNS = (
    "uid, flags, modseq, internaldate, size, date, subject, from_name, from_addr, to_, cc, "
    "reply_to, message_id, in_reply_to, refs, list_id, has_attachments"
)
_INSERT = (
    f"INSERT OR REPLACE INTO messages(id, folder, {_ROW_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_ENVELOPE = f"SELECT {_ROW_COLUMNS} FROM messages"


def message_key(folder_id: int, uid: int) -> int:
    return (folder_id << 32) | uid


def _folder_range(folder_id: int) -> tuple[int, int]:
    return folder_id << 32, (folder_id << 32) | 0xFFFFFFFF


class HeaderCache(JournalTable):
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
        if version == 6:  # v7 only adds a column: keep the cached mail
            self.db.executescript(
                "BEGIN IMMEDIATE;\n"
                "ALTER TABLE folders ADD COLUMN change_token INTEGER NOT NULL DEFAULT 0;\n"
                f"PRAGMA user_version={SCHEMA_VERSION};\nCOMMIT;"
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

    # --- folders ------------------------------------------------------------------

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

    def replace_folders(self, folders: Sequence[Folder]) -> list[str]:
        """Make the folder table match the server's list; returns names that disappeared."""
        with self.transaction():
            existing = {r[0]: r[1] for r in self.db.execute("SELECT name, id FROM folders")}
            seen = set()
            for f in folders:
                seen.add(f.name)
                if f.name in existing:
                    self.db.execute(
                        "UPDATE folders SET raw_name=?, delimiter=?, role=?, subscribed=?, "
                        "selectable=?, server_total=COALESCE(?, server_total), "
                        "server_unread=COALESCE(?, server_unread) WHERE id=?",
                        (
                            f.raw_name,
                            f.delimiter,
                            f.role.value,
                            int(f.subscribed),
                            int(f.selectable),
                            f.total,
                            f.unread,
                            existing[f.name],
                        ),
                    )
                else:
                    self.db.execute(
                        "INSERT INTO folders(name, raw_name, delimiter, role, subscribed, "
                        "selectable, server_total, server_unread) VALUES (?,?,?,?,?,?,?,?)",
                        (
                            f.name,
                            f.raw_name,
                            f.delimiter,
                            f.role.value,
                            int(f.subscribed),
                            int(f.selectable),
                            f.total,
                            f.unread,
                        ),
                    )
            gone = [name for name in existing if name not in seen]
            for name in gone:
                self._drop_folder(existing[name])
            self._folder_ids.clear()
        return gone

    def _drop_folder(self, fid: int) -> None:
        lo, hi = _folder_range(fid)
        self.db.execute("DELETE FROM messages_fts WHERE rowid BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM parts WHERE message BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM messages WHERE id BETWEEN ? AND ?", (lo, hi))
        self.db.execute("DELETE FROM folders WHERE id=?", (fid,))

    def rename_folder(self, old: str, new: str, raw_new: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE folders SET name=?, raw_name=? WHERE name=?", (new, raw_new, old)
            )
            self._folder_ids.clear()

    def folders(self) -> list[Folder]:
        """Folders with counts from the cache where synced, else from the server's STATUS."""
        rows = self.db.execute(
            "SELECT id, name, raw_name, delimiter, role, subscribed, selectable, synced, "
            "server_total, server_unread FROM folders ORDER BY name"
        ).fetchall()
        out = []
        for fid, name, raw, delim, role, sub, sel, synced, s_total, s_unread in rows:
            total, unread = s_total, s_unread
            if synced:
                total, unread = self._counts(fid)
            out.append(
                Folder(
                    name=name,
                    raw_name=raw,
                    delimiter=delim,
                    role=Role(role) if role in Role._value2member_map_ else Role.NONE,
                    subscribed=bool(sub),
                    selectable=bool(sel),
                    unread=unread,
                    total=total,
                )
            )
        return out

    def folder(self, name: str) -> Folder | None:
        for f in self.folders():
            if f.name == name:
                return f
        return None

    def raw_name(self, name: str) -> str | None:
        row = self.db.execute("SELECT raw_name FROM folders WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def folder_state(self, name: str) -> FolderState:
        row = self.db.execute(
            "SELECT uidvalidity, uidnext, highestmodseq, cold_floor, synced, change_token "
            "FROM folders WHERE name=?",
            (name,),
        ).fetchone()
        if row is None:
            return FolderState()
        return FolderState(row[0], row[1], row[2], row[3], bool(row[4]), row[5])

    def set_folder_state(self, name: str, state: FolderState) -> None:
        fid = self._require_folder(name)
        self.db.execute(
            "UPDATE folders SET uidvalidity=?, uidnext=?, highestmodseq=?, cold_floor=?, synced=?, "
            "last_sync=?, change_token=? WHERE id=?",
            (
                state.uidvalidity,
                state.uidnext,
                state.highestmodseq,
                state.cold_floor,
                int(state.synced),
                time.time(),
                state.change_token,
                fid,
            ),
        )

    def set_server_counts(self, name: str, total: int | None, unread: int | None) -> None:
        self.db.execute(
            "UPDATE folders SET server_total=?, server_unread=? WHERE name=?", (total, unread, name)
        )

    def synced_total(self, name: str) -> int | None:
        """How many messages the cache held when the folder's last sync ended."""
        row = self.db.execute("SELECT synced_total FROM folders WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_synced_counts(self, name: str, total: int, unread: int) -> None:
        self.db.execute(
            "UPDATE folders SET server_total=?, server_unread=?, synced_total=? WHERE name=?",
            (total, unread, total, name),
        )

    def reset_folder(self, name: str, uidvalidity: int) -> None:
        """UIDVALIDITY changed: every cached UID of this folder is meaningless now."""
        fid = self._require_folder(name)
        lo, hi = _folder_range(fid)
        with self.transaction():
            self.db.execute("DELETE FROM messages_fts WHERE rowid BETWEEN ? AND ?", (lo, hi))
            self.db.execute("DELETE FROM parts WHERE message BETWEEN ? AND ?", (lo, hi))
            self.db.execute("DELETE FROM messages WHERE id BETWEEN ? AND ?", (lo, hi))
            self.set_folder_state(name, FolderState(uidvalidity=uidvalidity))

    # --- messages: writes -----------------------------------------------------------

    def store_batch(
        self,
        folder: str,
        rows: Sequence[HeaderRow],
        state: FolderState | None = None,
        *,
        index: bool = True,
    ) -> None:
        """Insert/replace a batch of envelopes and (optionally) the new sync state, atomically.

        `index=False` (cold sync) leaves full-text indexing to `ensure_fts`, which does a
        whole folder at once when it is first searched: that halves cold-sync time.
        """
        fid = self._require_folder(folder)
        base = fid << 32
        with self.transaction():
            self.db.executemany(_INSERT, [(base | r[0], fid, *r) for r in rows])
            if rows:
                self._bump(fid)
            if index:
                self.db.executemany(
                    "INSERT OR REPLACE INTO messages_fts(rowid, subject, sender, recipients) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        (base | r.uid, r.subject, f"{r.from_name} {r.from_addr}", f"{r.to} {r.cc}")
                        for r in rows
                    ],
                )
            elif rows:
                self.db.execute("UPDATE folders SET fts_ready=0 WHERE id=?", (fid,))
            if state is not None:
                self.set_folder_state(folder, state)

    def ensure_fts(self, folder: str | None = None) -> None:
        """Index folders whose cold-synced rows are not in the full-text index yet."""
        if folder is None:
            ids = [r[0] for r in self.db.execute("SELECT id FROM folders WHERE fts_ready=0")]
        else:
            fid = self.folder_id(folder)
            row = self.db.execute("SELECT fts_ready FROM folders WHERE id=?", (fid,)).fetchone()
            ids = [fid] if fid is not None and row is not None and not row[0] else []
        for fid in ids:
            lo, hi = _folder_range(fid)
            with self.transaction():
                self.db.execute("DELETE FROM messages_fts WHERE rowid BETWEEN ? AND ?", (lo, hi))
                self.db.execute(
                    "INSERT INTO messages_fts(rowid, subject, sender, recipients) "
                    "SELECT id, subject, from_name || ' ' || from_addr, to_ || ' ' || cc "
                    "FROM messages WHERE id BETWEEN ? AND ?",
                    (lo, hi),
                )
                self.db.execute("UPDATE folders SET fts_ready=1 WHERE id=?", (fid,))

    def update_flags(
        self,
        folder: str,
        changes: Iterable[tuple[int, str, int]],
        state: FolderState | None = None,
    ) -> list[int]:
        """Apply (uid, flags, modseq) for cached messages; returns the UIDs that changed."""
        fid = self._require_folder(folder)
        base = fid << 32
        changed: list[int] = []
        with self.transaction():
            for uid, flags, modseq in changes:
                cur = self.db.execute(
                    "UPDATE messages SET flags=?, modseq=MAX(modseq, ?) WHERE id=? AND flags<>?",
                    (flags, modseq, base | uid, flags),
                )
                if cur.rowcount:
                    changed.append(uid)
                elif modseq:
                    self.db.execute(
                        "UPDATE messages SET modseq=MAX(modseq, ?) WHERE id=?", (modseq, base | uid)
                    )
            if changed:
                self._bump(fid)
            if state is not None:
                self.set_folder_state(folder, state)
        return changed

    def remove(
        self, folder: str, uids: Iterable[int], state: FolderState | None = None
    ) -> list[int]:
        """Forget expunged messages; returns the UIDs that were cached."""
        fid = self._require_folder(folder)
        base = fid << 32
        keys = [(base | u,) for u in uids]
        removed: list[int] = []
        with self.transaction():
            for (key,) in keys:
                cur = self.db.execute("DELETE FROM messages WHERE id=?", (key,))
                if cur.rowcount:
                    removed.append(key & 0xFFFFFFFF)
            self.db.executemany("DELETE FROM messages_fts WHERE rowid=?", keys)
            self.db.executemany("DELETE FROM parts WHERE message=?", keys)
            if removed:
                self._bump(fid)
            if state is not None:
                self.set_folder_state(folder, state)
        return removed

    def set_bodystructure(self, folder: str, uid: int, part: BodyPart) -> None:
        fid = self._require_folder(folder)
        has_att = int(_has_attachments(part))
        self.db.execute(
            "UPDATE messages SET bodystructure=?, has_attachments=? WHERE id=?",
            (part.to_json(), has_att, message_key(fid, uid)),
        )

    # --- messages: reads ------------------------------------------------------------

    def uids(self, folder: str) -> list[int]:
        fid = self.folder_id(folder)
        if fid is None:
            return []
        lo, hi = _folder_range(fid)
        return [
            r[0]
            for r in self.db.execute(
                "SELECT uid FROM messages WHERE id BETWEEN ? AND ? ORDER BY id", (lo, hi)
            )
        ]

    def flags_map(self, folder: str) -> dict[int, str]:
        fid = self.folder_id(folder)
        if fid is None:
            return {}
        lo, hi = _folder_range(fid)
        return dict(
            self.db.execute("SELECT uid, flags FROM messages WHERE id BETWEEN ? AND ?", (lo, hi))
        )

    def count(self, folder: str) -> int:
        fid = self.folder_id(folder)
        if fid is None:
            return 0
        return self._counts(fid)[0]

    def counts(self, folder: str) -> tuple[int, int]:
        """(total, unread) from the cache."""
        fid = self.folder_id(folder)
        if fid is None:
            return 0, 0
        return self._counts(fid)

    def _counts(self, fid: int) -> tuple[int, int]:
        lo, hi = _folder_range(fid)
        total = self.db.execute(
            "SELECT count(*) FROM messages WHERE id BETWEEN ? AND ?", (lo, hi)
        ).fetchone()[0]
        unread = self.db.execute(
            "SELECT count(*) FROM messages WHERE folder=? AND NOT seen", (fid,)
        ).fetchone()[0]
        return total, unread

    def view(self, folder: str, sort: str = "date", reverse: bool = True) -> list[int]:
        """The folder's UIDs in display order — the virtual list's backbone."""
        fid = self.folder_id(folder)
        if fid is None:
            return []
        column = SORT_COLUMNS.get(sort, "date")
        direction = "DESC" if reverse else "ASC"
        # id (= folder << 32 | uid) orders like uid within a folder and is the index's
        # own rowid: the date order is then a covering-index walk with no sort step.
        if column == "date":
            sql = (
                f"SELECT id FROM messages WHERE folder=? ORDER BY date {direction}, id {direction}"
            )
        else:
            sql = f"SELECT id FROM messages WHERE folder=? ORDER BY {column} {direction}, date DESC, id DESC"
        return [key & 0xFFFFFFFF for (key,) in self.db.execute(sql, (fid,))]

    def envelopes(self, folder: str, uids: Sequence[int]) -> dict[int, Envelope]:
        """Envelopes for the given UIDs (the visible rows); missing UIDs are left out."""
        fid = self.folder_id(folder)
        if fid is None or not uids:
            return {}
        base = fid << 32
        out: dict[int, Envelope] = {}
        for chunk_start in range(0, len(uids), 500):
            chunk = uids[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"{_SELECT_ENVELOPE} WHERE id IN ({marks})", [base | u for u in chunk]
            ):
                env = _row_to_envelope(row)
                out[env.uid] = env
        return out

    def envelope(self, folder: str, uid: int) -> Envelope | None:
        return self.envelopes(folder, [uid]).get(uid)

    def bodystructure(self, folder: str, uid: int) -> BodyPart | None:
        fid = self.folder_id(folder)
        if fid is None:
            return None
        row = self.db.execute(
            "SELECT bodystructure FROM messages WHERE id=?", (message_key(fid, uid),)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return BodyPart.from_json(row[0])

    def thread_items(self, folder: str) -> list[tuple[int, str, str, str, str, int]]:
        """(uid, message_id, in_reply_to, refs, subject, date) for threading a folder."""
        fid = self.folder_id(folder)
        if fid is None:
            return []
        lo, hi = _folder_range(fid)
        return self.db.execute(
            "SELECT uid, message_id, in_reply_to, refs, subject, date FROM messages "
            "WHERE id BETWEEN ? AND ?",
            (lo, hi),
        ).fetchall()

    def search_local(
        self, folder: str | None, fts_query: str, limit: int = 1000
    ) -> list[tuple[str, int]]:
        """FTS5 match over subject/sender/recipients: (folder, uid), newest first."""
        self.ensure_fts(folder)
        names = {fid: name for name, fid in self.db.execute("SELECT name, id FROM folders")}
        params: list[object] = [fts_query]
        where = ""
        if folder is not None:
            fid = self.folder_id(folder)
            if fid is None:
                return []
            lo, hi = _folder_range(fid)
            where = " AND m.id BETWEEN ? AND ?"
            params += [lo, hi]
        params.append(limit)
        rows = self.db.execute(
            "SELECT m.folder, m.uid FROM messages_fts f JOIN messages m ON m.id = f.rowid "
            f"WHERE messages_fts MATCH ?{where} ORDER BY m.date DESC LIMIT ?",
            params,
        ).fetchall()
        return [(names.get(fid, ""), uid) for fid, uid in rows]

    # --- local effects of user actions (optimistic; the journal sends them) ---------

    def apply_flags(
        self, folder: str, uids: Iterable[int], add: Iterable[str], remove: Iterable[str]
    ) -> dict[int, str]:
        """Add/remove flags on cached messages; returns {uid: previous flags} of those changed."""
        fid = self._require_folder(folder)
        base = fid << 32
        add_set, remove_set = set(add), set(remove)
        before: dict[int, str] = {}
        keys = json.dumps([base | u for u in uids])
        rows = self.db.execute(
            "SELECT uid, flags FROM messages WHERE id IN (SELECT value FROM json_each(?))", (keys,)
        ).fetchall()
        updates = []
        for uid, flags in rows:
            current = set(flags.split())
            new = (current | add_set) - remove_set
            if new != current:
                before[uid] = flags
                updates.append((" ".join(sorted(new)), base | uid))
        self.db.executemany("UPDATE messages SET flags=? WHERE id=?", updates)
        if updates:
            self._bump(fid)
        return before

    def set_flag_strings(self, folder: str, flags_by_uid: dict[int, str]) -> None:
        fid = self._require_folder(folder)
        base = fid << 32
        self.db.executemany(
            "UPDATE messages SET flags=? WHERE id=?",
            [(flags, base | uid) for uid, flags in flags_by_uid.items()],
        )

    def rows(self, folder: str, uids: Sequence[int]) -> list[HeaderRow]:
        """The stored rows of these messages (to move them between folders locally)."""
        fid = self.folder_id(folder)
        if fid is None:
            return []
        base = fid << 32
        out: list[HeaderRow] = []
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out += [
                HeaderRow(*row)
                for row in self.db.execute(
                    f"{_SELECT_ENVELOPE} WHERE id IN ({marks})", [base | u for u in chunk]
                )
            ]
        return out

    def create_folder_local(self, folder: Folder) -> None:
        if self.folder_id(folder.name) is None:
            self.db.execute(
                "INSERT INTO folders(name, raw_name, delimiter, role, subscribed, selectable, "
                "server_total, server_unread) VALUES (?,?,?,?,?,?,0,0)",
                (
                    folder.name,
                    folder.raw_name,
                    folder.delimiter,
                    folder.role.value,
                    int(folder.subscribed),
                    int(folder.selectable),
                ),
            )
            self._folder_ids.clear()

    def rename_folder_local(self, old: str, new: str, delimiter: str | None, encode) -> None:
        """Rename a folder and its children (names are prefix-related by the delimiter)."""
        renames = [(old, new)]
        if delimiter:
            prefix = old + delimiter
            for (name,) in self.db.execute(
                "SELECT name FROM folders WHERE substr(name, 1, ?) = ?", (len(prefix), prefix)
            ).fetchall():
                renames.append((name, new + name[len(old) :]))
        for before, after in renames:
            self.db.execute(
                "UPDATE folders SET name=?, raw_name=? WHERE name=?", (after, encode(after), before)
            )
        self._folder_ids.clear()

    def delete_folder_local(self, name: str) -> None:
        fid = self.folder_id(name)
        if fid is not None:
            self._drop_folder(fid)
            self._folder_ids.clear()

    def set_subscribed(self, name: str, subscribed: bool) -> None:
        self.db.execute("UPDATE folders SET subscribed=? WHERE name=?", (int(subscribed), name))

    def _bump(self, fid: int) -> None:
        """Another process sharing this file learns that the folder changed (see Watcher)."""
        self.db.execute("UPDATE folders SET version = version + 1 WHERE id=?", (fid,))

    def folder_version(self, name: str) -> tuple[int, int]:
        """(version, highest cached UID) of a folder."""
        fid = self.folder_id(name)
        if fid is None:
            return 0, 0
        lo, hi = _folder_range(fid)
        version = self.db.execute("SELECT version FROM folders WHERE id=?", (fid,)).fetchone()
        top = self.db.execute(
            "SELECT max(id) FROM messages WHERE id BETWEEN ? AND ?", (lo, hi)
        ).fetchone()
        return (version[0] if version else 0), ((top[0] & 0xFFFFFFFF) if top and top[0] else 0)

    def uids_above(self, name: str, uid: int) -> list[int]:
        fid = self.folder_id(name)
        if fid is None:
            return []
        lo, hi = _folder_range(fid)
        return [
            r[0]
            for r in self.db.execute(
                "SELECT uid FROM messages WHERE id BETWEEN ? AND ? ORDER BY id",
                (lo | (uid + 1), hi),
            )
        ]

    def set_cold_floor(self, folder: str, cold_floor: int, *, synced: bool = False) -> None:
        """Cold-sync progress only: leaves UIDNEXT/MODSEQ to concurrent incremental syncs."""
        fid = self._require_folder(folder)
        self.db.execute(
            "UPDATE folders SET cold_floor=?, synced=MAX(synced, ?), last_sync=? WHERE id=?",
            (cold_floor, int(synced), time.time(), fid),
        )

    def search_where(
        self, folder: str, where: str, params: Sequence[object], fts: str | None, limit: int = 5000
    ) -> list[int]:
        """Local search: SQL conditions on `m` plus an optional FTS5 match; newest first."""
        fid = self.folder_id(folder)
        if fid is None:
            return []
        lo, hi = _folder_range(fid)
        sql = "SELECT m.uid FROM messages m WHERE m.id BETWEEN ? AND ?"
        args: list[object] = [lo, hi]
        if fts:
            self.ensure_fts(folder)
            sql += " AND m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"
            args.append(fts)
        if where:
            sql += f" AND {where}"
            args.extend(params)
        sql += " ORDER BY m.date DESC, m.uid DESC LIMIT ?"
        args.append(limit)
        return [r[0] for r in self.db.execute(sql, args)]

    # --- parts ----------------------------------------------------------------------

    def get_part(self, folder: str, uid: int, section: str) -> bytes | None:
        fid = self.folder_id(folder)
        if fid is None:
            return None
        key = message_key(fid, uid)
        row = self.db.execute(
            "SELECT data FROM parts WHERE message=? AND section=?", (key, section)
        ).fetchone()
        if row is None:
            return None
        self.db.execute(
            "UPDATE parts SET used=? WHERE message=? AND section=?", (time.time(), key, section)
        )
        return bytes(row[0])

    def put_part(self, folder: str, uid: int, section: str, data: bytes) -> None:
        """Cache a decoded-for-display part, evicting least recently used ones over the cap."""
        if len(data) > self.part_cap_bytes // 4:
            return
        fid = self._require_folder(folder)
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO parts(message, section, data, size, used) VALUES (?,?,?,?,?)",
                (message_key(fid, uid), section, data, len(data), time.time()),
            )
            total = self.db.execute("SELECT COALESCE(SUM(size), 0) FROM parts").fetchone()[0]
            if total > self.part_cap_bytes:
                excess = total - self.part_cap_bytes
                victims = []
                for key, sec, size in self.db.execute(
                    "SELECT message, section, size FROM parts ORDER BY used"
                ):
                    victims.append((key, sec))
                    excess -= size
                    if excess <= 0:
                        break
                self.db.executemany("DELETE FROM parts WHERE message=? AND section=?", victims)

    def parts_size(self) -> int:
        return int(self.db.execute("SELECT COALESCE(SUM(size), 0) FROM parts").fetchone()[0])

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _row_to_envelope(row: tuple) -> Envelope:
    (
        uid,
        flags,
        modseq,
        internaldate,
        size,
        date,
        subject,
        from_name,
        from_addr,
        to,
        cc,
        reply_to,
        message_id,
        in_reply_to,
        refs,
        list_id,
        has_att,
    ) = row
    return Envelope(
        uid=uid,
        flags=frozenset(flags.split()),
        internaldate=internaldate,
        size=size,
        date=date or internaldate,
        subject=subject,
        from_=(Address(from_name, from_addr),) if (from_name or from_addr) else (),
        to=to,
        cc=cc,
        reply_to=reply_to,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=tuple(refs.split()),
        list_id=list_id,
        modseq=modseq,
        has_attachments=bool(has_att),
    )


def _has_attachments(part: BodyPart) -> bool:
    for p in part.walk():
        if p.is_multipart:
            continue
        if p.disposition == "attachment" or (p.filename and p.maintype != "text"):
            return True
    return False


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
