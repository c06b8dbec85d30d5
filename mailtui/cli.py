"""Command-line entry point: `mailtui` opens the app; subcommands are the headless face.

Every subcommand runs on the same SyncService the TUI uses; failures print one line
(what happened — what to do) on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mailtui import __version__
from mailtui.errors import ConfigError, MailtuiError

EXIT_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailtui",
        description="A keyboard-driven terminal mail client. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"mailtui {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $MAILTUI_CONFIG or $XDG_CONFIG_HOME/mailtui/config.toml)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("sync", help="bring the header cache up to date")
    p.add_argument("account", nargs="?", help="account name (default: the default account)")
    p.add_argument(
        "--folder", action="append", default=[], metavar="F", help="only this folder (repeatable)"
    )
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("list", help="list cached messages of a folder, newest first")
    p.add_argument("folder")
    p.add_argument("--account", "-a")
    p.add_argument("--limit", "-n", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--sync", action="store_true", help="sync the folder first (needs the network)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a message as text")
    p.add_argument("folder")
    p.add_argument("uid", type=int)
    p.add_argument("--account", "-a")
    p.add_argument("--html", action="store_true", help="prefer the HTML part when both exist")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("folders", help="list folders with roles and counts")
    p.add_argument("--account", "-a")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--sync", action="store_true", help="refresh the folder list from the server first"
    )
    p.set_defaults(func=cmd_folders)

    p = sub.add_parser("login", help="store an account's password in the system keyring")
    p.add_argument("account")
    p.add_argument("--no-verify", action="store_true", help="store without trying to log in")
    p.set_defaults(func=cmd_login)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    try:
        if func is None:
            return open_app(args)
        return func(args)
    except ConfigError as exc:
        _error(exc.sentence())
        return EXIT_USAGE
    except MailtuiError as exc:
        _error(exc.sentence())
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def open_app(args: argparse.Namespace) -> int:
    """`mailtui` alone: the full-screen app on the configured accounts."""
    from mailtui.ui.app import run_app

    return run_app(_context(args))


def _error(message: str) -> None:
    from mailtui.mime.safe import clean_line

    print(f"mailtui: {clean_line(message)}", file=sys.stderr)


def _context(args: argparse.Namespace):  # -> AppContext
    from mailtui.context import load_context

    return load_context(args.config)


# --- sync ------------------------------------------------------------------------------


def cmd_sync(args: argparse.Namespace) -> int:
    from mailtui.sync import commands, events

    ctx = _context(args)
    service = ctx.service(args.account)
    progress = _SyncProgress() if sys.stdout.isatty() else None
    unsubscribe = service.subscribe(progress.on_event) if progress else (lambda: None)
    try:
        if progress:
            progress.start()
        stats = service.run(commands.SyncAll(folders=tuple(args.folder)))
    finally:
        if progress:
            progress.stop()
        unsubscribe()
        ctx.close()
    if progress:
        fetched = sum(s.fetched for s in stats)
        print(f"Synced {len(stats)} folder(s), {fetched} new message header(s).")
    del events
    return 0


class _SyncProgress:
    """A rich progress bar per folder, fed by service events from the worker thread."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=False
        )
        self.tasks: dict[str, Any] = {}

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def on_event(self, event: Any) -> None:
        from rich.text import Text

        from mailtui.mime.safe import clean_line
        from mailtui.sync import events

        folder = getattr(event, "folder", None)
        if folder is None:
            return
        if folder not in self.tasks and isinstance(
            event, events.SyncStarted | events.HeadersSynced | events.FolderSynced
        ):
            self.tasks[folder] = self.progress.add_task(Text(clean_line(folder)), total=None)
        task = self.tasks.get(folder)
        if task is None:
            return
        if isinstance(event, events.SyncStarted):
            self.progress.update(task, total=max(event.total, 1), completed=0)
        elif isinstance(event, events.HeadersSynced) and event.total:
            self.progress.update(task, total=event.total, completed=event.done)
        elif isinstance(event, events.FolderSynced):
            total = max(event.stats.total, 1)
            self.progress.update(task, total=total, completed=total)


