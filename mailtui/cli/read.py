"""Reading commands: `list` a folder, `show` a message, `search` a folder.

They read the header cache (offline) unless told to reach the server (`--sync`, a
server-side search); `show` fetches the body part it prints.
"""

from __future__ import annotations

import argparse
import sys

from mailtui.cli.access import ensure_cached, open_context, require_uids
from mailtui.cli.output import iso, json_text, short_date


def cmd_list(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        if args.sync:
            service.run(commands.SyncFolder(folder=args.folder))
        else:
            ensure_cached(ctx, service, args.account, args.folder)
        uids = service.view(args.folder)[: args.limit]
        envs = service.envelopes(args.folder, uids)
        rows = [envs[u] for u in uids if u in envs]
    finally:
        ctx.close()
    if args.json:
        out = [
            {
                "uid": e.uid,
                "date": iso(e.date),
                "timestamp": e.date,
                "from": e.from_[0].full() if e.from_ else "",
                "from_name": e.from_[0].name if e.from_ else "",
                "from_addr": e.from_[0].addr if e.from_ else "",
                "subject": e.subject,
                "flags": sorted(e.flags),
                "size": e.size,
                "has_attachments": e.has_attachments,
            }
            for e in rows
        ]
        sys.stdout.write(json_text(out) + "\n")
        return 0
    for e in rows:
        marks = (
            ("N" if not e.seen else " ")
            + ("F" if e.flagged else " ")
            + ("A" if e.answered else " ")
            + ("@" if e.has_attachments else " ")
        )
        sender = clean_line(e.sender)[:24]
        print(f"{e.uid:>7} {marks} {short_date(e.date):>16}  {sender:<24}  {clean_line(e.subject)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a message: headers, the body the reader would show (whole), attachments."""
    from rich.console import Console

    from mailtui.mime import render
    from mailtui.usecase.reading import read_body

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        require_uids(service, args.folder, [args.uid], changes=False)
        env = service.envelope(args.folder, args.uid)
        shown = read_body(service, args.folder, args.uid, prefer="html" if args.html else "plain")
        attachments = render.attachments(shown.structure)
    finally:
        ctx.close()
    text = render.render_message(env, shown.text, attachments)
    console = Console(highlight=False, soft_wrap=True, emoji=False, markup=False)
    # Captured, then written: rich ends the process itself (exit 1) on a closed pipe,
    # where main() would end quietly as other commands do.
    with console.capture() as captured:
        console.print(text)
    sys.stdout.write(captured.get())
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

    text = " ".join(args.query)
    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        if args.local:
            ensure_cached(ctx, service, args.account, args.folder)
        elif service.cache().raw_name(args.folder) is None:
            service.run(commands.RefreshFolders(), timeout=60)
        uids = service.run(
            commands.Search(folder=args.folder, query=text, local=args.local), timeout=120
        )[: args.limit]
        envs = service.envelopes(args.folder, uids)
    finally:
        ctx.close()
    if args.json:
        out = []
        for uid in uids:
            e = envs.get(uid)
            out.append(
                {
                    "uid": uid,
                    "date": iso(e.date) if e else "",
                    "from": e.from_[0].full() if e and e.from_ else "",
                    "subject": e.subject if e else "",
                    "flags": sorted(e.flags) if e else [],
                }
            )
        sys.stdout.write(json_text(out) + "\n")
        return 0
    for uid in uids:
        e = envs.get(uid)
        if e is None:
            print(f"{uid:>7}  (not in the cache: run `mailtui sync`)")
            continue
        print(
            f"{uid:>7}  {short_date(e.date):>16}  {clean_line(e.sender)[:24]:<24}  {clean_line(e.subject)}"
        )
    return 0
