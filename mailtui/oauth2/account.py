"""An account's built-in OAuth2 sign-in: its settings → provider, token store, TokenManager.

Why here and not in config.credentials: config is the bottom layer and oauth2 sits on
it (tokens read config.logs, http reads config.trust), so the step that turns an
account's `oauth2_*` settings into tokens lives one layer up, in this module, and
`get_secret` here is what the sessions' callers (accounts.py, compose.send) ask for any
server: a password source goes on to config.credentials unchanged.

One TokenManager per account and protocol per process, built on first use: its access
token lives in its memory only, and the refresh token in the store. IMAP and SMTP of
one account that sign in the same way (same provider, client and store — what
`mailtui setup` writes) share one manager and one stored refresh token, so one sign-in
serves both, and a rotated refresh token (Microsoft, the test server) is never raced
by two managers holding the old one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TextIO

from mailtui.config import credentials, logs
from mailtui.config.credentials import Protocol, Secret
from mailtui.config.model import AccountSettings, ServerSettings
from mailtui.errors import ConfigError
from mailtui.oauth2 import flows
from mailtui.oauth2.errors import SignInFailed
from mailtui.oauth2.http import HttpClient
from mailtui.oauth2.providers import PACKAGED_CLIENTS, Provider, ProviderError, make_provider
from mailtui.oauth2.tokens import (
    CommandStore,
    FileStore,
    KeyringStore,
    TokenManager,
    TokenStore,
)

MAX_HTTP_TIMEOUT = 30.0

_managers: dict[tuple[object, ...], TokenManager] = {}
_lock = threading.Lock()


def signs_in(server: ServerSettings | None) -> bool:
    """True when mailtui signs in to `server` itself (`auth = "oauth2"`)."""
    return server is not None and server.auth_source == "oauth2"


def _identity(server: ServerSettings) -> tuple[object, ...]:
    """What makes two servers' sign-ins the same sign-in."""
    return (
        server.oauth2_provider,
        server.oauth2_client_id,
        server.oauth2_client_secret,
        server.oauth2_device_url,
        server.oauth2_authorize_url,
        server.oauth2_token_url,
        server.oauth2_scopes,
        server.oauth2_tenant,
        server.oauth2_token_file,
    )


def _server(account: AccountSettings, protocol: Protocol) -> ServerSettings:
    server = account.imap if protocol == "imap" else account.smtp
    if not signs_in(server):
        raise ConfigError(
            f'Account {account.name!r} has no auth = "oauth2" under [accounts.{account.name}.{protocol}]'
        )
    assert server is not None
    return server


def store_name(account: AccountSettings, protocol: Protocol) -> str:
    """The keyring entry of the server's refresh token: the account's name, shared by
    IMAP and SMTP; SMTP gets its own ("NAME:smtp") only when it signs in differently."""
    imap, smtp = account.imap, account.smtp
    if (
        protocol == "smtp"
        and smtp is not None
        and signs_in(imap)
        and imap is not None
        and _identity(imap) != _identity(smtp)
    ):
        return f"{account.name}:smtp"
    return account.name


def provider_of(account: AccountSettings, protocol: Protocol) -> Provider:
    """The authorization server the settings describe; ConfigError naming the table."""
    server = _server(account, protocol)
    table = f"accounts.{account.name}.{protocol}"
    kind = server.oauth2_provider or "custom"
    if not server.oauth2_client_id and not PACKAGED_CLIENTS.get(kind, ("", ""))[0]:
        raise ConfigError(
            f"{table}.oauth2_client_id: is required: this copy of mailtui ships no OAuth2 "
            f"client id for {kind}",
            hint="register one with the provider and set oauth2_client_id "
            "(docs/oauth2.md says how, for Google and Microsoft)",
        )
    try:
        return make_provider(
            kind,
            client_id=server.oauth2_client_id,
            client_secret=server.oauth2_client_secret,
            device_url=server.oauth2_device_url,
            authorize_url=server.oauth2_authorize_url,
            token_url=server.oauth2_token_url,
            scopes=server.oauth2_scopes or None,
            tenant=server.oauth2_tenant,
        )
    except ProviderError as exc:
        raise ConfigError(
            f"{table}: {exc}",
            hint="docs/oauth2.md says how to register a client id with Google or Microsoft",
        ) from None


