"""`login`: an account's passwords stored in the system keyring, checked first."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from mailtui.cli.output import error
from mailtui.errors import MailtuiError


def cmd_login(args: argparse.Namespace) -> int:
    from mailtui.config import credentials
    from mailtui.config.load import load_settings
    from mailtui.imap.errors import AuthFailed
    from mailtui.imap.session import ImapSession

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
                error(f"could not verify ({exc.sentence()}); storing anyway")
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
