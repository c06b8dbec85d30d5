"""Reading: preview on cursor rest, open, page, mark read, quotes, plain/HTML, links, attachments.

A mixin of the main screen. Loads run as exclusive workers, so moving on cancels the
previous message's fetch; the reader shows the cached envelope at once and the body
when it arrives (with a loading indicator meanwhile).

Marking read follows the user, not the cursor: the app puts messages under the cursor
by itself (at start, on opening a folder, when the message there goes away) and shows
them, but only a message the user moved to ("on-view") or opened ("on-open": enter,
space, z, a double click) is marked read, once shown for `mark_read_delay`.
"""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.timer import Timer

from mailtui.errors import MailtuiError
from mailtui.mime.attachments import save_attachment
from mailtui.mime.html import link_is_safe
from mailtui.model import SEEN
from mailtui.sync import commands
from mailtui.text.safe import clean_line
from mailtui.ui import loader
from mailtui.ui.bridge import ServiceCancelled, ServiceFailed
from mailtui.ui.screens.picker import Item, Menu

if TYPE_CHECKING:
    from mailtui.ui.screens.main import MainScreen

    _Base = MainScreen
else:
    _Base = object

_PREVIEW_DELAY = 0.12  # the cursor must rest this long before a message is fetched

Key = tuple[str, str, int]  # (account, folder, uid)


def opener_command(configured: str | None, target: str) -> list[str]:
    """argv that opens `target`: open_command or the OS's opener.

    `target` (a file name, a link) came from a stranger, so it is always one whole
    argument: it replaces a word that is exactly "{}", else it is appended. The config
    refuses "{}" inside a word (`sh -c 'xdg-open {}'` would run `$(…)` in a name).
    """
    if configured:
        parts = shlex.split(configured)
        if any("{}" in p and p != "{}" for p in parts):
            raise MailtuiError(
                'open_command puts "{}" inside a word; mailtui will not run it',
                'use "{}" as a whole word in ui.open_command, or leave it out',
            )
        if "{}" in parts:
            return [target if p == "{}" else p for p in parts]
        return [*parts, target]
    return ["open" if sys.platform == "darwin" else "xdg-open", target]


def run_opener(argv: list[str]) -> None:
    """Start the opener detached from the terminal; raise MailtuiError if it cannot start."""
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise MailtuiError(
            f"Cannot run {argv[0]!r}: {exc.strerror or exc}",
            "set open_command in the [ui] section of the config",
        ) from None


