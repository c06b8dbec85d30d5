"""`mailtui setup [EMAIL]`: from an address to a synced inbox, by plain questions.

The steps: the address; the servers (mailtui.setup's discovery: presets, autoconfig,
SRV, MX, guesses — or the flags); a probe of what they offer; the sign-in method among
those offered; the login name and the account's name; the password, checked by a real
login before anything is kept, stored in the keyring — or, with no keyring, in the
user's password manager or a 0600 file (`password_command`) — or, for OAuth2, the
built-in sign-in (device code or --browser) run before anything is written; the
commented block appended to the config (0600); the first sync of INBOX. Every question shows its default
in brackets and has a flag; `--yes` takes the defaults and asks nothing.

`--reauth NAME` (also offered when the address already has an account) stores a new
password for an existing account.
"""

from __future__ import annotations

import argparse
import shlex
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.cli import setup_oauth2
from mailtui.cli.prompts import Prompter
from mailtui.errors import AuthFailed, ConfigError, MailtuiError, NoConfigFile

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings
    from mailtui.setup.block import AccountChoice, Proposal
    from mailtui.setup.discovery import Candidate, Discovery
    from mailtui.setup.presets import Endpoint

SECURITIES = ("tls", "starttls", "none")
PASSWORD_TRIES = 3


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`mailtui setup` and its flags (one per question)."""
    p = sub.add_parser("setup", help="add an account: find its servers, sign in, sync INBOX")
    p.add_argument("email", nargs="?", help="the address (asked when left out)")
    p.add_argument("--name", help="the account's name in the config (default: from the domain)")
    p.add_argument("--full-name", help="your name, shown in From:")
    p.add_argument("--username", help="the login name (default: the address, or as found)")
    p.add_argument("--imap-host")
    p.add_argument("--imap-port", type=int)
    p.add_argument("--security", choices=SECURITIES, help="IMAP: tls (993) or starttls (143)")
    p.add_argument("--smtp-host")
    p.add_argument("--smtp-port", type=int)
    p.add_argument("--smtp-security", choices=SECURITIES)
    p.add_argument("--no-smtp", action="store_true", help="receive only: no SMTP server")
    p.add_argument("--ca-file", metavar="PEM", help="a private CA the servers' certificates use")
    p.add_argument("--auth", choices=("password", "oauth2"))
    p.add_argument("--password-command", metavar="CMD", help="a command that prints the password")
    p.add_argument("--secret-file", metavar="PATH", help="keep the password in this 0600 file")
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="ask nothing: take the defaults and the flags "
        "(the password, if needed, is read from stdin)",
    )
    p.add_argument("--no-sync", action="store_true", help="do not sync INBOX at the end")
    p.add_argument("--reauth", metavar="ACCOUNT", help="sign an existing account in again")
    p.add_argument("--browser", action="store_true", help="OAuth2: sign in in a local browser")
    setup_oauth2.add_arguments(p)
    p.set_defaults(func=cmd_setup)


def cmd_setup(args: argparse.Namespace) -> int:
    """Run setup; on a terminal, offer to open the inbox in the app at the end (scripts
    and --yes get the command to run instead)."""
    import sys

    ui = Prompter(args.yes)
    name = run_setup(args, ui)
    if name is None:
        return 1
    open_app = getattr(args, "open_app", None)
    on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
    offer = open_app is not None and on_terminal and not args.yes and not args.reauth
    if offer and ui.confirm("Open your inbox now?"):
        return int(open_app(args))
    ui.say("Open your inbox: mailtui" + (f" (or: mailtui list INBOX -a {shlex.quote(name)})"))
    return 0


def run_setup(args: argparse.Namespace, ui: Prompter) -> str | None:
    """The whole flow; returns the account's name once it is written (and synced)."""
    from mailtui.config.paths import locate_config
    from mailtui.setup.account import existing_accounts

    started = time.perf_counter()
    path, _why = locate_config(args.config)
    if getattr(args, "demo", False):
        raise ConfigError("setup adds a real account; leave out --demo")
    taken = existing_accounts(path)
    if args.reauth:
        reauth(args, ui, path, args.reauth)
        return args.reauth
    email = args.email or ui.ask("Your email address", _default_email(), check=_check_email)
    _check_email_or_fail(email)
    for name, address in taken.items():
        # Same address, and no other name asked for: this is that account again.
        if address.lower() == email.lower() and args.name in (None, name):
            ui.say(f"The account {name!r} already uses {email}.")
            if ui.confirm("Sign in to it again?"):
                reauth(args, ui, path, name)
                return name
            break
    proposal = _find_servers(args, ui, email)
    choice = _choose(args, ui, proposal, email, taken)
    if choice.auth == "oauth2":
        choice = setup_oauth2.choose(args, ui, choice)
    block_name = choice.name
    from mailtui.setup.block import account_block

    block = account_block(choice)
    secret_cmd = _secret(args, ui, choice, block, path)
    if secret_cmd is not None:  # the password lives in a manager or a file
        choice = replace(choice, password_command=secret_cmd)
        block = account_block(choice)
    from mailtui.setup.account import append_account, settings_of

    try:  # the loader's own check, before the file is touched
        account = settings_of(block, block_name, path)
    except ConfigError as exc:
        if choice.auth != "oauth2":
            raise
        raise MailtuiError(
            f"{exc}; nothing written",
            "give your registered client with --oauth2-client-id (docs/oauth2.md says how "
            "to get one), or sign in with an app password: --auth password",
        ) from None
    if choice.auth == "oauth2":  # signed in before anything is written
        setup_oauth2.sign_in(args, ui, account)
    append_account(path, block, block_name)
    ui.say(f"Wrote the account {block_name!r} to {_home(path)} (private, 0600).")
    if not args.no_sync:
        _sync(ui, path, block_name, started)
    return block_name


