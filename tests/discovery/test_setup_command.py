"""`mailtui setup` as a user runs it: a real process against the test Dovecot (TLS with the
test CA), non-interactive with flags, and interactive through a pseudo-terminal at 80x24
answering the prompts with keys. Afterwards the config holds the block (0600), `mailtui
list INBOX` shows the server's mail, and the cache equals the server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import tomllib
import uuid
from pathlib import Path

import imapclient
import pytest

from mailtui.context import load_context
from tests.support import mailgen
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser
from tests.support.tmux import TmuxSession

ROOT = Path(__file__).resolve().parents[2]
NO_KEYRING = "keyring.backends.fail.Keyring"


def _env(tmp_path: Path, *, keyring: bool = True) -> dict[str, str]:
    env = dict(
        os.environ,
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHONPATH=str(ROOT),
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring" if keyring else NO_KEYRING,
        MAILTUI_TEST_KEYRING=str(tmp_path / "keyring.json"),
        EMAIL="",
    )
    env.pop("MAILTUI_CONFIG", None)  # the default place: where a new user's config goes
    return env


def _mailtui(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # no controlling terminal: stdin is all there is
    )


def _user(dovecot: Dovecot) -> MailUser:
    """A user whose password appears nowhere else (so "not in the file" means something)."""
    return dovecot.add_user(password=f"pw-{uuid.uuid4().hex}")


def _fill(user: MailUser, count: int = 30) -> None:
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(count, seed=count))


def _config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "mailtui" / "config.toml"


def _check_synced(
    env: dict[str, str],
    dovecot: Dovecot,
    user: MailUser,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The block is there and private; `list INBOX` shows the mail; cache == server."""
    config = Path(env["XDG_CONFIG_HOME"]) / "mailtui" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert tomllib.loads(config.read_text())["accounts"][name]["imap"]["username"] == user.name
    assert user.password not in config.read_text()
    listed = _mailtui(env, "list", "INBOX", "--account", name, "--json", "--limit", "1000")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    for key in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(key, env[key])
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False)
    client.login(user.name, user.password)
    ctx = load_context(str(config))
    try:
        client.select_folder("INBOX", readonly=True)
        assert {r["uid"] for r in rows} == set(client.search(["ALL"])) != set()
        assert assert_cache_matches_server(ctx, client, ["INBOX"], account=name) > 0
    finally:
        ctx.close()
        client.logout()


