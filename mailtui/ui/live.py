"""Live updates: service events applied to the panes, and folder counts kept current.

A mixin of the main screen. Events arrive on the UI thread through ui/bridge.py;
structural deltas (new, vanished, moved mail) are coalesced into one list reload,
flag changes only invalidate the affected rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailtui.model import Role
from mailtui.sync import commands, events
from mailtui.text.safe import clean_line
from mailtui.ui.widgets.folder_tree import display_name
from mailtui.ui.widgets.status_bar import OfflineBanner

if TYPE_CHECKING:
    from mailtui.ui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

_COUNTS_DELAY = 0.3  # coalesce count updates of a burst of events


class LiveMixin(_Base):
    """Event handling for MainScreen (see the module docstring)."""

    # --- counts --------------------------------------------------------------------------

    def refresh_counts(self, account: str, folder: str) -> None:
        self._counts_due.add((account, folder))
        if self._counts_timer is None:
            self._counts_timer = self.set_timer(_COUNTS_DELAY, self._counts_now)

    def _counts_now(self) -> None:
        self._counts_timer = None
        if not self.is_attached:
            return
        due, self._counts_due = self._counts_due, set()
        for account, folder in due:
            service = self.mail.services.get(account)
            if service is None:
                continue
            total, unread = service.counts(folder)
            self._show_counts(account, folder, total, unread, service.folder_state(folder).synced)

    def _show_counts(
        self, account: str, folder: str, total: int, unread: int, synced: bool
    ) -> None:
        # Before its first sync the cache knows less than the server's STATUS counts.
        if synced or total:
            self.folder_tree.update_counts(account, folder, total, unread)
        if (account, folder) == (self.account, self.folder):
            self.status.set(count=total, unread=unread)

    # --- service events --------------------------------------------------------------------

    def handle_event(self, event: events.Event) -> None:
        """One sync event, on the UI thread (see ui/bridge.py)."""
        handler = getattr(self, f"_event_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def _current(self, event: Any) -> bool:
        return event.account == self.account and event.folder == self.folder

    def catch_up(self) -> None:
        """Events emitted before the app listened are gone; what they said is either in
        the cache (folders, rows, counts: read when the screen opens) or the service's
        connection state, read here."""
        service = self.mail.services.get(self.account)
        if service is None or self.online is not None:
            return
        if service.online is None:  # not connected yet
            self.status.set(state="connecting", detail="")
            self.query_one(OfflineBanner).hide()
            return
        state = "online" if service.online else "offline"
        detail = "" if service.online else service.offline_reason
        self._event_ConnectionChanged(
            events.ConnectionChanged(account=self.account, state=state, detail=detail)
        )

    def _event_ConnectionChanged(self, event: events.ConnectionChanged) -> None:
        if event.account != self.account:
            return
        was = self.online
        self.online = event.state == "online"
        # The reason may quote the server (a BYE's text): kept made inert, once.
        detail = clean_line(event.detail)
        self.status.set(state=event.state, detail=detail)
        banner = self.query_one(OfflineBanner)
        if self.online:
            banner.hide()
            if was is False:
                self.notify("Back online", timeout=3, markup=False)
                self.mail.bridge.submit(self.service, commands.SyncAll())
        else:
            banner.show(detail, self.status.status.pending)
            self.messages.placeholder = self._placeholder(self.view.synced)
            self.messages.refresh()

    def _event_FoldersListed(self, event: events.FoldersListed) -> None:
        self.folder_tree.set_folders(event.account, list(event.folders))
        if event.account == self.account and self.folder:
            self._watch(self.account, self.folder)
            info = self.folder_tree.folder(self.account, self.folder)
            if info is not None:
                self.status.set(folder=display_name(info))
                self.messages.outgoing = info.role in (Role.SENT, Role.DRAFTS)

    def _event_SyncStarted(self, event: events.SyncStarted) -> None:
        if event.account == self.account:
            self.status.set(syncing=event.folder, done=0, total=event.total)

    def _event_HeadersSynced(self, event: events.HeadersSynced) -> None:
        if event.account == self.account and event.total:
            self.status.set(syncing=event.folder, done=event.done, total=event.total)
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.messages.invalidate(event.uids)
            self.schedule_reload()

    def _event_FlagsChanged(self, event: events.FlagsChanged) -> None:
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.messages.invalidate(event.uids)
            self.reader_flags_changed(event.uids)

    def _event_MessagesVanished(self, event: events.MessagesVanished) -> None:
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.schedule_reload()

    def _event_FolderSynced(self, event: events.FolderSynced) -> None:
        if event.account == self.account and self.status.status.syncing == event.folder:
            self.status.set(syncing="", done=0, total=0)
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.schedule_reload()

    def _event_NewMail(self, event: events.NewMail) -> None:
        self.refresh_counts(event.account, event.folder)
        if self._current(event):
            self.schedule_reload()

    def _event_ActionApplied(self, event: events.ActionApplied) -> None:
        self.refresh_counts(event.account, event.folder)
        if event.dest:
            self.refresh_counts(event.account, event.dest)
        if not self._current(event):
            return
        if event.kind == "flags":
            self.messages.invalidate(event.uids)
            self.reader_flags_changed(event.uids)
        else:
            self.reload()

    def _event_ActionFailed(self, event: events.ActionFailed) -> None:
        self.notify(
            f"{event.message}. The folder is being resynced to show what the server holds.",
            severity="error",
            markup=False,
        )

    def _event_PendingChanged(self, event: events.PendingChanged) -> None:
        if event.account != self.account:
            return
        self.status.set(pending=event.count)
        if self.online is False:
            self.query_one(OfflineBanner).show(self.status.status.detail, event.count)

    def _event_Failed(self, event: events.Failed) -> None:
        # Connection trouble shows as the offline banner; everything else is news.
        if event.kind in ("ConnectionLost",) or self.online is False:
            return
        message = event.message + (f" — {event.hint}" if event.hint else "")
        self.notify(message, severity="error", markup=False, timeout=8)
