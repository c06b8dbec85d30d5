"""MailApp: the Textual application over an AppContext's sync services.

The app owns what outlives a screen: the services (one per account), the event
bridge, the themes, the keymap, the clock. The main screen (ui/screens/main.py) is
the controller for folders, list and reader.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Collection, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Console
from rich.text import Text
from textual.app import App
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.notifications import SeverityLevel
from textual.theme import Theme

from mailtui.config import paths
from mailtui.errors import ConfigError, MailtuiError
from mailtui.fileio import atomic_write
from mailtui.mime.render import Palette
from mailtui.text.safe import clean_line, clean_text
from mailtui.ui import themes
from mailtui.ui.bridge import Bridge
from mailtui.ui.format import Clock
from mailtui.ui.keymap import ACTIONS, build_keymap
from mailtui.ui.notifying import TerminalNotices
from mailtui.ui.screens.help import HelpScreen, key_label
from mailtui.ui.screens.main import MainScreen

if TYPE_CHECKING:
    from mailtui.context import AppContext
    from mailtui.sync.service import SyncService

STATE_FILE = "ui-state.json"


class ActionCommands(Provider):
    """Every registry action in the command palette, with the keys that run it."""

    def _entries(self) -> Iterable[tuple[str, str, Callable[[], Awaitable[None]]]]:
        app: MailApp = self.app  # type: ignore[assignment]
        for spec in ACTIONS:
            keys = app.keymap.keys(spec.name)
            shown = f"{spec.title} ({' '.join(key_label(k) for k in keys)})" if keys else spec.title
            yield shown, spec.help, partial(app.run_main_action, spec.name)

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(Text(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


class MailApp(App[int]):
    """The mail client; `MailApp(ctx)` is also what tests and screenshots run."""

    CSS_PATH = "mailtui.tcss"
    TITLE = "mailtui"
    COMMANDS: ClassVar = {ActionCommands}
    # The registry binds ":" and ctrl+p on the main screen; modal screens keep Textual's.
    COMMAND_PALETTE_BINDING = "ctrl+p"

    def __init__(
        self,
        ctx: AppContext,
        *,
        account: str | None = None,
        clock: Clock | None = None,
        theme: str | None = None,
        state_dir: Path | None = None,
        notice: str = "",
        syncing: bool | Collection[str] = False,
    ) -> None:
        self.ctx = ctx
        # The accounts whose SyncAll went to the services before the app existed
        # (main.open_app: those with an empty cache; True: every account). The others
        # are synced once the first screen is drawn (MainScreen.on_mount).
        self.syncing: bool | Collection[str] = syncing
        # A one-line banner above the panes (the demo says what it is and how to leave it).
        self.notice = notice
        self.account = account
        self.clock = clock or Clock()
        self.problems: list[str] = []
        self.services: dict[str, SyncService] = {}
        names = [account] if account is not None else list(ctx.settings.accounts)
        for name in names:
            try:
                self.services[ctx.account(name).name] = ctx.service(name)
            except MailtuiError as exc:
                self.problems.append(exc.sentence())
        if not self.services:
            raise ConfigError(self.problems[0] if self.problems else "No usable account")
        self.keymap = build_keymap(ctx.settings.ui.keys)
        self.problems.extend(self.keymap.problems)
        self.labels: set[str] = set()
        self._state_dir = state_dir or _state_home(ctx)
        self._open_dirs: list[Path] = []
        self.bridge: Bridge | None = None  # type: ignore[assignment]
        self.notices = TerminalNotices(self)  # new-mail bell / OSC / command
        super().__init__()
        loaded = themes.load_themes(themes.theme_dirs(ctx.settings.ui.themes_dir))
        self.problems.extend(loaded.problems)
        for item in loaded.themes.values():
            self.register_theme(item)
        chosen = self.load_state().get("theme")  # picked in the app last time
        chosen = chosen if isinstance(chosen, str) else None
        wanted = theme or chosen or ctx.settings.ui.theme or themes.DEFAULT_THEME
        if wanted not in self.available_themes:
            self.problems.append(
                f"Unknown theme {wanted!r}; using {themes.DEFAULT_THEME} "
                f"(themes: {', '.join(sorted(loaded.themes))})"
            )
            wanted = themes.DEFAULT_THEME
        self._start_with_theme(wanted)
        self.set_keymap(self.keymap.overrides)

    def _start_with_theme(self, name: str) -> None:
        """The theme of the first frame, set before the stylesheet is first read.

        Assigning `self.theme` runs Textual's theme watcher, which schedules a reparse
        of every stylesheet and a restyle of every widget: right after the first parse,
        for nothing (issue 17: ~40 ms of the first screen). Here the value is set
        without the watcher, which only has to do what a change needs before the
        first parse: the theme's classes and the ANSI colour filter."""
        self.set_reactive(MailApp.theme, name)
        current = self.current_theme
        classes = {c: False for c in self.classes if c.startswith("-theme-")}
        classes[f"-theme-{current.name}"] = True
        classes["-dark-mode"] = current.dark
        classes["-light-mode"] = not current.dark
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        # Made in App.__init__ with the default theme's variables; nothing is parsed yet.
        self.stylesheet.set_variables(self.get_css_variables())

    # --- theme ---------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        theme: Theme | None = self.get_theme(self.theme) if self.theme else None
        return themes.mail_defaults(theme or Theme(name="fallback", primary="#6a9fd8"))

    def palette(self) -> Palette:
        return themes.reader_palette(self.theme_variables)

    def watch_theme(self, theme: str) -> None:
        """The reader's Rich styles follow the theme; a theme picked here is remembered."""
        try:
            main = self.main
        except LookupError:
            return
        if self.load_state().get("theme", self.ctx.settings.ui.theme) != theme:
            self.save_state({"theme": theme})
        self.call_after_refresh(lambda: main.reader.set_palette(self.palette()))

    # --- lifecycle -----------------------------------------------------------------------

    def on_mount(self) -> None:
        self.bridge = Bridge()
        for service in self.services.values():
            self.bridge.attach(service)
        self.notices.attach(self.services.values())
        self.push_screen(MainScreen())
        for problem in self.problems:
            self.notify(problem, severity="warning", timeout=10, markup=False)

    def exit(self, result: int | None = None, return_code: int = 0, message: Any = None) -> None:
        """Quit: the services stop first (sockets shut under their threads, a cold
        sync's storing child killed; what is committed stays), so no sync competes
        with Textual's tear-down for the CPU and the prompt comes back at once."""
        if not self._exit:
            self.ctx.close()
        super().exit(result, return_code, message)

    def on_unmount(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        self.notices.close()
        self.remove_open_dirs()

    # --- attachments being opened --------------------------------------------------------

    def open_dir(self) -> Path:
        """A new private (0700) directory for an attachment handed to open_command.

        It outlives the opener's start (the viewer reads the file later), so it is kept
        until the app exits, then removed with what it holds.
        """
        path = Path(tempfile.mkdtemp(prefix="mailtui-open-"))
        path.chmod(0o700)  # mkdtemp's mode already; said here because it matters
        self._open_dirs.append(path)
        return path

    def remove_open_dirs(self) -> None:
        """Remove every directory `open_dir` made (at exit; safe to call twice)."""
        dirs, self._open_dirs = self._open_dirs, []
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast, from any screen or thread, shows its text literally.

        Messages carry what strangers wrote: a server's NO or [ALERT] text, an SMTP
        reply, a file name. So whatever the caller passed, markup is off and the text
        goes through the mail sanitiser (ESC and C1 as visible stand-ins, bidi
        overrides removed) — the one place no notification can get around.
        """
        del markup  # never markup: see above
        super().notify(
            clean_text(message),
            title=clean_line(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def sync_started(self, account: str) -> bool:
        """Whether this account's SyncAll was submitted before the app started."""
        return self.syncing is True or (
            not isinstance(self.syncing, bool) and account in self.syncing
        )

    @property
    def closing(self) -> bool:
        """exit() was called: screens are being torn down, late work has nowhere to go."""
        return bool(self._exit)

    @property
    def main(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("the main screen is not open")

    async def run_main_action(self, name: str) -> None:
        """Run a registry action on the main screen (from the command palette)."""
        await self.run_action(name, self.main)

    def action_show_keys(self) -> None:
        self.push_screen(HelpScreen(self.keymap))

    # --- remembered state ----------------------------------------------------------------

    def _state_path(self) -> Path | None:
        try:
            directory = self._state_dir or paths.state_dir()
        except OSError:
            return None
        return directory / STATE_FILE

    def load_state(self) -> dict[str, Any]:
        path = self._state_path()
        try:
            data = json.loads(path.read_text("utf-8")) if path else {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save_state(self, data: dict[str, Any]) -> None:
        path = self._state_path()
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, json.dumps({**self.load_state(), **data}).encode("utf-8"))
        except OSError:
            pass


def _state_home(ctx: AppContext) -> Path:
    """Where ui-state.json lives: $XDG_STATE_HOME/mailtui for the user's own cache; a
    context with a cache dir of its own (tests, screenshots) keeps it beside that."""
    try:
        if ctx.cache_dir == paths.cache_dir(create=False):
            return paths.state_dir()
    except OSError:
        pass
    return ctx.cache_dir


def _terminal_theme(ctx: AppContext) -> str | None:
    """The 16-colour theme when the terminal has few colours and no theme was chosen."""
    if ctx.settings.ui.theme is not None:
        return None
    system = Console().color_system
    return themes.SIXTEEN_COLOUR_THEME if system in ("standard", "windows") else None


def run_app(ctx: AppContext, *, notice: str = "", syncing: bool | Collection[str] = False) -> int:
    """`mailtui` with no subcommand: run the app until quit; the context is closed after.
    `syncing`: the accounts (True: all) whose services the caller gave SyncAll."""
    app: MailApp | None = None
    try:
        app = MailApp(ctx, theme=_terminal_theme(ctx), notice=notice, syncing=syncing)
        result = app.run()
    finally:
        if app is not None:
            app.remove_open_dirs()  # also when the app ended by an error
        ctx.close()
    return int(result or app.return_code or 0)
