"""`login`: an account's passwords stored in the system keyring, checked first; for
`auth = "oauth2"` servers, the built-in sign-in (device code, or `--browser`)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from mailtui.cli.output import error
from mailtui.errors import MailtuiError

if TYPE_CHECKING:
    from mailtui.config.credentials import Secret
    from mailtui.config.model import AccountSettings, ServerSettings


def cmd_login(args: argparse.Namespace) -> int:
    from mailtui.config import credentials
    from mailtui.config.load import load_settings

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
    signed_in = 0
    if any(s is not None and s.auth_source == "oauth2" for _, s in servers):
        signed_in = _oauth2_login(args, account)
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
            _verify_imap(account, server, credentials.Secret("password", password))
            imap_password = password
        credentials.store_password(account, server, protocol, password)  # type: ignore[arg-type]
        stored += 1
    if not stored and not signed_in:
        raise MailtuiError(
            f"Account {account.name!r} takes its secrets from a command, not the keyring",
            "nothing to store",
        )
    if stored:
        print(f"Stored {stored} password(s) for {account.name} in the system keyring.")
    return 0


def _oauth2_login(args: argparse.Namespace, account: AccountSettings) -> int:
    return oauth2_sign_in(account, browser=args.browser, verify=not args.no_verify)


def oauth2_sign_in(account: AccountSettings, *, browser: bool = False, verify: bool = True) -> int:
    """The built-in sign-in for each distinct `auth = "oauth2"` server; how many ran
    (`mailtui login`, `mailtui setup --reauth`).

    Reads nothing from stdin: the device grant prints a URL and a code to open on any
    device, and `browser` waits for the browser's answer on 127.0.0.1.
    """
    from mailtui.oauth2 import account as oauth2_account

    protocols = oauth2_account.sign_in_targets(account)
    for protocol in protocols:
        server = account.imap if protocol == "imap" else account.smtp
        assert server is not None
        check = None
        if protocol == "imap" and verify:
            check = functools.partial(_verify_imap, account, server)
        tokens = oauth2_account.sign_in(
            account,
            protocol,
            sys.stdout,
            browser=browser,
            copy_to_clipboard=sys.stdout.isatty(),
            verify=check,
        )
        kept = getattr(tokens.store, "path", None) or "the system keyring"
        print(f"Signed in {account.name} ({protocol.upper()}); the sign-in is kept in {kept}.")
    return len(protocols)


def _verify_imap(account: AccountSettings, server: ServerSettings, secret: Secret) -> None:
    """Log in once with `secret`: a refusal stops `login`, other trouble only warns."""
    from mailtui.imap.errors import AuthFailed
    from mailtui.imap.session import ImapSession

    session = ImapSession(server, lambda: secret, label=account.name)
    try:
        session.connect()
    except AuthFailed:
        raise
    except MailtuiError as exc:
        error(f"could not verify ({exc.sentence()}); storing anyway")
    finally:
        session.close()


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
