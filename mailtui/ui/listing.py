"""The open folder's rows and every folder's counts: views, coalesced reloads, watching.

A component of the main screen (see ui/host.py). It owns how the folder is ordered
(`spec`), the rows shown (`view`), a few recently shown views (re-opening a folder is
instant, then refreshed), and the timers that coalesce bursts of sync events into one
list reload and one count update.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.timer import Timer

from mailtui.cache.conversations import account_unread
from mailtui.sync import commands
from mailtui.ui.views import SORT_KEYS, FolderView, ViewSpec, compute_view, partial_first, toggle
from mailtui.ui.widgets.message_list import Rows

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost

_RELOAD_DELAY = 0.15  # coalesce bursts of deltas into one list update
_COUNTS_DELAY = 0.3  # coalesce count updates of a burst of events
_RECENT_VIEWS = 6
# Rows read before the whole order when a folder opens (a screenful and then some): the
# first screen of a 100k or 1M folder costs what a small one's does (issue 17).
_FIRST_ROWS = 200
# The first screen is drawn by then even if its rows could not be read (the deferred
# start-up work must not wait for ever).
_FIRST_PAINT_LATEST = 3.0


class Listing:
    """The list pane's content (see the module docstring)."""

    def __init__(self, host: ScreenHost) -> None:
        self._host = host
        self.spec = ViewSpec()
        self.view = FolderView(rows=Rows())
        self._reload_timer: Timer | None = None
        self._reloading = False
        self._reload_again = False
        self._keep: int | None = None  # the row to put the cursor on after the next reload
        self._counts_due: set[tuple[str, str]] = set()
        self._counts_timer: Timer | None = None
        self._watching: dict[str, str] = {}
        self._recent: OrderedDict[tuple[str, str, ViewSpec], FolderView] = OrderedDict()
        # Work that waits for the first screen (start-up syncs, live updates); None
        # once it is drawn.
        self._after_paint: list[Callable[[], None]] | None = []

    def start(self) -> None:
        """The order the config asks for, shown in the status bar."""
        ui = self._host.mail.ctx.settings.ui
        sort, reverse, threaded = ui.sort, ui.reverse, ui.threaded
        saved = self._host.mail.load_state().get("view")  # chosen in the app last time
        if isinstance(saved, dict):
            sort = saved.get("sort", sort)
            reverse = bool(saved.get("reverse", reverse))
            threaded = bool(saved.get("threaded", threaded))
        sort = sort if sort in SORT_KEYS else "date"
        self.spec = ViewSpec(sort, reverse, threaded)
        self._host.status.set(sort=sort, reverse=reverse, threaded=threaded)
        self._host.set_timer(_FIRST_PAINT_LATEST, self._painted)

    def after_first_paint(self, call: Callable[[], None]) -> None:
        """Run `call` once the first folder's rows are on screen (at once if they are).

        Start-up work that competes with drawing — the syncs, the IDLE connection —
        waits for the first screen, which the cache alone can draw (issue 17)."""
        if self._after_paint is None:
            call()
        else:
            self._after_paint.append(call)

    def _painted(self) -> None:
        calls, self._after_paint = self._after_paint, None
        for call in calls or ():
            call()

    def show(self, account: str, folder: str, query: str = "") -> None:
        """A folder was opened: its recent rows at once, else a placeholder; then reload.
        `query`: a filter to open it with (a saved search); else it shows everything."""
        # Folded threads and the filter belong to the folder they were made in.
        self.spec = ViewSpec(self.spec.sort, self.spec.reverse, self.spec.threaded, query=query)
        recent = self._recent.get((account, folder, self.spec))
        if recent is not None:
            self._apply(account, folder, self.spec, recent, reset=True)
            self.reload()
        else:
            self._host.messages.load(Rows(), placeholder="Loading…")
            self.reload(reset=True, first=_FIRST_ROWS)

    def watch(self, account: str, folder: str) -> None:
        """Keep the open folder live (IDLE); needs the folder known to the cache."""
        host = self._host
        if self._watching.get(account) == folder:
            return
        service = host.mail.services[account]
        if host.folder_tree.folder(account, folder) is None:
            return  # not listed yet: FoldersListed calls back here
        self._watching[account] = folder
        host.mail.bridge.submit(service, commands.Watch(folder=folder))

    # --- reloading -----------------------------------------------------------------------

    def reload(self, reset: bool = False, first: int = 0) -> None:
        """Recompute the rows from the cache (off the UI thread) and apply them.
        `first`: show that many top rows before reading the whole order."""
        self._host.run_worker(
            partial(self._reload_guarded, reset, first), group="view", exclusive=True
        )

    async def _reload_guarded(self, reset: bool, first: int = 0) -> None:
        host = self._host
        try:
            await self._reload(reset, first)
        except NoMatches:
            # The screen's widgets went away while we read (the app is closing).
            app = host.mail
            if host.is_attached and app.is_running and not app.closing:
                raise

    async def _reload(self, reset: bool, first: int = 0) -> None:
        host = self._host
        if host.folder is None:
            return
        account, folder, spec = host.account, host.folder, self.spec
        service = host.service
        read = host.mail.bridge.read
        self._reloading = True
        try:
            view = None
            if first and self._keep is None and partial_first(spec):
                top = await read(compute_view, service, folder, spec, first)
                if (account, folder) != (host.account, host.folder) or not host.is_attached:
                    return
                if len(top.rows.uids) < first:
                    view = top  # the whole folder
                else:
                    self._apply(account, folder, spec, top, reset=reset, top_only=True)
                    reset = False
            if view is None:
                view = await read(compute_view, service, folder, spec)
        finally:
            self._reloading = False
        if (account, folder) != (host.account, host.folder) or not host.is_attached:
            return
        self._apply(account, folder, spec, view, reset=reset)
        if self._reload_again:
            self._reload_again = False
            self.schedule_reload()
        # Counts after the rows: on a 100k folder they cost a few tens of ms.
        total, unread = await host.mail.bridge.read(service.counts, folder)
        if host.is_attached:
            self.show_counts(account, folder, total, unread, view.synced)

    def _apply(
        self,
        account: str,
        folder: str,
        spec: ViewSpec,
        view: FolderView,
        *,
        reset: bool,
        top_only: bool = False,
    ) -> None:
        """Show `view`; `top_only`: only its top rows (the whole order follows)."""
        messages = self._host.messages
        self.view = view
        if not top_only:
            self._recent[(account, folder, spec)] = view
            self._recent.move_to_end((account, folder, spec))
            while len(self._recent) > _RECENT_VIEWS:
                self._recent.popitem(last=False)
        placeholder = self.placeholder()
        self._host.status.set(filter=spec.query, shown=len(view.rows.uids))
        if self._after_paint is not None:
            self._host.call_after_refresh(self._painted)
        if reset:
            messages.load(view.rows, placeholder=placeholder)
            # Live updates start once the cached rows are in the list (deferring the IDLE
            # watcher past the first paint cost the live tests' 2 s bound: new mail
            # arriving just after the start waited for it).
            self.watch(account, folder)
        else:
            messages.update_rows(view.rows, placeholder=placeholder)
        if self._keep is not None:
            index = messages.index_of(self._keep)
            self._keep = None
            if index is not None:
                messages.move_to(index)

    def placeholder(self) -> str:
        """What an empty list says: offline, empty, or not synced yet."""
        if self.spec.query:
            return "No message matches the filter (escape shows all)"
        if self._host.online is False:
            return "No messages in the cache (offline)"
        return "No messages" if self.view.synced else "Loading…"

    def keep_cursor_on(self, uid: int) -> None:
        """After the next reload (a folder about to open), the cursor goes to `uid`."""
        self._keep = uid

    def schedule_reload(self) -> None:
        """Coalesce a burst of deltas (a cold sync's batches) into one update."""
        if self._reloading:
            self._reload_again = True
            return
        if self._reload_timer is None:
            self._reload_timer = self._host.set_timer(_RELOAD_DELAY, self._reload_due)

    def _reload_due(self) -> None:
        self._reload_timer = None
        if self._host.is_attached:
            self.reload()

    def set_view(self, spec: ViewSpec, *, keep: int | None = None) -> None:
        """Order the folder as `spec` says; `keep`: the row the cursor stays on."""
        if keep is not None:
            self._keep = keep
        self.spec = spec
        self._host.status.set(
            sort=spec.sort, reverse=spec.reverse, threaded=spec.threaded, filter=spec.query
        )
        view = {"sort": spec.sort, "reverse": spec.reverse, "threaded": spec.threaded}
        if self._host.mail.load_state().get("view") != view:
            self._host.mail.save_state({"view": view})
        self.reload()

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        """Order by `key` (one of SORT_KEYS); `reverse` None keeps the direction."""
        spec = self.spec
        self.set_view(replace(spec, sort=key, reverse=spec.reverse if reverse is None else reverse))

    # --- counts --------------------------------------------------------------------------

    def refresh_counts(self, account: str, folder: str) -> None:
        """Read the folder's counts again soon (once for a burst of events)."""
        self._counts_due.add((account, folder))
        if self._counts_timer is None:
            self._counts_timer = self._host.set_timer(_COUNTS_DELAY, self._counts_now)

    def _counts_now(self) -> None:
        host = self._host
        self._counts_timer = None
        if not host.is_attached:
            return
        due, self._counts_due = self._counts_due, set()
        for account, folder in due:
            service = host.mail.services.get(account)
            if service is None:
                continue
            total, unread = service.counts(folder)
            self.show_counts(account, folder, total, unread, service.folder_state(folder).synced)
        for account in {account for account, _ in due}:
            self.refresh_total(account)

    def refresh_total(self, account: str) -> None:
        """The account's unread total beside its name, counted in a thread."""
        service = self._host.mail.services.get(account)
        if service is None:
            return

        async def count() -> None:
            unread = await asyncio.to_thread(lambda: account_unread(service.cache()))
            try:  # the screen may be gone (or not composed yet) by now
                tree = self._host.folder_tree
            except NoMatches:
                return
            tree.set_account_unread(account, unread)

        self._host.run_worker(count(), group=f"total-{account}", exclusive=True)

    def show_counts(self, account: str, folder: str, total: int, unread: int, synced: bool) -> None:
        host = self._host
        # Before its first sync the cache knows less than the server's STATUS counts.
        if synced or total:
            host.folder_tree.update_counts(account, folder, total, unread)
        if (account, folder) == (host.account, host.folder):
            host.status.set(count=total, unread=unread)

    # --- view keys -----------------------------------------------------------------------

    def toggle_threads(self) -> None:
        spec = self.spec
        self.set_view(replace(spec, threaded=not spec.threaded, collapsed=frozenset()))

    def set_filter(self, query: str, only: frozenset[int] | None = None) -> None:
        """Show only the messages matching `query` ("" shows all); `only`: the matches
        when the server found them (bodies), else the cache finds them on every reload,
        so new mail that matches joins the list."""
        keep = self._host.messages.cursor_uid
        self.set_view(replace(self.spec, query=query, only=only), keep=keep)

    def toggle_thread(self) -> None:
        host = self._host
        if not self.spec.threaded:
            host.notify("Threads are off; t shows conversations", timeout=3, markup=False)
            return
        uid = host.messages.cursor_uid
        root = self.view.root_of.get(uid) if uid is not None else None
        if root is None:
            return
        spec = self.spec
        self.set_view(
            replace(spec, threaded=True, collapsed=toggle(spec.collapsed, root)), keep=root
        )

    def sort(self) -> None:
        spec = self.spec
        nxt = (
            SORT_KEYS[(SORT_KEYS.index(spec.sort) + 1) % len(SORT_KEYS)]
            if spec.sort in SORT_KEYS
            else "date"
        )
        # In threads, conversations are ordered by the key (date: latest activity).
        self.set_view(replace(spec, sort=nxt))
        self._host.notify(f"Sorted by {nxt}", timeout=2, markup=False)

    def reverse_sort(self) -> None:
        spec = self.spec
        self.set_view(replace(spec, reverse=not spec.reverse))

    def refresh(self) -> None:
        """Ask the server for new mail in the open folder now."""
        host = self._host
        if host.folder is None:
            return
        host.mail.bridge.submit(host.service, commands.RefreshFolders())
        host.mail.bridge.submit(host.service, commands.SyncFolder(folder=host.folder))
        host.notify("Checking for new mail…", timeout=2, markup=False)

    def targets(self) -> list[int]:
        """The selection; else the message at the cursor (a folded thread: all of it)."""
        messages = self._host.messages
        chosen = messages.selected_uids()
        if chosen:
            return chosen
        uid = messages.cursor_uid
        if uid is None:
            return []
        if self.spec.threaded and uid in self.spec.collapsed:
            return list(self.view.members.get(uid, [uid]))
        return [uid]
