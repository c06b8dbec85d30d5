"""Handing a link or a saved attachment to the desktop's opener (`ui.open_command`)."""

from __future__ import annotations

import shlex
import subprocess
import sys

from mailtui.errors import MailtuiError


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
