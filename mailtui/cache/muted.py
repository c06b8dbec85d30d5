"""Muted conversations: the `muted` table, kept across cache rebuilds like the journal.

A conversation is remembered by the keys its messages can be recognised by: each
member's Message-ID ("member"), and the store's thread id where it has one (Gmail's
X-GM-THRID, "thread:N"). A new message belongs to a muted conversation when its
thread id is muted, or its In-Reply-To or any References id names a member; it is
then recorded as a member too, so replies to it are caught and a refetch of it is
not news. `conv` groups the keys of one conversation (unmute drops them together).

The table is created on first use, outside the schema's version: it is the user's
memory, not cached server state, so a schema rebuild must not drop it (it is not in
schema.DISPOSABLE).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence

from mailtui.cache.conversations import conversation_members, has_message_keys
from mailtui.cache.db import CacheDB, message_key
from mailtui.text.msgids import normalize_msgid

__all__ = [
    "MUTED_CLAUSE",
    "ensure",
    "is_muted",
    "mute",
    "muted_conversations",
    "new_replies",
    "unmute",
]

_DDL = """
CREATE TABLE IF NOT EXISTS muted(
    key TEXT PRIMARY KEY,      -- a member's Message-ID, or "thread:N" (the store's thread id)
    conv TEXT NOT NULL,        -- the conversation these keys belong to
    since REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS muted_by_conv ON muted(conv);
"""

# The search term `muted` (cache/search.py): a row of a muted conversation.
MUTED_CLAUSE = (
    "(m.message_id IN (SELECT key FROM muted) OR m.in_reply_to IN (SELECT key FROM muted)"
    " OR ('thread:' || m.thread_key) IN (SELECT key FROM muted))"
)


def ensure(cache: CacheDB) -> None:
    """Create the table if this cache has none yet (once per connection)."""
    if getattr(cache, "_muted_ready", False):
        return
    for statement in _DDL.split(";"):
        if statement.strip():
            cache.db.execute(statement)
    cache._muted_ready = True  # type: ignore[attr-defined]


def _row(cache: CacheDB, folder: str, uid: int) -> tuple[str, str, str, int] | None:
    fid = cache.folder_id(folder)
    if fid is None:
        return None
    thread = "thread_key" if has_message_keys(cache) else "0"
    return cache.db.execute(
        f"SELECT message_id, in_reply_to, refs, {thread} FROM messages WHERE id=?",
        (message_key(fid, uid),),
    ).fetchone()


def _keys_of(message_id: str, in_reply_to: str, refs: str, thread: int) -> set[str]:
    keys = {normalize_msgid(message_id), normalize_msgid(in_reply_to)}
    keys.update(normalize_msgid(r) for r in refs.split())
    keys.discard("")
    if thread:
        keys.add(f"thread:{thread}")
    return keys


def is_muted(cache: CacheDB, folder: str, uid: int) -> str | None:
    """The muted conversation (its `conv`) this message belongs to, or None."""
    ensure(cache)
    row = _row(cache, folder, uid)
    if row is None:
        return None
    keys = _keys_of(*row)
    if not keys:
        return None
    found = cache.db.execute(
        "SELECT conv FROM muted WHERE key IN (SELECT value FROM json_each(?)) LIMIT 1",
        (json.dumps(sorted(keys)),),
    ).fetchone()
    return found[0] if found else None


def mute(cache: CacheDB, folder: str, uid: int) -> int:
    """Remember the conversation of (folder, uid): every member's Message-ID and the
    store's thread id. Returns how many messages it holds (0: not cached)."""
    ensure(cache)
    row = _row(cache, folder, uid)
    if row is None:
        return 0
    members = conversation_members(cache, folder, uid)
    keys = {normalize_msgid(m.message_id) for m in members} | _keys_of(*row)
    keys.discard("")
    if not keys:
        return 0
    conv = sorted(keys)[0]
    now = time.time()
    cache.db.executemany(
        "INSERT OR REPLACE INTO muted(key, conv, since) VALUES (?, ?, ?)",
        [(k, conv, now) for k in keys],
    )
    return max(len(members), 1)


def unmute(cache: CacheDB, conv: str) -> None:
    ensure(cache)
    cache.db.execute("DELETE FROM muted WHERE conv=?", (conv,))


def muted_conversations(cache: CacheDB) -> int:
    ensure(cache)
    return cache.db.execute("SELECT count(DISTINCT conv) FROM muted").fetchone()[0]


def new_replies(cache: CacheDB, folder: str, uids: Sequence[int] | Iterable[int]) -> list[int]:
    """Of these cached messages, the ones that join a muted conversation and were not
    members yet (news: replies that arrived since it was muted). Each is recorded as a
    member, so a second look finds nothing new. One query for the batch."""
    ensure(cache)
    if cache.db.execute("SELECT 1 FROM muted LIMIT 1").fetchone() is None:
        return []  # nothing muted: the common case costs one lookup
    fid = cache.folder_id(folder)
    if fid is None:
        return []
    thread = "thread_key" if has_message_keys(cache) else "0"
    keys = json.dumps([message_key(fid, u) for u in uids])
    rows = cache.db.execute(
        f"SELECT uid, message_id, in_reply_to, refs, {thread} FROM messages "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (keys,),
    ).fetchall()
    found: list[int] = []
    now = time.time()
    for uid, mid, irt, refs, thr in rows:
        own = normalize_msgid(mid)
        if own and cache.db.execute("SELECT 1 FROM muted WHERE key=?", (own,)).fetchone():
            continue  # a member already (the messages muted, or a reply seen before)
        links = _keys_of("", irt, refs, thr)
        if not links:
            continue
        hit = cache.db.execute(
            "SELECT conv FROM muted WHERE key IN (SELECT value FROM json_each(?)) LIMIT 1",
            (json.dumps(sorted(links)),),
        ).fetchone()
        if hit is None:
            continue
        found.append(uid)
        if own:
            cache.db.execute(
                "INSERT OR REPLACE INTO muted(key, conv, since) VALUES (?, ?, ?)",
                (own, hit[0], now),
            )
    return sorted(found)
