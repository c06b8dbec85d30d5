"""Messages kept for offline reading: the `offline` table beside `parts`.

A row says "this message can be read without the server": its structure is in
`messages.bodystructure` and every section listed is in `parts`. sync/prefetch.py
fills it, newest first, within a byte budget of its own (`prefetch_max_mb`); the part
cache's LRU cap leaves these parts alone (cache/parts.py). When the budget is full a
newer message makes room by evicting the oldest prefetched ones, and only the
sections prefetch listed go (a message's preview line stays).

The window a face shows ("1,204 of 1,300 readable offline") is a folder's newest
messages since a date, at most N of them, read through the (folder, date) index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mailtui.cache.db import CacheDB, folder_range, message_key

__all__ = [
    "Window",
    "cached_sections",
    "drop_stale",
    "prefetched",
    "prefetched_bytes",
    "readable",
    "room_for",
    "store_offline",
    "window",
]


@dataclass(frozen=True)
class Window:
    """Which messages of a folder are wanted offline: dated at or after `since` (0: any
    date), the newest `limit` of them (0: no limit)."""

    since: int = 0
    limit: int = 0


def window(cache: CacheDB, folder: str, win: Window) -> list[tuple[int, int]]:
    """(uid, date) of the folder's wanted messages, newest first."""
    fid = cache.folder_id(folder)
    if fid is None:
        return []
    rows = cache.db.execute(
        "SELECT uid, date FROM messages WHERE folder=? AND date>=? ORDER BY date DESC LIMIT ?",
        (fid, win.since, win.limit or -1),
    )
    return [(int(uid), int(date)) for uid, date in rows]


def prefetched(
    cache: CacheDB, folder: str, uids: Iterable[int], *, whole: bool = False
) -> set[int]:
    """Those of `uids` already kept offline (`whole`: as whole messages, "all")."""
    fid = cache.folder_id(folder)
    if fid is None:
        return set()
    keys = json.dumps([message_key(fid, u) for u in uids])
    # Only prefetch stores the whole message (the faces fetch it past the cache), so a
    # row listing "-" is one kept whole.
    rows = cache.db.execute(
        "SELECT message FROM offline WHERE message IN (SELECT value FROM json_each(?))"
        + (" AND ' ' || sections || ' ' LIKE '% - %'" if whole else ""),
        (keys,),
    )
    return {int(key) & 0xFFFFFFFF for (key,) in rows}


def readable(cache: CacheDB, folder: str, win: Window) -> tuple[int, int]:
    """(kept offline, wanted) of the folder's window."""
    fid = cache.folder_id(folder)
    if fid is None:
        return 0, 0
    row = cache.db.execute(
        "SELECT COUNT(o.message), COUNT(*) FROM (SELECT id FROM messages WHERE folder=? "
        "AND date>=? ORDER BY date DESC LIMIT ?) AS w LEFT JOIN offline o ON o.message = w.id",
        (fid, win.since, win.limit or -1),
    ).fetchone()
    return int(row[0]), int(row[1])


def cached_sections(cache: CacheDB, folder: str, uid: int) -> set[str]:
    """The sections of a message already in the part cache (read without touching `used`)."""
    fid = cache.folder_id(folder)
    if fid is None:
        return set()
    rows = cache.db.execute("SELECT section FROM parts WHERE message=?", (message_key(fid, uid),))
    return {str(section) for (section,) in rows}


def prefetched_bytes(cache: CacheDB) -> int:
    """What prefetched messages hold, against `prefetch_max_mb`."""
    return int(cache.db.execute("SELECT COALESCE(SUM(bytes), 0) FROM offline").fetchone()[0])


def room_for(cache: CacheDB, need: int, date: int, cap: int) -> bool:
    """Whether `need` bytes fit under `cap`, evicting only messages older than `date`."""
    total, older = cache.db.execute(
        "SELECT COALESCE(SUM(bytes), 0), COALESCE(SUM(CASE WHEN date < ? THEN bytes END), 0) "
        "FROM offline",
        (date,),
    ).fetchone()
    return int(total) - int(older) + need <= cap


