"""Search in the open folder: the query, its matches, n/N between them.

A component of the main screen (see ui/host.py). The service searches the server
(or the cache, offline or when the connection drops meanwhile); the list marks the
matching rows and the cursor jumps between them.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.screens.picker import Prompt

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost

_EXAMPLE = 'from:alice subject:"q3 report" unseen since:2026-01-01 invoice'


class Search:
    """The search of the open folder (see the module docstring)."""

    def __init__(self, host: ScreenHost) -> None:
        self._host = host
        self.query = ""

    def ask(self) -> None:
        """/: prompt for a query (the last one filled in); empty clears the search."""
        host = self._host
        if host.folder is None:
            return

        def submitted(query: str | None) -> None:
            if query is None:
                return
            if not query.strip():
                self.clear()
                return
            self.run(query.strip())

        host.mail.push_screen(Prompt("Search this folder", self.query, _EXAMPLE), submitted)

    def run(self, query: str) -> None:
        self._host.run_worker(partial(self._run, query), group="search", exclusive=True)

    async def _run(self, query: str) -> None:
        host = self._host
        folder, service = host.folder, host.service
        if folder is None:
            return
        self.query = query
        host.status.set(search=query, matches=-1)
        local = host.online is False
        try:
            uids = await host.mail.bridge.call(
                service, commands.Search(folder=folder, query=query, local=local)
            )
        except ServiceFailed as exc:
            if exc.kind == "ConnectionLost" and not local:
                uids = await host.mail.bridge.call(
                    service, commands.Search(folder=folder, query=query, local=True)
                )
            else:
                self.clear()
                host.notify(exc.sentence(), severity="error", markup=False)
                return
        if folder != host.folder or not host.is_attached:
            return
        messages = host.messages
        messages.set_matches(uids or [])
        host.status.set(matches=len(messages.matches))
        if not messages.matches:
            host.notify(f"Nothing matches {query}", timeout=3, markup=False)
        elif messages.cursor_uid not in messages.matches:
            messages.next_match(1)

    def next(self, step: int) -> None:
        """To the next (1) or previous (-1) match."""
        if not self._host.messages.next_match(step):
            self._host.notify("No search matches; / searches", timeout=2, markup=False)

    def forget(self) -> None:
        """Another folder was opened: no query (its status is set with the folder's)."""
        self.query = ""

    def clear(self) -> None:
        """No search: matches unmarked, the status bar says none."""
        self.query = ""
        self._host.messages.set_matches(())
        self._host.status.set(search="", matches=-1)
