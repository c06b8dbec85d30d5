"""Looking into an account's cache file from outside, as kill -9 tests and the soak do.

Another process may be writing (or may just have been killed while writing): reads
open the file read-only and treat a locked or half-created database as "nothing yet".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def cache_db(xdg_cache_home: Path, account: str = "test") -> Path:
    """Where `mailtui` run with XDG_CACHE_HOME=`xdg_cache_home` keeps `account`'s cache."""
    return xdg_cache_home / "mailtui" / "accounts" / f"{account}.sqlite3"


def query(db: Path, sql: str) -> list[tuple]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def scalar(db: Path, sql: str, default: int) -> int:
    rows = query(db, sql)
    return rows[0][0] if rows and rows[0][0] is not None else default


def rows_stored(db: Path) -> int:
    return scalar(db, "SELECT count(*) FROM messages", 0)


def journal_left(db: Path) -> int:
    return scalar(db, "SELECT count(*) FROM journal", 10**9)


def sending(db: Path) -> bool:
    """A journal row is marked 'sending': its command may be on the wire right now."""
    return scalar(db, "SELECT count(*) FROM journal WHERE state='sending'", 0) > 0


def synced(db: Path, folder: str = "INBOX") -> bool:
    return bool(scalar(db, f"SELECT synced FROM folders WHERE name='{folder}'", 0))


def check_consistent(db: Path, *, contiguous: bool = False, folder: str = "INBOX") -> None:
    """integrity_check ok; with contiguous UIDs on the server, the recorded cold floor never
    claims a row the cache lacks (every UID in [cold_floor, uidnext) is present)."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        row = con.execute(
            "SELECT id, cold_floor, uidnext FROM folders WHERE name=?", (folder,)
        ).fetchone()
        if contiguous and row and row[2]:
            fid, floor, uidnext = row
            cached = {r[0] for r in con.execute("SELECT uid FROM messages WHERE folder=?", (fid,))}
            missing = set(range(max(floor, 1), uidnext)) - cached
            assert not missing, f"{len(missing)} UIDs at or above the cold floor are missing"
    finally:
        con.close()
