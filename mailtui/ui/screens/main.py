"""The main screen: folder tree, message list, reader, status — and the actions behind the keys.

It is the controller: it opens folders (rows from the cache at once, then the service
keeps them live) and runs the registry's actions. The behaviour lives in mixins, one
job each: ui/live.py (service events, counts), ui/navigation.py (moving, search,
selection, views), ui/reading.py, ui/triage.py and ui/composing.py.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Tree

from mailtui.model import Role
from mailtui.sync import commands
from mailtui.ui.actions import bindings
from mailtui.ui.composing import ComposeMixin
from mailtui.ui.live import LiveMixin
from mailtui.ui.navigation import NavigationMixin
from mailtui.ui.reading import ReadingMixin
from mailtui.ui.triage import TriageMixin
from mailtui.ui.views import SORT_KEYS, FolderView, ViewSpec, compute_view
from mailtui.ui.widgets.folder_tree import FolderRef, FolderTree, display_name
from mailtui.ui.widgets.message_list import MessageList, Rows
from mailtui.ui.widgets.reader import Reader
from mailtui.ui.widgets.status_bar import NoticeBanner, OfflineBanner, StatusBar

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.app import MailApp

_RELOAD_DELAY = 0.15  # coalesce bursts of deltas into one list update
_RECENT_VIEWS = 6


class MainScreen(LiveMixin, NavigationMixin, ReadingMixin, TriageMixin, ComposeMixin, Screen[None]):
    """Three panes over one account's folder at a time."""

    BINDINGS = bindings()
    AUTO_FOCUS = "#messages"

    def __init__(self) -> None:
        super().__init__(id="main")
        self.account = ""
        self.folder: str | None = None
        self.view_spec = ViewSpec()
        self.view = FolderView(rows=Rows())
        self.search_query = ""
        self.online: bool | None = None
        self._reload_timer: Timer | None = None
        self._reloading = False
        self._reload_again = False
        self._counts_due: set[tuple[str, str]] = set()
        self._counts_timer: Timer | None = None
        self._watching: dict[str, str] = {}
        # Recently shown folders' rows: re-opening one is instant, then refreshed.
        self._recent: OrderedDict[tuple[str, str, ViewSpec], FolderView] = OrderedDict()
        self.init_reading()

    @property
    def mail(self) -> MailApp:
        return self.app  # type: ignore[return-value]

    @property
    def service(self) -> SyncService:
        return self.mail.services[self.account]

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

    def on_mount(self) -> None:
        ui = self.mail.ctx.settings.ui
        sort = ui.sort if ui.sort in SORT_KEYS else "date"
        self.view_spec = ViewSpec(sort, ui.reverse, ui.threaded)
        self.status.set(sort=sort, reverse=ui.reverse, threaded=ui.threaded)
        self.reader.set_palette(self.mail.palette())
        for name, service in self.mail.services.items():
            self.folder_tree.set_folders(name, service.folders())
            # Counts of every account's folders stay current, watched or not.
            self.mail.bridge.submit(service, commands.KeepFoldersCurrent())
        account, folder = self._initial_folder()
        self.open_folder(account, folder)
        if self.mail.syncing:
            self.catch_up()  # what was announced before the app listened
        else:
            for service in self.mail.services.values():
                self.mail.bridge.submit(service, commands.SyncAll())
        self.on_resize()

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

    # --- opening folders -----------------------------------------------------------------

    def open_folder(self, account: str, folder: str) -> None:
        """Rows from the cache now; the service brings the folder up to date behind it."""
        switched = account != self.account
        self.account = account
        self.folder = folder
        if switched and self.is_mounted:
            self.online = None  # another account: its own connection state, not a change
            self.catch_up()
        info = self.folder_tree.folder(account, folder)
        self.messages.outgoing = info is not None and info.role in (Role.SENT, Role.DRAFTS)
        self.view_spec = ViewSpec(
            self.view_spec.sort, self.view_spec.reverse, self.view_spec.threaded
        )
        self.search_query = ""
        self.reader.clear()
        self.status.set(
            account=account, folder=display_name(info) if info else folder, search="", selected=0
        )
        self.folder_tree.show_folder(account, folder)
        service = self.mail.services[account]
        self.messages.fetch = lambda uids: service.envelopes(folder, uids)
        self.mail.save_state({"last": {"account": account, "folder": folder}})
        recent = self._recent.get((account, folder, self.view_spec))
        if recent is not None:
            self._apply_view(account, folder, self.view_spec, recent, reset=True)
            self.reload()
        else:
            self.messages.load(Rows(), placeholder="Loading…")
            self.reload(reset=True)

    def _watch(self, account: str, folder: str) -> None:
        """Keep the open folder live (IDLE); needs the folder known to the cache."""
        if self._watching.get(account) == folder:
            return
        service = self.mail.services[account]
        if self.folder_tree.folder(account, folder) is None:
            return  # not listed yet: FoldersListed calls back here
        self._watching[account] = folder
        self.mail.bridge.submit(service, commands.Watch(folder=folder))

    @work(group="view", exclusive=True)
    async def reload(self, reset: bool = False) -> None:
        """Recompute the rows from the cache (off the UI thread) and apply them."""
        try:
            await self._reload(reset)
        except NoMatches:
            # The screen's widgets went away while we read (the app is closing).
            if self.is_attached and self.app.is_running and not self.app._exit:
                raise

    async def _reload(self, reset: bool) -> None:
        if self.folder is None:
            return
        account, folder, spec = self.account, self.folder, self.view_spec
        self._reloading = True
        try:
            view = await self.mail.bridge.read(compute_view, self.service, folder, spec)
        finally:
            self._reloading = False
        if (account, folder) != (self.account, self.folder) or not self.is_attached:
            return
        self._apply_view(account, folder, spec, view, reset=reset)
        if self._reload_again:
            self._reload_again = False
            self.schedule_reload()
        # Counts after the rows: on a 100k folder they cost a few tens of ms.
        total, unread = await self.mail.bridge.read(self.service.counts, folder)
        if self.is_attached:
            self._show_counts(account, folder, total, unread, view.synced)

    def _apply_view(
        self, account: str, folder: str, spec: ViewSpec, view: FolderView, *, reset: bool
    ) -> None:
        self.view = view
        self._recent[(account, folder, spec)] = view
        self._recent.move_to_end((account, folder, spec))
        while len(self._recent) > _RECENT_VIEWS:
            self._recent.popitem(last=False)
        placeholder = self._placeholder(view.synced)
        if reset:
            self.messages.load(view.rows, placeholder=placeholder)
            # Live updates start once the cached rows are on screen.
            self._watch(account, folder)
        else:
            self.messages.update_rows(view.rows, placeholder=placeholder)
        if self._move_after_reload is not None:
            index = self.messages.index_of(self._move_after_reload)
            self._move_after_reload = None
            if index is not None:
                self.messages.move_to(index)

    def _placeholder(self, synced: bool) -> str:
        if self.online is False:
            return "No messages in the cache (offline)"
        return "No messages" if synced else "Loading…"

    def schedule_reload(self) -> None:
        """Coalesce a burst of deltas (a cold sync's batches) into one update."""
        if self._reloading:
            self._reload_again = True
            return
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(_RELOAD_DELAY, self._reload_due)

    def _reload_due(self) -> None:
        self._reload_timer = None
        if self.is_attached:
            self.reload()

    def set_view(self, spec: ViewSpec) -> None:
        self.view_spec = spec
        self.status.set(sort=spec.sort, reverse=spec.reverse, threaded=spec.threaded)
        self.reload()

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
        self.open_folder(ref.account, ref.folder)
        self.messages.focus()

    @on(MessageList.CursorMoved)
    def _cursor_moved(self, event: MessageList.CursorMoved) -> None:
        self.status.set(selected=len(self.messages.selected_uids()))
        self.preview_soon(event.uid, user=event.user)

    @on(MessageList.Activated)
    def _activated(self, event: MessageList.Activated) -> None:
        self.open_now(event.uid, opened=True)

    # --- app -------------------------------------------------------------------------------

    def action_help(self) -> None:
        self.mail.action_show_keys()

    def action_command_palette(self) -> None:
        self.app.action_command_palette()

    def action_change_theme(self) -> None:
        self.app.action_change_theme()

    def action_quit(self) -> None:
        self.app.exit(0)
