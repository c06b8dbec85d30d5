"""The journal table: user actions not yet confirmed by the server.

The cache is disposable, the journal is not: it survives schema rebuilds (see
schema.py) and is replayed by the sync writer after a crash. Rows come back as
`JournalRow` records so readers name the fields they use instead of tuple positions.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from mailtui.backend import UidSet
from mailtui.cache.db import CacheDB


@dataclass(frozen=True)
class JournalRow:
    """One queued action, as the writer replays it."""

    id: int
    kind: str
    folder: str
    uids: str  # compressed UID set ("1:3,7"); empty for folder actions
    args: dict
    state: str  # 'pending', or 'sending' once a command may have reached the server
    attempts: int

    @property
    def uid_set(self) -> UidSet:
        """The entry's UIDs (folder actions have none)."""
        return UidSet.parse(self.uids) if self.uids else UidSet()


class JournalTable(CacheDB):
    """Queue, read, update and drop journal rows on the cache's connection."""

    def journal_add(self, kind: str, folder: str, uids: str, args: dict) -> int:
        cur = self.db.execute(
            "INSERT INTO journal(created, kind, folder, uids, args) VALUES (?,?,?,?,?)",
            (time.time(), kind, folder, uids, dump_json(args)),
        )
        return int(cur.lastrowid or 0)

    def journal(self) -> list[JournalRow]:
        """Every queued action, oldest first."""
        return [
            JournalRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6])
            for r in self.db.execute(
                "SELECT id, kind, folder, uids, args, state, attempts FROM journal ORDER BY id"
            )
        ]

    def journal_update(
        self,
        entry_id: int,
        *,
        state: str | None = None,
        args: dict | None = None,
        error: str | None = None,
        attempt: bool = False,
    ) -> None:
        sets, params = [], []
        if state is not None:
            sets.append("state=?")
            params.append(state)
        if args is not None:
            sets.append("args=?")
            params.append(dump_json(args))
        if error is not None:
            sets.append("last_error=?")
            params.append(error)
        if attempt:
            sets.append("attempts=attempts+1")
        if sets:
            self.db.execute(f"UPDATE journal SET {', '.join(sets)} WHERE id=?", (*params, entry_id))

    def journal_remove(self, entry_id: int) -> None:
        self.db.execute("DELETE FROM journal WHERE id=?", (entry_id,))

    def journal_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM journal").fetchone()[0])


def dump_json(obj: object) -> str:
    """Compact JSON for stored arguments (non-ASCII kept as is)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
