"""A query across folders and accounts, from the header caches: saved searches with
`folder = "*"` (every folder of an account) or `account = "*"` (a unified inbox).

No network: each folder's cache answers (as the filter's does), the hits are merged
newest first and capped, so a query over many 100k folders stays a few cache reads. A
message in several folders of an account (Gmail files one message under each of its
labels and in All Mail) is one hit, by the store's id (X-GM-MSGID) or its Message-ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailtui.backend.query import parse
from mailtui.cache.conversations import identity
from mailtui.errors import MailtuiError
from mailtui.model import FLAGGED, Envelope
from mailtui.usecase.conversation import copy_rank

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
    # The other folders holding the same message (Gmail's labels, a copy): shown once.
    also_in: tuple[str, ...] = ()
    flagged: bool = False


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
        all_folders = [f for f in service.folders() if f.selectable]
        roles = {f.name: f.role for f in all_folders}
        folders = [f.name for f in all_folders]
        if folder != EVERYWHERE:
            folders = [f for f in folders if f == folder]
        # One message in several folders (Gmail: one per label, and All Mail) is one
        # hit, shown in the folder people look first (usecase/conversation.COPY_ORDER).
        copies: dict[tuple, list[tuple[tuple[bool, int], str, int, Envelope]]] = {}
        alone: list[tuple[str, int, Envelope]] = []
        for one in folders:
            try:
                uids = service.cache().search(one, query, limit=limit)
            except MailtuiError:
                continue  # a folder the cache cannot search (never synced): left out
            for uid, env in service.envelopes(one, uids).items():
                ident = identity(env.message_key, env.message_id)
                if ident is None:
                    alone.append((one, uid, env))
                else:
                    copies.setdefault(ident, []).append((copy_rank(one, roles), one, uid, env))
        for group in copies.values():
            group.sort(key=lambda c: (c[0], c[1], c[2]))
            _rank, one, uid, env = group[0]
            others = tuple(dict.fromkeys(c[1] for c in group[1:] if c[1] != one))
            hits.append(_hit(name, one, uid, env, others))
        hits.extend(_hit(name, one, uid, env) for one, uid, env in alone)
    hits.sort(key=lambda h: (h.date, h.uid), reverse=True)
    return hits[:limit]


def _hit(account: str, folder: str, uid: int, env: Envelope, also_in: tuple[str, ...] = ()) -> Hit:
    sender = env.from_[0].display() if env.from_ else ""
    return Hit(
        account,
        folder,
        uid,
        env.date or env.internaldate,
        sender,
        env.subject,
        not env.seen,
        also_in,
        FLAGGED in env.flags,
    )
