"""The main screen: folder tree, message list, reader, status — and the keys behind them.

The screen lays out the panes, knows which folder is open, receives the service's
events (ui/messages.py, posted by ui/bridge.py) and routes each key to the component
that does the work. The components own their state and see the screen only through
`ScreenHost` (ui/host.py): Listing (rows, views, counts), Connection (online, offline
banner), Reading, Navigation, Search, Triage, Composer and Outbox.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Tree

from mailtui.model import Role
from mailtui.sync import commands, events
from mailtui.ui.attaching import Attaching
from mailtui.ui.bridge import ServiceCancelled, ServiceFailed
from mailtui.ui.commanding import Commands
from mailtui.ui.composing import Composer
from mailtui.ui.connection import Connection
from mailtui.ui.elsewhere import Elsewhere
from mailtui.ui.exporting import Exporting
from mailtui.ui.filtering import Filter
from mailtui.ui.folders import Folders
from mailtui.ui.invites import Invites
from mailtui.ui.keymap import bindings
from mailtui.ui.listing import Listing
from mailtui.ui.messages import ServiceMessage
from mailtui.ui.navigation import Navigation
from mailtui.ui.outgoing import Outbox, OutboxChecked
from mailtui.ui.previewing import Previews
from mailtui.ui.reading import Reading
from mailtui.ui.screens.keys import KeyActions
from mailtui.ui.search import Search
from mailtui.ui.triage import Triage
from mailtui.ui.unsubscribing import Unsubscribing
from mailtui.ui.views import needs_server
from mailtui.ui.widgets.folder_tree import FolderRef, FolderTree, display_name
from mailtui.ui.widgets.message_list import MessageList
from mailtui.ui.widgets.reader import Reader
from mailtui.ui.widgets.status_bar import NoticeBanner, OfflineBanner, StatusBar

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.app import MailApp
    from mailtui.usecase.sending import OutboxSender, Queued

log = logging.getLogger("mailtui.ui")

M = TypeVar("M", bound=ServiceMessage[events.Event])
_FolderEvent = (
    events.HeadersSynced
    | events.FlagsChanged
    | events.MessagesVanished
    | events.FolderSynced
    | events.NewMail
    | events.ActionApplied
)


def _while_shown(handler: Callable[[MainScreen, M], None]) -> Callable[[MainScreen, M], None]:
    """A service message handler that does nothing once the screen is going away.

    A late sync event must not crash the app while it closes: its widgets are being
    torn down and there is nothing left to update."""

    @functools.wraps(handler)
    def guarded(screen: MainScreen, message: M) -> None:
        if not (screen.is_mounted and screen.is_attached):
            return
        try:
            handler(screen, message)
        except NoMatches:
            log.debug("dropped %s: the main screen is closing", type(message).__name__)

    return guarded


class MainScreen(KeyActions, Screen[None]):
    """Three panes over one account's folder at a time."""

    BINDINGS = bindings()
    AUTO_FOCUS = "#messages"

    def __init__(self) -> None:
        super().__init__(id="main")
        self.account = ""
        self.folder: str | None = None
        self.listing = Listing(self)
        self.connection = Connection(self, self.listing)
        self.invites = Invites(self, review=lambda draft: self.composer.review(draft))
        self.reading = Reading(
            self,
            write_to=lambda link: self.composer.start("mailto", link),
            shown=self.invites.load,
        )
        self.unsubscribing = Unsubscribing(
            self, self.reading, review=lambda draft: self.composer.review(draft)
        )
        self.navigation = Navigation(self)
        self.search = Search(self)
        self.filter = Filter(self, self.listing)
        self.folders = Folders(self)
        self.triage = Triage(self, self.listing, self.reading)
        self.outbox = Outbox(self)
        self.previews = Previews(self)
        self.elsewhere = Elsewhere(self, self.listing)
        self.composer = Composer(self, self.outbox, self.reading)
        self.filter.reply = lambda ref: self.composer.start("reply", target=ref)
        self.commands = Commands(
            self,
            listing=self.listing,
            triage=self.triage,
            search=self.search,
            filter=self.filter,
            folders=self.folders,
        )
        self.attaching = Attaching(self, self.commands)
        self.commands.own["invite"] = self.invites.run_line
        self.exporting = Exporting(
            self, listing=self.listing, reading=self.reading, commands=self.commands
        )

    @property
    def mail(self) -> MailApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self) -> SyncService:
        return self.mail.services[self.account]

    @property
    def online(self) -> bool | None:
        return self.connection.online

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        clock = self.mail.clock
        if self.mail.notice:
            yield NoticeBanner(self.mail.notice, id="notice")
        yield OfflineBanner(id="banner")
        with Horizontal(id="body"):
            yield FolderTree(id="folders")
            with Vertical(id="right"):
                yield MessageList(clock=clock, id="messages")
                yield Reader(clock=clock, id="reader")
        yield StatusBar(id="status")
        yield Footer(id="footer", show_command_palette=False)

    @property
    def folder_tree(self) -> FolderTree:
        return self.query_one(FolderTree)

    @property
    def messages(self) -> MessageList:
        return self.query_one(MessageList)

    @property
    def reader(self) -> Reader:
        return self.query_one(Reader)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def banner(self) -> OfflineBanner:
        return self.query_one(OfflineBanner)

    def on_mount(self) -> None:
        # [ui.keys] sequences bound to command lines: their first keys go first.
        for first in sorted({seq[0] for seq in self.mail.keymap.commands}):
            self._bindings.bind(first, f"key_sequence({first!r})", show=False, priority=True)
        # Service events come here as messages from now on; what was announced before
        # is read from the cache and the services below.
        self.mail.bridge.deliver_to(self)
        self.navigation.restore_layout()
        self.listing.start()
        self.reader.set_palette(self.mail.palette())
        default = self.mail.ctx.settings.default_account or ""
        self.folder_tree.set_saved_searches(
            [
                (s.name, FolderRef(s.account or default, s.folder, query=s.query))
                for s in self.mail.ctx.settings.ui.saved_searches
                if (s.account or default) in (*self.mail.services, "*")
            ]
        )
        for name, one in self.mail.services.items():
            # The server's last counts: the cache counts the open folder after its rows.
            self.folder_tree.set_folders(name, one.folders(counts=False))
        account, folder = self._initial_folder()
        self.open_folder(account, folder)
        self.connection.catch_up()  # what was announced before the app listened
        # The cache draws the first screen alone; then the syncs start (issue 17).
        self.listing.after_first_paint(self._start_syncing)
        self.on_resize()
        self.outbox.start()
        self.previews.start()
        self.elsewhere.start()

    def _start_syncing(self) -> None:
        """After the first screen: the syncs not started before the app, the open
        account's first and then one account at a time (ten accounts no longer open ten
        connections and TLS handshakes at once behind the first screen; issue 17), and
        the folder poller that keeps every account's counts current."""
        waiting = [n for n in self.mail.services if not self.mail.sync_started(n)]
        waiting.sort(key=lambda name: name != self.account)
        if waiting:
            self.run_worker(self._sync_in_turn(waiting), group="start-syncs")
        for one in self.mail.services.values():
            # Counts of every account's folders stay current, watched or not.
            self.mail.bridge.submit(one, commands.KeepFoldersCurrent())

    async def _sync_in_turn(self, names: list[str]) -> None:
        for name in names:
            try:
                await self.mail.bridge.call(self.mail.services[name], commands.SyncAll())
            except ServiceCancelled:
                return  # the app is closing
            except ServiceFailed as exc:
                # As on_failed shows a failure posted by the service; connection trouble
                # is the offline banner's to tell.
                if exc.kind != "ConnectionLost" and self.online is not False:
                    self.notify(exc.sentence(), severity="error", markup=False, timeout=8)

    def on_unmount(self) -> None:
        self.mail.bridge.deliver_to(None)
        self.outbox.stop()

    def on_resize(self, event: object = None) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    def _initial_folder(self) -> tuple[str, str]:
        accounts = list(self.mail.services)
        preferred = self.mail.account if self.mail.account in accounts else accounts[0]
        last = self.mail.load_state().get("last", {})
        account = last.get("account")
        folder = last.get("folder")
        if (
            isinstance(account, str)
            and isinstance(folder, str)
            and account in accounts
            and (self.mail.account is None or account == self.mail.account)
            and self.folder_tree.folder(account, folder) is not None
        ):
            return account, folder
        return preferred, "INBOX"

    def open_folder(self, account: str, folder: str, query: str = "") -> None:
        """Rows from the cache now; the service brings the folder up to date behind it.
        `query`: show it filtered (a saved search)."""
        switched = account != self.account
        self.account = account
        self.folder = folder
        if switched and self.is_mounted:
            self.connection.forget()
            self.connection.catch_up()
        info = self.folder_tree.folder(account, folder)
        self.messages.outgoing = info is not None and info.role in (Role.SENT, Role.DRAFTS)
        self.search.forget()
        self.reader.clear()
        self.status.set(
            account=account, folder=display_name(info) if info else folder, search="", selected=0
        )
        self.folder_tree.show_folder(account, folder)
        one = self.mail.services[account]
        self.messages.fetch = lambda uids: one.envelopes(folder, uids)
        self.mail.save_state({"last": {"account": account, "folder": folder}})
        self.listing.show(account, folder, query)

    # --- widget messages -------------------------------------------------------------------

    @on(Tree.NodeSelected, "#folders")
    def _folder_chosen(self, event: Tree.NodeSelected[FolderRef]) -> None:
        ref = event.node.data
        if ref is None or ref.folder is None:
            event.node.toggle()
            return
        if not ref.selectable:
            self.notify("This folder holds only other folders", timeout=3, markup=False)
            return
        if ref.query is not None and not self.filter.check(ref.query):
            return
        if ref.query is not None and "*" in (ref.account, ref.folder):
            self.filter.everywhere(ref.account, ref.folder, ref.query, str(event.node.label))
            return
        self.open_folder(ref.account, ref.folder, ref.query or "")
        if ref.query and needs_server(ref.query):
            self.filter.apply(ref.query)  # bodies: the server's SEARCH answers
        self.messages.focus()

    @on(MessageList.CursorMoved)
    def _cursor_moved(self, event: MessageList.CursorMoved) -> None:
        self.status.set(selected=len(self.messages.selected_uids()))
        self.reading.preview_soon(event.uid, user=event.user)

    @on(MessageList.Activated)
    def _activated(self, event: MessageList.Activated) -> None:
        self.reading.open_now(event.uid, opened=True)

    def on_outbox_checked(self, message: OutboxChecked) -> None:
        self.outbox.checked(message)

    # --- service events (structural deltas coalesce into one reload; flags invalidate rows)

    def _touched(self, event: _FolderEvent) -> bool:
        """A folder's content changed: its counts are read again; True if it is open."""
        self.listing.refresh_counts(event.account, event.folder)
        return (event.account, event.folder) == (self.account, self.folder)

    @_while_shown
    def on_connection_changed(self, message: ServiceMessage[events.ConnectionChanged]) -> None:
        self.connection.changed(message.event)

    @_while_shown
    def on_pending_changed(self, message: ServiceMessage[events.PendingChanged]) -> None:
        self.connection.pending_changed(message.event)

    @_while_shown
    def on_offline_readable(self, message: ServiceMessage[events.OfflineReadable]) -> None:
        self.connection.offline_readable(message.event)

    @_while_shown
    def on_folders_listed(self, message: ServiceMessage[events.FoldersListed]) -> None:
        event = message.event
        self.folder_tree.set_folders(event.account, list(event.folders))
        self.listing.refresh_total(event.account)
        if event.account == self.account and self.folder:
            self.listing.watch(self.account, self.folder)
            info = self.folder_tree.folder(self.account, self.folder)
            if info is not None:
                self.status.set(folder=display_name(info))
                self.messages.outgoing = info.role in (Role.SENT, Role.DRAFTS)

    @_while_shown
    def on_sync_started(self, message: ServiceMessage[events.SyncStarted]) -> None:
        event = message.event
        if event.account == self.account:
            self.status.set(syncing=event.folder, done=0, total=event.total)

    @_while_shown
    def on_headers_synced(self, message: ServiceMessage[events.HeadersSynced]) -> None:
        event = message.event
        if event.account == self.account and event.total:
            self.status.set(syncing=event.folder, done=event.done, total=event.total)
        if self._touched(event):
            self.messages.invalidate(event.uids)
            self.listing.schedule_reload()

    @_while_shown
    def on_flags_changed(self, message: ServiceMessage[events.FlagsChanged]) -> None:
        event = message.event
        if self._touched(event):
            self.messages.invalidate(event.uids)
            self.reading.flags_changed(event.uids)

    @_while_shown
    def on_messages_vanished(self, message: ServiceMessage[events.MessagesVanished]) -> None:
        if self._touched(message.event):
            self.listing.schedule_reload()

    @_while_shown
    def on_folder_synced(self, message: ServiceMessage[events.FolderSynced]) -> None:
        event = message.event
        if event.account == self.account and self.status.status.syncing == event.folder:
            self.status.set(syncing="", done=0, total=0)
        if self._touched(event):
            self.listing.schedule_reload()

    @_while_shown
    def on_folder_changed(self, message: ServiceMessage[events.FolderChanged]) -> None:
        """Another mailtui process sharing the cache changed this folder: its events never
        reached us, so every row held may be stale (flags, rows gone, rows new)."""
        if self._touched(message.event):
            self.messages.invalidate()
            shown = self.reader.key
            if shown is not None:
                self.reading.flags_changed((shown[2],))
            self.listing.schedule_reload()

    @_while_shown
    def on_new_mail(self, message: ServiceMessage[events.NewMail]) -> None:
        if self._touched(message.event):
            self.listing.schedule_reload()

    @_while_shown
    def on_action_applied(self, message: ServiceMessage[events.ActionApplied]) -> None:
        event = message.event
        if event.dest:
            self.listing.refresh_counts(event.account, event.dest)
        if not self._touched(event):
            return
        if event.kind == "flags":
            self.messages.invalidate(event.uids)
            self.reading.flags_changed(event.uids)
        else:
            self.listing.reload()

    @_while_shown
    def on_action_failed(self, message: ServiceMessage[events.ActionFailed]) -> None:
        self.notify(
            f"{message.event.message}. The folder is being resynced to show what the server holds.",
            severity="error",
            markup=False,
        )

    @_while_shown
    def on_failed(self, message: ServiceMessage[events.Failed]) -> None:
        event = message.event
        # Connection trouble shows as the offline banner; everything else is news.
        if event.kind in ("ConnectionLost",) or self.online is False:
            return
        text = event.message + (f" — {event.hint}" if event.hint else "")
        self.notify(text, severity="error", markup=False, timeout=8)

    # --- what the outbox view asks of its host (ui/screens/outbox.py: OutboxHost) -------

    @property
    def outbox_senders(self) -> dict[str, OutboxSender]:
        return self.outbox.senders

    def outbox_retry_now(self, only: Sequence[str] = ()) -> None:
        self.outbox.retry_now(only)

    def outbox_edit(self, item: Queued) -> None:
        self.composer.edit_queued(item)

    def outbox_recount(self) -> None:
        self.outbox.recount()
