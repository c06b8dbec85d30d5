"""What the main screen's components may use of the screen: the `ScreenHost` protocol.

The main screen (ui/screens/main.py) is composed of components, one job each, each
owning its state: Listing (ui/listing.py), Connection (ui/connection.py), Reading,
Navigation, Search, Triage, Composer and Outbox. None reaches into another's
attributes; a component that needs another gets it in its constructor, and reaches
the screen only through this protocol: the panes, the open folder, and Textual's
timers, workers and toasts (which stay the screen's, so they stop with it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.message import Message
    from textual.notifications import SeverityLevel
    from textual.timer import Timer
    from textual.widget import Widget
    from textual.worker import Worker

    from mailtui.sync.service import SyncService
    from mailtui.ui.app import MailApp
    from mailtui.ui.widgets.folder_tree import FolderTree
    from mailtui.ui.widgets.message_list import MessageList
    from mailtui.ui.widgets.reader import Reader
    from mailtui.ui.widgets.status_bar import OfflineBanner, StatusBar


class ScreenHost(Protocol):
    """The main screen as its components see it."""

    @property
    def mail(self) -> MailApp:
        """The app: services, bridge, settings, screens."""
        ...

    @property
    def account(self) -> str:
        """The account whose folder is open."""
        ...

    @property
    def folder(self) -> str | None:
        """The open folder (None before the first is opened)."""
        ...

    @property
    def service(self) -> SyncService:
        """The open account's service."""
        ...

    @property
    def online(self) -> bool | None:
        """The open account's connection: None while not known yet."""
        ...

    @property
    def folder_tree(self) -> FolderTree: ...

    @property
    def messages(self) -> MessageList: ...

    @property
    def reader(self) -> Reader: ...

    @property
    def status(self) -> StatusBar: ...

    @property
    def banner(self) -> OfflineBanner: ...

    @property
    def focused(self) -> Widget | None: ...

    @property
    def is_attached(self) -> bool: ...

    def open_folder(self, account: str, folder: str) -> None:
        """Show another folder (rows from the cache at once)."""
        ...

    def has_class(self, *class_names: str) -> bool: ...

    def set_class(self, add: bool, *class_names: str, update: bool = True) -> object: ...

    def notify(
        self,
        message: str,
        *,
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast; the app shows its text literally, whatever `markup` says."""
        ...

    def set_timer(self, delay: float, callback: Callable[[], object]) -> Timer: ...

    def set_interval(
        self, interval: float, callback: Callable[[], object], *, name: str | None = None
    ) -> Timer: ...

    def run_worker(
        self,
        work: Callable[[], object],
        *,
        group: str = "default",
        exclusive: bool = False,
        thread: bool = False,
        exit_on_error: bool = True,
    ) -> Worker[object]:
        """Run `work` (a coroutine function, or a function with thread=True) as the
        screen's worker: `exclusive` cancels the group's earlier one."""
        ...

    def post_message(self, message: Message) -> bool: ...