def test_setup_with_flags_and_yes_writes_the_block_and_syncs(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _user(dovecot)
    _fill(user)
    env = _env(tmp_path)
    # Another account is already there: setup appends without touching it.
    config = _config_path(tmp_path)
    config.parent.mkdir(parents=True)
    before = '# my own words\n[accounts.old]\nemail = "x@example.test"\nmaildir = "~/Mail"\n'
    config.write_text(before)
    config.chmod(0o600)
    started = time.perf_counter()
    out = _mailtui(
        env,
        "setup",
        f"{user.name}@example.test",
        "--yes",
        "--imap-host",
        dovecot.host,
        "--imap-port",
        str(dovecot.imaps_port),
        "--security",
        "tls",
        "--ca-file",
        str(dovecot.ca_file),
        "--username",
        user.name,
        "--name",
        "work",
        "--full-name",
        "Ann Example",
        stdin=user.password + "\n",
    )
    seconds = time.perf_counter() - started
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert config.read_text().startswith(before)  # the other account, byte for byte
    assert "INBOX: 30 message(s)" in out.stdout
    assert "mailtui" in out.stdout.splitlines()[-1]  # how to open the inbox
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert set(stored.values()) == {user.password}
    listed = _mailtui(env, "list", "INBOX", "-a", "work")
    total = time.perf_counter() - started
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 30
    _check_synced(env, dovecot, user, "work", monkeypatch)
    # Issue 15's figure: machine time from `mailtui setup` to the first synced list.
    print(f"setup --yes: {seconds:.2f} s; to the first `mailtui list INBOX`: {total:.2f} s")
    assert total < 10  # the target is 3 s; a loaded CI box gets slack, not a pass at any cost


def test_a_wrong_password_writes_nothing(dovecot: Dovecot, tmp_path: Path) -> None:
    user = _user(dovecot)
    env = _env(tmp_path)
    out = _mailtui(
        env,
        "setup",
        f"{user.name}@example.test",
        "--yes",
        f"--imap-host={dovecot.host}",
        f"--imap-port={dovecot.imaps_port}",
        f"--ca-file={dovecot.ca_file}",
        f"--username={user.name}",
        stdin="wrong\n",
    )
    assert out.returncode == 1 and out.stderr.count("\n") == 1, out.stderr
    assert "nothing written" in out.stderr
    assert not _config_path(tmp_path).exists()
    assert not (tmp_path / "keyring.json").exists()


def test_without_a_keyring_the_password_goes_to_a_private_file(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _user(dovecot)
    _fill(user, 5)
    env = _env(tmp_path, keyring=False)
    secret = tmp_path / "secrets" / "work.pw"
    out = _mailtui(
        env,
        "setup",
        f"{user.name}@example.test",
        "--yes",
        f"--imap-host={dovecot.host}",
        f"--imap-port={dovecot.imaps_port}",
        f"--ca-file={dovecot.ca_file}",
        f"--username={user.name}",
        "--name=work",
        "--full-name=",
        f"--secret-file={secret}",
        stdin=user.password + "\n",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text() == user.password + "\n"
    account = tomllib.loads(_config_path(tmp_path).read_text())["accounts"]["work"]
    assert account["imap"]["password_command"] == f"cat {secret}"
    _check_synced(env, dovecot, user, "work", monkeypatch)
    # Without --secret-file and without a keyring, --yes says what to give.
    again = _mailtui(
        env,
        "setup",
        f"{user.name}@example.test",
        "--yes",
        f"--imap-host={dovecot.host}",
        f"--imap-port={dovecot.imaps_port}",
        f"--ca-file={dovecot.ca_file}",
        f"--username={user.name}",
        "--name=other",
        "--full-name=",
        stdin=user.password + "\n",
    )
    assert again.returncode == 1 and "--password-command" in again.stderr, again.stderr


def test_interactive_setup_at_80x24_with_keys_only(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _user(dovecot)
    _fill(user, 12)
    env = _env(tmp_path)
    address = f"{user.name}@example.invalid"  # no DNS, no autoconfig: nothing is found
    started = time.perf_counter()
    with TmuxSession(
        [sys.executable, "-m", "mailtui", "setup", f"--ca-file={dovecot.ca_file}"],
        env=env,
        cols=80,
        rows=24,
    ) as term:
        term.answer("Your email address []: ", address)
        term.answer("IMAP server [imap.example.invalid]: ", dovecot.host)
        term.answer("IMAP security (tls/starttls/none) [tls]: ", "")
        term.answer("IMAP port [993]: ", str(dovecot.imaps_port))
        term.answer("SMTP server [smtp.example.invalid]: ", dovecot.host)
        term.answer("SMTP security (tls/starttls/none) [tls]: ", "starttls")
        term.answer("SMTP port [587]: ", "")
        term.answer(f"Login name [{address}]: ", user.name)
        term.answer("Account name [example]: ", "")
        term.answer("Your name (in From:) [", "Ann Example")
        term.answer(f"Password for {user.name}@{dovecot.host}: ", user.password)
        term.answer("Open your inbox now? (yes/no) [yes]: ", "")
        setup_screen = term.screen()  # what setup printed, before the app takes over
        # The app opens on the inbox setup synced: its newest subject is on the screen.
        subjects = [m.subject[:20] for m in mailgen.generate(12, seed=12) if m.subject.isascii()]
        term.wait_for(
            lambda lines: any(sub in line for line in lines for sub in subjects), "the inbox", 60
        )
        seconds = time.perf_counter() - started
        app_screen = term.screen()
        term.send("q")
        status = term.wait_exit()
    print("\n".join(setup_screen))
    print(f"interactive setup to the inbox on screen, machine and typing: {seconds:.2f} s")
    assert status == 0, "\n".join(term.screen())
    text = "\n".join(setup_screen)
    assert "INBOX: 12 message(s)" in text
    assert all(len(line) <= 80 for line in setup_screen + app_screen)
    assert user.password not in text  # the password was not echoed
    _check_synced(env, dovecot, user, "example", monkeypatch)


def test_reauth_stores_a_new_checked_password(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _user(dovecot)
    _fill(user, 3)
    env = _env(tmp_path)
    flags = (
        f"--imap-host={dovecot.host}",
        f"--imap-port={dovecot.imaps_port}",
        f"--ca-file={dovecot.ca_file}",
        f"--username={user.name}",
        "--name=work",
        "--full-name=",
    )
    address = f"{user.name}@example.test"
    first = _mailtui(env, "setup", address, "--yes", *flags, stdin=user.password + "\n")
    assert first.returncode == 0, first.stderr
    keyring = tmp_path / "keyring.json"
    keyring.unlink()  # the keyring lost it (a new desktop session, a wiped keyring)
    refused = _mailtui(env, "setup", "--reauth", "work", "--yes", stdin="wrong\n")
    assert refused.returncode == 1 and not keyring.exists(), refused.stderr
    again = _mailtui(env, "setup", "--reauth", "work", "--yes", stdin=user.password + "\n")
    assert again.returncode == 0, again.stderr
    assert set(json.loads(keyring.read_text()).values()) == {user.password}
    # Setup for the same address offers re-authentication instead of a second account.
    keyring.unlink()
    same = _mailtui(env, "setup", address, "--yes", stdin=user.password + "\n")
    assert same.returncode == 0 and "already uses" in same.stdout, same.stdout + same.stderr
    assert set(json.loads(keyring.read_text()).values()) == {user.password}
    assert list(tomllib.loads(_config_path(tmp_path).read_text())["accounts"]) == ["work"]
    _check_synced(env, dovecot, user, "work", monkeypatch)


def test_oauth2_is_refused_where_the_server_does_not_offer_it(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = _user(dovecot)
    out = _mailtui(
        _env(tmp_path),
        "setup",
        f"{user.name}@example.test",
        "--yes",
        "--auth=oauth2",
        f"--imap-host={dovecot.host}",
        f"--imap-port={dovecot.imaps_port}",
        f"--ca-file={dovecot.ca_file}",
    )
    assert out.returncode == 1 and out.stderr.count("\n") == 1, out.stderr
    assert "does not offer oauth2" in out.stderr and "password" in out.stderr
    assert not _config_path(tmp_path).exists()