# --- the servers -------------------------------------------------------------------------


def _find_servers(args: argparse.Namespace, ui: Prompter, email: str) -> Proposal:
    """Discovery (or the flags), probed; on nothing found, ask with the guesses prefilled."""
    from mailtui.setup.block import Attempts, propose
    from mailtui.setup.discovery import Discovery, guesses, split_address

    _local, domain = split_address(email)
    ca = _ca(args)
    if args.imap_host:
        found = Discovery(email, [_with_flags(args, _flag_candidate(args, email))])
    else:
        ui.say(f"Looking for the mail servers of {domain}…")
        found = _discover(email)
        found.candidates = [_with_flags(args, c) for c in found.candidates]
    attempts = Attempts()
    proposal = propose(found, ca_file=ca, attempts=attempts)
    if proposal is not None:
        _show_found(ui, proposal)
        if args.imap_host or ui.assume_yes or ui.confirm("Use these servers?"):
            return proposal
        return _ask_servers(args, ui, proposal.candidate)
    for report in attempts.reports[:4]:
        ep = report.endpoint
        ui.say(f"  {ep.host}:{ep.port} ({ep.security}): {report.error}")
    if ui.assume_yes:
        raise MailtuiError(
            f"No mail server found for {domain}",
            "give it with --imap-host (and --smtp-host), or run setup without --yes",
        )
    ui.say("No server answered. Type the servers (your provider's help pages list them).")
    start = found.candidates[0] if found.candidates else guesses(domain, email)[0]
    return _ask_servers(args, ui, start)


def _discover(email: str) -> Discovery:
    from mailtui.oauth2.http import HttpClient
    from mailtui.setup.discovery import discover
    from mailtui.setup.srv import DnsResolver

    try:
        resolver = DnsResolver()
    except Exception:  # no dnspython or no resolver config: skip the DNS steps
        resolver = None
    return discover(email, HttpClient(timeout=5), resolver)


