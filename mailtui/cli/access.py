"""An account's context for one command, and the checks made before acting on it.

Each command opens the context (the demo's, or the configured accounts'), works on one
account's SyncService and closes it. Reading the cache stays offline unless asked;
a folder or UID that does not exist is an error naming what to run, never a silent
no-op.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailtui.errors import ConfigError, MailtuiError

if TYPE_CHECKING:
    from mailtui.context import AppContext
    from mailtui.sync.service import SyncService


def open_context(args: argparse.Namespace) -> AppContext:
    """The context a command works in: the demo's with --demo, else the config file's."""
    if getattr(args, "demo", False):
        from mailtui.demo import demo_context

        return demo_context(reset=args.reset)
    if getattr(args, "reset", False):
        raise ConfigError("--reset only goes with --demo (it starts the demo mailbox over)")
    from mailtui.context import load_context

    return load_context(args.config)


def ensure_cached(ctx: AppContext, service: SyncService, account: str | None, folder: str) -> None:
    """Make sure a folder's messages are in the cache before listing from it.

    A local Maildir is synced on the spot (a directory scan, no network); an IMAP folder
    never synced is an error naming what to run, as reading the cache stays offline
    unless the user asks for the network.
    """
    from mailtui.sync import commands

    if service.folder_state(folder).uidvalidity:
        return
    if ctx.account(account).maildir is not None:
        if service.cache().raw_name(folder) is None:
            service.run(commands.RefreshFolders(), timeout=60)
        service.run(commands.SyncFolder(folder=folder))
        return
    if service.cache().raw_name(folder) is None:
        what = f"No cached folder named {folder!r}"
    else:
        what = f"The folder {folder!r} has not been synced yet"
    raise MailtuiError(
        what, f"run `mailtui sync` first, or `mailtui list --sync {shlex.quote(folder)}`"
    )


def require_uids(service: SyncService, folder: str, uids: Sequence[int], *, changes: bool) -> None:
    """Refuse UIDs the folder does not hold, before acting on any of them.

    A server answers OK to a STORE on no message, so without this check a mistyped UID
    would look done. Missing UIDs may be mail newer than the last sync (or the folder was
    never synced): the folder is synced once before they are called missing.
    """
    from mailtui.errors import ConnectionLost
    from mailtui.sync import commands

    def missing() -> list[int]:
        found = service.envelopes(folder, list(uids))
        return sorted(set(uids) - set(found))

    absent = missing()
    unreachable = False
    if absent:
        try:
            service.run(commands.SyncFolder(folder=folder))
        except ConnectionLost:
            if not service.folder_state(folder).uidvalidity:
                raise  # nothing cached to judge by: the network is the problem
            unreachable = True
        absent = missing()
    if not absent:
        return
    listed = ", ".join(map(str, absent))
    sentence = f"There is no message {listed} in {folder!r}"
    if len(absent) > 1:
        sentence = f"There are no messages {listed} in {folder!r}"
    if changes:
        sentence += "; nothing was changed"
    hint = f"`mailtui list {shlex.quote(folder)}` shows the UIDs there are"
    if unreachable:
        hint += " (as last synced: the server could not be reached to check for newer mail)"
    raise MailtuiError(sentence, hint)
