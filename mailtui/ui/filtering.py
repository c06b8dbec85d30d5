"""The filter (mutt's limit, aerc's :filter): the list shows only the matching messages.

A component of the main screen (see ui/host.py). The query language is the search's
(mailtui.backend.query). The cache answers, on every reload, so new mail that matches
joins the list; a query that looks into bodies (body:, free words) goes to the server's
SEARCH once, when online, and its matches are kept. Threads and sort apply to the
matches; the status bar names the filter; escape (or an empty filter) shows all again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from mailtui.backend.query import QueryError
from mailtui.model import MessageRef
from mailtui.sync import commands
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.results_triage import ResultActions
from mailtui.ui.screens.picker import Prompt
from mailtui.ui.screens.results import ResultsScreen
from mailtui.ui.views import needs_server
from mailtui.usecase.search_all import Hit, search_everywhere

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.listing import Listing

_EXAMPLE = "from:boss unseen since:2026-01-01 (empty: show all)"


class Filter:
    """The open folder's filter (see the module docstring)."""

    def __init__(self, host: ScreenHost, listing: Listing) -> None:
        self._host = host
        self._listing = listing
        # How `r` in the results of a search everywhere replies (the screen's composer).
        self.reply: Callable[[MessageRef], None] | None = None

    @property
    def query(self) -> str:
        return self._listing.spec.query

    def ask(self) -> None:
        """Prompt for the filter (the current one filled in); empty shows all."""
        if self._host.folder is None:
            return

        def submitted(text: str | None) -> None:
            if text is not None:
                self.apply(text)

        self._host.mail.push_screen(
            Prompt("Show only messages matching", self.query, _EXAMPLE), submitted
        )

    def check(self, text: str) -> bool:
        """Whether `text` is a query the filter can use (else the user is told why)."""
        try:
            needs_server(text)
        except QueryError as exc:
            self._host.notify(exc.sentence(), severity="error", markup=False)
            return False
        return True

    def apply(self, text: str) -> None:
        """Filter by `text` (checked first: a mistake is a toast, not a dead list)."""
        text = text.strip()
        if not text:
            self.clear()
            return
        try:
            server = needs_server(text) and self._host.online is not False
        except QueryError as exc:
            self._host.notify(exc.sentence(), severity="error", markup=False)
            return
        if not server:
            self._listing.set_filter(text)
            return
        self._host.run_worker(partial(self._from_server, text), group="filter", exclusive=True)

    async def _from_server(self, text: str) -> None:
        host = self._host
        folder, service = host.folder, host.service
        if folder is None:
            return
        host.status.set(filter=text, shown=0)
        try:
            uids = await host.mail.bridge.call(service, commands.Search(folder=folder, query=text))
        except ServiceFailed as exc:
            if exc.kind != "ConnectionLost":
                host.notify(exc.sentence(), severity="error", markup=False)
                return
            host.notify(
                "Offline: the filter looks at the cached headers only", timeout=4, markup=False
            )
            uids = None
        if folder != host.folder or not host.is_attached:
            return
        self._listing.set_filter(text, frozenset(uids) if uids is not None else None)

    def everywhere(self, account: str, folder: str, text: str, title: str) -> None:
        """A saved search over every folder ("*") or every account ("*"): its matches
        from the caches in a list; enter opens one in its folder, at that message."""
        self._host.run_worker(
            partial(self._everywhere, account, folder, text, title), group="filter"
        )

    async def _everywhere(self, account: str, folder: str, text: str, title: str) -> None:
        host = self._host
        services = dict(host.mail.services)
        hits = await asyncio.to_thread(
            search_everywhere, services, text, account=account, folder=folder
        )

        def rerun() -> list[Hit]:
            return search_everywhere(services, text, account=account, folder=folder)

        actions = ResultActions(services, host.mail.bridge, rerun)
        screen = ResultsScreen(title, hits, host.mail.clock, actions)

        def chosen(hit: Hit | None) -> None:
            if hit is None or not host.is_attached:
                return
            self._listing.keep_cursor_on(hit.uid)
            host.open_folder(hit.account, hit.folder)
            host.messages.focus()
            if screen.intent == "reply" and self.reply is not None:
                self.reply(MessageRef(hit.folder, hit.uid))

        host.mail.push_screen(screen, chosen)

    def clear(self) -> bool:
        """Show every message again; False when there was no filter."""
        if not self.query:
            return False
        self._listing.set_filter("")
        return True
