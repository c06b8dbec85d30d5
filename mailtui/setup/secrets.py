"""Where setup keeps a password when there is no system keyring.

On a headless box (no Secret Service, no KWallet) the keyring is missing, and the
password must come from somewhere the config file can name with `password_command`:
- a password manager the user already has (pass, gopass, secret-tool can be given the
  password on stdin; bw and op hold an entry the user makes, setup only names it);
- or a 0600 file the user chooses, read with `cat`.
The config file itself never holds the password.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mailtui.config import paths
from mailtui.errors import CredentialError

TOKEN_FILE_TRADE_OFF = (
    "The file (0600) is readable by anything running as you and by your backups; if it "
    "leaks, remove mailtui's access in your provider's account settings."
)
TRADE_OFF = (
    "A password manager keeps it encrypted until you unlock it; a file is simpler but "
    "readable by anything running as you (and by your backups)."
)


@dataclass(frozen=True)
class Manager:
    """A password manager: how to read the entry, and how to store it when we can."""

    name: str
    read: str  # password_command, with {entry}
    store: tuple[str, ...] = ()  # argv with {entry}; the password goes in on stdin
    how: str = ""  # for managers setup cannot write to: what the user does

    def entry(self, account: str) -> str:
        return f"mail/{account}" if self.name != "op" else f"op://Private/mail-{account}/password"

    def command(self, account: str) -> str:
        return self.read.format(entry=shlex.quote(self.entry(account)))


MANAGERS: tuple[Manager, ...] = (
    Manager("pass", "pass show {entry}", ("pass", "insert", "--multiline", "--force", "{entry}")),
    Manager("gopass", "gopass show --password {entry}", ("gopass", "insert", "--force", "{entry}")),
    Manager(
        "secret-tool",
        "secret-tool lookup service mailtui account {entry}",
        ("secret-tool", "store", "--label=mailtui", "service", "mailtui", "account", "{entry}"),
    ),
    Manager("bw", "bw get password {entry}", how="create a Bitwarden login item named {entry}"),
    Manager("op", "op read {entry}", how="create a 1Password item at {entry}"),
)


def installed_managers() -> list[Manager]:
    """The password managers on PATH, in the order of MANAGERS."""
    return [m for m in MANAGERS if shutil.which(m.name)]


def manager_named(name: str) -> Manager | None:
    return next((m for m in MANAGERS if m.name == name), None)


def store_in_manager(manager: Manager, account: str, password: str) -> str:
    """Give the password to the manager; returns the password_command that reads it."""
    if not manager.store:
        raise CredentialError(
            f"mailtui cannot write to {manager.name}",
            manager.how.format(entry=manager.entry(account)) + ", then run setup again",
        )
    argv = [part.format(entry=manager.entry(account)) for part in manager.store]
    try:
        done = subprocess.run(
            argv, input=password + "\n", text=True, capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CredentialError(f"{manager.name} could not be run ({type(exc).__name__})") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[0][:200]
        raise CredentialError(f"{manager.name} did not store the password: {why}")
    return manager.command(account)


def token_commands(manager: Manager, account: str) -> tuple[str, str]:
    """(oauth2_refresh_command, oauth2_refresh_store_command) keeping an account's OAuth2
    refresh token in `manager` under the entry `mail/ACCOUNT-oauth2`."""
    entry = f"{account}-oauth2"
    store = [part.format(entry=manager.entry(entry)) for part in manager.store]
    return manager.command(entry), shlex.join(store)


def default_secret_file(account: str) -> Path:
    """Where a secret file goes unless the user says otherwise (private data dir)."""
    return paths.data_dir(create=False) / f"{paths.safe_name(account)}.password"


def default_token_file(account: str) -> Path:
    """Where an OAuth2 refresh token goes on a box without a keyring, unless told."""
    return paths.data_dir(create=False) / f"{paths.safe_name(account)}.oauth2"


def write_secret_file(path: Path, password: str) -> str:
    """Write the password to `path` (0600 from its first byte, directory 0700 if new);
    returns the password_command that reads it."""
    path = path.expanduser().absolute()
    if not path.parent.exists():  # an existing directory keeps its mode (it may be ~)
        path.parent.mkdir(mode=paths.DIR_MODE, parents=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, paths.FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), paths.FILE_MODE)
        file.write(password + "\n")
    return f"cat {shlex.quote(str(path))}"