def _evict(cache: CacheDB, rows: Sequence[tuple[int, str]]) -> None:
    """Drop these offline rows and the sections they listed (in the caller's transaction)."""
    cache.db.executemany(
        "DELETE FROM parts WHERE message=? AND section=?",
        [(key, section) for key, sections in rows for section in _sections(sections)],
    )
    cache.db.executemany("DELETE FROM offline WHERE message=?", [(key,) for key, _ in rows])


def _sections(joined: str) -> list[str]:
    # "" (the whole message) is stored as "-" in the list, which never names a part.
    return ["" if s == "-" else s for s in joined.split()]


def store_offline(
    cache: CacheDB,
    folder: str,
    uid: int,
    date: int,
    parts: Mapping[str, bytes],
    kept: Iterable[str],
    cap: int,
    *,
    total: int | None = None,
) -> int | None:
    """Keep a message offline: `parts` fetched now, `kept` sections already cached.

    One transaction: the oldest prefetched messages older than this one are evicted
    until it fits under `cap` (`total`: what is kept now, when the caller knows it, to
    spare summing the table for every message). Kept sections count against the budget while the row
    lives but are not the row's to delete: evicted, they go back to the LRU cache. Returns how many were evicted, or None (nothing
    written) when it does not fit or the message has left the cache meanwhile.
    """
    fid = cache.folder_id(folder)
    if fid is None:
        return None
    key = message_key(fid, uid)
    kept = [s for s in kept if s not in parts]
    with cache.transaction():
        if cache.db.execute("SELECT 1 FROM messages WHERE id=?", (key,)).fetchone() is None:
            return None
        sizes = dict(
            cache.db.execute(
                "SELECT section, size FROM parts WHERE message=? AND section IN "
                "(SELECT value FROM json_each(?))",
                (key, json.dumps(list(kept))),
            ).fetchall()
        )
        need = sum(len(d) for d in parts.values()) + sum(int(sizes.get(s, 0)) for s in kept)
        if total is None:
            total = prefetched_bytes(cache)
        victims: list[tuple[int, str]] = []
        if total + need > cap:
            for victim, _vdate, vbytes, vsections in cache.db.execute(
                "SELECT message, date, bytes, sections FROM offline WHERE date < ? ORDER BY date",
                (date,),
            ):
                victims.append((int(victim), str(vsections)))
                total -= int(vbytes)
                if total + need <= cap:
                    break
            if total + need > cap:
                return None
            _evict(cache, victims)
        cache.db.executemany(
            "INSERT OR REPLACE INTO parts(message, section, data, size, used) "
            "VALUES (?, ?, ?, ?, 0)",
            [(key, section, data, len(data)) for section, data in parts.items()],
        )
        cache.db.execute(
            "INSERT OR REPLACE INTO offline(message, date, bytes, sections) VALUES (?,?,?,?)",
            (key, date, need, " ".join(s or "-" for s in sorted(parts))),
        )
    return len(victims)


def drop_stale(cache: CacheDB, since: int, folders: Iterable[str]) -> int:
    """Evict what prefetch no longer wants: messages dated before `since` and messages of
    folders not prefetched (rows whose message left the cache are dropped too)."""
    keep = [cache.folder_id(f) for f in folders]
    ranges = [folder_range(fid) for fid in keep if fid is not None]
    with cache.transaction():
        cache.db.execute("DELETE FROM offline WHERE message NOT IN (SELECT id FROM messages)")
        rows = cache.db.execute("SELECT message, date, sections FROM offline").fetchall()
        stale = [
            (int(key), str(sections))
            for key, date, sections in rows
            if date < since or not any(lo <= key <= hi for lo, hi in ranges)
        ]
        if stale:
            _evict(cache, stale)
    return len(stale)
