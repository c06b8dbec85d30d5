"""Finding and killing mailtui's processes from outside, as kill -9 tests and the soak do.

A `mailtui sync` of a big folder starts a child (`python -m mailtui.sync.coldstore`)
that parses and commits header batches. Tests kill the parent, the child, or the whole
process group, so they need to find the child and to know when a process is gone
(a zombie counts as gone: it holds no file and runs no code).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.accounts import wait_until

STORING_CHILD = b"mailtui.sync.coldstore"


def children(pid: int) -> list[int]:
    """Direct children of `pid` (Linux /proc; listed under the thread that forked them)."""
    kids: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return kids
    for task in tasks:
        try:
            kids.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return kids


def alive(pid: int) -> bool:
    """True while `pid` runs (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def storing_child(pid: int) -> int | None:
    """The cold-sync storing child of mailtui process `pid`, if one is running."""
    for kid in children(pid):
        try:
            argv = Path(f"/proc/{kid}/cmdline").read_bytes()
        except OSError:
            continue
        if STORING_CHILD in argv and alive(kid):
            return kid
    return None


def kill(pid: int, *, group: bool = False) -> None:
    """SIGKILL `pid`, or its whole process group (start it with start_new_session=True)."""
    try:
        if group:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


KILL_MODES = ("child", "group", "parent")


def kill_cold_sync(
    proc: subprocess.Popen, mode: str, kill_point: Callable[[], bool], jitter: float
) -> int:
    """Wait until `proc` (a `mailtui sync` started with start_new_session=True) runs its
    storing child and `kill_point()` holds, `jitter` seconds more, then SIGKILL the child
    (mode "child"), the process group ("group") or the parent ("parent"). Fails if the
    sync ended first or never started its child. Then waits for both to be gone: a parent
    whose child died gives up by itself, an orphaned child ends on its closed pipe.
    Returns the child's pid."""
    child = 0
    since: float | None = None

    def ready() -> bool:
        nonlocal child, since
        if proc.poll() is not None:
            return True
        child = child or storing_child(proc.pid) or 0
        if not child or not kill_point():
            return False
        since = since or time.monotonic()
        return time.monotonic() - since >= jitter

    try:
        wait_until(ready, timeout=120, what="the kill point")
        assert proc.poll() is None, "the sync finished before the kill point"
        assert child, "the storing child process was not used"
        if mode == "child":
            kill(child)
        else:
            kill(proc.pid, group=mode == "group")
    finally:
        if proc.poll() is None and mode != "child":
            kill(proc.pid, group=True)
    proc.wait(60)
    wait_until(lambda: not alive(child), timeout=30, what="the storing child to end")
    return child
