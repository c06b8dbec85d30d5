"""Folder commands: `folders` lists them, `folder create|rename|delete|(un)subscribe`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mailtui.cli.access import open_context
from mailtui.cli.output import EXIT_USAGE, json_text

if TYPE_CHECKING:
    from mailtui.sync.commands import Command
    from mailtui.sync.service import SyncService


def cmd_folders(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        folders = service.folders()
        if args.sync or not folders:
            folders = service.run(commands.RefreshFolders())
    finally:
        ctx.close()
    if args.json:
        out = [
            {
                "name": f.name,
                "role": f.role.value or None,
                "unread": f.unread,
                "total": f.total,
                "delimiter": f.delimiter,
                "subscribed": f.subscribed,
                "selectable": f.selectable,
            }
            for f in folders
        ]
        sys.stdout.write(json_text(out) + "\n")
        return 0
    for f in folders:
        counts = (
            f"{f.unread if f.unread is not None else '?'}/{f.total if f.total is not None else '?'}"
        )
        role = f"[{f.role.value}]" if f.role.value else ""
        print(f"{clean_line(f.name):<40} {role:<10} {counts:>12}")
    return 0


def cmd_folder(args: argparse.Namespace) -> int:
    from mailtui.sync import commands

    def make() -> Command:
        if args.op == "create":
            return commands.CreateFolder(name=args.name)
        if args.op == "rename":
            return commands.RenameFolder(old=args.old, new=args.new)
        if args.op == "delete":
            return commands.DeleteFolder(name=args.name)
        return commands.SubscribeFolder(name=args.name, subscribed=args.op == "subscribe")

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        if not service.folders():
            service.run(commands.RefreshFolders(), timeout=60)
        if args.op == "delete" and not args.force and not _may_delete(service, args.name):
            return EXIT_USAGE
        service.run(make(), timeout=120)
    finally:
        ctx.close()
    return 0


def _may_delete(service: SyncService, name: str) -> bool:
    """A folder holding messages goes only when the user says so: asked on a terminal,
    else refused (--force deletes without asking)."""
    from mailtui.cli.output import error
    from mailtui.text.safe import clean_line

    known = {f.name: f for f in service.folders()}
    folder = known.get(name)
    total = service.counts(name)[0] if folder is not None else 0
    if folder is not None and not total and folder.total:
        total = folder.total
    if not total:
        return True
    what = f"the folder {clean_line(name)!r} and its {total} message{'s' if total != 1 else ''}"
    if not sys.stdin.isatty():
        error(f"Not deleting {what} without --force")
        return False
    answer = input(f"Delete {what} for good? [y/N] ").strip().lower()
    return answer in ("y", "yes")
