"""A conversation across every folder of the account, found in the cache alone.

The list threads one folder (mime/threads.py over `thread_items`); a conversation
also holds your replies in Sent and the messages archived since, so it is looked up
account-wide: starting from one message, every cached message linked to it by
Message-ID, In-Reply-To or References (transitively), and every message sharing its
store thread id (Gmail's X-GM-THRID) when the cache has that column.

No network and no index to maintain: each round is one scan of the messages table
(equality on Message-ID and In-Reply-To against the round's new ids, a substring test
of References for at most MAX_PROBES thread roots), new ids feed the next round, and
rounds and members are capped, since References are written by strangers and can
name anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mailtui.cache.db import CacheDB, message_key
from mailtui.text.msgids import normalize_msgid

__all__ = [
    "MAX_MEMBERS",
    "MAX_ROUNDS",
    "Member",
    "conversation_members",
    "elsewhere_counts",
    "has_message_keys",
    "identity",
    "thread_key_column",
]

MAX_ROUNDS = 8
"""Link-following rounds; a real conversation closes in two or three."""
MAX_MEMBERS = 500
"""The most messages a conversation returns."""
MAX_PROBES = 8
"""Thread roots looked for inside References per round (each is a substring test per
row: bounded, so a hostile References list cannot make a round quadratic)."""

# The store thread id column (cache v8: Gmail's X-GM-THRID; 0 elsewhere).
_THREAD_COLUMNS = ("thread_key",)


@dataclass(frozen=True, slots=True)
class Member:
    """One cached message of a conversation: where it is and how it links."""

    folder: str
    uid: int
    date: int
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    # The store's identity across folders (Gmail's X-GM-MSGID), 0 where it has none.
    key: int = 0


def thread_key_column(cache: CacheDB) -> str | None:
    """The messages table's store-thread-id column, when this cache has one."""
    names = {row[1] for row in cache.db.execute("PRAGMA table_info(messages)")}
    return next((c for c in _THREAD_COLUMNS if c in names), None)


def has_message_keys(cache: CacheDB) -> bool:
    """Whether the messages table has the store-identity column (cache v8)."""
    return any(row[1] == "message_key" for row in cache.db.execute("PRAGMA table_info(messages)"))


def identity(key: int, message_id: str) -> tuple[str, int | str] | None:
    """What makes two cached rows one message: the store's id across folders (Gmail's
    X-GM-MSGID: one message under three labels is three rows, one identity), else the
    Message-ID; None when neither is known (such a row is a message of its own)."""
    if key:
        return ("key", key)
    mid = normalize_msgid(message_id)
    return ("mid", mid) if mid else None


def account_unread(cache: CacheDB) -> int:
    """The account's unread messages, each counted once however many folders hold it
    (Gmail files one message under every label and in All Mail): by the store's id,
    else Message-ID, else the row. Trash and Junk are left out, as other clients do.
    One pass over the unread rows (the partial index `messages_unseen`)."""
    key = "m.message_key" if has_message_keys(cache) else "0"
    # Three counts in one pass (integers where the store has ids: no strings built).
    row = cache.db.execute(
        f"SELECT COUNT(DISTINCT CASE WHEN {key} != 0 THEN {key} END), "
        f"COUNT(DISTINCT CASE WHEN {key} = 0 AND m.message_id != '' THEN m.message_id END), "
        f"SUM({key} = 0 AND m.message_id = '') "
        "FROM messages m JOIN folders f ON f.id = m.folder "
        "WHERE NOT m.seen AND f.role NOT IN ('trash', 'junk')"
    ).fetchone()
    return sum(int(x or 0) for x in row)


def _ids_of(message_id: str, in_reply_to: str, refs: str) -> set[str]:
    out = {normalize_msgid(message_id), normalize_msgid(in_reply_to)}
    out.update(normalize_msgid(r) for r in refs.split())
    out.discard("")
    return out