def _ask_servers(args: argparse.Namespace, ui: Prompter, start: Candidate) -> Proposal:
    """Ask for the servers, prefilled; probe; ask again while nothing answers."""
    from mailtui.setup.block import propose
    from mailtui.setup.discovery import Discovery

    cand = start
    for _ in range(3):
        imap = _ask_endpoint(ui, "IMAP", cand.imap, {"tls": 993, "starttls": 143, "none": 143})
        smtp = cand.smtp
        if smtp is not None and not args.no_smtp:
            smtp = _ask_endpoint(ui, "SMTP", smtp, {"tls": 465, "starttls": 587, "none": 25})
        cand = replace(cand, imap=imap, smtp=smtp, source="as typed", detail="")
        proposal = propose(Discovery(cand.username, [cand]), ca_file=_ca(args))
        if proposal is not None:
            _show_found(ui, proposal)
            return proposal
        ui.say(f"  {imap.host}:{imap.port} did not answer as an IMAP server; try again.")
    raise MailtuiError("No IMAP server answered", "check the host and port with your provider")


def _ask_endpoint(ui: Prompter, what: str, ep: Endpoint, ports: dict[str, int]) -> Endpoint:
    from mailtui.setup.presets import Endpoint

    host = ui.ask(f"{what} server", ep.host)
    security = ui.choose(f"{what} security", SECURITIES, ep.security)
    default_port = ep.port if security == ep.security else ports[security]
    port = int(ui.ask(f"{what} port", str(default_port), check=_check_port))
    return Endpoint(host, port, security)  # type: ignore[arg-type]


def _flag_candidate(args: argparse.Namespace, email: str) -> Candidate:
    from mailtui.setup.discovery import Candidate
    from mailtui.setup.presets import Endpoint

    security = args.security or "tls"
    imap = Endpoint(args.imap_host, args.imap_port or (993 if security == "tls" else 143), security)
    smtp = None
    if args.smtp_host:
        ssec = args.smtp_security or "starttls"
        smtp = Endpoint(args.smtp_host, args.smtp_port or (465 if ssec == "tls" else 587), ssec)
    return Candidate("given", imap, smtp, email, detail="the command line")


def _with_flags(args: argparse.Namespace, cand: Candidate) -> Candidate:
    """A candidate with the flags given applied over what was found."""
    from mailtui.setup.presets import Endpoint

    imap = Endpoint(
        args.imap_host or cand.imap.host,
        args.imap_port or cand.imap.port,
        args.security or cand.imap.security,
    )
    smtp = cand.smtp
    if args.no_smtp:
        smtp = None
    elif smtp is not None or args.smtp_host:
        base = smtp or Endpoint(args.smtp_host, 587, "starttls")
        smtp = Endpoint(
            args.smtp_host or base.host,
            args.smtp_port or base.port,
            args.smtp_security or base.security,
        )
    username = args.username or cand.username
    return replace(cand, imap=imap, smtp=smtp, username=username)


def _show_found(ui: Prompter, proposal: Proposal) -> None:
    cand = proposal.candidate
    where = f" ({cand.source}: {cand.detail})" if cand.detail else f" ({cand.source})"
    ui.say(f"Servers{where}:")
    ui.say(f"  IMAP  {_ep(cand.imap)}, offers: {', '.join(proposal.auth_choices) or 'nothing'}")
    if cand.smtp is not None:
        note = "" if proposal.smtp is None or proposal.smtp.ok else " (did not answer)"
        ui.say(f"  SMTP  {_ep(cand.smtp)}{note}")


def _ep(ep: Endpoint) -> str:
    from mailtui.text.safe import clean_line

    return f"{clean_line(ep.host)}:{ep.port} {ep.security.upper()}"


# --- the answers -------------------------------------------------------------------------


