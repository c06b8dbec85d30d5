"""`mailtui watch` hears every subscribed folder, and `--notify` runs new_mail_command
(issue 19 items 4 and 5), against the real Dovecot with another client delivering.

The command is a small script that appends its MAILTUI_* environment to a file the
test reads: the fields arrive cleaned of control characters, whatever the subject.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from mailtui.model import SEEN
from tests.support import mailgen
from tests.support.accounts import private_env, wait_until, write_config
from tests.support.dovecot import Dovecot

HOSTILE = "Pay \x1b]0;pwned\x07 now \x1b\\ \x9d52;c;AAAA\x07 done"

RECORDER = """\
import json, os, sys
fields = {k: v for k, v in os.environ.items() if k.startswith("MAILTUI_")}
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(fields) + "\\n")
"""


def _config(tmp_path: Path, dovecot: Dovecot, user, extra: str) -> dict[str, str]:
    path = write_config(tmp_path / "config.toml", dovecot, user)
    text = path.read_text().replace("\n[accounts.test.imap]", f"{extra}\n[accounts.test.imap]")
    path.write_text(text)
    return private_env(tmp_path, path)


class Lines:
    """A subprocess's stdout lines, read on a thread (waits have deadlines)."""

    def __init__(self, proc: subprocess.Popen[str], *, stderr: bool = False) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        stream = proc.stderr if stderr else proc.stdout
        assert stream is not None
        threading.Thread(target=lambda: [self.lines.put(x) for x in stream], daemon=True).start()

    def wait_for(self, needle: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} in {timeout}s: {self.seen[-10:]}")


def test_watch_reports_every_subscribed_folder_and_runs_new_mail_command(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(2, seed=1))
    mailgen.write_maildir(user.maildir, "Work", mailgen.generate(2, seed=2))
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / "notified.jsonl"
    env = _config(
        tmp_path,
        dovecot,
        user,
        f'notify = ["command"]\nnew_mail_command = "{sys.executable} {script} {out}"\n'
        'notify_folders = { "*" = true, Junk = false }\n',
    )
    subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, check=True, capture_output=True
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtui", "watch", "--notify"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    other = dovecot.client(user)
    try:
        lines = Lines(proc)
        lines.wait_for("connection online")
        # Into a folder that is not INBOX and not watched by name.
        message = mailgen.make_message(subject=HOSTILE, sender="Mallory <m@example.test>")
        (uid,) = mailgen.append_imap(other, "Work", [mailgen.from_bytes(message)])
        line = lines.wait_for(f"new Work uid={uid}")
        assert "\x1b" not in line and "\x07" not in line
        wait_until(lambda: out.exists() and out.read_text().strip(), what="the command ran")
        (fields,) = [json.loads(x) for x in out.read_text().splitlines()]
        assert fields["MAILTUI_FOLDER"] == "Work"
        assert fields["MAILTUI_ACCOUNT"] == "test"
        assert fields["MAILTUI_COUNT"] == "1"
        assert "Mallory" in fields["MAILTUI_FROM"]
        subject = fields["MAILTUI_SUBJECT"]
        assert "pwned" in subject and "done" in subject
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in subject), subject
        # Junk is switched off: its new mail is reported but not announced.
        (junk_uid,) = mailgen.append_imap(other, "Junk", mailgen.generate(1, seed=9))
        lines.wait_for(f"new Junk uid={junk_uid}")
        # Mail already read elsewhere is reported but is no news.
        read = mailgen.from_bytes(mailgen.make_message(subject="old news"), flags=frozenset({SEEN}))
        (read_uid,) = mailgen.append_imap(other, "INBOX", [read])
        lines.wait_for(f"new INBOX uid={read_uid}")
        fresh = mailgen.from_bytes(mailgen.make_message(subject="fresh"))
        (inbox_uid,) = mailgen.append_imap(other, "INBOX", [fresh])
        lines.wait_for(f"new INBOX uid={inbox_uid}")
        wait_until(lambda: len(out.read_text().splitlines()) == 2, what="INBOX's command")
        announced = [json.loads(x) for x in out.read_text().splitlines()]
        assert [(a["MAILTUI_FOLDER"], a["MAILTUI_SUBJECT"]) for a in announced][1] == (
            "INBOX",
            "fresh",
        )
    finally:
        other.logout()
        proc.terminate()
        proc.wait(timeout=10)


def test_watch_notify_on_a_terminal_keeps_a_hostile_subject_inside_its_osc(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """The bytes that reach the terminal (a pty), not what the code meant to write."""
    import os
    import pty
    import re

    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(2, seed=1))
    env = _config(tmp_path, dovecot, user, 'notify = ["osc9", "osc777", "bell"]\n')
    subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, check=True, capture_output=True
    )
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtui", "watch", "--notify"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    received = bytearray()
    lock = threading.Lock()

    def pump() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            with lock:
                received.extend(chunk)

    threading.Thread(target=pump, daemon=True).start()

    def seen() -> bytes:
        with lock:
            return bytes(received)

    other = dovecot.client(user)
    try:
        wait_until(lambda: b"connection online" in seen(), timeout=30, what="online")
        message = mailgen.make_message(subject=HOSTILE, sender="Mallory <m@example.test>")
        (uid,) = mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(message)])
        wait_until(lambda: f"uid={uid}".encode() in seen(), what="the event line")
        wait_until(lambda: b"\x1b]777;" in seen(), what="the OSC 777 on the terminal")
        out = seen()
        osc9 = re.search(rb"\x1b\]9;([^\x07]*)\x07", out)
        osc777 = re.search(rb"\x1b\]777;notify;([^\x07]*)\x07", out)
        assert osc9 and osc777, out
        for body in (osc9.group(1), osc777.group(1)):
            text = body.decode("utf-8")
            assert "pwned" in text and "done" in text, text  # all of it inside
            assert not re.search(r"[\x00-\x1f\x7f-\x9f]", text), text
        # ESC appears only as the two introducers; BEL as two terminators and the bell.
        assert out.count(b"\x1b") == 2 and out.count(b"\x07") == 3, out
    finally:
        other.logout()
        proc.terminate()
        proc.wait(timeout=10)
        os.close(master)


def test_watch_notify_without_a_notify_key_says_so(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    env = _config(tmp_path, dovecot, user, "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtui", "watch", "--notify"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = Lines(proc, stderr=True).wait_for("--notify")
        assert "no notify key" in line and "notify = [" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
