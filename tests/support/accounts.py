"""Accounts and services pointed at the test Dovecot, built by the same app factory the CLI uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import imapclient

from mailtui.config.load import make_settings
from mailtui.config.model import Settings
from mailtui.context import AppContext
from tests.support.dovecot import Dovecot, MailUser


def imap_table(
    dovecot: Dovecot, user: MailUser, *, security: str = "starttls", **extra: Any
) -> dict[str, Any]:
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    table: dict[str, Any] = {
        "host": dovecot.host,
        "port": port,
        "security": security,
        "username": user.name,
        "password_command": f"printf %s {user.password}",
        "ca_file": str(dovecot.ca_file),
        "timeout": 10,
    }
    table.update(extra)
    return {k: v for k, v in table.items() if v is not None}


def settings_for(
    dovecot: Dovecot,
    user: MailUser,
    *,
    name: str = "test",
    imap: Mapping[str, Any] | None = None,
    account: Mapping[str, Any] | None = None,
    ui: Mapping[str, Any] | None = None,
) -> Settings:
    acct: dict[str, Any] = {"email": f"{user.name}@example.test"}
    acct.update(account or {})
    acct["imap"] = imap_table(dovecot, user, **dict(imap or {}))
    return make_settings({name: acct}, ui=ui)


def context_for(dovecot: Dovecot, user: MailUser, cache_dir: Path, **kwargs: Any) -> AppContext:
    return AppContext(settings_for(dovecot, user, **kwargs), cache_dir=cache_dir)


def write_config(
    path: Path, dovecot: Dovecot, user: MailUser, *, name: str = "test", **imap: Any
) -> Path:
    """A config.toml on disk for CLI tests (password via password_command)."""
    table = imap_table(dovecot, user, **imap)
    lines = [
        f"[accounts.{name}]",
        f'email = "{user.name}@example.test"',
        "",
        f"[accounts.{name}.imap]",
    ]
    for key, value in table.items():
        lines.append(f"{key} = {_toml(value)}")
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # mailtui refuses a config others may change
    return path


def cli_env(tmp_path: Path, dovecot: Dovecot, user: MailUser, **imap: Any) -> dict[str, str]:
    """The environment of a `mailtui` subprocess on this user: a config.toml in
    tmp_path, and cache, data and config dirs under tmp_path ("cache", "data", "config")."""
    return private_env(tmp_path, write_config(tmp_path / "config.toml", dovecot, user, **imap))


def private_env(tmp_path: Path, config: Path, **extra: str) -> dict[str, str]:
    """A `mailtui` subprocess's environment: `config`, and cache, data and config dirs
    under tmp_path ("cache", "data", "config"); `extra` variables on top."""
    return dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        **extra,
    )


def server_flags(client: imapclient.IMAPClient, folder: str) -> dict[int, frozenset[str]]:
    """{uid: flags} as the server holds them (\\Recent left out, as the cache does)."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    data: dict = {}
    for start in range(0, len(uids), 2000):
        data.update(client.fetch(uids[start : start + 2000], ["FLAGS"]))
    out = {}
    for uid, item in data.items():
        flags = {f.decode() if isinstance(f, bytes) else str(f) for f in item[b"FLAGS"]}
        flags.discard("\\Recent")
        out[uid] = frozenset(flags)
    return out


def subjects_and_flags(client: imapclient.IMAPClient, folder: str) -> dict[str, frozenset[str]]:
    """{subject: flags} as the server holds them (\\Recent left out): for tests whose
    messages have distinct subjects and move between folders (their UIDs change)."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    out = {}
    for item in data.values():
        head = item[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
        flags = frozenset(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
        out[head.removeprefix("Subject: ")] = flags
    return out


def cache_flags(ctx: AppContext, folder: str) -> dict[int, frozenset[str]]:
    service = ctx.service()
    uids = service.cache().uids(folder)
    envs = service.envelopes(folder, uids)
    return {uid: env.flags for uid, env in envs.items()}


def wait_until(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Poll `predicate` until true or fail after `timeout` (a deadline, not a sleep)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)
