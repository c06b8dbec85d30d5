"""Driving MailApp in tests: build it on the test Dovecot, wait for conditions, read the screen."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.css.query import NoMatches
from textual.pilot import Pilot

from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from tests.support.accounts import context_for
from tests.support.dovecot import Dovecot, MailUser

# Generated mail starts 2024-01-08 08:30 UTC; "now" is the next day, so dates are relative.
NOW = datetime(2024, 1, 9, 18, 0, tzinfo=UTC)
SIZE = (120, 40)
UPDATE_SNAPSHOTS_ENV = "MAILTUI_UPDATE_SNAPSHOTS"


def make_app(
    dovecot: Dovecot,
    user: MailUser,
    cache_dir: Path,
    *,
    ui: dict[str, Any] | None = None,
    theme: str | None = None,
    **kwargs: Any,
) -> MailApp:
    """The app on the test server, through the same AppContext factory the CLI uses."""
    settings_ui = {
        "download_dir": str(cache_dir / "downloads"),
        "themes_dir": str(cache_dir / "themes"),
    }
    # Sent at once unless a test asks for the undo window ([ui] send_delay, default 10 s).
    settings_ui["send_delay"] = 0
    settings_ui.update(ui or {})
    ctx = context_for(dovecot, user, cache_dir, ui=settings_ui, **kwargs)
    return MailApp(ctx, clock=fixed_clock(NOW), theme=theme)


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], Any], timeout: float = 15, what: str = ""
) -> Any:
    """Let the app run until `condition()` is truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (LookupError, NoMatches):
            value = None  # the main screen is not composed yet
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


async def wait_server(condition: Callable[[], Any], timeout: float = 15, what: str = "") -> Any:
    """Poll the server (another connection) until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(condition)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for the server: {what or condition}")
        await asyncio.sleep(0.1)


async def ready(pilot: Pilot[Any], app: MailApp, *, synced: bool = True) -> None:
    """Wait until the list shows the folder and (optionally) every folder is synced."""
    await wait_for(pilot, lambda: app.main.messages.rows, what="the first rows")
    if synced:

        def all_synced() -> bool:
            service = app.main.service
            folders = [f for f in service.folders() if f.selectable]
            return (
                bool(folders)
                and all(service.folder_state(f.name).synced for f in folders)
                and not app.main.status.status.syncing
                and app.main.status.status.state == "online"
            )

        await wait_for(pilot, all_synced, timeout=30, what="all folders synced")
    await pilot.pause()


async def wait_reader(pilot: Pilot[Any], app: MailApp, uid: int | None = None) -> None:
    """Until the reader shows a loaded body (of `uid` when given)."""
    reader = app.main.reader

    def shown() -> bool:
        return (
            reader.loaded is not None
            and not reader.is_loading
            and (uid is None or (reader.key is not None and reader.key[2] == uid))
        )

    await wait_for(pilot, shown, what=f"the reader to show {uid}")
    await pilot.pause()


def screen_text(app: MailApp) -> str:
    """What the terminal shows, as plain text (one line per row)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def check_snapshot(app: MailApp, name: str) -> None:
    """Compare the screen's SVG with tests/ui/snapshots/NAME.svg (MAILTUI_UPDATE_SNAPSHOTS=1 rewrites)."""
    svg = app.export_screenshot(title="mailtui")
    path = Path(__file__).parent / "snapshots" / f"{name}.svg"
    if os.environ.get(UPDATE_SNAPSHOTS_ENV) == "1" or not path.exists():
        if not path.exists() and os.environ.get(UPDATE_SNAPSHOTS_ENV) != "1":
            raise AssertionError(
                f"no snapshot {path.name}; run with {UPDATE_SNAPSHOTS_ENV}=1 to create it"
            )
        path.write_text(svg, "utf-8")
        return
    expected = path.read_text("utf-8")
    if svg != expected:
        actual = path.with_suffix(".actual.svg")
        actual.write_text(svg, "utf-8")
        raise AssertionError(
            f"screen differs from {path.name}; see {actual.name} "
            f"(set {UPDATE_SNAPSHOTS_ENV}=1 to accept the new one)"
        )
