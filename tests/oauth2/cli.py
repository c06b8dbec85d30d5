"""Running `mailtui` on an `auth = "oauth2"` account as a user would: a config file, a
subprocess, the device code read from its output and approved on the test server."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.accounts import _toml, private_env
from tests.support.dovecot import Dovecot, MailUser
from tests.support.oauth_server import CLIENT_ID, SCOPE, OAuthServer

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"enter the code (\S+)")


def oauth2_table(server: OAuthServer, **extra: Any) -> dict[str, Any]:
    """The `oauth2_*` keys of a server table pointing at the test authorization server."""
    base = server.base_url
    table: dict[str, Any] = {
        "auth": "oauth2",
        "oauth2_provider": "custom",
        "oauth2_client_id": CLIENT_ID,
        "oauth2_device_url": f"{base}/device",
        "oauth2_authorize_url": f"{base}/authorize",
        "oauth2_token_url": f"{base}/token",
        "oauth2_scopes": [SCOPE],
    }
    table.update(extra)
    return {k: v for k, v in table.items() if v is not None}


def imap_oauth2_table(
    server: OAuthServer, dovecot: Dovecot, user: MailUser, **extra: Any
) -> dict[str, Any]:
    """An `[accounts.X.imap]` table: the oauth2 Dovecot over implicit TLS."""
    return {
        "host": dovecot.host,
        "port": dovecot.imaps_port,
        "security": "tls",
        "username": user.name,
        "ca_file": str(dovecot.ca_file),
        "timeout": 10,
        **oauth2_table(server, **extra),
    }


def write_config(path: Path, name: str, email: str, **tables: dict[str, Any]) -> Path:
    lines = [f"[accounts.{name}]", f"email = {_toml(email)}"]
    for table, values in tables.items():
        lines += ["", f"[accounts.{name}.{table}]"]
        lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def cli_env(tmp_path: Path, config: Path) -> dict[str, str]:
    """A private environment: config, XDG dirs and a file keyring under tmp_path."""
    return private_env(
        tmp_path,
        config,
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        MAILTUI_TEST_KEYRING=str(tmp_path / "keyring.json"),
        PYTHONPATH=str(ROOT),
    )


def mailtui(
    env: dict[str, str], *args: str, stdin: bytes = b"", timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


@dataclass
class Login:
    """A finished `mailtui login`: its exit status, output and the codes it showed."""

    returncode: int
    stdout: str
    stderr: str
    codes: list[str] = field(default_factory=list)


def login_approving(
    env: dict[str, str],
    server: OAuthServer,
    username: str,
    *args: str,
    command: str = "login",
    timeout: float = 60,
    deny: bool = False,
    options: tuple[str, ...] = (),
) -> Login:
    """`mailtui login ARGS` (or another `command`) with no terminal on stdin; every
    device code it prints is approved on `server` as `username`, as the user would
    (or refused, with `deny`). `options` go before the command (e.g. --log FILE)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtui", *options, command, *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    codes: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            out.append(line)
            found = CODE.search(line)
            if found:
                codes.append(found.group(1))
                if deny:
                    server.deny(found.group(1))
                else:
                    server.approve(found.group(1), username)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(10)
    assert proc.stderr is not None
    return Login(proc.returncode, "".join(out), proc.stderr.read(), codes)


def assert_no_secret_in(path: Path, secrets: list[str]) -> None:
    """No token or device code, and no SASL bearer message, is in the file."""
    text = path.read_text(errors="replace")
    assert text, f"{path} is empty: nothing was checked"
    for secret in secrets:
        assert secret not in text, f"a token or code is in {path}"
    assert "Bearer" not in text, f"a SASL bearer message is in {path}"
