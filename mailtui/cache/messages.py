"""The messages table: cached envelopes, their flags and the full-text index over them.

A message's key is `folder << 32 | uid` (db.message_key), so a folder's rows are one
contiguous range of the B-tree, and the same integer is the FTS5 rowid.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, Sequence

from mailtui.cache.db import folder_range, message_key
from mailtui.cache.folders import FolderTable
from mailtui.model import Address, BodyPart, Envelope, FolderState, HeaderRow

SORT_COLUMNS = {
    "date": "date",
    "from": "from_name COLLATE NOCASE",
    "subject": "subject COLLATE NOCASE",
    "size": "size",
    "uid": "uid",
}

_ROW_COLUMNS = (
    "uid, flags, modseq, internaldate, size, date, subject, from_name, from_addr, to_, cc, "
    "reply_to, message_id, in_reply_to, refs, list_id, has_attachments, message_key, thread_key"
)
_INSERT = (
    f"INSERT OR REPLACE INTO messages(id, folder, {_ROW_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_ENVELOPE = f"SELECT {_ROW_COLUMNS} FROM messages"
UID_TYPE = "I" if array("I").itemsize >= 4 else "L"  # 32-bit UIDs, 4 bytes each


class MessageTable(FolderTable):
    """Envelope rows of every folder: sync writes, the list view's reads, local user actions."""

    # --- writes from sync -------------------------------------------------------------

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
            lo, hi = folder_range(fid)
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
            self.db.executemany("DELETE FROM offline WHERE message=?", keys)
            if removed:
                self._bump(fid)
            if state is not None:
                self.set_folder_state(folder, state)
        return removed

    def set_bodystructure(self, folder: str, uid: int, part: BodyPart) -> None:
        fid = self._require_folder(folder)
        has_att = int(part.has_attachments)
        self.db.execute(
            "UPDATE messages SET bodystructure=?, has_attachments=? WHERE id=?",
            (part.to_json(), has_att, message_key(fid, uid)),
        )

    # --- reads ----------------------------------------------------------------------

    def uids(self, folder: str) -> list[int]:
        return self.uids_above(folder, 0)  # UIDs start at 1

    def flags_map(self, folder: str) -> dict[int, str]:
        fid = self.folder_id(folder)
        if fid is None:
            return {}
        lo, hi = folder_range(fid)
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

    def view(self, folder: str, sort: str = "date", reverse: bool = True) -> list[int]:
        """The folder's UIDs in display order, as a list."""
        return list(self.order(folder, sort, reverse))

    def order(
        self, folder: str, sort: str = "date", reverse: bool = True, limit: int = -1
    ) -> array[int]:
        """The folder's UIDs in display order — the virtual list's backbone, as a C array
        of 32-bit UIDs (4 bytes a message; a list of ints costs 36). `limit`: only the
        first rows (the app's first screen, before the whole order is read)."""
        fid = self.folder_id(folder)
        if fid is None:
            return array(UID_TYPE)
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
        rows = self.db.execute(f"{sql} LIMIT ?", (fid, limit))
        return array(UID_TYPE, [key & 0xFFFFFFFF for (key,) in rows])

    def envelopes(self, folder: str, uids: Sequence[int]) -> dict[int, Envelope]:
        """Envelopes for the given UIDs (the visible rows); missing UIDs are left out."""
        envelopes = (_row_to_envelope(row) for row in self._stored(folder, uids))
        return {env.uid: env for env in envelopes}

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
        lo, hi = folder_range(fid)
        rows = self.db.execute(
            "SELECT uid, message_id, in_reply_to, refs, subject, date, thread_key FROM messages "
            "WHERE id BETWEEN ? AND ?",
            (lo, hi),
        ).fetchall()
        return _by_thread_key(rows)

    def rows(self, folder: str, uids: Sequence[int]) -> list[HeaderRow]:
        """The stored rows of these messages (to move them between folders locally)."""
        return [HeaderRow(*row) for row in self._stored(folder, uids)]

    def _stored(self, folder: str, uids: Sequence[int]) -> Iterator[tuple]:
        """The envelope columns of these messages, 500 keys a query; missing ones left out."""
        fid = self.folder_id(folder)
        if fid is None:
            return
        base = fid << 32
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.db.execute(
                f"{_SELECT_ENVELOPE} WHERE id IN ({marks})", [base | u for u in chunk]
            )

    def uids_above(self, name: str, uid: int) -> list[int]:
        fid = self.folder_id(name)
        if fid is None:
            return []
        lo, hi = folder_range(fid)
        return [
            r[0]
            for r in self.db.execute(
                "SELECT uid FROM messages WHERE id BETWEEN ? AND ? ORDER BY id",
                (lo | (uid + 1), hi),
            )
        ]

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


def _by_thread_key(rows: list[tuple]) -> list[tuple[int, str, str, str, str, int]]:
    """Thread items where the store names each message's conversation (Gmail's
    X-GM-THRID): the conversation's earliest message becomes every other member's first
    reference, so JWZ (mime/threads.py) groups what Gmail groups, whether References
    link them or not. Messages without a key keep their own headers."""
    first: dict[int, tuple[int, int, str]] = {}
    for uid, mid, _irt, _refs, _subj, date, key in rows:
        if key and mid and (key not in first or (date, uid) < first[key][:2]):
            first[key] = (date, uid, mid)
    out = []
    for uid, mid, irt, refs, subj, date, key in rows:
        root = first.get(key) if key else None
        if root is not None and root[1] != uid and root[2] not in refs.split():
            refs = f"{root[2]} {refs}" if refs else root[2]
        out.append((uid, mid, irt, refs, subj, date))
    return out


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
        message_key,
        thread_key,
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
        message_key=message_key,
        thread_key=thread_key,
    )
