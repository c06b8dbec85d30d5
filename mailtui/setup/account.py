"""What `mailtui setup` does with the answers: check them, write them, sync once.

The CLI asks; this module acts, so the app's first start and the command share it:
- `existing_accounts` reads the config file's account names and addresses (the file may
  not exist yet);
- `suggest_name` proposes a free, bare TOML key for the account;
- `settings_of` turns the block about to be written into the `AccountSettings` the
  loader would read from it, so the login check uses exactly what the file will say;
- `verify_login` logs in once over IMAP (the password is checked before anything is
  written or stored);
- `append_account` adds the block to the config file: created 0600 if missing, the
  other accounts' bytes kept as they are, the result parsed before it replaces the file;
- `first_sync` brings INBOX into the cache, so the first screen is already full.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailtui.config import paths
from mailtui.config.credentials import Secret, get_secret
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.errors import ConfigError, MailtuiError
from mailtui.fileio import atomic_write

_KEY_CHARS = re.compile(r"[^a-z0-9_-]+")


def existing_accounts(path: Path) -> dict[str, str]:
    """{name: email} of the accounts already in the config file ({} when it is missing)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML ({exc})", "fix the file first; setup only appends to it"
        ) from None
    accounts = data.get("accounts")
    if not isinstance(accounts, dict):
        return {}
    return {
        str(name): str(acct.get("email", "")) if isinstance(acct, dict) else ""
        for name, acct in accounts.items()
    }


def suggest_name(email: str, taken: set[str] | dict[str, str]) -> str:
    """The domain's second-to-last label ("example" for ann@example.com), made unique:
    short, a bare TOML key, and what people call the account anyway."""
    domain = email.rpartition("@")[2].lower()
    labels = [label for label in domain.split(".") if label]
    base = labels[-2] if len(labels) >= 2 else (labels[0] if labels else "mail")
    base = _KEY_CHARS.sub("-", base).strip("-") or "mail"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def settings_of(block: str, name: str, config_path: Path) -> AccountSettings:
    """The account as the loader will read it from `block` (validated the same way)."""
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError as exc:  # a bug in block writing, not the user's
        raise ConfigError(f"the account block is not valid TOML ({exc})") from None
    settings = make_settings(data["accounts"], base=config_path.parent)
    return settings.account(name)


def verify_login(account: AccountSettings, password: str | None) -> None:
    """Log in once over IMAP; AuthFailed when refused, another MailtuiError when unreachable.

    `password` None: the secret comes from the account's own source (a password command).
    """
    from mailtui.imap.session import ImapSession

    server = account.imap
    if server is None:
        return
    get: Callable[[], Secret]
    if password is None:

        def get() -> Secret:
            return get_secret(account, server, "imap")
    else:
        secret = Secret("password", password)

        def get() -> Secret:
            return secret

    session = ImapSession(server, get, label=account.name)
    try:
        session.connect()
    finally:
        session.close()


def append_account(path: Path, block: str, name: str) -> None:
    """Append `block` to the config file at `path` (created 0600 with its directory).

    The bytes already there are kept as they are; the whole is parsed before it replaces
    the file, so a clash (an account of that name) never leaves a broken config.
    """
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = b""
    if name in existing_accounts(path):
        raise ConfigError(
            f"{path} already has an account named {name!r}", "choose another name with --name"
        )
    sep = b"" if not old or old.endswith(b"\n") else b"\n"
    new = old + sep + block.encode("utf-8")
    try:
        tomllib.loads(new.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: the file would not be valid TOML after adding ({exc})"
        ) from None
    paths.ensure_private_dir(path.parent)
    atomic_write(path, new, mode=paths.FILE_MODE)


@dataclass(frozen=True)
class FirstSync:
    """What the first sync brought: INBOX's messages and how long it took."""

    folder: str
    messages: int
    seconds: float


def first_sync(config_path: Path, name: str, folder: str = "INBOX") -> FirstSync:
    """The folder list and INBOX into the cache (the rest syncs when the app starts)."""
    from mailtui.context import load_context
    from mailtui.sync import commands

    started = time.perf_counter()
    ctx = load_context(str(config_path))
    try:
        service = ctx.service(name)
        service.run(commands.RefreshFolders(), timeout=60)
        if service.cache().raw_name(folder) is None:
            raise MailtuiError(f"the server has no {folder} folder")
        service.run(commands.SyncFolder(folder=folder))
        count = len(service.view(folder))
    finally:
        ctx.close()
    return FirstSync(folder, count, time.perf_counter() - started)
