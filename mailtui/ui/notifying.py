"""New-mail notifications in the TUI (issue 19 item 5).

The same listener as `mailtui watch --notify` (usecase/notify.py `Notifier`), one per
account, subscribed to its service: it decides (the account's `notify`, folders and
quiet hours), builds the bell / OSC 9 / OSC 777 bytes from cleaned text and runs
`new_mail_command`. It is called from the service's threads; the terminal bytes are
handed to the app's event loop and written through Textual's driver there, between
two frames — never printed from a thread into the middle of a screen update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mailtui.usecase.notify import Notifier, settings_for

if TYPE_CHECKING:
    from textual.app import App

    from mailtui.sync.service import SyncService


class TerminalNotices:
    """Owns the app's notifiers and their way to the terminal."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.notifiers: dict[str, Notifier] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    def attach(self, services: Iterable[SyncService]) -> None:
        """Subscribe a notifier to each account that asks for notifications (in the
        app's event loop, on mount)."""
        self._loop = asyncio.get_running_loop()
        for service in services:
            settings = service.settings
            if settings is None or not settings.notify:
                continue
            notifier = Notifier(service, settings_for(settings), self._from_thread)
            self.notifiers[service.account] = notifier
            self._unsubscribe.append(service.subscribe(notifier))

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._loop = None

    def _from_thread(self, data: bytes) -> None:
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._write, data)
        except RuntimeError:
            pass  # the loop has closed: the app is gone

    def _write(self, data: bytes) -> None:
        driver = self.app._driver
        if driver is not None:
            driver.write(data.decode("utf-8", "replace"))
            driver.flush()
