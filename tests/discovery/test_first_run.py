"""A new user's first minutes: no config yet, no keyring, and the app's first start.

- With no config, every command that needs an account (and `mailtui` itself) prints a
  short text that fits a terminal: run `mailtui setup`, or `mailtui --demo`, and where
  the config lives. (Before: the example config flattened onto one 600-character line.)
- With no keyring, "no system keyring is available" is said once. (Before: twice.)
- `mailtui` on a terminal with no config offers setup, and opens the inbox after it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support import mailgen
from tests.support.dovecot import Dovecot
from tests.support.tmux import TmuxSession

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # a box with no keyring
    )
    env.pop("MAILTUI_CONFIG", None)
    env.update(extra)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_no_config_says_what_to_run_in_a_few_short_lines(tmp_path: Path) -> None:
    env = _env(tmp_path)
    where = str(tmp_path / "config" / "mailtui" / "config.toml")
    for args in ((), ("list", "INBOX"), ("sync",), ("login", "work")):
        out = _run(env, *args)
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.splitlines()
        assert "Traceback" not in out.stderr
        assert 2 <= len(lines) <= 6, out.stderr
        assert all(len(line) <= 80 for line in lines if where not in line), out.stderr
        text = out.stderr
        assert "mailtui setup" in text and "mailtui --demo" in text and where in text, text
        assert "[accounts." not in text  # no example config squeezed onto one line


def test_a_config_given_with_config_is_the_one_setup_is_told_to_write(tmp_path: Path) -> None:
    out = _run(_env(tmp_path), "--config", str(tmp_path / "mine.toml"), "list", "INBOX")
    assert out.returncode == 2
    assert f"mailtui --config {tmp_path / 'mine.toml'} setup" in out.stderr, out.stderr


def test_no_keyring_is_said_once(dovecot: Dovecot, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.k]\nemail = "k@example.test"\n[accounts.k.imap]\n'
        f'host = "{dovecot.host}"\nport = {dovecot.imap_port}\nsecurity = "none"\n'
    )
    config.chmod(0o600)
    env = _env(tmp_path, MAILTUI_CONFIG=str(config))
    for args in (("sync",), ("login", "k", "--no-verify")):
        out = subprocess.run(
            [sys.executable, "-m", "mailtui", *args],
            env=env,
            input="pw\n",
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
        )
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        assert out.stderr.count("no system keyring is available") == 1, out.stderr
        assert "password_command" in out.stderr  # what to do instead


def test_first_start_offers_setup_then_opens_the_inbox(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user(password=f"pw-{uuid.uuid4().hex}")
    messages = list(mailgen.generate(8, seed=8, non_ascii_ratio=0))
    mailgen.write_maildir(user.maildir, "INBOX", messages)
    env = _env(
        tmp_path,
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        MAILTUI_TEST_KEYRING=str(tmp_path / "keyring.json"),
        EMAIL=f"{user.name}@example.invalid",
    )
    with TmuxSession([sys.executable, "-m", "mailtui"], env=env, cols=80, rows=24) as term:
        term.answer("Set up an account now? (yes/no) [yes]: ", "")
        term.answer(f"Your email address [{user.name}@example.invalid]: ", "")
        term.answer("IMAP server [imap.example.invalid]: ", dovecot.host)
        term.answer("IMAP security (tls/starttls/none) [tls]: ", "none")
        term.answer("IMAP port [143]: ", str(dovecot.imap_port))
        term.answer("SMTP server [smtp.example.invalid]: ", dovecot.host)
        term.answer("SMTP security (tls/starttls/none) [tls]: ", "")
        term.answer("SMTP port [465]: ", "")
        term.answer("Login name [", user.name)
        term.answer("Account name [example]: ", "")
        term.answer("Your name (in From:) [", "")
        term.answer("Password for ", user.password)
        # The app opens on the inbox just synced: a subject from the server is on screen.
        wanted = messages[-1].subject[:16]  # the newest, first in the list
        term.wait_for(lambda lines: any(wanted in line for line in lines), "the inbox", 60)
        term.send("q")
        assert term.wait_exit() == 0
