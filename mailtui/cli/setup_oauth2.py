"""`mailtui setup --auth oauth2`: the flags for a provider's `oauth2_*` keys, where the
refresh token is kept (keyring; or a password manager or a 0600 file on a box without
one), and the sign-in itself — run before the account block is written, so a declined
or abandoned sign-in leaves the config untouched."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.cli.prompts import Prompter
from mailtui.errors import MailtuiError

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings
    from mailtui.setup.block import AccountChoice

# The `oauth2_*` keys a flag may set: (key, metavar, help). The preset fills the rest.
OAUTH2_FLAGS = (
    ("client_id", "ID", "your registered client's id"),
    ("client_secret", "SECRET", "its (public, installed-app) client secret, if it has one"),
    ("device_url", "URL", "the device authorization endpoint (RFC 8628)"),
    ("authorize_url", "URL", "the authorization endpoint (for --browser)"),
    ("token_url", "URL", "the token endpoint"),
    ("scopes", "SCOPES", "the scopes to ask for, separated by spaces"),
    ("tenant", "TENANT", "Microsoft: the tenant (default: common)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The OAuth2 flags of `mailtui setup`."""
    oauth = parser.add_argument_group(
        "OAuth2 (a provider's preset, or your own registered client; see docs/oauth2.md)"
    )
    oauth.add_argument("--oauth2-provider", choices=("google", "microsoft", "custom"))
    for key, meta, what in OAUTH2_FLAGS:
        oauth.add_argument(f"--oauth2-{key.replace('_', '-')}", metavar=meta, help=what)
    oauth.add_argument(
        "--oauth2-token-file",
        metavar="PATH",
        help="keep the refresh token in this 0600 file (for boxes without a keyring)",
    )
    oauth.add_argument(
        "--oauth2-token-manager",
        choices=("pass", "gopass", "secret-tool"),
        help="keep the refresh token in this password manager (for boxes without a keyring)",
    )


def choose(args: argparse.Namespace, ui: Prompter, choice: AccountChoice) -> AccountChoice:
    """The provider, the flags' `oauth2_*` keys, and where the refresh token is kept."""
    from mailtui.config import credentials
    from mailtui.setup import secrets

    given = tuple((key, value) for key, _meta, _what in OAUTH2_FLAGS if (value := _flag(args, key)))
    provider = args.oauth2_provider or choice.oauth2_provider
    if provider is None and given:
        provider = "custom"
    if provider is None:
        raise MailtuiError(
            "The server offers OAuth2, but which provider signs in to it is not known",
            "give --oauth2-provider custom with --oauth2-client-id, --oauth2-token-url and "
            "--oauth2-device-url (docs/oauth2.md), or --auth password",
        )
    token_file = args.oauth2_token_file
    where = "manager" if args.oauth2_token_manager else "file" if token_file else ""
    if not where and not credentials.keyring_available():
        where = _token_store_without_keyring(ui)
        if where == "file":
            token_file = ui.ask("Sign-in file", str(secrets.default_token_file(choice.name)))
    manager_name = args.oauth2_token_manager or (where if where not in ("", "file") else None)
    if manager_name is not None:
        manager = secrets.manager_named(manager_name)
        assert manager is not None and manager.store
        read, store = secrets.token_commands(manager, choice.name)
        given += (("refresh_command", read), ("refresh_store_command", store))
    if token_file is not None:
        token_file = str(Path(token_file).expanduser().absolute())
    return replace(
        choice, oauth2_provider=provider, oauth2_settings=given, oauth2_token_file=token_file
    )


def _token_store_without_keyring(ui: Prompter) -> str:
    """Where the refresh token goes on a box with no keyring: a password manager that
    can be written to, or a 0600 file ("file")."""
    from mailtui.setup import secrets

    ui.say("There is no system keyring here, so the sign-in goes elsewhere (never the config).")
    ui.say(secrets.TRADE_OFF.replace("it", "the sign-in", 1))
    if ui.assume_yes:
        raise MailtuiError(
            "No system keyring to keep the sign-in in",
            "give --oauth2-token-manager pass|gopass|secret-tool, or --oauth2-token-file PATH "
            "(created 0600)",
        )
    managers = [m.name for m in secrets.installed_managers() if m.store]
    options = (*managers, "file")
    choice = ui.choose("Keep the sign-in in", options, options[0])
    if choice == "file":
        ui.say(secrets.TOKEN_FILE_TRADE_OFF)
    return choice


def _flag(args: argparse.Namespace, key: str) -> str | None:
    value = getattr(args, f"oauth2_{key}", None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def sign_in(args: argparse.Namespace, ui: Prompter, account: AccountSettings) -> None:
    """The built-in sign-in (device code, or --browser), checked by an IMAP login; on
    failure nothing is written, and the message says what to do."""
    from mailtui.cli.account import oauth2_sign_in

    ui.say("Signing in with OAuth2…")
    try:
        oauth2_sign_in(account, browser=args.browser)
    except MailtuiError as exc:
        raise MailtuiError(
            f"{exc}; nothing written", exc.hint or "run `mailtui setup` again to retry"
        ) from None
