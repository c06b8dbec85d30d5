"""The parts table: decoded message parts kept for display, evicted least recently used.

Parts of a message prefetched for offline reading (listed in the `offline` table, see
cache/offline.py) have their own budget, `prefetch_max_mb`: the LRU cap here neither
counts nor evicts them, so reading never pushes out what was prefetched, and
prefetching never pushes out what the user opened.
"""

from __future__ import annotations

import time

from mailtui.cache.db import CacheDB, message_key

# Parts under the LRU cap: those of messages not prefetched (cache/offline.py).
_NOT_OFFLINE = "message NOT IN (SELECT message FROM offline)"


class PartTable(CacheDB):
    """Bodies and attachments already fetched, capped at `part_cap_bytes` in total."""

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
            total = self.db.execute(
                f"SELECT COALESCE(SUM(size), 0) FROM parts WHERE {_NOT_OFFLINE}"
            ).fetchone()[0]
            if total > self.part_cap_bytes:
                excess = total - self.part_cap_bytes
                victims = []
                for key, sec, size in self.db.execute(
                    f"SELECT message, section, size FROM parts WHERE {_NOT_OFFLINE} ORDER BY used"
                ):
                    victims.append((key, sec))
                    excess -= size
                    if excess <= 0:
                        break
                self.db.executemany("DELETE FROM parts WHERE message=? AND section=?", victims)

    def parts_size(self) -> int:
        return int(self.db.execute("SELECT COALESCE(SUM(size), 0) FROM parts").fetchone()[0])
