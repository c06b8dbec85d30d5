"""Asking for a secret key's passphrase without letting pinentry draw inside the TUI.

Two ways, chosen per account by `pgp_pinentry`:
- "mailtui" (default): gpg runs with ``--pinentry-mode loopback`` and asks us; this
  modal screen takes the passphrase in a masked input. It is only shown when the key is
  locked and gpg-agent has no cached passphrase.
- "agent": gpg-agent's own pinentry (curses, tty or GUI) asks while the app is
  suspended, so the two never draw on the same terminal at once.

gpg runs in a worker thread; both ways hop to the event loop with `call_from_thread`
and the thread waits for the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from mailtui.config.model import AccountSettings
from mailtui.crypto import PassphraseNeeded, PassphraseRequest, Pinentry
from mailtui.text.safe import clean_line

__all__ = ["PassphraseScreen", "tui_pinentry"]


class PassphraseScreen(ModalScreen[str | None]):
    """A masked one-line prompt for a key's passphrase; escape cancels."""

    DEFAULT_CSS = """
    PassphraseScreen { align: center middle; }
    PassphraseScreen > Vertical {
        width: 72; height: auto; border: round $warning; padding: 0 1; background: $panel;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, request: PassphraseRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        who = clean_line(self.request.user_id) or "your secret key"
        title = Text("Passphrase for ", style="bold")
        title.append(who, style="bold")
        if self.request.fingerprint:
            title.append(f"\nkey {clean_line(self.request.fingerprint)}", style="dim")
        if self.request.retry:
            title.append("\nThat passphrase was wrong; try again.", style="bold red")
        with Vertical():
            yield Static(title, markup=False)
            yield Input(password=True, id="passphrase", placeholder="passphrase (escape cancels)")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _ask_in_app(app: App[Any], request: PassphraseRequest) -> str | None:
    """From a worker thread: show the prompt on the event loop and wait for it."""
    done = threading.Event()
    answer: list[str | None] = [None]

    def got(value: str | None) -> None:
        answer[0] = value
        done.set()

    app.call_from_thread(app.push_screen, PassphraseScreen(request), got)
    while not done.wait(0.5):
        if not app.is_running:
            return None  # the app quit while asking: gpg gets "cancelled"
    return answer[0]


def _suspended(app: App[Any]) -> AbstractContextManager[object]:
    """`app.suspend()` entered and left on the event loop, for a worker thread."""

    @contextmanager
    def guard() -> Iterator[None]:
        holder: list[AbstractContextManager[object]] = []

        def enter() -> str:
            cm = app.suspend()
            try:
                cm.__enter__()
            except SuspendNotSupported:
                return "this terminal cannot be handed to gpg-agent's pinentry"
            holder.append(cm)
            return ""

        why = app.call_from_thread(enter)
        if why:
            raise PassphraseNeeded(why, hint='set pgp_pinentry = "mailtui" to be asked here')
        try:
            yield
        finally:
            if holder:
                app.call_from_thread(lambda: holder[0].__exit__(None, None, None))

    return guard()


def tui_pinentry(app: App[Any], account: AccountSettings) -> Pinentry:
    """How the TUI gets a passphrase for `account` (see the module docstring)."""
    if account.pgp_pinentry == "agent":
        return Pinentry.agent(lambda: _suspended(app))
    return Pinentry.loopback(lambda request: _ask_in_app(app, request))