def _store(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> TokenStore:
    if server.oauth2_token_file is not None:
        return FileStore(server.oauth2_token_file)
    if server.oauth2_refresh_command is not None:
        return CommandStore(
            lambda: credentials.read_refresh_token(account, server, protocol),
            lambda token: credentials.store_refresh_token(account, server, protocol, token),
        )
    return KeyringStore(store_name(account, protocol), credentials.token_keyring(account, protocol))


def manager(account: AccountSettings, protocol: Protocol) -> TokenManager:
    """The account's TokenManager for `protocol`, built once per process."""
    server = _server(account, protocol)
    where = (
        server.oauth2_token_file or server.oauth2_refresh_command or store_name(account, protocol)
    )
    key = (account.name, where, _identity(server))
    with _lock:
        found = _managers.get(key)
        if found is None:
            found = TokenManager(
                account.name,
                provider_of(account, protocol),
                HttpClient(timeout=min(server.timeout, MAX_HTTP_TIMEOUT)),
                _store(account, server, protocol),
            )
            _managers[key] = found
        return found


def get_secret(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> Secret:
    """The secret to log in to `server` with, whatever its source.

    For `auth = "oauth2"`: the current access token (refreshed when near expiry), with
    `renew` to force a refresh after a refusal; ReauthRequired when the sign-in is dead.
    Every other source is config.credentials'.
    """
    if not signs_in(server):
        return credentials.get_secret(account, server, protocol)
    tokens = manager(account, protocol)

    def renew() -> Secret:
        return Secret("oauth2", tokens.force_refresh())

    return Secret("oauth2", tokens.access_token(), renew=renew)


def sign_in_targets(account: AccountSettings) -> list[Protocol]:
    """The protocols whose sign-in `mailtui login` must run: one per distinct manager."""
    seen: set[int] = set()
    out: list[Protocol] = []
    for protocol in ("imap", "smtp"):
        proto: Protocol = protocol  # type: ignore[assignment]
        if signs_in(account.imap if proto == "imap" else account.smtp):
            tokens = manager(account, proto)
            if id(tokens) not in seen:
                seen.add(id(tokens))
                out.append(proto)
    return out


def sign_in(
    account: AccountSettings,
    protocol: Protocol,
    out: TextIO,
    *,
    browser: bool = False,
    open_browser: Callable[[str], object] | None = None,
    copy_to_clipboard: bool = False,
    on_code: Callable[[flows.DeviceCode], None] | None = None,
    verify: Callable[[Secret], None] | None = None,
) -> TokenManager:
    """Run the interactive sign-in for the account's `protocol` server and keep it.

    The device grant by default (the URL and code are printed on `out`; nothing is read
    from stdin), the loopback browser flow with `browser`. `verify`, given the new access
    token, may try it on the server first: if it raises, nothing is stored.
    """
    server = _server(account, protocol)
    tokens = manager(account, protocol)
    token = flows.sign_in(
        tokens.provider,
        tokens.http,
        out,
        browser=browser,
        open_browser=open_browser,
        copy_to_clipboard=copy_to_clipboard,
        login_hint=server.username,
        on_code=on_code,
    )
    logs.remember_secret(token.access_token)
    if token.refresh_token:
        logs.remember_secret(token.refresh_token)
    else:
        raise SignInFailed(
            "the authorization server gave no refresh token, so mailtui could not stay signed in",
            "for Microsoft, keep offline_access in oauth2_scopes; for other providers, "
            "allow offline access (a refresh token) for this client",
        )
    if verify is not None:
        verify(Secret("oauth2", token.access_token))
    tokens.adopt(token)
    return tokens
