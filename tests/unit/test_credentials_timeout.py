"""A password_command that times out leaves nothing running: its whole process group dies.

Real processes: each stage of the pipeline writes its own pid to a file, and the test
looks them up in /proc after the timeout.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from mailtui.config.credentials import get_secret
from mailtui.config.load import make_settings
from mailtui.errors import CredentialError

TIMEOUT = 0.5
DEADLINE = 20.0  # far above TIMEOUT: only a command left waiting on its pipeline reaches it


def _gone(pid: int) -> bool:
    """True once `pid` no longer runs (absent, or a zombie waiting for its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return True
    return stat[stat.rfind(b")") + 2 :].split()[0] == b"Z"


def _wait(condition, what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _stage(pidfile: Path, command: str) -> str:
    return f"sh -c 'echo $$ > {pidfile}; exec {command}'"


PIPELINES = {
    # `sleep 100 | cat`: both stages hold the output pipe mailtui reads.
    "holding-the-output": lambda a, b: f"{_stage(a, 'sleep 100')} | {_stage(b, 'cat')}",
    # The same, with the stages' output elsewhere: only the shell holds mailtui's pipe.
    "detached-output": lambda a, b: (
        f"{_stage(a, 'sleep 100')} 2>/dev/null | {_stage(b, 'cat')} >/dev/null 2>&1"
    ),
    # A secret printed, then a stage that never ends.
    "printed-then-hangs": lambda a, b: (
        f"echo hunter2; {_stage(a, 'sleep 100')} | {_stage(b, 'cat')}"
    ),
}


@pytest.mark.parametrize("shape", sorted(PIPELINES))
def test_timed_out_pipeline_leaves_no_process(tmp_path: Path, shape: str) -> None:
    first, second = tmp_path / "first.pid", tmp_path / "second.pid"
    command = PIPELINES[shape](first, second)
    settings = make_settings(
        {
            "a": {
                "email": "a@example.com",
                "imap": {"host": "imap.example.com", "password_command": command},
            }
        }
    )
    account = settings.account("a")
    assert account.imap is not None
    imap = replace(account.imap, timeout=TIMEOUT)
    outcome: list[BaseException | str] = []

    def ask() -> None:
        try:
            outcome.append(get_secret(account, imap, "imap").value)
        except BaseException as exc:
            outcome.append(exc)

    asker = threading.Thread(target=ask, daemon=True)
    asker.start()
    _wait(lambda: first.exists() and second.exists() and first.read_text().strip(), "the pids")
    pids = [int(first.read_text()), int(second.read_text().strip() or 0)]
    asker.join(DEADLINE)
    assert not asker.is_alive(), "get_secret still waits for the pipeline after its timeout"
    assert len(outcome) == 1 and isinstance(outcome[0], CredentialError), outcome
    assert f"did not finish within {TIMEOUT:g} s" in str(outcome[0])
    assert "hunter2" not in outcome[0].sentence()
    _wait(lambda: all(_gone(pid) for pid in pids), f"processes {pids} to be gone", timeout=5)
