"""Reading a server's sign-in keys: `auth` and the built-in OAuth2 sign-in's `oauth2_*`.

Kept apart from load.py, which reads everything else of a server table: these keys
are checked together (which combinations mean something), and each error names the
file and the key like every other config error. What needs the oauth2 package (a
client id a packager shipped, the provider presets) is checked when signing in,
in mailtui.oauth2.account.
"""

from __future__ import annotations

import os
import stat
import urllib.parse
from pathlib import Path
from typing import Any, cast

from mailtui.config.model import AUTHS, OAUTH2_KEYS, OAUTH2_PROVIDERS, Auth
from mailtui.config.reader import Reader, check_text, show, type_name
from mailtui.config.trust import may_be_loopback


def oauth2_keys(r: Reader, token_command: bool) -> dict[str, Any]:
    """`auth` and the built-in sign-in's `oauth2_*` keys, checked together.

    The keys mean something only with auth = "oauth2", and nothing next to an
    oauth2_token_command (the script is the sign-in), so they are refused there rather
    than silently ignored. What needs the oauth2 package (a packaged client id) is
    checked when signing in; everything else is checked here, naming the key.
    """
    auth = cast(Auth, r.text("auth", choices=AUTHS))
    present = [k for k in OAUTH2_KEYS if r.has(k)]
    if auth != "oauth2" or token_command:
        if present:
            why = (
                "conflicts with oauth2_token_command: the token script is this server's "
                "sign-in, so the built-in one's keys would never be used"
                if token_command
                else 'is only used with auth = "oauth2"'
            )
            r.src.fail(r.at(present[0]), why, hint=f"remove it, or set {_AUTH_HINT}")
        return {"auth": auth}
    provider: str | None = r.text("oauth2_provider", choices=OAUTH2_PROVIDERS)
    if provider is None:
        r.src.fail(
            r.at("oauth2_provider"),
            'is required with auth = "oauth2"',
            hint='oauth2_provider = "google", "microsoft", or "custom" with its own endpoints',
        )
    urls = {k: _https_url(r, k) for k in ("device", "authorize", "token")}
    client_id: str | None = r.text("oauth2_client_id")
    if provider == "custom":
        for key, missing in (
            ("oauth2_token_url", not urls["token"]),
            ("oauth2_client_id", not client_id),
            ("oauth2_device_url", not urls["device"] and not urls["authorize"]),
        ):
            if missing:
                r.src.fail(
                    r.at(key),
                    'is required with oauth2_provider = "custom"'
                    + (" (or oauth2_authorize_url)" if key == "oauth2_device_url" else ""),
                    hint="your provider's documentation gives the endpoints and the client id",
                )
    tenant: str | None = r.text("oauth2_tenant")
    if tenant is not None:
        tenant = tenant.strip()
        if provider != "microsoft":
            r.src.fail(r.at("oauth2_tenant"), 'is only used with oauth2_provider = "microsoft"')
        if not tenant.replace("-", "").replace(".", "").isalnum():
            r.src.fail(
                r.at("oauth2_tenant"),
                f"{show(tenant)} is not a tenant name or id",
                hint='"common", "consumers", "organizations", a directory id or a domain',
            )
    return {
        "auth": auth,
        "oauth2_provider": provider,
        "oauth2_client_id": client_id.strip() if client_id else None,
        "oauth2_client_secret": r.text("oauth2_client_secret"),
        "oauth2_device_url": urls["device"],
        "oauth2_authorize_url": urls["authorize"],
        "oauth2_token_url": urls["token"],
        "oauth2_scopes": _scopes(r),
        "oauth2_tenant": tenant,
        "oauth2_token_file": _token_file(r),
        **_token_commands(r),
    }


