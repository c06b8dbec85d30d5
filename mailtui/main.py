"""`mailtui`: a headless command (`mailtui.cli`), or with none the full-screen app.

The one module above both faces: `mailtui.cli` never imports the UI, so `mailtui list`
or `mailtui send` start without Textual; the app is imported here, and only when it
is what the user asked for.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from mailtui import cli, warmstart
from mailtui.errors import MailtuiError, NoConfigFile

__all__ = ["demo_notice", "leave_now", "main", "open_app"]


def main(argv: Sequence[str] | None = None) -> int:
    """The `mailtui` program; returns its exit status."""
    return cli.main(argv, app=open_app)


def demo_notice(config: str | None = None) -> str:
    """The demo banner, naming the config file this user would actually edit."""
    from mailtui.config.paths import locate_config

    path, _why = locate_config(config)
    home = str(Path.home())
    shown = "~" + str(path)[len(home) :] if str(path).startswith(home + os.sep) else str(path)
    return f"nothing here is sent. For your own mail: `mailtui setup` (it writes {shown})."


def open_app(args: argparse.Namespace) -> int:
    """`mailtui` alone: the full-screen app on the configured accounts (or the demo)."""
    from mailtui.cli.access import open_context
    from mailtui.sync import commands

    try:
        ctx = open_context(args)
    except NoConfigFile as exc:
        # The first start: on a terminal, offer setup and then open what it set up.
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise
        from mailtui.cli.setup import first_run

        config = ["--config", args.config] if args.config else []
        if not first_run(args, exc, cli.build_parser().parse_args([*config, "setup"])):
            return 0
        ctx = open_context(args)
    # An empty cache has nothing to draw: its sync starts before the UI is even
    # imported, so login, the folder list and the first batch overlap Python's and
    # Textual's start-up. An account with a cache draws from it first; its sync waits
    # for the first screen (MainScreen), so nothing competes with drawing (issue 17).
    early = []
    for name in ctx.settings.accounts:
        try:
            service = ctx.service(name)
            if not service.folder_state("INBOX").synced:
                service.submit(commands.SyncAll())
                early.append(service.account)
        except MailtuiError:
            pass  # the app names what is wrong with this account
    from mailtui.ui.app import run_app

    warmstart.release()  # what the imports compiled, kept even if this run is killed
    notice = demo_notice(args.config) if args.demo else ""
    leave_now(run_app(ctx, notice=notice, syncing=early))


def leave_now(code: int) -> NoReturn:
    """End the process as soon as the app has closed, without the interpreter's tear-down.

    run_app has restored the terminal and stopped every service (sockets shut, the
    storing child killed, each batch and journal row committed or not: SQLite keeps
    what was committed whatever happens next). What is left is freeing a heap of
    widgets and rows, and closing cache connections some threads still hold, each
    close checkpointing the WAL: 0.3-0.6 s measured on a 100k folder (issue 17),
    for nothing a next start needs.
    """
    logging.shutdown()
    warmstart.save()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
