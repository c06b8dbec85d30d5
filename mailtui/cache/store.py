"""HeaderCache: one SQLite file per account holding folders, envelopes, parts and the journal.

The tables live in their own modules (db.py: connection, schema, transactions;
folders.py, messages.py, parts.py, journal.py); HeaderCache composes them into the one
object sync, the UI and the CLI open. Local search still lives here until the query
compiler (cache/search.py) takes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from mailtui.cache.db import BULK_PAGE_CACHE_KB, PAGE_CACHE_KB, folder_range
from mailtui.cache.journal import JournalTable
from mailtui.cache.messages import MessageTable
from mailtui.cache.parts import PartTable

__all__ = ["BULK_PAGE_CACHE_KB", "PAGE_CACHE_KB", "HeaderCache"]


class HeaderCache(MessageTable, PartTable, JournalTable):
    """The account's local store; not thread-safe — one instance per thread."""

    # --- local search (H2 moves these to cache/search.py) -----------------------------

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
            lo, hi = folder_range(fid)
            where = " AND m.id BETWEEN ? AND ?"
            params += [lo, hi]
        params.append(limit)
        rows = self.db.execute(
            "SELECT m.folder, m.uid FROM messages_fts f JOIN messages m ON m.id = f.rowid "
            f"WHERE messages_fts MATCH ?{where} ORDER BY m.date DESC LIMIT ?",
            params,
        ).fetchall()
        return [(names.get(fid, ""), uid) for fid, uid in rows]

    def search_where(
        self, folder: str, where: str, params: Sequence[object], fts: str | None, limit: int = 5000
    ) -> list[int]:
        """Local search: SQL conditions on `m` plus an optional FTS5 match; newest first."""
        fid = self.folder_id(folder)
        if fid is None:
            return []
        lo, hi = folder_range(fid)
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
