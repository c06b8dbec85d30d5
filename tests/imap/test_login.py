"""`mailtui login` stores a verified password in the keyring; sync then uses it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.support.dovecot import Dovecot, MailUser

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, dovecot: Dovecot, user: MailUser) -> dict[str, str]:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.k]\nemail = "{user.name}@example.test"\n\n[accounts.k.imap]\n'
        f'host = "{dovecot.host}"\nport = {dovecot.imap_port}\nsecurity = "starttls"\n'
        f'username = "{user.name}"\nca_file = "{dovecot.ca_file}"\n'
    )
    env = dict(os.environ)
    env.update(
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        MAILTUI_TEST_KEYRING=str(tmp_path / "keyring.json"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _mailtui(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_login_verifies_then_stores_and_sync_uses_the_keyring(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    # A password no file could hold by chance (the default "secret" is also a word in
    # mailtui's own code, which the start-up cache of compiled dataclass methods holds).
    mail_user = dovecot.add_user(password=f"pw-{secrets.token_hex(12)}")
    env = _env(tmp_path, dovecot, mail_user)
    assert "keyring" in _mailtui(env, "sync").stderr  # nothing stored yet: says where to put it
    wrong = _mailtui(env, "login", "k", stdin="wrong-password\n")
    assert wrong.returncode == 1 and "refused" in wrong.stderr
    assert not (tmp_path / "keyring.json").exists()
    ok = _mailtui(env, "login", "k", stdin=f"{mail_user.password}\n")
    assert ok.returncode == 0, ok.stderr
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert list(stored.values()) == [mail_user.password]
    assert _mailtui(env, "sync").returncode == 0
    # The secret is nowhere in the config or the cache.
    for path in [tmp_path / "config.toml", *(tmp_path / "cache").rglob("*")]:
        if path.is_file():
            assert mail_user.password.encode() not in path.read_bytes(), path
