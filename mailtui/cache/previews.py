"""Preview lines in the cache: kept in the parts table under the section "PREVIEW".

The parts table already goes with its message (expunged, moved, a folder reset) and
is rebuilt with the cache, so a preview can never outlive or be shown against another
message. Reading does not touch `used` (a list repaint must not write), and a batch
of previews is one transaction; they are tiny (≤ 200 characters), so they leave the
size cap to `put_part`'s eviction.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

from mailtui.cache.db import CacheDB, message_key

__all__ = ["SECTION", "cached_previews", "store_previews"]

SECTION = "PREVIEW"


def cached_previews(cache: CacheDB, folder: str, uids: Sequence[int]) -> dict[int, str]:
    """{uid: preview} of those of `uids` whose preview is cached ("" = no text)."""
    fid = cache.folder_id(folder)
    if fid is None or not uids:
        return {}
    keys = json.dumps([message_key(fid, u) for u in uids])
    rows = cache.db.execute(
        "SELECT message, data FROM parts WHERE section=? "
        "AND message IN (SELECT value FROM json_each(?))",
        (SECTION, keys),
    )
    return {key & 0xFFFFFFFF: bytes(data).decode("utf-8", "replace") for key, data in rows}


def store_previews(cache: CacheDB, folder: str, previews: Mapping[int, str]) -> None:
    """Keep these previews, for messages still cached (a gone one is skipped)."""
    fid = cache.folder_id(folder)
    if fid is None or not previews:
        return
    now = time.time()
    rows = []
    for uid, text in previews.items():
        data = text.encode()
        rows.append((message_key(fid, uid), SECTION, data, len(data), now))
    with cache.transaction():
        cache.db.executemany(
            "INSERT OR REPLACE INTO parts(message, section, data, size, used) "
            "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE id=?1)",
            rows,
        )