def _choose(
    args: argparse.Namespace,
    ui: Prompter,
    proposal: Proposal,
    email: str,
    taken: dict[str, str],
) -> AccountChoice:
    from mailtui.setup.account import suggest_name
    from mailtui.setup.block import choice_from

    offered = proposal.auth_choices
    if not offered:
        raise MailtuiError("The server offers no sign-in mailtui can use (no AUTH=PLAIN/LOGIN)")
    if args.auth and args.auth not in offered:
        raise MailtuiError(
            f"The server does not offer {args.auth} sign-in", f"it offers: {', '.join(offered)}"
        )
    auth = args.auth or proposal.preferred_auth or offered[0]
    if not args.auth and len(offered) > 1:
        auth = ui.choose("Sign in with", offered, auth)
    username = args.username or proposal.candidate.username
    if not args.username and auth == "password":
        username = ui.ask("Login name", username)

    def check_name(name: str) -> str | None:
        if not name:
            return "a name is needed"
        if name in taken:
            return f"{name!r} is taken ({', '.join(taken)} exist)"
        return None

    name = args.name or ui.ask("Account name", suggest_name(email, taken), check=check_name)
    if check_name(name):
        raise MailtuiError(f"Account name: {check_name(name)}", "choose another with --name")
    full = args.full_name
    if full is None:
        full = ui.ask("Your name (in From:)", _gecos(), check=lambda _answer: None)
    proposal = replace(proposal, candidate=replace(proposal.candidate, username=username))
    ca = str(Path(args.ca_file).expanduser().absolute()) if args.ca_file else None
    return choice_from(proposal, name, email, auth, display_name=full, ca_file=ca)


def _secret(
    args: argparse.Namespace, ui: Prompter, choice: AccountChoice, block: str, path: Path
) -> str | None:
    """Get, check and keep the password; the password_command to write, or None (keyring)."""
    from mailtui.config import credentials
    from mailtui.setup import secrets
    from mailtui.setup.account import settings_of

    if choice.auth != "password":
        return None
    if args.password_command:  # the user's own: checked by logging in with it
        with_cmd = replace(choice, password_command=args.password_command)
        from mailtui.setup.block import account_block

        _check(ui, settings_of(account_block(with_cmd), choice.name, path), None)
        return args.password_command
    account = settings_of(block, choice.name, path)
    where = "keyring" if credentials.keyring_available() and not args.secret_file else ""
    if not where:
        where = _where_without_keyring(args, ui)
    password = _ask_password(ui, account)
    if where == "keyring":
        for protocol, server in (("imap", account.imap), ("smtp", account.smtp)):
            if server is not None:
                credentials.store_password(account, server, protocol, password)  # type: ignore[arg-type]
        ui.say("The password is in the system keyring.")
        return None
    if where == "file":
        default = args.secret_file or str(secrets.default_secret_file(choice.name))
        file = Path(ui.ask("Password file", default) if not args.secret_file else default)
        command = secrets.write_secret_file(file, password)
        ui.say(f"The password is in {_home(file.expanduser())} (0600).")
        return command
    manager = secrets.manager_named(where)
    assert manager is not None
    command = secrets.store_in_manager(manager, choice.name, password)
    ui.say(f"The password is in {manager.name} ({manager.entry(choice.name)}).")
    return command


def _where_without_keyring(args: argparse.Namespace, ui: Prompter) -> str:
    from mailtui.setup import secrets

    if args.secret_file:
        return "file"
    managers = [m.name for m in secrets.installed_managers() if m.store]
    ui.say("There is no system keyring here, so the password goes elsewhere (never the config).")
    ui.say(secrets.TRADE_OFF)
    if ui.assume_yes:
        raise MailtuiError(
            "No system keyring to keep the password in",
            'give --password-command (e.g. "pass show mail/work") or --secret-file PATH',
        )
    options = (*managers, "file")
    return ui.choose("Keep the password in", options, options[0])


def _ask_password(ui: Prompter, account: AccountSettings) -> str:
    """The password, checked by logging in; asked again when refused (not with --yes)."""
    server = account.imap
    assert server is not None
    for attempt in range(PASSWORD_TRIES):
        password = ui.secret(f"Password for {server.username}@{server.host}")
        if not password:
            raise MailtuiError(
                "No password given; nothing written",
                "type it at the prompt, or pipe it in with --yes",
            )
        try:
            _check(ui, account, password)
            return password
        except AuthFailed as exc:
            if ui.assume_yes or attempt == PASSWORD_TRIES - 1:
                raise MailtuiError(f"{exc}; nothing written") from None
            ui.say("  The server refused that password; try again.")
    raise AssertionError("unreachable")