class ReadingMixin(_Base):
    """Reader behaviour for MainScreen (see the module docstring)."""

    def init_reading(self) -> None:
        self._preview_timer: Timer | None = None
        self._mark_timer: Timer | None = None
        self._prefer = "html" if self.mail.ctx.settings.ui.prefer_html else "plain"
        self._move_after_reload: int | None = None
        # The message the user chose, and whether they opened it (or only moved to it).
        self._chosen: tuple[Key, bool] | None = None

    # --- choosing what to show ------------------------------------------------------------

    def preview_soon(self, uid: int | None, *, user: bool = False) -> None:
        """The cursor moved (by the user's hand or not): show that message once it rests."""
        key = (self.account, self.folder, uid) if uid is not None and self.folder else None
        if key is not None and self._shown_key() == key:
            # Still (or again) on the message shown: keep its pending mark-read timer.
            if self._preview_timer is not None:
                self._preview_timer.stop()
                self._preview_timer = None
            if user:
                self._choose(key, opened=False)
            else:
                self._unchoose()
            return
        self._stop_timers()
        self._chosen = (key, False) if user and key is not None else None
        if uid is None:
            self.reader.clear()
            return
        self._preview_timer = self.set_timer(_PREVIEW_DELAY, lambda: self.open_now(uid))

    def open_now(self, uid: int | None, part: Any = None, *, opened: bool = False) -> None:
        """Show `uid` now; `opened`: the user asked for it (enter, space, z, double click)."""
        self._stop_timers()
        if uid is None or self.folder is None:
            return
        env = self.messages.envelope(uid)
        if env is None:
            self.reader.clear("This message is no longer in the cache")
            return
        key = (self.account, self.folder, uid)
        if opened:
            self._chosen = (key, True)
        elif self._chosen is not None and self._chosen[0] != key:
            self._chosen = None
        self.reader.show_envelope(key, env)
        self.load_body(key, part)

    def _shown_key(self) -> tuple[str, str, int] | None:
        return self.reader.key

    # --- marking read ----------------------------------------------------------------------

    def _may_mark(self, key: Key) -> bool:
        """True if the user chose this message in a way that reads it (see the docstring)."""
        chosen = self._chosen
        if chosen is None or chosen[0] != key:
            return False
        return chosen[1] or self.mail.ctx.settings.ui.mark_read == "on-view"

    def _choose(self, key: Key, *, opened: bool) -> None:
        """The user moved onto (or opened) `key`; if that makes it readable now, arm the timer."""
        before = self._may_mark(key)
        if self._chosen is None or self._chosen[0] != key:
            self._chosen = (key, opened)
        elif opened:
            self._chosen = (key, True)
        shown = self.reader.key == key and self.reader.loaded is not None
        if not before and shown and not self.reader.is_loading:
            self._arm_mark_read(key)

    def _unchoose(self) -> None:
        """The app, not the user, put the cursor here: nothing is to be marked read."""
        self._chosen = None
        if self._mark_timer is not None:
            self._mark_timer.stop()
            self._mark_timer = None

    def _stop_timers(self) -> None:
        for timer in (self._preview_timer, self._mark_timer):
            if timer is not None:
                timer.stop()
        self._preview_timer = self._mark_timer = None

    @work(group="reader", exclusive=True)
    async def load_body(self, key: tuple[str, str, int], part: Any = None) -> None:
        account, folder, uid = key
        service = self.mail.services[account]
        width = max(self.reader.scrollable_content_region.width - 2, 40)
        try:
            loaded = await loader.load_message(
                self.mail.bridge, service, folder, uid, prefer=self._prefer, part=part, width=width
            )
        except ServiceCancelled:
            return
        except ServiceFailed as exc:
            if self.is_attached and self.reader.key == key:
                if exc.kind == "ConnectionLost" or self.online is False:
                    self.reader.show_error(
                        "This message is not in the cache and the server is unreachable; "
                        "it opens once the connection is back."
                    )
                else:
                    self.reader.show_error(exc.sentence())
            return
        if not self.is_attached or self.reader.key != key:
            return
        self.reader.show_loaded(loaded)
        self._arm_mark_read(key)

    def _arm_mark_read(self, key: Key) -> None:
        """Mark `key` read after the delay if the user chose it and it is still shown then."""
        env = self.reader.envelope
        delay = self.mail.ctx.settings.ui.mark_read_delay
        if env is None or env.seen or delay < 0 or not self._may_mark(key):
            return
        if self._mark_timer is not None:
            self._mark_timer.stop()
            self._mark_timer = None

        def mark() -> None:
            self._mark_timer = None
            if self.reader.key != key or not self._may_mark(key):
                return
            account, folder, uid = key
            service = self.mail.services[account]
            if service.envelope(folder, uid) is None:
                return  # deleted or moved meanwhile
            # Reading is not an action of the user's: `u` must undo their last real one.
            self.mail.bridge.submit(
                service,
                commands.SetFlags(
                    folder=folder, uids=(uid,), add=frozenset({SEEN}), undoable=False
                ),
            )

        if delay == 0:
            mark()
        else:
            self._mark_timer = self.set_timer(delay, mark)

    def reader_flags_changed(self, uids: Iterable[int]) -> None:
        key = self.reader.key
        if key is None or key[2] not in set(uids):
            return
        env = self.messages.envelope(key[2])
        if env is not None:
            self.reader.update_envelope(env)  # the Labels line follows the keywords

    # --- actions ---------------------------------------------------------------------------

    def _cursor_key(self) -> Key | None:
        uid = self.messages.cursor_uid
        return (self.account, self.folder, uid) if uid is not None and self.folder else None

    def action_open(self) -> None:
        key = self._cursor_key()
        if key is not None and self.reader.key == key and not self.reader.is_loading:
            self._choose(key, opened=True)
            self.reader.scroll_page_down(animate=False)
            return
        self.open_now(self.messages.cursor_uid, opened=True)

    def action_page(self) -> None:
        key = self._cursor_key()
        if key is None:
            return
        if self.reader.key != key:
            self.open_now(key[2], opened=True)
        elif self.reader.at_end:
            self.messages.move_by(1, user=True)
            self.open_now(self.messages.cursor_uid, opened=True)
        else:
            self._choose(key, opened=True)
            self.reader.scroll_page_down(animate=False)

    def action_zoom(self) -> None:
        zoomed = not self.has_class("-zoom")
        self.set_class(zoomed, "-zoom")
        if zoomed:
            if self.reader.key is None:
                self.open_now(self.messages.cursor_uid, opened=True)
            else:
                self._choose(self.reader.key, opened=True)
            self.reader.focus()
        else:
            self.messages.focus()

    def action_toggle_quotes(self) -> None:
        if not self.reader.toggle_quotes():
            self.notify("No long quotes to fold in this message", timeout=2, markup=False)

    def action_toggle_html(self) -> None:
        loaded = self.reader.loaded
        if loaded is None or len(loaded.alternatives) < 2 or loaded.part is None:
            self.notify("This message has only one version", timeout=2, markup=False)
            return
        parts = loaded.alternatives
        index = next((i for i, p in enumerate(parts) if p is loaded.part), -1)
        nxt = parts[(index + 1) % len(parts)]
        self._prefer = "html" if nxt.mime_type == "text/html" else "plain"
        key = self.reader.key
        if key is not None:
            self.reader.show_envelope(key, self.reader.envelope)  # type: ignore[arg-type]
            self.load_body(key, nxt)

    def action_links(self) -> None:
        env, loaded = self.reader.envelope, self.reader.loaded
        if env is None:
            return
        items: list[Item] = []
        links = loaded.links if loaded else []
        for n, url in enumerate(links, 1):
            if url:
                items.append(Item(url, f"[{n}] {url}"))
        for person in loader.addresses(env):
            items.append(Item(person.addr, person.full(), "address"))
        if not items:
            self.notify("No links or addresses in this message", timeout=2, markup=False)
            return

        def chosen(result: tuple[str, int] | None) -> None:
            if result is None:
                return
            from mailtui.compose.mailto import is_mailto  # compose loads on first use

            verb, index = result
            value = items[index].value
            if verb == "copy" or not link_is_safe(value):
                self.app.copy_to_clipboard(value)
                self.notify(f"Copied {clean_line(value)}", timeout=3, markup=False)
            elif is_mailto(value):
                # Our own composer, not the desktop's: its attach=/path would be honoured.
                self.start_compose("mailto", value)
            else:
                self._open_external(value)

        keys = [("o", "open", "open"), ("y", "copy", "copy")]
        self.app.push_screen(Menu("Links and addresses", items, keys), chosen)

    def action_attachments(self) -> None:
        loaded, key = self.reader.loaded, self.reader.key
        if loaded is None or key is None or not loaded.attachments:
            self.notify("This message has no attachments", timeout=2, markup=False)
            return
        from mailtui.mime.render import human_size

        atts = loaded.attachments
        items = [Item(a.section, a.filename, f"{a.mime_type}, {human_size(a.size)}") for a in atts]

        def chosen(result: tuple[str, int] | None) -> None:
            if result is not None:
                verb, index = result
                self.handle_attachment(key, loaded.structure, atts[index], verb == "open")

        keys = [("s", "save", "save"), ("o", "open", "open")]
        self.app.push_screen(Menu("Attachments", items, keys), chosen)

    @work(group="attachment")
    async def handle_attachment(
        self, key: tuple[str, str, int], structure: Any, att: Any, open_it: bool
    ) -> None:
        account, folder, uid = key
        service = self.mail.services[account]
        self.notify(f"Fetching {att.filename}…", timeout=2, markup=False)
        try:
            data = await loader.fetch_attachment(
                self.mail.bridge, service, folder, uid, structure, att.section
            )
            directory = self.mail.open_dir() if open_it else self.mail.ctx.settings.ui.download_dir
            path = await asyncio.to_thread(save_attachment, data, att.filename, directory)
        except MailtuiError as exc:
            self.notify(exc.sentence(), severity="error", markup=False)
            return
        if open_it:
            self._open_external(str(path))
        else:
            self.notify(f"Saved {path}", markup=False, timeout=6)

    def _open_external(self, target: str) -> None:
        try:
            run_opener(opener_command(self.mail.ctx.settings.ui.open_command, target))
        except MailtuiError as exc:
            self.notify(exc.sentence(), severity="error", markup=False)
            return
        self.notify(f"Opening {clean_line(target)}", timeout=3, markup=False)
