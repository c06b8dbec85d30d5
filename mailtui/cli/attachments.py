"""`save`: a message's attachments written to a directory, numbered as `show` lists them."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.cli.access import open_context, require_uids
from mailtui.errors import MailtuiError

if TYPE_CHECKING:
    from mailtui.config.model import Settings


def cmd_save(args: argparse.Namespace) -> int:
    from mailtui.mime import attachments as mime_attachments
    from mailtui.mime import render
    from mailtui.sync import commands
    from mailtui.usecase.reading import read_attachment

    ctx = open_context(args)
    saved = []
    try:
        service = ctx.service(args.account)
        if service.cache().raw_name(args.folder) is None:
            service.run(commands.RefreshFolders(), timeout=60)
        require_uids(service, args.folder, [args.uid], changes=False)
        structure = service.run(
            commands.FetchStructure(folder=args.folder, uid=args.uid), timeout=60
        )
        listed = render.attachments(structure)
        if not listed:
            raise MailtuiError(f"Message {args.uid} has no attachments")
        beyond = [n for n in args.parts if n > len(listed)]
        if beyond:
            count = f"{len(listed)} attachment" + ("s" if len(listed) != 1 else "")
            numbers = "1" if len(listed) == 1 else f"1–{len(listed)}"
            raise MailtuiError(
                f"Message {args.uid} has {count} ({numbers}); "
                f"there is no attachment {', '.join(map(str, beyond))}",
                f"`mailtui show {shlex.quote(args.folder)} {args.uid}` lists them",
            )
        wanted = [listed[n - 1] for n in args.parts] if args.parts else listed
        target = _download_target(args.dir, ctx.settings)
        for att in wanted:
            data = read_attachment(service, args.folder, args.uid, structure, att.section)
            saved.append(mime_attachments.save_attachment(data, att.filename, target))
    finally:
        ctx.close()
    for path in saved:
        print(path)
    return 0


def _download_target(given: str | None, settings: Settings) -> Path:
    """The directory attachments go to; one that did not exist is created, and said so
    (a mistyped --dir would otherwise quietly grow a new directory tree)."""
    from mailtui.config.paths import DIR_MODE
    from mailtui.text.safe import clean_line

    target = Path(given).expanduser() if given else Path(settings.ui.download_dir)
    if target.exists() or target.is_symlink():
        return target  # not a directory: saving says so
    try:
        target.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        return target  # made meanwhile by someone else
    except OSError as exc:
        raise MailtuiError(
            f"Cannot create the directory {str(target)!r}: {exc.strerror or exc}",
            "check the path and its permissions",
        ) from exc
    print(f"mailtui: created {clean_line(str(target))}", file=sys.stderr)
    return target