# --- list ------------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    from mailtui.mime.safe import clean_line
    from mailtui.sync import commands

    ctx = _context(args)
    try:
        service = ctx.service(args.account)
        if args.sync:
            service.run(commands.SyncFolder(folder=args.folder))
        elif service.cache().raw_name(args.folder) is None:
            raise MailtuiError(
                f"No cached folder named {args.folder!r}",
                f"run `mailtui sync` first, or `mailtui list --sync {args.folder}`",
            )
        uids = service.view(args.folder)[: max(args.limit, 0)]
        envs = service.envelopes(args.folder, uids)
        rows = [envs[u] for u in uids if u in envs]
    finally:
        ctx.close()
    if args.json:
        out = [
            {
                "uid": e.uid,
                "date": _iso(e.date),
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
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    for e in rows:
        marks = (
            ("N" if not e.seen else " ")
            + ("F" if e.flagged else " ")
            + ("A" if e.answered else " ")
            + ("@" if e.has_attachments else " ")
        )
        sender = clean_line(e.sender)[:24]
        print(
            f"{e.uid:>7} {marks} {_short_date(e.date):>16}  {sender:<24}  {clean_line(e.subject)}"
        )
    return 0


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat() if ts else ""


def _short_date(ts: int) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


# --- show ------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    from rich.console import Console

    from mailtui.mime import html as mime_html
    from mailtui.mime import parse as mime_parse
    from mailtui.mime import render
    from mailtui.sync import commands

    ctx = _context(args)
    try:
        service = ctx.service(args.account)
        env = service.envelope(args.folder, args.uid)
        if env is None:
            service.run(commands.SyncFolder(folder=args.folder))
            env = service.envelope(args.folder, args.uid)
        if env is None:
            raise MailtuiError(f"There is no message {args.uid} in {args.folder!r}")
        structure = service.run(commands.FetchStructure(folder=args.folder, uid=args.uid))
        part = render.choose_body(structure, prefer="html" if args.html else "plain")
        body = ""
        if part is not None:
            raw = service.run(
                commands.FetchPart(folder=args.folder, uid=args.uid, section=part.section)
            )
            body = mime_parse.decode_part(raw, part.encoding, part.charset)
            if part.subtype == "html":
                body, _links = mime_html.html_to_text(body)
            elif part.param("format").lower() == "flowed":
                body = render.reflow_flowed(body, part.param("delsp").lower() == "yes")
        attachments = render.attachments(structure)
    finally:
        ctx.close()
    text = render.render_message(env, body, attachments)
    console = Console(highlight=False, soft_wrap=True, emoji=False, markup=False)
    console.print(text)
    return 0


# --- folders ---------------------------------------------------------------------------


def cmd_folders(args: argparse.Namespace) -> int:
    from mailtui.mime.safe import clean_line
    from mailtui.sync import commands

    ctx = _context(args)
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
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    for f in folders:
        counts = (
            f"{f.unread if f.unread is not None else '?'}/{f.total if f.total is not None else '?'}"
        )
        role = f"[{f.role.value}]" if f.role.value else ""
        print(f"{clean_line(f.name):<40} {role:<10} {counts:>12}")
    return 0


# --- login -----------------------------------------------------------------------------


def cmd_login(args: argparse.Namespace) -> int:
    import getpass

    from mailtui.config import credentials
    from mailtui.config.settings import load_settings
    from mailtui.imap.client import ImapSession
    from mailtui.imap.errors import AuthFailed

    settings = load_settings(cli_path=args.config)
    account = settings.account(args.account)
    servers = [("imap", account.imap), ("smtp", account.smtp)]
    stored = 0
    imap_password = ""
    for protocol, server in servers:
        if server is None or server.auth_source != "keyring":
            continue
        prompt = f"{protocol.upper()} password for {server.username}@{server.host}"
        if protocol == "smtp" and imap_password:
            prompt += " (empty: same as IMAP)"
        password = getpass.getpass(prompt + ": ")
        if not password and protocol == "smtp":
            password = imap_password
        if not password:
            raise MailtuiError("No password given; nothing stored")
        if protocol == "imap" and not args.no_verify:
            secret = credentials.Secret("password", password)
            session = ImapSession(server, lambda secret=secret: secret, label=account.name)
            try:
                session.connect()
            except AuthFailed:
                raise
            except MailtuiError as exc:
                print(f"mailtui: could not verify ({exc}); storing anyway", file=sys.stderr)
            finally:
                session.close()
            imap_password = password
        credentials.store_password(account, server, protocol, password)  # type: ignore[arg-type]
        stored += 1
    if not stored:
        raise MailtuiError(
            f"Account {account.name!r} takes its secrets from a command, not the keyring",
            "nothing to store",
        )
    print(f"Stored {stored} password(s) for {account.name} in the system keyring.")
    return 0