def _check(ui: Prompter, account: AccountSettings, password: str | None) -> None:
    from mailtui.setup.account import verify_login

    ui.say("Checking the login…")
    verify_login(account, password)
    ui.say("  Logged in.")


def _sync(ui: Prompter, path: Path, name: str, started: float) -> None:
    from mailtui.setup.account import first_sync

    ui.say("Syncing INBOX…")
    done = first_sync(path, name)
    total = time.perf_counter() - started
    ui.say(f"INBOX: {done.messages} message(s), synced in {done.seconds:.1f} s.")
    ui.say(f"Setup's own time: {total:.1f} s. The other folders sync when the app starts.")


# --- no config yet ----------------------------------------------------------------------


def no_config_text(exc: NoConfigFile, cli_config: str | None) -> str:
    """What a new user sees instead of an error: two commands and where the file goes."""
    run = f"mailtui --config {shlex.quote(cli_config)}" if cli_config else "mailtui"
    return "\n".join(
        [
            "mailtui: there is no account yet (no config file).",
            f"  {run + ' setup':<16}  add your mail account: finds the servers, signs you in",
            f"  {'mailtui --demo':<16}  look around on a demo mailbox first",
            f"The config file: {exc.path} ({exc.why}).",
        ]
    )


def first_run(args: argparse.Namespace, exc: NoConfigFile, setup_args: argparse.Namespace) -> bool:
    """The app's first start with no config, on a terminal: offer setup; True once done.

    `setup_args` are `mailtui [--config PATH] setup`'s (main.py parses them)."""
    ui = Prompter(False)
    ui.say(no_config_text(exc, args.config))
    ui.say()
    if not ui.confirm("Set up an account now?"):
        ui.say("Run `mailtui setup` when you are ready.")
        return False
    name = run_setup(setup_args, ui)
    if name is not None:
        ui.say("Opening your inbox…")
    return name is not None


# --- re-authentication -------------------------------------------------------------------


def reauth(args: argparse.Namespace, ui: Prompter, path: Path, name: str) -> None:
    """A new password for an existing account's keyring entries (checked first)."""
    from mailtui.config import credentials
    from mailtui.config.load import load_settings

    account = load_settings(path).account(name)
    server = account.imap
    if server is None:
        raise MailtuiError(f"Account {name!r} reads a local Maildir and needs no sign-in")
    source = server.auth_source
    if source == "oauth2":  # the built-in sign-in, run again
        from mailtui.cli.account import oauth2_sign_in

        oauth2_sign_in(account, browser=getattr(args, "browser", False))
        return
    if source != "keyring":
        raise MailtuiError(
            f"Account {name!r} takes its secret from {source}",
            f"change it where that command reads it, or edit [accounts.{name}.imap] in {path}",
        )
    password = _ask_password(ui, account)
    for protocol, srv in (("imap", account.imap), ("smtp", account.smtp)):
        if srv is not None and srv.auth_source == "keyring":
            credentials.store_password(account, srv, protocol, password)  # type: ignore[arg-type]
    ui.say(f"Stored the new password for {name!r} in the system keyring.")


# --- small checks ------------------------------------------------------------------------


def _check_email(text: str) -> str | None:
    from mailtui.setup.discovery import AddressError, split_address

    try:
        split_address(text)
    except AddressError as exc:
        return str(exc)
    return None


def _check_email_or_fail(text: str) -> None:
    problem = _check_email(text)
    if problem:
        raise MailtuiError(problem, "give an address like you@example.com")


def _check_port(text: str) -> str | None:
    return None if text.isdigit() and 0 < int(text) < 65536 else "a port is a number, 1-65535"


def _default_email() -> str:
    import os

    return os.environ.get("EMAIL", "")


def _gecos() -> str:
    """The user's full name from the password database, if it has one."""
    try:
        import os
        import pwd

        return pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError):
        return ""


def _home(path: Path) -> str:
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + "/") else text


def _ca(args: argparse.Namespace) -> Path | None:
    return Path(args.ca_file).expanduser() if args.ca_file else None
