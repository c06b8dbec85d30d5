"""A query across folders and accounts, from the header caches: saved searches with
`folder = "*"` (every folder of an account) or `account = "*"` (a unified inbox).

No network: each folder's cache answers (as the filter's does), the hits are merged
newest first and capped, so a query over many 100k folders stays a few cache reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailtui.backend.query import parse
from mailtui.errors import MailtuiError

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

EVERYWHERE = "*"
MAX_HITS = 2000


@dataclass(frozen=True)
class Hit:
    """One matching message, with what a results row shows (raw text: clean to show)."""

    account: str
    folder: str
    uid: int
    date: int
    sender: str
    subject: str
    unread: bool


def search_everywhere(
    services: Mapping[str, SyncService],
    text: str,
    *,
    account: str = EVERYWHERE,
    folder: str = EVERYWHERE,
    limit: int = MAX_HITS,
) -> list[Hit]:
    """Messages matching `text` in `folder` ("*": every folder) of `account` ("*": every
    account), newest first, at most `limit`. Raises QueryError for a bad query."""
    query = parse(text)
    hits: list[Hit] = []
    for name, service in services.items():
        if account not in (EVERYWHERE, name):
            continue
        folders = [f.name for f in service.folders() if f.selectable]
        if folder != EVERYWHERE:
            folders = [f for f in folders if f == folder]
        for one in folders:
            try:
                uids = service.cache().search(one, query, limit=limit)
            except MailtuiError:
                continue  # a folder the cache cannot search (never synced): left out
            for uid, env in service.envelopes(one, uids).items():
                sender = env.from_[0].display() if env.from_ else ""
                hits.append(
                    Hit(
                        name,
                        one,
                        uid,
                        env.date or env.internaldate,
                        sender,
                        env.subject,
                        not env.seen,
                    )
                )
    hits.sort(key=lambda h: (h.date, h.uid), reverse=True)
    return hits[:limit]
