"""The preview line (P, `[ui] preview`): the start of each message's text after its
subject, for the rows on screen, fetched behind the paint.

A component of the main screen (see ui/host.py). The list draws from the cache at
once, as always; a 150 ms tick notices which rows are on screen, and once they have
stayed put for a tick (not while the user scrolls) asks for the previews those rows
lack: the cache's first (`cache/previews.py`, in a thread), then the service's
`FetchPreviews` (PREVIEW, or a capped partial fetch) on the interactive connection.
The fetch is an exclusive worker: rows that scroll away before it answers are
dropped (what the server sent is still cached for next time). Nothing here blocks
the event loop or delays the first rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import TYPE_CHECKING

from mailtui.cache.previews import cached_previews
from mailtui.sync import commands
from mailtui.ui.bridge import ServiceCancelled, ServiceFailed

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost

__all__ = ["PREVIEW_TICK", "Previews"]

PREVIEW_TICK = 0.15
"""Seconds between looks at which rows are on screen (a tuple comparison each)."""
_KEEP = 5000
"""The most previews held for the open folder (the cache keeps them all)."""


class Previews:
    """Which rows need a preview, and fetching them (see the module docstring)."""

    def __init__(self, host: ScreenHost) -> None:
        self._host = host
        self.enabled = host.mail.ctx.settings.ui.preview
        self._folder: tuple[str, str | None] | None = None
        self._seen: tuple[int, ...] = ()  # the rows on screen at the last tick
        self._asked: tuple[int, ...] = ()  # the rows last fetched for
        self.fetches = 0  # FetchPreviews sent (for tests and the benchmark)

    def start(self) -> None:
        self._host.messages.show_previews = self.enabled
        self._host.set_interval(PREVIEW_TICK, self.tick, name="previews")

    def toggle(self) -> None:
        """P: the preview line on or off."""
        self.enabled = not self.enabled
        rows = self._host.messages
        rows.show_previews = self.enabled
        rows.refresh()
        self._asked = ()
        self._host.notify(
            "Preview line on" if self.enabled else "Preview line off", timeout=2, markup=False
        )

    def tick(self) -> None:
        """Fetch for the rows on screen once they have stayed put for one tick."""
        if not self.enabled:
            return
        host = self._host
        rows = host.messages
        where = (host.account, host.folder)
        if where != self._folder:
            self._folder = where
            rows.previews.clear()
            self._asked = ()
        top = round(rows.scroll_y)
        visible = tuple(rows.rows[top : top + rows.scrollable_content_region.height])
        if visible != self._seen:
            self._seen = visible  # still moving: wait for it to rest
            return
        if visible == self._asked or host.folder is None:
            return
        self._asked = visible
        missing = tuple(u for u in visible if u not in rows.previews)
        if missing:
            work = partial(self._fetch, host.account, host.folder, missing)
            host.run_worker(work, group="previews", exclusive=True, exit_on_error=False)

    async def _fetch(self, account: str, folder: str, uids: tuple[int, ...]) -> None:
        host = self._host
        service = host.mail.services[account]
        cached = await asyncio.to_thread(lambda: cached_previews(service.cache(), folder, uids))
        self._show(account, folder, cached)
        rest = tuple(u for u in uids if u not in cached)
        if not rest or host.online is False:
            return
        self.fetches += 1
        with contextlib.suppress(ServiceFailed, ServiceCancelled):
            got = await host.mail.bridge.call(
                service, commands.FetchPreviews(folder=folder, uids=rest)
            )
            self._show(account, folder, got)

    def _show(self, account: str, folder: str, previews: dict[int, str]) -> None:
        host = self._host
        if not previews or (host.account, host.folder) != (account, folder):
            return
        rows = host.messages
        if len(rows.previews) > _KEEP:
            rows.previews.clear()
        rows.previews.update(previews)
        rows.refresh()
