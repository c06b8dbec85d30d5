"""`mailtui thread FOLDER UID`: a message's conversation across every folder.

The same use case as the app's conversation view (`usecase.conversation`), read from
the cache with no network: one line per message, oldest first — folder, UID, date,
sender, subject — or a JSON array with `--json`. Folders never synced cannot take
part; they are named on stderr (a Maildir account's are scanned, which is local).
"""

from __future__ import annotations

import argparse
import sys

from mailtui.cli.access import ensure_cached, open_context
from mailtui.cli.output import iso, json_text, say, short_date
from mailtui.errors import MailtuiError

__all__ = ["add_parser", "cmd_thread"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from mailtui.cli.args import parse_uid

    p = sub.add_parser(
        "thread", help="print a message's conversation from every folder (Sent included)"
    )
    p.add_argument("folder")
    p.add_argument("uid", type=parse_uid)
    p.add_argument("--account", "-a")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_thread)


def cmd_thread(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line
    from mailtui.usecase.conversation import find_conversation

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        ensure_cached(ctx, service, args.account, args.folder)
        local = ctx.account(args.account).maildir is not None
        unsynced = []
        for folder in service.folders():
            if not folder.selectable or service.folder_state(folder.name).uidvalidity:
                continue
            if local:
                service.run(commands.SyncFolder(folder=folder.name))
            else:
                unsynced.append(folder.name)
        if service.envelope(args.folder, args.uid) is None:
            raise MailtuiError(
                f"There is no message {args.uid} in {args.folder!r} in the cache",
                f"`mailtui list {args.folder}` shows the UIDs there are (`mailtui sync` "
                "brings newer mail)",
            )
        messages = find_conversation(service, args.folder, args.uid)
    finally:
        ctx.close()
    if unsynced:
        say(f"not looked in (never synced; `mailtui sync` fetches them): {', '.join(unsynced)}")
    if args.json:
        out = [
            {
                "folder": m.folder,
                "uid": m.uid,
                "date": iso(m.envelope.date),
                "timestamp": m.envelope.date,
                "from": m.envelope.from_[0].full() if m.envelope.from_ else "",
                "subject": m.envelope.subject,
                "message_id": m.envelope.message_id,
                "also_in": list(m.also_in),
                "opened": m.folder == args.folder and m.uid == args.uid,
            }
            for m in messages
        ]
        sys.stdout.write(json_text(out) + "\n")
        return 0
    width = max((len(clean_line(m.folder)) for m in messages), default=6)
    for m in messages:
        env = m.envelope
        mark = "*" if m.folder == args.folder and m.uid == args.uid else " "
        print(
            f"{mark}{clean_line(m.folder):<{width}} {m.uid:>7} {short_date(env.date):>16}  "
            f"{clean_line(env.sender)[:24]:<24}  {clean_line(env.subject)}"
        )
    return 0
