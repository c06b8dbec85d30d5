"""The open account's connection as the user sees it: status, offline banner, back online.

A component of the main screen (see ui/host.py). It owns `online` (None until the
service says), which the other components read through the screen: an empty list
says "offline", a search runs on the cache, a body that is not cached says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from mailtui.sync import commands, events
from mailtui.text.safe import clean_line

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.listing import Listing


class Connection:
    """Connection state of the open account (see the module docstring)."""

    def __init__(self, host: ScreenHost, listing: Listing) -> None:
        self._host = host
        self._listing = listing
        self.online: bool | None = None

    def forget(self) -> None:
        """Another account was opened: its own state, not a change to announce."""
        self.online = None

    def catch_up(self) -> None:
        """Events emitted before the screen listened are gone; what they said is either in
        the cache (folders, rows, counts: read when the screen opens) or the service's
        connection state, read here."""
        host = self._host
        service = host.mail.services.get(host.account)
        if service is None:
            return
        # A cache read that competes with the first screen's: after it (issue 17).
        self._listing.after_first_paint(self.read_offline_counts)
        if self.online is not None:
            return
        if service.online is None:  # not connected yet
            host.status.set(state="connecting", detail="")
            host.banner.hide()
            return
        state = "online" if service.online else "offline"
        detail = "" if service.online else service.offline_reason
        self.changed(events.ConnectionChanged(account=host.account, state=state, detail=detail))

    def read_offline_counts(self) -> None:
        """Show what the open account can read offline (when it prefetches), read from
        the cache on the bridge's reader thread; prefetch passes update it after."""
        host = self._host
        host.status.set(readable=-1, wanted=0)
        host.run_worker(self._read_offline_counts(host.account), group="offline-counts")

    async def _read_offline_counts(self, account: str) -> None:
        """How much of the account can be read offline, from the cache (prefetch)."""
        host = self._host
        service = host.mail.services[account]
        counts = await host.mail.bridge.read(lambda: service.prefetcher.counts(service.cache()))
        if counts is None or host.account != account or not host.is_attached:
            return
        try:
            host.status.set(readable=counts[0], wanted=counts[1])
        except NoMatches:  # the app closed while the cache was read
            return

    def offline_readable(self, event: events.OfflineReadable) -> None:
        """A prefetch pass kept more (status bar: "1,204 of 1,300 readable offline")."""
        if event.account == self._host.account:
            self._host.status.set(readable=event.readable, wanted=event.wanted)

    def changed(self, event: events.ConnectionChanged) -> None:
        """The service's connection went up or down."""
        host = self._host
        if event.account != host.account:
            return
        was = self.online
        self.online = event.state == "online"
        # The reason may quote the server (a BYE's text): kept made inert, once.
        detail = clean_line(event.detail)
        host.status.set(state=event.state, detail=detail)
        banner = host.banner
        if self.online:
            banner.hide()
            if was is False:
                host.notify("Back online", timeout=3, markup=False)
                host.mail.bridge.submit(host.service, commands.SyncAll())
        else:
            banner.show(detail, host.status.status.pending)
            host.messages.placeholder = self._listing.placeholder()
            host.messages.refresh()

    def pending_changed(self, event: events.PendingChanged) -> None:
        """How many changes wait for the server: status bar, and the banner when offline."""
        host = self._host
        if event.account != host.account:
            return
        host.status.set(pending=event.count)
        if self.online is False:
            host.banner.show(host.status.status.detail, event.count)
