"""Reading commands: `list` a folder, `show` a message, `search` a folder.

They read the header cache (offline) unless told to reach the server (`--sync`, a
server-side search); `show` fetches the body part it prints.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mailtui.cli.access import ensure_cached, open_context, require_uids
from mailtui.cli.output import iso, json_text, short_date

if TYPE_CHECKING:
    from rich.text import Text

    from mailtui.sync.service import SyncService


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
        previews = _previews(service, args.folder, [e.uid for e in rows], fetch=args.preview)
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
                **({"preview": previews[e.uid]} if e.uid in previews else {}),
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


def _previews(service: SyncService, folder: str, uids: list[int], *, fetch: bool) -> dict[int, str]:
    """The preview lines the cache knows; with `fetch` (--preview) the rest from the
    server (PREVIEW, else a capped partial fetch), in one request, and kept."""
    from mailtui.cache.previews import cached_previews
    from mailtui.sync import commands

    if fetch and uids:
        return service.run(commands.FetchPreviews(folder=folder, uids=tuple(uids)), timeout=120)
    return cached_previews(service.cache(), folder, uids)


def cmd_show(args: argparse.Namespace) -> int:
    """Print a message: headers, the body the reader would show (whole), attachments."""
    from dataclasses import replace

    from rich.console import Console

    from mailtui.crypto import Pinentry
    from mailtui.mime import render
    from mailtui.usecase.reading import SecureReading, read_body

    ctx = open_context(args)
    try:
        account = ctx.account(args.account)
        service = ctx.service(account.name)
        require_uids(service, args.folder, [args.uid], changes=False)
        env = service.envelope(args.folder, args.uid)
        # A locked key's passphrase: gpg-agent's own pinentry asks (on this terminal
        # through GPG_TTY, or a GUI one), never this command.
        secure = SecureReading(account, Pinentry.agent())
        shown = read_body(
            service, args.folder, args.uid, prefer="html" if args.html else "plain", secure=secure
        )
        hidden = shown.secure.hidden if shown.secure is not None else frozenset()
        attachments = [a for a in render.attachments(shown.structure) if a.section not in hidden]
    finally:
        ctx.close()
    if env is not None and shown.secure is not None and shown.secure.subject:
        env = replace(env, subject=shown.secure.subject)
    text = render.render_message(env, shown.text, attachments)
    status = security_lines(shown)
    if status:
        text = status + text
    console = Console(highlight=False, soft_wrap=True, emoji=False, markup=False)
    # Captured, then written: rich ends the process itself (exit 1) on a closed pipe,
    # where main() would end quietly as other commands do.
    with console.capture() as captured:
        console.print(text)
    sys.stdout.write(captured.get())
    return 0


def security_lines(shown: object) -> Text:
    """The signature/encryption status printed above the headers: one line each, a
    bracketed verdict of ours first ("[GOOD]", "[BAD]", "[WARN]", "[ENCRYPTED]")."""
    from rich.text import Text

    from mailtui.text.safe import clean_line
    from mailtui.usecase.reading import ShownBody

    assert isinstance(shown, ShownBody)
    lines = list(shown.secure.lines) if shown.secure is not None else []
    lines += list(shown.inline.lines) if shown.inline is not None else []
    out = Text(end="")
    styles = {
        "good": "bold green",
        "bad": "bold red",
        "warn": "bold yellow",
        "encrypted": "bold blue",
        "off": "bold yellow",
    }
    for line in lines:
        out.append(f"[{line.kind.upper()}]", style=styles.get(line.kind, "bold"))
        out.append(" " + clean_line(line.text) + "\n")
    if lines:
        out.append("\n")
    return out


def cmd_search(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

    text = " ".join(args.query)
    if args.folder == "*":
        return _search_every_folder(args, text)
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


def _search_every_folder(args: argparse.Namespace, text: str) -> int:
    """`mailtui search '*' QUERY`: every folder of the account from its cache (synced
    first unless --local), a message in several folders (Gmail's labels) once."""
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line
    from mailtui.usecase.search_all import search_everywhere

    ctx = open_context(args)
    try:
        service = ctx.service(args.account)
        if not args.local:
            service.run(commands.SyncAll(), timeout=600)
        hits = search_everywhere(
            {service.account: service}, text, account=service.account, limit=args.limit
        )
    finally:
        ctx.close()
    if args.json:
        rows = [
            {
                "folder": h.folder,
                "uid": h.uid,
                "date": iso(h.date),
                "from": h.sender,
                "subject": h.subject,
                "unread": h.unread,
                "also_in": list(h.also_in),
            }
            for h in hits
        ]
        sys.stdout.write(json_text(rows) + "\n")
        return 0
    for h in hits:
        print(
            f"{clean_line(h.folder)[:20]:<20} {h.uid:>7}  {short_date(h.date):>16}  "
            f"{clean_line(h.sender)[:24]:<24}  {clean_line(h.subject)}"
        )
    return 0
