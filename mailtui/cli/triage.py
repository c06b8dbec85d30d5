"""Triage commands: `mark` flags and labels, `move`/`copy`, `delete`/`archive`, `junk`, `mute`.

Each is one journaled action through the service, as the app's keys are: the UIDs are
checked first (a server answers OK to a STORE on no message), then the command waits
for the server's answer.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mailtui.cli.access import open_context, require_uids
from mailtui.cli.args import parse_uid
from mailtui.errors import ConfigError, MailtuiError

if TYPE_CHECKING:
    from mailtui.sync.commands import Command
    from mailtui.sync.service import SyncService


def _run_action(
    args: argparse.Namespace, make: Callable[[SyncService], Command], uids: Sequence[int] = ()
) -> int:
    """Apply an action to `uids` through the service and wait for the server's answer."""
    from mailtui.sync import commands

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        cache = service.cache()
        folder = getattr(args, "folder", None)
        if folder is not None and cache.raw_name(folder) is None:
            service.run(commands.RefreshFolders(), timeout=60)
            if cache.raw_name(folder) is None:
                raise MailtuiError(f"There is no folder named {folder!r}")
        if uids:
            require_uids(service, folder, uids, changes=True)
        service.run(make(service), timeout=120)
    finally:
        ctx.close()
    return 0


def cmd_mark(args: argparse.Namespace) -> int:
    from mailtui.model import ANSWERED, FLAGGED, SEEN
    from mailtui.sync import commands

    add: set[str] = set(args.label)
    remove: set[str] = set(args.unlabel)
    for on, off, flag in (
        (args.seen, args.unseen, SEEN),
        (args.flagged, args.unflagged, FLAGGED),
        (args.answered, args.unanswered, ANSWERED),
    ):
        if on and off:
            raise ConfigError(f"--{flag[1:].lower()} and its opposite cannot be combined")
        if on:
            add.add(flag)
        if off:
            remove.add(flag)
    if not add and not remove:
        raise ConfigError(
            "say what to change: --seen, --unseen, --flagged, --unflagged, --label NAME…"
        )
    return _run_action(
        args,
        lambda _s: commands.SetFlags(
            folder=args.folder, uids=tuple(args.uids), add=frozenset(add), remove=frozenset(remove)
        ),
        args.uids,
    )


def cmd_move(args: argparse.Namespace) -> int:
    from mailtui.sync import commands

    if len(args.rest) < 2:
        raise ConfigError(f"usage: mailtui {args.kind} FOLDER UID... DEST")
    *uid_words, dest = args.rest
    try:
        uids = tuple(parse_uid(u) for u in uid_words)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{exc} (usage: mailtui {args.kind} FOLDER UID... DEST)") from exc
    kind = commands.MoveMessages if args.kind == "move" else commands.CopyMessages
    return _run_action(args, lambda _s: kind(folder=args.folder, uids=uids, dest=dest), uids)


def cmd_delete(args: argparse.Namespace) -> int:
    from mailtui.sync import commands

    kind = commands.DeleteMessages if args.kind == "delete" else commands.ArchiveMessages
    return _run_action(args, lambda _s: kind(folder=args.folder, uids=tuple(args.uids)), args.uids)


def cmd_junk(args: argparse.Namespace) -> int:
    """Junk, or (in the Junk folder, or with --not) not junk: as `!` in the app."""
    from mailtui.sync import commands

    junk = False if args.not_junk else None
    return _run_action(
        args,
        lambda _s: commands.MarkJunk(folder=args.folder, uids=tuple(args.uids), junk=junk),
        args.uids,
    )


def cmd_mute(args: argparse.Namespace) -> int:
    """Mute (or with --unmute, unmute) the conversations of these messages, as `X`."""
    from mailtui.usecase.mute import set_muted

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        require_uids(service, args.folder, args.uids, changes=False)
        result = set_muted(service, args.folder, args.uids, not args.unmute)
    finally:
        ctx.close()
    print(result.sentence())
    return 0