def conversation_members(cache: CacheDB, folder: str, uid: int) -> list[Member]:
    """Every cached message of the conversation of (folder, uid), oldest first.

    Empty when that message is not cached. A message stored in two folders (a copy,
    or Gmail's All Mail beside a label) is returned once per folder: the caller decides
    which copy to show.
    """
    fid = cache.folder_id(folder)
    if fid is None:
        return []
    thread_col = thread_key_column(cache)
    thread = f"m.{thread_col}" if thread_col else "0"
    ident = "m.message_key" if has_message_keys(cache) else "0"
    select = (
        f"SELECT m.id, f.name, m.uid, m.date, m.message_id, m.in_reply_to, m.refs, {thread}, "
        f"{ident} FROM messages m JOIN folders f ON f.id = m.folder"
    )
    seed = cache.db.execute(f"{select} WHERE m.id=?", ((fid << 32) | uid,)).fetchone()
    if seed is None:
        return []
    found: dict[int, tuple] = {seed[0]: seed}
    known = _ids_of(seed[4], seed[5], seed[6])
    frontier = set(known)
    threads = {seed[7]} - {0, None}
    seen_threads = set(threads)
    # Thread roots (first References) are probed inside every References header: a
    # reply that names the root but not its parent (trimmed, or In-Reply-To missing)
    # still joins. Everything else is equality on Message-ID and In-Reply-To.
    roots = {normalize_msgid(seed[6].split()[0])} if seed[6] else set()
    roots.add(normalize_msgid(seed[4]))
    roots.discard("")
    probed: set[str] = set()
    rounds = 0
    while (frontier or threads) and rounds < MAX_ROUNDS and len(found) < MAX_MEMBERS:
        rounds += 1
        probe = sorted((roots & known) - probed)[:MAX_PROBES]
        probed.update(probe)
        # ' ' || refs || ' ' holds ' id ' exactly when refs names that id (space-joined).
        where = (
            "m.message_id IN (SELECT value FROM json_each(:ids)) "
            "OR m.in_reply_to IN (SELECT value FROM json_each(:ids))"
        )
        if probe:
            where += " OR " + " OR ".join(
                f"instr(' ' || m.refs || ' ', :probe{i}) > 0" for i in range(len(probe))
            )
        if thread_col and threads:
            where += f" OR m.{thread_col} IN (SELECT value FROM json_each(:threads))"
        params: dict[str, str | int] = {
            "ids": json.dumps(sorted(frontier)),
            "threads": json.dumps(sorted(threads)),
            "found": json.dumps(sorted(found)),
            "room": MAX_MEMBERS - len(found),
        }
        params.update({f"probe{i}": f" {p} " for i, p in enumerate(probe)})
        # Only new rows, and no more than there is room for: a References header that
        # links everything to everything costs one capped answer, not the table.
        rows = cache.db.execute(
            f"{select} WHERE ({where}) AND m.id NOT IN (SELECT value FROM json_each(:found)) "
            "LIMIT :room",
            params,
        ).fetchall()
        frontier = set()
        threads = set()
        for row in rows:
            if row[0] in found:
                continue
            found[row[0]] = row
            new = _ids_of(row[4], row[5], row[6]) - known
            known |= new
            frontier |= new
            if row[6]:
                roots.add(normalize_msgid(row[6].split()[0]))
            if row[7] and row[7] not in seen_threads:
                seen_threads.add(row[7])
                threads.add(row[7])
    members = [
        Member(
            row[1],
            row[2],
            row[3],
            normalize_msgid(row[4]),
            row[5],
            tuple(row[6].split()),
            row[8] or 0,
        )
        for row in found.values()
    ]
    members.sort(key=lambda m: (m.date, m.folder, m.uid))
    return members[-MAX_MEMBERS:]


def elsewhere_counts(
    cache: CacheDB, folder: str, groups: Mapping[int, Sequence[int]]
) -> dict[int, int]:
    """For each thread of `folder` (root uid → its uids here), how many messages of its
    conversation other folders hold that this folder does not (your replies in Sent,
    archived ones): the list's thread view shows it beside the root. One scan for all
    the threads given: equality on Message-ID / In-Reply-To (and the store thread id);
    a message in several folders is counted once. Threads with none are left out."""
    fid = cache.folder_id(folder)
    if fid is None or not groups:
        return {}
    thread_col = thread_key_column(cache)
    thread = f"m.{thread_col}" if thread_col else "0"
    ident_col = "m.message_key" if has_message_keys(cache) else "0"
    root_of_uid = {uid: root for root, uids in groups.items() for uid in uids}
    keys = json.dumps([message_key(fid, uid) for uid in root_of_uid])
    root_of_id: dict[str, int] = {}
    root_of_thread: dict[int, int] = {}
    here: set[tuple[str, int | str]] = set()
    for uid, mid, irt, refs, key, ident in cache.db.execute(
        f"SELECT m.uid, m.message_id, m.in_reply_to, m.refs, {thread}, {ident_col} "
        "FROM messages m WHERE m.id IN (SELECT value FROM json_each(?))",
        (keys,),
    ):
        root = root_of_uid[uid]
        shown = identity(ident or 0, mid)
        if shown is not None:
            here.add(shown)
        for ref in _ids_of(mid, irt, refs):
            root_of_id.setdefault(ref, root)
        if key:
            root_of_thread.setdefault(key, root)
    if not root_of_id and not root_of_thread:
        return {}
    where = (
        "m.message_id IN (SELECT value FROM json_each(:ids)) "
        "OR m.in_reply_to IN (SELECT value FROM json_each(:ids))"
    )
    if thread_col and root_of_thread:
        where += f" OR m.{thread_col} IN (SELECT value FROM json_each(:threads))"
    params = {
        "ids": json.dumps(sorted(root_of_id)),
        "threads": json.dumps(sorted(root_of_thread)),
        "fid": fid,
    }
    counted: dict[int, set[tuple[str, int | str]]] = {}
    for mid, irt, key, store_id in cache.db.execute(
        f"SELECT m.message_id, m.in_reply_to, {thread}, {ident_col} FROM messages m "
        f"WHERE m.folder <> :fid AND ({where}) LIMIT 20000",
        params,
    ):
        # One message in several folders (Gmail: its labels and All Mail) counts once,
        # by X-GM-MSGID where the store has it: a message without a Message-ID too.
        ident = identity(store_id or 0, mid)
        if ident is None or ident in here:
            continue  # a copy of a message this folder shows already
        root = root_of_id.get(normalize_msgid(mid)) or root_of_id.get(normalize_msgid(irt))
        if root is None and key:
            root = root_of_thread.get(key)
        if root is not None:
            counted.setdefault(root, set()).add(ident)
    return {root: len(ids) for root, ids in counted.items()}