def _token_commands(r: Reader) -> dict[str, str | None]:
    """`oauth2_refresh_command` and `oauth2_refresh_store_command`: both or neither
    (a token that is read but never stored would die at the first rotation), and not
    next to `oauth2_token_file` (one place for the sign-in)."""
    read: str | None = r.text("oauth2_refresh_command")
    store: str | None = r.text("oauth2_refresh_store_command")
    for key, value, other in (
        ("oauth2_refresh_command", read, store),
        ("oauth2_refresh_store_command", store, read),
    ):
        if value is not None and other is None:
            missing = "oauth2_refresh_store_command" if other is store else "oauth2_refresh_command"
            r.src.fail(
                r.at(key),
                f"needs {missing} too: the provider may replace the refresh token, and "
                "mailtui must be able to both read and store it",
            )
    if read is not None and r.has("oauth2_token_file"):
        r.src.fail(
            r.at("oauth2_token_file"),
            "conflicts with oauth2_refresh_command: the sign-in is kept in one place",
            hint="remove one of them",
        )
    return {"oauth2_refresh_command": read, "oauth2_refresh_store_command": store}


_AUTH_HINT = 'auth = "oauth2" (and no oauth2_token_command) for the built-in sign-in'


def _https_url(r: Reader, name: str) -> str | None:
    """`oauth2_<name>_url`: https, or plain http only to a loopback address (tests)."""
    key = f"oauth2_{name}_url"
    url: str | None = r.text(key)
    if url is None:
        return None
    url = url.strip()
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or parts.scheme not in ("https", "http"):
        r.src.fail(r.at(key), f"{show(url, 80)} is not an https:// URL")
    if parts.scheme == "http" and not may_be_loopback(host):
        r.src.fail(
            r.at(key),
            f"{show(url, 80)} is plain http: tokens and codes would cross the network "
            "unencrypted, so http is allowed only to a loopback address",
            hint="use the https:// URL",
        )
    return url


def _scopes(r: Reader) -> tuple[str, ...]:
    """`oauth2_scopes`: an array of scope names, or one space-separated string."""
    if not r.has("oauth2_scopes"):
        return cast(tuple[str, ...], r.default("oauth2_scopes"))
    raw = r.raw("oauth2_scopes")
    items = raw.split() if isinstance(raw, str) else raw
    hint = 'e.g. oauth2_scopes = ["https://mail.google.com/"]'
    if not isinstance(items, list | tuple):
        r.src.fail(r.at("oauth2_scopes"), f"must be an array of strings, not {type_name(raw)}")
    scopes: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            where = f"{r.at('oauth2_scopes')}[{i}]"
            r.src.fail(where, f"must be a string, not {type_name(item)}", hint=hint)
        check_text(r.src, f"{r.at('oauth2_scopes')}[{i}]", item)
        if not item.strip() or len(item.split()) != 1:
            r.src.fail(f"{r.at('oauth2_scopes')}[{i}]", f"{show(item)} is not one scope name")
        scopes.append(item.strip())
    return tuple(scopes)


def _token_file(r: Reader) -> Path | None:
    """`oauth2_token_file`: refused now, naming the key, if others can read it (the
    store checks again each time it reads it: oauth2.tokens.FileStore)."""
    path = r.path("oauth2_token_file")
    if path is None:
        return None
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path  # the sign-in creates it, 0600
    except OSError as exc:
        r.src.fail(r.at("oauth2_token_file"), f"cannot read {show(str(path), 200)}: {exc.strerror}")
    if not stat.S_ISREG(st.st_mode):
        r.src.fail(r.at("oauth2_token_file"), f"{show(str(path), 200)} is not a regular file")
    if os.name == "posix" and st.st_mode & 0o077:
        r.src.fail(
            r.at("oauth2_token_file"),
            f"{show(str(path), 200)} can be read or changed by other users "
            f"(mode {stat.S_IMODE(st.st_mode):03o}); it holds a sign-in as good as a password",
            hint=f"run `chmod 600 {path}`, then sign in again (`mailtui login ACCOUNT`) "
            "if others may have read it",
        )
    return path
