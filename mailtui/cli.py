"""Command-line entry point: `mailtui` opens the app; subcommands are the headless face.

Every subcommand runs on the same SyncService the TUI uses; failures print one line
(what happened — what to do) on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mailtui import __version__
from mailtui.errors import ConfigError, MailtuiError

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_QUEUED = 75  # EX_TEMPFAIL: saved, will be sent when the server is reachable
EXIT_SOFTWARE = 70  # EX_SOFTWARE: a bug in mailtui
EXIT_SIGPIPE = 141  # what a shell reports for a tool ended by SIGPIPE (128 + 13)


def _counted(what: str) -> Callable[[str], int]:
    """An argparse type for a number from 1 up: 0 or -1 would silently mean "nothing"."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{what} must be a number from 1 up, not {text!r}")
        return value

    return parse


_limit = _counted("the limit")
_uid = _counted("a UID")
_attachment_number = _counted("an attachment number")


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
    parser.add_argument(
        "--log", metavar="FILE", help="write a debug log to FILE (private; passwords never appear)"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="use a generated local demo mailbox (no server, no account); with no command, open the app on it",
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --demo: start the demo mailbox over"
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
    p.add_argument("--limit", "-n", type=_limit, default=50)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--sync", action="store_true", help="sync the folder first (needs the network)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="print a message as text")
    p.add_argument("folder")
    p.add_argument("uid", type=_uid)
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

    p = sub.add_parser("save", help="save a message's attachments to a directory")
    p.add_argument("folder")
    p.add_argument("uid", type=_uid)
    p.add_argument(
        "parts",
        nargs="*",
        type=_attachment_number,
        help="attachment numbers as listed by `show` (default: all)",
    )
    p.add_argument("--account", "-a")
    p.add_argument(
        "--dir", "-d", help="target directory, created if missing (default: ui.download_dir)"
    )
    p.set_defaults(func=cmd_save)

    p = sub.add_parser("mark", help="set or clear flags and labels")
    p.add_argument("folder")
    p.add_argument("uids", nargs="+", type=_uid, metavar="UID")
    p.add_argument("--account", "-a")
    p.add_argument("--seen", action="store_true")
    p.add_argument("--unseen", action="store_true")
    p.add_argument("--flagged", action="store_true")
    p.add_argument("--unflagged", action="store_true")
    p.add_argument("--answered", action="store_true")
    p.add_argument("--unanswered", action="store_true")
    p.add_argument("--label", action="append", default=[], metavar="NAME")
    p.add_argument("--unlabel", action="append", default=[], metavar="NAME")
    p.set_defaults(func=cmd_mark)

    for name, helptext in (("move", "move messages to another folder"), ("copy", "copy messages")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("folder")
        p.add_argument("rest", nargs="+", metavar="UID... DEST")
        p.add_argument("--account", "-a")
        p.set_defaults(func=cmd_move, kind=name)

    for name, helptext in (
        ("delete", "move messages to Trash (in Trash: delete for good)"),
        ("archive", "move messages to the archive folder"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("folder")
        p.add_argument("uids", nargs="+", type=_uid, metavar="UID")
        p.add_argument("--account", "-a")
        p.set_defaults(func=cmd_delete, kind=name)

    p = sub.add_parser("search", help="search a folder on the server (or the cache with --local)")
    p.add_argument("folder")
    p.add_argument(
        "query", nargs="+", help='e.g. from:alice subject:"q3 report" unseen since:2026-01-01'
    )
    p.add_argument("--account", "-a")
    p.add_argument("--local", action="store_true", help="search the header cache, offline")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", "-n", type=_limit, default=200)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("folder", help="create, rename, delete, (un)subscribe folders")
    fsub = p.add_subparsers(dest="op", metavar="OP", required=True)
    for op, args in (
        ("create", ("name",)),
        ("rename", ("old", "new")),
        ("delete", ("name",)),
        ("subscribe", ("name",)),
        ("unsubscribe", ("name",)),
    ):
        q = fsub.add_parser(op)
        for arg in args:
            q.add_argument(arg)
        q.add_argument("--account", "-a")
    p.set_defaults(func=cmd_folder)

    p = sub.add_parser("watch", help="stay connected and print one line per event")
    p.add_argument("account", nargs="?")
    p.add_argument(
        "--folder", action="append", default=[], metavar="F", help="also watch F (INBOX always)"
    )
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("send", help="send a complete message read from stdin (like sendmail -t)")
    p.add_argument("--account", "-a")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("outbox", help="show the outbox, or retry sending it (--retry)")
    p.add_argument("--account", "-a")
    p.add_argument("--retry", action="store_true")
    p.set_defaults(func=cmd_outbox)

    p = sub.add_parser("login", help="store an account's password in the system keyring")
    p.add_argument("account")
    p.add_argument("--no-verify", action="store_true", help="store without trying to log in")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin, one line (a second line: the SMTP password); "
        "the default when stdin is not a terminal",
    )
    p.set_defaults(func=cmd_login)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if args.log:
        from mailtui.config import logs

        logs.setup(args.log)
    try:
        status = open_app(args) if func is None else func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        return _reader_gone()
    except ConfigError as exc:
        _error(exc.sentence())
        return EXIT_USAGE
    except _queued_error() as exc:
        _error(exc.sentence())
        return EXIT_QUEUED
    except MailtuiError as exc:
        _error(exc.sentence())
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except OSError as exc:  # a file or directory mailtui was told to use
        where = f" ({exc.filename})" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}")
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line here, the traceback in the --log file
        if args.log:
            import logging

            logging.getLogger("mailtui").exception("uncaught error")
            hint = f"the details are in {args.log}; please report it with that file"
        else:
            hint = "run the command again with --log FILE and report it with that file"
        _error(f"Internal error: {type(exc).__name__}: {exc} — this is a bug in mailtui; {hint}")
        return EXIT_SOFTWARE


def _reader_gone() -> int:
    """The reader of our output went away (`mailtui list | head`): stop quietly, as Unix
    tools do. Python ignores SIGPIPE, so the write raised instead of ending the process;
    stdout now points at /dev/null so the interpreter's final flush cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout
        pass
    return EXIT_SIGPIPE


def demo_notice(config: str | None = None) -> str:
    """The demo banner, naming the config file this user would actually edit."""
    from mailtui.config.paths import locate_config

    path, _why = locate_config(config)
    home = str(Path.home())
    shown = "~" + str(path)[len(home) :] if str(path).startswith(home + os.sep) else str(path)
    return f"nothing here is sent. For your own mail, add an account to {shown} (see README)."


def open_app(args: argparse.Namespace) -> int:
    """`mailtui` alone: the full-screen app on the configured accounts (or the demo)."""
    from mailtui.sync import commands

    ctx = _context(args)
    # Sync starts before the UI is even imported: login, the folder list and the first
    # batch then overlap Python's and Textual's start-up (~0.3 s); the app, once up,
    # reads what has landed and follows the rest.
    for name in ctx.settings.accounts:
        try:
            ctx.service(name).submit(commands.SyncAll())
        except MailtuiError:
            pass  # the app names what is wrong with this account
    from mailtui.ui.app import run_app

    notice = demo_notice(args.config) if args.demo else ""
    return run_app(ctx, notice=notice, syncing=True)


def _error(message: str) -> None:
    from mailtui.text.safe import clean_line

    print(f"mailtui: {clean_line(message)}", file=sys.stderr)


def _say(message: str) -> None:
    """A line on stderr that may quote a server (an SMTP reply), made inert."""
    from mailtui.text.safe import clean_line

    print(clean_line(message), file=sys.stderr)


def json_text(data: object) -> str:
    """`data` as JSON for stdout, safe to pipe to a terminal.

    json.dumps escapes C0 controls but writes C1 (U+0080–U+009F: U+009B is a CSI),
    bidi overrides, zero-width and other format characters, line separators and lone
    surrogates as they are. Here every character Python deems unprintable is written
    as a \\u escape instead: the JSON means exactly the same (a consumer gets the
    folder's real name back, to pass to `mailtui list`), but no byte of it can act on a
    terminal. Stand-ins (as the text output uses) would change the names.
    """
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # Outside strings json.dumps writes only printable ASCII and the indent's newlines,
    # so escaping line by line can only touch string contents.
    return "\n".join(
        line if line.isprintable() else "".join(map(_json_char, line)) for line in text.split("\n")
    )


def _json_char(ch: str) -> str:
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells a character beyond the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _context(args: argparse.Namespace):  # -> AppContext
    if getattr(args, "demo", False):
        from mailtui.demo import demo_context

        return demo_context(reset=args.reset)
    if getattr(args, "reset", False):
        raise ConfigError("--reset only goes with --demo (it starts the demo mailbox over)")
    from mailtui.context import load_context

    return load_context(args.config)


def _ensure_cached(ctx: Any, service: Any, account: str | None, folder: str) -> None:
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


def _require_uids(service: Any, folder: str, uids: Sequence[int], *, changes: bool) -> None:
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
        replaying = service.pending_actions()
        stats = service.run(commands.SyncAll(folders=tuple(args.folder)))
        # Actions saved earlier (offline, or by a killed run) go out before we exit.
        if service.pending_actions() and not service.wait_writer_idle(timeout=120):
            raise MailtuiError(
                f"{service.pending_actions()} action(s) could not be sent yet",
                "they stay saved and are sent by the next connection",
            )
        if replaying:
            # Their effects (copies, moved mail) are in other folders: bring them in.
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

        from mailtui.sync import events
        from mailtui.text.safe import clean_line

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
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

    ctx = _context(args)
    try:
        service = ctx.service(args.account)
        if args.sync:
            service.run(commands.SyncFolder(folder=args.folder))
        else:
            _ensure_cached(ctx, service, args.account, args.folder)
        uids = service.view(args.folder)[: args.limit]
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
        _require_uids(service, args.folder, [args.uid], changes=False)
        env = service.envelope(args.folder, args.uid)
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
    # Captured, then written: rich ends the process itself (exit 1) on a closed pipe,
    # where main() would end quietly as other commands do.
    with console.capture() as captured:
        console.print(text)
    sys.stdout.write(captured.get())
    return 0


# --- folders ---------------------------------------------------------------------------


def cmd_folders(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

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
        sys.stdout.write(json_text(out) + "\n")
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
    from mailtui.config import credentials
    from mailtui.config.settings import load_settings
    from mailtui.imap.client import ImapSession
    from mailtui.imap.errors import AuthFailed

    if args.demo:
        raise MailtuiError("The demo account reads a local Maildir and needs no password")
    settings = load_settings(cli_path=args.config)
    account = settings.account(args.account)
    if account.maildir is not None and account.smtp is None:
        raise MailtuiError(
            f"Account {account.name!r} reads a local Maildir and needs no password",
            "nothing to store",
        )
    servers = [("imap", account.imap), ("smtp", account.smtp)]
    stored = 0
    imap_password = ""
    ask = _password_reader(args.password_stdin)
    for protocol, server in servers:
        if server is None or server.auth_source != "keyring":
            continue
        prompt = f"{protocol.upper()} password for {server.username}@{server.host}"
        if protocol == "smtp" and imap_password:
            prompt += " (empty: same as IMAP)"
        password = ask(prompt)
        if not password and protocol == "smtp":
            password = imap_password
        if not password:
            raise MailtuiError(
                "No password given; nothing stored",
                f"type it at the prompt in a terminal, or pipe it in: "
                f"`pass show mail | mailtui login {account.name}`",
            )
        if protocol == "imap" and not args.no_verify:
            secret = credentials.Secret("password", password)
            session = ImapSession(server, lambda secret=secret: secret, label=account.name)
            try:
                session.connect()
            except AuthFailed:
                raise
            except MailtuiError as exc:
                _error(f"could not verify ({exc.sentence()}); storing anyway")
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


def _password_reader(from_stdin: bool) -> Callable[[str], str]:
    """How `login` gets each password: a hidden prompt on a terminal, else one line of
    stdin per password (scripts, `pass … | mailtui login`); "" when there is none."""
    import getpass

    stdin = sys.stdin
    if not from_stdin and stdin is not None and stdin.isatty():

        def prompt(text: str) -> str:
            try:
                return getpass.getpass(text + ": ")
            except EOFError:  # ctrl-d at the prompt
                return ""

        return prompt

    def read_line(_text: str) -> str:
        if stdin is None:  # started with stdin closed
            return ""
        return stdin.readline().rstrip("\r\n")

    return read_line


def _queued_error() -> type[MailtuiError]:
    from mailtui.sync.service import ActionQueued

    return ActionQueued


# --- write-back --------------------------------------------------------------------------


def _run_action(
    args: argparse.Namespace, make: Callable[[Any], Any], uids: Sequence[int] = ()
) -> int:
    """Apply an action to `uids` through the service and wait for the server's answer."""
    from mailtui.sync import commands

    ctx = _context(args)
    try:
        service = ctx.service(args.account)
        cache = service.cache()
        folder = getattr(args, "folder", None)
        if folder is not None and cache.raw_name(folder) is None:
            service.run(commands.RefreshFolders(), timeout=60)
            if cache.raw_name(folder) is None:
                raise MailtuiError(f"There is no folder named {folder!r}")
        if uids:
            _require_uids(service, folder, uids, changes=True)
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
        uids = tuple(_uid(u) for u in uid_words)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{exc} (usage: mailtui {args.kind} FOLDER UID... DEST)") from exc
    kind = commands.MoveMessages if args.kind == "move" else commands.CopyMessages
    return _run_action(args, lambda _s: kind(folder=args.folder, uids=uids, dest=dest), uids)


def cmd_delete(args: argparse.Namespace) -> int:
    from mailtui.sync import commands

    kind = commands.DeleteMessages if args.kind == "delete" else commands.ArchiveMessages
    return _run_action(args, lambda _s: kind(folder=args.folder, uids=tuple(args.uids)), args.uids)


def cmd_folder(args: argparse.Namespace) -> int:
    from mailtui.sync import commands

    def make(_service: Any) -> Any:
        if args.op == "create":
            return commands.CreateFolder(name=args.name)
        if args.op == "rename":
            return commands.RenameFolder(old=args.old, new=args.new)
        if args.op == "delete":
            return commands.DeleteFolder(name=args.name)
        return commands.SubscribeFolder(name=args.name, subscribed=args.op == "subscribe")

    ctx = _context(args)
    try:
        service = ctx.service(args.account)
        if not service.folders():
            service.run(commands.RefreshFolders(), timeout=60)
        service.run(make(service), timeout=120)
    finally:
        ctx.close()
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from mailtui.sync import commands
    from mailtui.text.safe import clean_line

    text = " ".join(args.query)
    ctx = _context(args)
    try:
        service = ctx.service(args.account)
        if args.local:
            _ensure_cached(ctx, service, args.account, args.folder)
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
                    "date": _iso(e.date) if e else "",
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
            f"{uid:>7}  {_short_date(e.date):>16}  {clean_line(e.sender)[:24]:<24}  {clean_line(e.subject)}"
        )
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Stay connected; one line per event, flushed at once (for notifiers and tests)."""
    import threading

    from mailtui.sync import commands, events

    ctx = _context(args)
    service = ctx.service(args.account)
    stop = threading.Event()
    reader_gone = threading.Event()

    def show(event: events.Event) -> None:
        line = _event_line(service, event)
        if not line or reader_gone.is_set():
            return
        try:
            print(line, flush=True)
        except BrokenPipeError:  # raised in a worker thread: end the main one
            reader_gone.set()
            stop.set()

    unsubscribe = service.subscribe(show)
    try:
        service.run(commands.RefreshFolders(), timeout=60)
        service.watch(None, *args.folder)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        unsubscribe()
        ctx.close()
    if reader_gone.is_set():
        raise BrokenPipeError
    return 0


def _event_line(service: Any, event: Any) -> str:
    from mailtui.sync import events
    from mailtui.text.safe import clean_line

    stamp = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    if isinstance(event, events.NewMail):
        envs = service.envelopes(event.folder, list(event.uids))
        parts = []
        for uid in event.uids:
            e = envs.get(uid)
            who = clean_line(e.sender) if e else ""
            subject = clean_line(e.subject) if e else ""
            parts.append(
                f"{stamp} new {clean_line(event.folder)} uid={uid} from={who!r} subject={subject!r}"
            )
        return "\n".join(parts)
    if isinstance(event, events.FlagsChanged):
        return f"{stamp} flags {clean_line(event.folder)} uids={','.join(map(str, event.uids))}"
    if isinstance(event, events.MessagesVanished):
        return f"{stamp} vanished {clean_line(event.folder)} uids={','.join(map(str, event.uids))}"
    if isinstance(event, events.ConnectionChanged):
        detail = f" {clean_line(event.detail)}" if event.detail else ""
        return f"{stamp} connection {event.state}{detail}"
    if isinstance(event, events.ActionFailed):
        return f"{stamp} action-failed {clean_line(event.folder)} {event.kind}: {clean_line(event.message)}"
    return ""


# --- attachments ---------------------------------------------------------------------------


def cmd_save(args: argparse.Namespace) -> int:
    from mailtui.mime import attachments as mime_attachments
    from mailtui.mime import parse as mime_parse
    from mailtui.mime import render
    from mailtui.sync import commands

    ctx = _context(args)
    saved = []
    try:
        service = ctx.service(args.account)
        if service.cache().raw_name(args.folder) is None:
            service.run(commands.RefreshFolders(), timeout=60)
        _require_uids(service, args.folder, [args.uid], changes=False)
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
            part = structure.find(att.section)
            raw = service.run(
                commands.FetchPart(
                    folder=args.folder, uid=args.uid, section=att.section, cache=False
                ),
                timeout=600,
            )
            data = mime_parse.transfer_decode(raw, part.encoding if part else "7bit")
            saved.append(mime_attachments.save_attachment(data, att.filename, target))
    finally:
        ctx.close()
    for path in saved:
        print(path)
    return 0


def _download_target(given: str | None, settings: Any) -> Path:
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


# --- sending -------------------------------------------------------------------------------

EXIT_DATAERR = 65


def cmd_send(args: argparse.Namespace) -> int:
    """Send a whole message from stdin; Sent copy and outbox as in the app."""
    import contextlib

    from mailtui.compose.draft import DraftError
    from mailtui.compose.flow import send_raw
    from mailtui.sending import service_store
    from mailtui.sync import commands

    raw = sys.stdin.buffer.read()
    ctx = _context(args)
    try:
        account = ctx.account(args.account)
        service = ctx.service(account.name)
        if not service.folders():
            with contextlib.suppress(MailtuiError):
                service.run(commands.RefreshFolders(), timeout=60)
        try:
            report = send_raw(account, raw, store=service_store(service, account))
        except DraftError as exc:
            _error(exc.sentence())
            return EXIT_DATAERR
        service.wait_writer_idle(timeout=30)
    finally:
        ctx.close()
    _say(report.summary())
    return 0 if report.sent else EXIT_QUEUED


def cmd_outbox(args: argparse.Namespace) -> int:
    from mailtui.compose.outbox import Outbox
    from mailtui.sending import OutboxSender

    ctx = _context(args)
    try:
        account = ctx.account(args.account)
        outbox = Outbox.for_account(account.name)
        if not args.retry:
            from mailtui.text.safe import clean_line

            for item in outbox.pending():
                when = datetime.fromtimestamp(item.created).strftime("%Y-%m-%d %H:%M")
                error = f"  ({clean_line(item.last_error)})" if item.last_error else ""
                print(f"{when}  {item.state:<8} {clean_line(item.subject)}{error}")
            return 0
        service = ctx.service(account.name)
        reports = OutboxSender(account, service, outbox=outbox).retry()
        service.wait_writer_idle(timeout=30)
    finally:
        ctx.close()
    for report in reports:
        _say(report.summary())
    return 0 if all(r.sent for r in reports) else EXIT_QUEUED
