"""The CLI on the wrong foot: closed pipes, bad arguments, a dead server, no terminal.

Whatever goes wrong, a user sees one sentence (and what to do next) and a non-zero exit,
never a traceback; a reader that stops early (`| head`) ends mailtui quietly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import mailgen
from tests.support.accounts import cli_env, write_config
from tests.support.dovecot import Dovecot, MailUser

ROOT = Path(__file__).resolve().parents[2]
SIGPIPE_STATUS = 141  # what a shell reports for a tool killed by SIGPIPE (128 + 13)


def _run(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def _private_dirs(tmp_path: Path) -> dict[str, str]:
    """An environment whose data, cache and config dirs are the test's own."""
    return dict(
        os.environ,
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )


def _into_closed_pipe(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run with stdout a pipe whose reader is gone (`mailtui … | head -0`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "mailtui", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.fixture
def synced(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path) -> dict[str, str]:
    """A CLI environment on a user with 40 messages (one with an attachment), synced."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(40, seed=40))
    client = dovecot.client(mail_user)
    mailgen.append_imap(
        client,
        "INBOX",
        [
            mailgen.from_bytes(
                mailgen.make_message(
                    subject="long",
                    body="line of text\n" * 3000,
                    attachments=[("a.txt", "text/plain", b"a\n")],
                )
            )
        ],
    )
    client.logout()
    env = cli_env(tmp_path, dovecot, mail_user)
    out = _run(env, "sync")
    assert out.returncode == 0, out.stderr
    return env


def test_a_closed_pipe_ends_every_printing_command_quietly(synced: dict[str, str]) -> None:
    for args in (
        ("list", "INBOX"),
        ("list", "INBOX", "--json"),
        ("search", "INBOX", "smaller:100M"),
        ("search", "INBOX", "smaller:100M", "--local"),
        ("folders",),
        ("folders", "--json"),
        ("show", "INBOX", "41"),
    ):
        out = _into_closed_pipe(synced, *args)
        assert out.returncode in (0, SIGPIPE_STATUS), (args, out.returncode, out.stderr)
        assert out.stderr == "", (args, out.stderr)


def test_watch_ends_when_its_reader_goes_away(
    synced: dict[str, str], dovecot: Dovecot, mail_user: MailUser
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtui", "watch"],
        env=synced,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        while "online" not in proc.stdout.readline():
            pass
        proc.stdout.close()  # the reader is gone; the next event has nowhere to go
        client = dovecot.client(mail_user)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            mailgen.append_imap(
                client, "INBOX", [mailgen.from_bytes(mailgen.make_message(subject="ping"))]
            )
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        client.logout()
        assert proc.poll() in (0, SIGPIPE_STATUS)
        assert proc.stderr is not None and proc.stderr.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_bad_invocations_are_one_sentence_and_a_non_zero_exit(
    synced: dict[str, str], tmp_path: Path
) -> None:
    dl = str(tmp_path / "dl")
    table: list[tuple[tuple[str, ...], int]] = [
        (("list", "Nope"), 1),
        (("list", "INBOX", "-a", "nobody"), 2),
        (("show", "INBOX", "999"), 1),
        (("show", "Nope", "1"), 1),
        (("show", "INBOX", "abc"), 2),
        (("show", "INBOX", "-3"), 2),
        (("save", "INBOX", "999", "--dir", dl), 1),
        (("save", "INBOX", "1", "--dir", dl), 1),  # no attachments
        (("save", "INBOX", "41", "2", "--dir", dl), 1),
        (("save", "INBOX", "41", "0", "--dir", dl), 2),
        (("mark", "INBOX", "999", "--seen"), 1),
        (("mark", "INBOX", "1"), 2),
        (("mark", "INBOX", "1", "--seen", "--unseen"), 2),
        (("mark", "Nope", "1", "--seen"), 1),
        (("move", "INBOX", "999", "Archive"), 1),
        (("move", "INBOX", "x", "Archive"), 2),
        (("move", "INBOX", "1", "Nope"), 1),
        (("copy", "INBOX", "1"), 2),
        (("delete", "INBOX", "999"), 1),
        (("archive", "Nope", "1"), 1),
        (("search", "Nope", "x"), 1),
        (("search", "INBOX", "since:someday"), 1),
        (("search", "INBOX", "from:"), 1),
        (("folder", "delete", "Nope"), 1),
        (("folder", "create", "INBOX"), 1),
        (("login", "nobody"), 2),
        (("--reset", "list", "INBOX"), 2),
        (("watch", "nobody"), 2),
        (("outbox", "-a", "nobody"), 2),
    ]
    wrong = []
    for args, code in table:
        out = _run(synced, *args)
        one_line = out.stderr.startswith("mailtui: ") and out.stderr.count("\n") == 1
        usage = code == 2 and "usage: mailtui" in out.stderr  # argparse's own two lines
        if out.returncode != code or "Traceback" in out.stderr or not (one_line or usage):
            wrong.append((args, out.returncode, out.stderr))
    assert not wrong, "\n".join(map(repr, wrong))
    assert not Path(dl).exists()


def test_a_dead_server_is_one_sentence(
    synced: dict[str, str], dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    config = Path(synced["MAILTUI_CONFIG"])
    config.write_text(config.read_text().replace(f"port = {dovecot.imap_port}", "port = 1"))
    for args in (
        ("list", "INBOX", "--sync"),
        ("folders", "--sync"),
        ("sync",),
        ("show", "INBOX", "999"),
        ("mark", "INBOX", "999", "--flagged"),
        ("move", "INBOX", "999", "Archive"),
        ("search", "INBOX", "x"),
    ):
        out = _run(synced, *args)
        assert out.returncode == 1, (args, out.returncode, out.stderr)
        assert out.stderr.startswith("mailtui: ") and out.stderr.count("\n") == 1, out.stderr
    # Offline, the cache still answers, and an unknown UID is still named.
    assert len(json.loads(_run(synced, "list", "INBOX", "--json").stdout)) == 41
    out = _run(synced, "mark", "INBOX", "999", "--flagged")
    assert "999" in out.stderr and "reach" in out.stderr


def test_missing_config_says_what_to_run(tmp_path: Path) -> None:
    env = dict(_private_dirs(tmp_path), MAILTUI_CONFIG=str(tmp_path / "none.toml"))
    for args in (("list", "INBOX"), ("folders",), ("login", "work"), ("sync",)):
        out = _run(env, *args)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        # Issue 15: a few short lines (what to run, where the file is), not one long one.
        assert str(tmp_path / "none.toml") in out.stderr and out.stderr.count("\n") <= 6
        assert "mailtui setup" in out.stderr


# --- login without a terminal -------------------------------------------------------------


def _keyring_env(tmp_path: Path, dovecot: Dovecot, user: MailUser) -> dict[str, str]:
    """An account whose password lives in the keyring (a file, for the test)."""
    config = write_config(tmp_path / "config.toml", dovecot, user, name="k")
    config.write_text(
        "\n".join(
            line for line in config.read_text().splitlines() if "password_command" not in line
        )
        + "\n"
    )
    return dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PYTHON_KEYRING_BACKEND="tests.support.filekeyring.FileKeyring",
        MAILTUI_TEST_KEYRING=str(tmp_path / "keyring.json"),
        PYTHONPATH=str(ROOT),
    )


def _login(env: dict[str, str], *args: str, stdin: str | None) -> subprocess.CompletedProcess[str]:
    # A new session: no controlling terminal to prompt on, as under cron or a script.
    return _run(
        env,
        "login",
        "k",
        *args,
        start_new_session=True,
        **({"input": stdin, "stdin": None} if stdin is not None else {}),
    )


def test_login_without_a_terminal_reads_the_password_from_stdin(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    env = _keyring_env(tmp_path, dovecot, mail_user)
    keyring = tmp_path / "keyring.json"
    for stdin in (None, "", "\n"):  # nothing at all, an empty pipe, an empty line
        out = _login(env, stdin=stdin)
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        assert out.stderr.count("\n") == 1 and "No password" in out.stderr, out.stderr
        assert not keyring.exists()
    out = _login(env, stdin=f"{mail_user.password}\n")
    assert out.returncode == 0, out.stderr
    assert list(json.loads(keyring.read_text()).values()) == [mail_user.password]
    keyring.unlink()
    out = _login(env, "--password-stdin", stdin=mail_user.password)
    assert out.returncode == 0, out.stderr
    assert list(json.loads(keyring.read_text()).values()) == [mail_user.password]
    assert _run(env, "sync").returncode == 0


def test_login_on_the_demo_needs_no_password(tmp_path: Path) -> None:
    out = _run(_private_dirs(tmp_path), "--demo", "login", "demo", start_new_session=True)
    assert out.returncode == 1 and "no password" in out.stderr, out.stderr
