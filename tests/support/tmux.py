"""A program in a real terminal of a given size, driven with keys: tmux on a private socket.

For tests of what a user types and sees (`mailtui setup`'s questions): the program runs
in a tmux pane (a pseudo-terminal, so `input()` and `getpass` behave as on a real
terminal), keys go in with `send-keys`, and the screen comes back with `capture-pane`.
Each session has its own tmux server (`-L`), stopped at the end; waits are for what the
screen shows, with a deadline.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

EXIT_MARK = re.compile(r"\[exit (\d+)\]")


class TmuxSession:
    """`argv` running in a `cols`x`rows` pane of a private tmux server."""

    def __init__(
        self, argv: Sequence[str], *, env: dict[str, str], cols: int = 80, rows: int = 24
    ) -> None:
        self.socket = f"mailtui-test-{uuid.uuid4().hex[:10]}"
        self.env = env
        command = f'{shlex.join(argv)}; echo "[exit $?]"; exec sleep 600'
        self._tmux("new-session", "-d", "-x", str(cols), "-y", str(rows), "sh", "-c", command)

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def screen(self) -> list[str]:
        """The visible lines, as the user sees them (trailing blanks dropped)."""
        lines = self._tmux("capture-pane", "-p").split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        return [line.rstrip() for line in lines]

    def wait_for(self, ready: object, what: str, timeout: float = 30.0) -> list[str]:
        """Poll the screen until `ready(lines)` is true; fail naming `what` and the screen."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.screen()
            if ready(lines):  # type: ignore[operator]
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout} s for {what}; screen:\n" + "\n".join(lines))
            time.sleep(0.05)

    def answer(self, prompt: str, text: str, timeout: float = 30.0) -> None:
        """Wait for the question on the cursor's line, then type `text` and Enter."""
        wanted = prompt.rstrip()

        def asked(lines: list[str]) -> bool:
            last = lines[-1] if lines else ""
            return last.startswith(wanted) and last.endswith(":")

        self.wait_for(asked, repr(prompt), timeout)
        if text:
            self._tmux("send-keys", "-l", text)
        self._tmux("send-keys", "Enter")

    def send(self, *keys: str) -> None:
        """Keys by tmux's names ("q", "Enter", "C-c")."""
        self._tmux("send-keys", *keys)

    def program_pid(self) -> int:
        """The pid of `argv` (the pane runs `sh -c`, whose child it is); 0 once it ended."""
        shell = int(self._tmux("display-message", "-p", "#{pane_pid}").strip())
        kids = Path(f"/proc/{shell}/task/{shell}/children")
        try:
            return next((int(k) for k in kids.read_text().split()), 0)
        except OSError:
            return 0

    def wait_exit(self, timeout: float = 60.0) -> int:
        """The program's exit status, once it has ended."""
        lines = self.wait_for(
            lambda ls: any(EXIT_MARK.fullmatch(line.strip()) for line in ls), "the exit", timeout
        )
        [status] = [int(m.group(1)) for ln in lines if (m := EXIT_MARK.fullmatch(ln.strip()))]
        return status

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            timeout=30,
        )

    def __enter__(self) -> TmuxSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
