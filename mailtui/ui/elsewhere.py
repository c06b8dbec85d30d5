"""In the thread view (t), how many messages of each conversation on screen other
folders hold — your replies in Sent, the archived ones — shown as "(+N elsewhere)"
beside the thread's first row; `V` opens them all.

A component of the main screen (see ui/host.py), like the preview line: a tick notices
the thread rows on screen once they rest, and one cache query (cache/conversations.py
`elsewhere_counts`, in a thread; no network) counts for all of them. Nothing is done
while the list is flat.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from mailtui.cache.conversations import elsewhere_counts

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.listing import Listing

__all__ = ["Elsewhere"]

TICK = 0.3
"""Seconds between looks at the thread rows on screen."""


class Elsewhere:
    """Counts of each visible conversation's messages in other folders."""

    def __init__(self, host: ScreenHost, listing: Listing) -> None:
        self._host = host
        self._listing = listing
        self._seen: tuple[object, ...] = ()
        self._asked: tuple[object, ...] = ()

    def start(self) -> None:
        self._host.set_interval(TICK, self.tick, name="elsewhere")

    def tick(self) -> None:
        host = self._host
        rows = host.messages
        if rows.depths is None or host.folder is None:
            if rows.elsewhere:
                rows.elsewhere = {}
            self._asked = ()
            return
        top = round(rows.scroll_y)
        height = rows.scrollable_content_region.height
        view = self._listing.view
        shown = zip(rows.rows[top : top + height], rows.depths[top : top + height], strict=False)
        roots = tuple(uid for uid, depth in shown if not depth)
        where = (host.account, host.folder, view.synced, roots, id(view))
        if where != self._seen:
            self._seen = where  # moving, or the view changed: wait for it to rest
            return
        if where == self._asked:
            return
        self._asked = where
        groups = {uid: list(view.members.get(uid, [uid])) for uid in roots}
        work = partial(self._count, host.account, host.folder, groups)
        host.run_worker(work, group="elsewhere", exclusive=True, exit_on_error=False)

    async def _count(self, account: str, folder: str, groups: dict[int, list[int]]) -> None:
        host = self._host
        service = host.mail.services[account]
        counts = await asyncio.to_thread(lambda: elsewhere_counts(service.cache(), folder, groups))
        if (host.account, host.folder) != (account, folder):
            return
        rows = host.messages
        rows.elsewhere = counts
        rows.refresh()
