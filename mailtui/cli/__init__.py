"""The headless face: `mailtui COMMAND …`, one module per group of commands.

Every subcommand runs on the same SyncService the TUI uses; failures print one line
(what happened — what to do) on stderr and exit non-zero (`output.EXIT_*`). This
package never imports `mailtui.ui`: `mailtui` with no command (the app) is dispatched
by `mailtui.main`, which passes the app in as `main(app=…)`.

Modules: `read` (list, show, search), `thread` (a conversation across folders),
`respond` (unsubscribe, invite), `triage` (mark, move, copy, delete, archive, junk, mute),
`folders` (folders, folder …), `sync` (sync, watch), `attachments` (save), `completion`
(shell completion scripts), `manpage` (--man), `send`
(send, outbox), `account` (login), `setup` (setup, its questions in `prompts`); `access` opens the context and checks folders and
UIDs, `output` prints, `args` holds the argument types.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from mailtui import __version__
from mailtui.cli import (
    account,
    attachments,
    completion,
    folders,
    read,
    respond,
    send,
    setup,
    sync,
    thread,
    triage,
)
from mailtui.cli.args import parse_attachment_number, parse_limit, parse_uid
from mailtui.cli.output import (
    EXIT_ERROR,
    EXIT_QUEUED,
    EXIT_SIGN_IN,
    EXIT_SOFTWARE,
    EXIT_USAGE,
    error,
    reader_gone,
)
from mailtui.errors import ConfigError, MailtuiError, NoConfigFile, SignInExpired

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace], int]

DEMO_HELP = (
    "use a generated local demo mailbox (no server, no account); "
    "with no command, open the app on it"
)


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
        help=DEMO_HELP,
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --demo: start the demo mailbox over"
    )
    parser.add_argument("--man", action="store_true", help="print the manual page (roff) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("sync", help="bring the header cache up to date")
    p.add_argument("account", nargs="?", help="account name (default: the default account)")
    p.add_argument(
        "--folder", action="append", default=[], metavar="F", help="only this folder (repeatable)"
    )
    p.add_argument(
        "--prefetch",
        choices=("none", "text", "all"),
        help="then fetch the text (or whole messages) of the newest mail for offline "
        "reading (default: the account's prefetch setting)",
    )
    p.set_defaults(func=sync.cmd_sync)

    p = sub.add_parser("list", help="list cached messages of a folder, newest first")
    p.add_argument("folder")
    p.add_argument("--account", "-a")
    p.add_argument("--limit", "-n", type=parse_limit, default=50)
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--sync", action="store_true", help="sync the folder first (needs the network)")
    p.add_argument(
        "--preview",
        action="store_true",
        help="fetch the preview line of the listed messages that lack one (JSON: preview)",
    )
    p.set_defaults(func=read.cmd_list)

    p = sub.add_parser("show", help="print a message as text")
    p.add_argument("folder")
    p.add_argument("uid", type=parse_uid)
    p.add_argument("--account", "-a")
    p.add_argument("--html", action="store_true", help="prefer the HTML part when both exist")
    p.set_defaults(func=read.cmd_show)

    thread.add_parser(sub)
    respond.add_parsers(sub)

    p = sub.add_parser("folders", help="list folders with roles and counts")
    p.add_argument("--account", "-a")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--sync", action="store_true", help="refresh the folder list from the server first"
    )
    p.set_defaults(func=folders.cmd_folders)

    p = sub.add_parser("save", help="save a message's attachments to a directory")
    p.add_argument("folder")
    p.add_argument("uid", type=parse_uid)
    p.add_argument(
        "parts",
        nargs="*",
        type=parse_attachment_number,
        help="attachment numbers as listed by `show` (default: all)",
    )
    p.add_argument("--account", "-a")
    p.add_argument(
        "--dir", "-d", help="target directory, created if missing (default: ui.download_dir)"
    )
    p.set_defaults(func=attachments.cmd_save)

    p = sub.add_parser("mark", help="set or clear flags and labels")
    p.add_argument("folder")
    p.add_argument("uids", nargs="+", type=parse_uid, metavar="UID")
    p.add_argument("--account", "-a")
    p.add_argument("--seen", action="store_true")
    p.add_argument("--unseen", action="store_true")
    p.add_argument("--flagged", action="store_true")
    p.add_argument("--unflagged", action="store_true")
    p.add_argument("--answered", action="store_true")
    p.add_argument("--unanswered", action="store_true")
    p.add_argument("--label", action="append", default=[], metavar="NAME")
    p.add_argument("--unlabel", action="append", default=[], metavar="NAME")
    p.set_defaults(func=triage.cmd_mark)

    for name, helptext in (("move", "move messages to another folder"), ("copy", "copy messages")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("folder")
        p.add_argument("rest", nargs="+", metavar="UID... DEST")
        p.add_argument("--account", "-a")
        p.set_defaults(func=triage.cmd_move, kind=name)

    for name, helptext in (
        ("delete", "move messages to Trash (in Trash: delete for good)"),
        ("archive", "move messages to the archive folder"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("folder")
        p.add_argument("uids", nargs="+", type=parse_uid, metavar="UID")
        p.add_argument("--account", "-a")
        p.set_defaults(func=triage.cmd_delete, kind=name)

    p = sub.add_parser(
        "junk", help="move messages to the Junk folder ($Junk); in Junk: not junk, to INBOX"
    )
    p.add_argument("folder")
    p.add_argument("uids", nargs="+", type=parse_uid, metavar="UID")
    p.add_argument("--account", "-a")
    p.add_argument(
        "--not", dest="not_junk", action="store_true", help="not junk: back to INBOX, $NotJunk"
    )
    p.set_defaults(func=triage.cmd_junk)

    p = sub.add_parser(
        "mute", help="mute the messages' conversations (new replies archived and read)"
    )
    p.add_argument("folder")
    p.add_argument("uids", nargs="+", type=parse_uid, metavar="UID")
    p.add_argument("--account", "-a")
    p.add_argument("--unmute", action="store_true", help="unmute them instead")
    p.set_defaults(func=triage.cmd_mute)

    p = sub.add_parser(
        "search",
        help="search a folder on the server (or the cache with --local); FOLDER '*': every "
        "folder, from the cache, each message once",
    )
    p.add_argument("folder")
    p.add_argument(
        "query", nargs="+", help='e.g. from:alice subject:"q3 report" unseen since:2026-01-01'
    )
    p.add_argument("--account", "-a")
    p.add_argument("--local", action="store_true", help="search the header cache, offline")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", "-n", type=parse_limit, default=200)
    p.set_defaults(func=read.cmd_search)

    p = sub.add_parser(
        "folder",
        help="create, rename, delete, (un)subscribe folders",
        description="Folder operations: create NAME, rename OLD NEW, delete NAME (a folder "
        "holding messages asks first, or --force), subscribe NAME, unsubscribe NAME.",
    )
    fsub = p.add_subparsers(dest="op", metavar="OP", required=True)
    for op, args, helptext in (
        ("create", ("name",), "create a folder (Parent/Child nests it)"),
        ("rename", ("old", "new"), "rename a folder"),
        ("delete", ("name",), "delete a folder and its messages"),
        ("subscribe", ("name",), "subscribe to a folder"),
        ("unsubscribe", ("name",), "unsubscribe from a folder"),
    ):
        q = fsub.add_parser(op, help=helptext, description=helptext)
        for arg in args:
            q.add_argument(arg)
        q.add_argument("--account", "-a")
        if op == "delete":
            q.add_argument(
                "--force",
                "-f",
                action="store_true",
                help="do not ask, even when the folder holds messages",
            )
    p.set_defaults(func=folders.cmd_folder)

    p = sub.add_parser("watch", help="stay connected and print one line per event")
    p.add_argument("account", nargs="?")
    p.add_argument(
        "--folder", action="append", default=[], metavar="F", help="also watch F (INBOX always)"
    )
    p.add_argument(
        "--notify",
        action="store_true",
        help="announce new mail as the account's notify keys say (bell, osc9, osc777, command)",
    )
    p.set_defaults(func=sync.cmd_watch)

    p = sub.add_parser("send", help="send a complete message read from stdin (like sendmail -t)")
    p.add_argument("--account", "-a")
    p.add_argument("--sign", action="store_true", help="sign with OpenPGP (PGP/MIME)")
    p.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt with OpenPGP to every recipient and to yourself; stops if one has no key",
    )
    p.set_defaults(func=send.cmd_send)

    p = sub.add_parser(
        "outbox",
        help="show the outbox with due times, or send what is due (--retry)",
        description=send.outbox_help(),
    )
    p.add_argument("--account", "-a")
    p.add_argument("--retry", action="store_true", help="send what is due now")
    p.set_defaults(func=send.cmd_outbox)

    p = sub.add_parser(
        "login",
        help="store an account's password in the system keyring, or sign in with OAuth2",
    )
    p.add_argument("account")
    p.add_argument("--no-verify", action="store_true", help="store without trying to log in")
    p.add_argument(
        "--browser",
        action="store_true",
        help='auth = "oauth2": sign in through a browser on this machine instead of a code',
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from stdin, one line (a second line: the SMTP password); "
        "the default when stdin is not a terminal",
    )
    p.set_defaults(func=account.cmd_login)

    setup.add_parser(sub)
    completion.add_parser(sub, parser)
    return parser


def main(argv: Sequence[str] | None = None, *, app: Command | None = None) -> int:
    """Run one command; with none, `app` (the full-screen app) on the same options.

    Returns the exit status; every failure is one line on stderr (see module doc)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.man:
        from mailtui.cli.manpage import manpage

        sys.stdout.write(manpage(parser))
        return 0
    func: Command | None = getattr(args, "func", None)
    if args.log:
        from mailtui.config import logs

        logs.setup(args.log)
    try:
        run = func if func is not None else app
        args.open_app = app  # `setup` opens the inbox it set up (main.open_app)
        if run is None:
            parser.print_usage(sys.stderr)
            error("say which command to run (`mailtui --help` lists them)")
            return EXIT_USAGE
        status = run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        return reader_gone()
    except NoConfigFile as exc:  # a new user: what to run, not an error
        print(setup.no_config_text(exc, args.config), file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        error(exc.sentence())
        return EXIT_USAGE
    except queued_error() as exc:
        error(exc.sentence())
        return EXIT_QUEUED
    except SignInExpired as exc:
        error(exc.sentence())
        return EXIT_SIGN_IN
    except MailtuiError as exc:
        error(exc.sentence())
        return EXIT_ERROR
    except KeyboardInterrupt:
        error("interrupted")
        return 130
    except OSError as exc:  # a file or directory mailtui was told to use
        where = f" ({exc.filename})" if exc.filename else ""
        error(f"{exc.strerror or exc}{where}")
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line here, the traceback in the --log file
        if args.log:
            import logging

            logging.getLogger("mailtui").exception("uncaught error")
            hint = f"the details are in {args.log}; please report it with that file"
        else:
            hint = "run the command again with --log FILE and report it with that file"
        error(f"Internal error: {type(exc).__name__}: {exc} — this is a bug in mailtui; {hint}")
        return EXIT_SOFTWARE


def queued_error() -> type[MailtuiError]:
    """The error of an action saved to be sent later (sync is imported only when it is raised)."""
    from mailtui.sync.service import ActionQueued

    return ActionQueued
