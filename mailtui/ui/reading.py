"""Reading: preview on cursor rest, open, page, mark read, quotes, plain/HTML, links, attachments.

A component of the main screen (see ui/host.py). Loads run as exclusive workers, so
moving on cancels the previous message's fetch; the reader shows the cached envelope
at once and the body when it arrives (with a loading indicator meanwhile).

Marking read follows the user, not the cursor: the app puts messages under the cursor
by itself (at start, on opening a folder, when the message there goes away) and shows
them, but only a message the user moved to ("on-view") or opened ("on-open": enter,
space, z, a double click) is marked read, once shown for `mark_read_delay`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.timer import Timer

from mailtui.errors import MailtuiError
from mailtui.mime.attachments import save_attachment
from mailtui.mime.html import link_is_safe
from mailtui.model import SEEN, Attachment, BodyPart
from mailtui.sync import commands
from mailtui.text.safe import clean_line
from mailtui.ui import loader
from mailtui.ui.bridge import ServiceCancelled, ServiceFailed
from mailtui.ui.opener import opener_command, run_opener
from mailtui.ui.screens.picker import Item, Menu
from mailtui.usecase.reading import SecureReading

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.loader import Loaded

_PREVIEW_DELAY = 0.12  # the cursor must rest this long before a message is fetched

Key = tuple[str, str, int]  # (account, folder, uid)


class Reading:
    """The reader pane's behaviour (see the module docstring)."""

    def __init__(
        self,
        host: ScreenHost,
        *,
        write_to: Callable[[str], None],
        shown: Callable[[Key, Loaded], None] | None = None,
    ) -> None:
        """`write_to(link)` writes a message as a mailto: link of the message asks;
        `shown(key, loaded)` hears of every message shown (the invitation block)."""
        self._host = host
        self._write_to = write_to
        self._shown = shown
        self._preview_timer: Timer | None = None
        self._mark_timer: Timer | None = None
        self._prefer = "html" if host.mail.ctx.settings.ui.prefer_html else "plain"
        # The message the user chose, and whether they opened it (or only moved to it).
        self._chosen: tuple[Key, bool] | None = None

    @property
    def prefer(self) -> str:
        """The version the user reads: "plain" or "html" (H switches it)."""
        return self._prefer

    # --- choosing what to show ------------------------------------------------------------

    def preview_soon(self, uid: int | None, *, user: bool = False) -> None:
        """The cursor moved (by the user's hand or not): show that message once it rests."""
        host = self._host
        key = (host.account, host.folder, uid) if uid is not None and host.folder else None
        if key is not None and host.reader.key == key:
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
            host.reader.clear()
            return
        self._preview_timer = host.set_timer(_PREVIEW_DELAY, lambda: self.open_now(uid))

    def open_now(
        self, uid: int | None, part: BodyPart | None = None, *, opened: bool = False
    ) -> None:
        """Show `uid` now; `opened`: the user asked for it (enter, space, z, double click)."""
        host = self._host
        self._stop_timers()
        if uid is None or host.folder is None:
            return
        env = host.messages.envelope(uid)
        if env is None:
            host.reader.clear("This message is no longer in the cache")
            return
        key = (host.account, host.folder, uid)
        if opened:
            self._chosen = (key, True)
        elif self._chosen is not None and self._chosen[0] != key:
            self._chosen = None
        host.reader.show_envelope(key, env)
        self._load_body(key, part)

    # --- marking read ----------------------------------------------------------------------

    def _may_mark(self, key: Key) -> bool:
        """True if the user chose this message in a way that reads it (see the docstring)."""
        chosen = self._chosen
        if chosen is None or chosen[0] != key:
            return False
        return chosen[1] or self._host.mail.ctx.settings.ui.mark_read == "on-view"

    def _choose(self, key: Key, *, opened: bool) -> None:
        """The user moved onto (or opened) `key`; if that makes it readable now, arm the timer."""
        reader = self._host.reader
        before = self._may_mark(key)
        if self._chosen is None or self._chosen[0] != key:
            self._chosen = (key, opened)
        elif opened:
            self._chosen = (key, True)
        shown = reader.key == key and reader.loaded is not None
        if not before and shown and not reader.is_loading:
            self._arm_mark_read(key)

    def _unchoose(self) -> None:
        """The app, not the user, put the cursor here: nothing is to be marked read."""
        self._chosen = None
        self.cancel_mark_read()

    def cancel_mark_read(self) -> None:
        """Forget the pending mark-read (the user set read or unread by hand)."""
        if self._mark_timer is not None:
            self._mark_timer.stop()
            self._mark_timer = None

    def _stop_timers(self) -> None:
        for timer in (self._preview_timer, self._mark_timer):
            if timer is not None:
                timer.stop()
        self._preview_timer = self._mark_timer = None

    def _load_body(self, key: Key, part: BodyPart | None = None) -> None:
        self._host.run_worker(partial(self._load, key, part), group="reader", exclusive=True)

    async def _load(self, key: Key, part: BodyPart | None) -> None:
        host = self._host
        account, folder, uid = key
        service = host.mail.services[account]
        width = max(host.reader.scrollable_content_region.width - 2, 40)
        try:
            loaded = await loader.load_message(
                host.mail.bridge,
                service,
                folder,
                uid,
                prefer=self._prefer,
                part=part,
                width=width,
                secure=self.secure_reading(account),
            )
        except ServiceCancelled:
            return
        except ServiceFailed as exc:
            if host.is_attached and host.reader.key == key:
                if exc.kind == "ConnectionLost" or host.online is False:
                    host.reader.show_error(
                        "This message is not in the cache and the server is unreachable; "
                        "it opens once the connection is back."
                    )
                else:
                    host.reader.show_error(exc.sentence())
            return
        if not host.is_attached or host.reader.key != key:
            return
        host.reader.hyperlinks = host.mail.ctx.settings.ui.osc8_links
        host.reader.show_loaded(loaded)
        if self._shown is not None:
            self._shown(key, loaded)
        self._arm_mark_read(key)

    def secure_reading(self, account: str) -> SecureReading:
        """How this account's signed and encrypted mail is read (passphrases asked by
        mailtui's own masked prompt, or gpg-agent's pinentry with the app suspended)."""
        from mailtui.ui.screens.passphrase import tui_pinentry

        settings = self._host.mail.ctx.account(account)
        return SecureReading(settings, tui_pinentry(self._host.mail, settings))

    def import_key(self) -> None:
        """Fetch the unknown signer's key of the message shown, because the user asked."""
        host = self._host
        loaded = host.reader.loaded
        fingerprint = loaded.secure.import_fingerprint if loaded and loaded.secure else ""
        if not fingerprint:
            host.notify(
                "The message shown has no signature by an unknown key", timeout=3, markup=False
            )
            return
        host.notify(f"Fetching key {fingerprint}…", timeout=3, markup=False)

        async def fetch() -> None:
            from mailtui.usecase.secure import import_key

            env = host.reader.envelope
            sender = env.from_[0].addr if env is not None and env.from_ else ""
            sentence = await asyncio.to_thread(import_key, fingerprint, sender)
            host.notify(sentence, timeout=8, markup=False)
            key = host.reader.key
            if key is not None and sentence.startswith("Imported"):
                self.open_now(key[2])  # checked again, with the key now at hand

        host.run_worker(fetch(), group="import-key")

    def _arm_mark_read(self, key: Key) -> None:
        """Mark `key` read after the delay if the user chose it and it is still shown then."""
        host = self._host
        env = host.reader.envelope
        delay = host.mail.ctx.settings.ui.mark_read_delay
        if env is None or env.seen or delay < 0 or not self._may_mark(key):
            return
        self.cancel_mark_read()

        def mark() -> None:
            self._mark_timer = None
            if host.reader.key != key or not self._may_mark(key):
                return
            account, folder, uid = key
            service = host.mail.services[account]
            if service.envelope(folder, uid) is None:
                return  # deleted or moved meanwhile
            # Reading is not an action of the user's: `u` must undo their last real one.
            host.mail.bridge.submit(
                service,
                commands.SetFlags(
                    folder=folder, uids=(uid,), add=frozenset({SEEN}), undoable=False
                ),
            )

        if delay == 0:
            mark()
        else:
            self._mark_timer = host.set_timer(delay, mark)

    def flags_changed(self, uids: Iterable[int]) -> None:
        """Flags of `uids` changed: the reader's Labels line follows the keywords."""
        host = self._host
        key = host.reader.key
        if key is None or key[2] not in set(uids):
            return
        env = host.messages.envelope(key[2])
        if env is not None:
            host.reader.update_envelope(env)

    # --- keys ------------------------------------------------------------------------------

    def _cursor_key(self) -> Key | None:
        host = self._host
        uid = host.messages.cursor_uid
        return (host.account, host.folder, uid) if uid is not None and host.folder else None

    def open(self) -> None:
        """enter: open the message at the cursor; on the one shown, page down."""
        reader = self._host.reader
        key = self._cursor_key()
        if key is not None and reader.key == key and not reader.is_loading:
            self._choose(key, opened=True)
            reader.scroll_page_down(animate=False)
            return
        self.open_now(self._host.messages.cursor_uid, opened=True)

    def page(self) -> None:
        """space: page through the message; at its end, go to the next."""
        host = self._host
        key = self._cursor_key()
        if key is None:
            return
        if host.reader.key != key:
            self.open_now(key[2], opened=True)
        elif host.reader.at_end:
            host.messages.move_by(1, user=True)
            self.open_now(host.messages.cursor_uid, opened=True)
        else:
            self._choose(key, opened=True)
            host.reader.scroll_page_down(animate=False)

    def zoom(self) -> None:
        """z: the reader full screen, or back."""
        host = self._host
        zoomed = not host.has_class("-zoom")
        host.set_class(zoomed, "-zoom")
        if zoomed:
            if host.reader.key is None:
                self.open_now(host.messages.cursor_uid, opened=True)
            else:
                self._choose(host.reader.key, opened=True)
            host.reader.focus()
        else:
            host.messages.focus()

    def toggle_quotes(self) -> None:
        if not self._host.reader.toggle_quotes():
            self._host.notify("No long quotes to fold in this message", timeout=2, markup=False)

    def toggle_html(self) -> None:
        reader = self._host.reader
        loaded = reader.loaded
        if loaded is None or len(loaded.alternatives) < 2 or loaded.part is None:
            self._host.notify("This message has only one version", timeout=2, markup=False)
            return
        parts = loaded.alternatives
        index = next((i for i, p in enumerate(parts) if p is loaded.part), -1)
        nxt = parts[(index + 1) % len(parts)]
        self._prefer = "html" if nxt.mime_type == "text/html" else "plain"
        key, env = reader.key, reader.envelope
        if key is not None and env is not None:
            reader.show_envelope(key, env)
            self._load_body(key, nxt)

    def links(self) -> None:
        host = self._host
        env, loaded = host.reader.envelope, host.reader.loaded
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
            host.notify("No links or addresses in this message", timeout=2, markup=False)
            return
        self.link_menu("Links and addresses", items)

    def link_menu(self, title: str, items: list[Item]) -> None:
        """Links to open (the open_command; mailto: in mailtui's composer) or copy; never
        fetched by mailtui itself."""
        host = self._host

        def chosen(result: tuple[str, int] | None) -> None:
            if result is None:
                return
            from mailtui.compose.mailto import is_mailto  # compose loads on first use

            verb, index = result
            value = items[index].value
            if verb == "copy" or not link_is_safe(value):
                host.mail.copy_to_clipboard(value)
                host.notify(f"Copied {clean_line(value)}", timeout=3, markup=False)
            elif is_mailto(value):
                # Our own composer, not the desktop's: its attach=/path would be honoured.
                self._write_to(value)
            else:
                self._open_external(value)

        keys = [("o", "open", "open"), ("y", "copy", "copy")]
        host.mail.push_screen(Menu(title, items, keys), chosen)

    def attachments(self) -> None:
        host = self._host
        loaded, key = host.reader.loaded, host.reader.key
        if loaded is None or key is None or not loaded.attachments:
            host.notify("This message has no attachments", timeout=2, markup=False)
            return
        from mailtui.mime.render import human_size

        atts = loaded.attachments
        items = [Item(a.section, a.filename, f"{a.mime_type}, {human_size(a.size)}") for a in atts]

        def chosen(result: tuple[str, int] | None) -> None:
            if result is not None:
                verb, index = result
                handle = partial(
                    self._attachment, key, loaded.structure, atts[index], verb == "open"
                )
                host.run_worker(handle, group="attachment")

        keys = [("s", "save", "save"), ("o", "open", "open")]
        host.mail.push_screen(Menu("Attachments", items, keys), chosen)

    async def _attachment(
        self, key: Key, structure: BodyPart, att: Attachment, open_it: bool
    ) -> None:
        host = self._host
        account, folder, uid = key
        service = host.mail.services[account]
        host.notify(f"Fetching {att.filename}…", timeout=2, markup=False)
        loaded = host.reader.loaded
        secret = loaded.secure.message if loaded and loaded.secure else None
        try:
            if secret is not None and loaded is not None and loaded.structure is structure:
                data = secret.part_bytes(att.section)  # a part of the decrypted message
            else:
                data = await loader.fetch_attachment(
                    host.mail.bridge, service, folder, uid, structure, att.section
                )
            directory = host.mail.open_dir() if open_it else host.mail.ctx.settings.ui.download_dir
            path = await asyncio.to_thread(save_attachment, data, att.filename, directory)
        except MailtuiError as exc:
            host.notify(exc.sentence(), severity="error", markup=False)
            return
        if open_it:
            self._open_external(str(path))
        else:
            host.notify(f"Saved {path}", markup=False, timeout=6)

    def _open_external(self, target: str) -> None:
        host = self._host
        try:
            run_opener(opener_command(host.mail.ctx.settings.ui.open_command, target))
        except MailtuiError as exc:
            host.notify(exc.sentence(), severity="error", markup=False)
            return
        host.notify(f"Opening {clean_line(target)}", timeout=3, markup=False)
