"""The folders table: the server's folder list, each folder's sync state and counts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from mailtui.cache.db import CacheDB, folder_range
from mailtui.model import Folder, FolderState, Role

# One statement for "insert the folder, or refresh what the server says about it":
# counts the server did not report (None) keep their last known value.
_UPSERT_FOLDER = (
    "INSERT INTO folders(name, raw_name, delimiter, role, subscribed, selectable, "
    "server_total, server_unread) VALUES (?,?,?,?,?,?,?,?) "
    "ON CONFLICT(name) DO UPDATE SET raw_name=excluded.raw_name, "
    "delimiter=excluded.delimiter, role=excluded.role, subscribed=excluded.subscribed, "
    "selectable=excluded.selectable, "
    "server_total=COALESCE(excluded.server_total, server_total), "
    "server_unread=COALESCE(excluded.server_unread, server_unread)"
)


def _folder_values(f: Folder, total: int | None, unread: int | None) -> tuple:
    return (
        f.name,
        f.raw_name,
        f.delimiter,
        f.role.value,
        int(f.subscribed),
        int(f.selectable),
        total,
        unread,
    )


class FolderTable(CacheDB):
    """Folder rows: the list, renames, sync state (UIDVALIDITY, UIDNEXT, MODSEQ) and counts."""

    def replace_folders(self, folders: Sequence[Folder]) -> list[str]:
        """Make the folder table match the server's list; returns names that disappeared."""
        with self.transaction():
            existing = {r[0]: r[1] for r in self.db.execute("SELECT name, id FROM folders")}
            seen = set()
            for f in folders:
                seen.add(f.name)
                self.db.execute(_UPSERT_FOLDER, _folder_values(f, f.total, f.unread))
            gone = [name for name in existing if name not in seen]
            for name in gone:
                self._drop_folder(existing[name])
            self._folder_ids.clear()
        return gone

    def _drop_folder(self, fid: int) -> None:
        self._forget_messages(fid)
        self.db.execute("DELETE FROM folders WHERE id=?", (fid,))

    def rename_folder(self, old: str, new: str, raw_new: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE folders SET name=?, raw_name=? WHERE name=?", (new, raw_new, old)
            )
            self._folder_ids.clear()

    def folders(self, counts: bool = True) -> list[Folder]:
        """Folders with counts from the cache where synced, else from the server's STATUS.

        `counts=False`: the server's last STATUS counts for every folder, without
        counting the cached rows (tens of ms a 100k folder: the app's first screen
        asks this way, and counts the open folder once its rows are drawn)."""
        rows = self.db.execute(
            "SELECT id, name, raw_name, delimiter, role, subscribed, selectable, synced, "
            "server_total, server_unread FROM folders ORDER BY name"
        ).fetchall()
        out = []
        for fid, name, raw, delim, role, sub, sel, synced, s_total, s_unread in rows:
            total, unread = s_total, s_unread
            if synced and counts:
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

    def set_store_features(self, features: frozenset[str]) -> None:
        """What the account's store does differently, as sessions reported it (e.g.
        "labels": archive removes a label), for actions applied before any connection."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('store_features', ?)",
                (" ".join(sorted(features)),),
            )

    def store_features(self) -> frozenset[str]:
        row = self.db.execute("SELECT value FROM meta WHERE key='store_features'").fetchone()
        return frozenset((row[0] or "").split()) if row else frozenset()

    def raw_name(self, name: str) -> str | None:
        row = self.db.execute("SELECT raw_name FROM folders WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def _counts(self, fid: int) -> tuple[int, int]:
        """(total, unread) of a folder's cached messages."""
        lo, hi = folder_range(fid)
        total = self.db.execute(
            "SELECT count(*) FROM messages WHERE id BETWEEN ? AND ?", (lo, hi)
        ).fetchone()[0]
        unread = self.db.execute(
            "SELECT count(*) FROM messages WHERE folder=? AND NOT seen", (fid,)
        ).fetchone()[0]
        return total, unread

    # --- sync state -------------------------------------------------------------------

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
        with self.transaction():
            self._forget_messages(fid)
            self.set_folder_state(name, FolderState(uidvalidity=uidvalidity))

    def set_cold_floor(self, folder: str, cold_floor: int, *, synced: bool = False) -> None:
        """Cold-sync progress only: leaves UIDNEXT/MODSEQ to concurrent incremental syncs."""
        fid = self._require_folder(folder)
        self.db.execute(
            "UPDATE folders SET cold_floor=?, synced=MAX(synced, ?), last_sync=? WHERE id=?",
            (cold_floor, int(synced), time.time(), fid),
        )

    def folder_version(self, name: str) -> tuple[int, int]:
        """(version, highest cached UID) of a folder."""
        fid = self.folder_id(name)
        if fid is None:
            return 0, 0
        lo, hi = folder_range(fid)
        version = self.db.execute("SELECT version FROM folders WHERE id=?", (fid,)).fetchone()
        top = self.db.execute(
            "SELECT max(id) FROM messages WHERE id BETWEEN ? AND ?", (lo, hi)
        ).fetchone()
        return (version[0] if version else 0), ((top[0] & 0xFFFFFFFF) if top and top[0] else 0)

    # --- local effects of the user's folder actions (the journal sends them) ------------

    def create_folder_local(self, folder: Folder) -> None:
        if self.folder_id(folder.name) is None:
            self.db.execute(_UPSERT_FOLDER, _folder_values(folder, 0, 0))
            self._folder_ids.clear()

    def rename_folder_local(
        self, old: str, new: str, delimiter: str | None, encode: Callable[[str], str]
    ) -> None:
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
