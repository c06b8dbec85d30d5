"""Secrets never reach a file or a terminal: logs, protocol log, cache, command output."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from tests.support import mailgen
from tests.support.accounts import cli_env
from tests.support.dovecot import Dovecot

PASSWORD = "Pw-7f3c9e-secret-value"
WRONG = "Wr0ng-91ab-other-secret"


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_passwords_appear_nowhere(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user(password=PASSWORD)
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(5, seed=70))
    env = cli_env(tmp_path, dovecot, user, log_protocol=True)
    config = Path(env["MAILTUI_CONFIG"])
    log = tmp_path / "logs" / "debug.log"
    outputs = [
        _run(env, "--log", str(log), "sync"),
        _run(env, "--log", str(log), "show", "INBOX", "1"),
        _run(env, "--log", str(log), "mark", "INBOX", "2", "--flagged"),
    ]
    assert all(o.returncode == 0 for o in outputs), [o.stderr for o in outputs]
    # A failed login, with a different secret, must not print it either.
    bad = config.read_text().replace(f"printf %s {PASSWORD}", f"printf %s {WRONG}")
    (tmp_path / "bad.toml").write_text(bad)
    failed = _run(dict(env, MAILTUI_CONFIG=str(tmp_path / "bad.toml")), "--log", str(log), "sync")
    assert failed.returncode != 0
    outputs.append(failed)

    protocol = tmp_path / "data" / "mailtui" / "logs" / "protocol.log"
    assert "SELECT" in protocol.read_text() and "LOGIN" in protocol.read_text()  # the logs are real
    assert "sync" in log.read_text().lower()
    files = [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and p.name != "config.toml" and p.name != "bad.toml"
    ]
    for path in files:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data and WRONG.encode() not in data, path
    for out in outputs:
        assert PASSWORD not in out.stdout + out.stderr and WRONG not in out.stdout + out.stderr
    # Private files and directories.
    for path in [log, protocol, *(tmp_path / "cache").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))
