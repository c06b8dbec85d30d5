"""New-mail notifications (mailtui.usecase.notify): the exact terminal bytes for hostile
subjects, the new_mail_command hook run for real, and quiet hours at their edges."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time as clock
from datetime import datetime, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailtui.usecase.notify import (
    MAX_OSC_TEXT,
    NewMail,
    NotifySettings,
    in_quiet_hours,
    new_mail_env,
    notify,
    osc9,
    osc777,
    parse_quiet_hours,
    run_new_mail_command,
    should_notify,
    terminal_bytes,
)

HOSTILE = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]0;title\x1b\\\x9d8;;https://evil.example\x9c\u202eexe.txt"
MAIL = NewMail("work", "INBOX", "Mallory <m@evil.example>", HOSTILE, 1)


# --------------------------------------------------------------------------- bytes


def test_osc9_bytes_for_a_hostile_subject() -> None:
    assert osc9(MAIL) == (
        b"\x1b]9;New mail: Mallory <m@evil.example>: "
        + "␛]52;c;cm0gLXJmIH4=␇␛]0;title␛\\\ufffd8;;https://evil.example\ufffdexe.txt".encode()
        + b"\x07"
    )


def test_osc777_bytes_and_its_separator() -> None:
    notice = NewMail("work", "Lists;evil", "\x1b[31mEve", "a;b\x07c", 3)
    assert osc777(notice) == (
        b"\x1b]777;notify;3 new messages in Lists,evil;" + "␛[31mEve: a;b␇c".encode() + b"\x07"
    )


def test_a_subject_cannot_become_an_osc9_subcommand() -> None:
    """ConEmu/Windows Terminal read "OSC 9;4;…" as a progress bar: the text never starts
    with the subject."""
    notice = NewMail("work", "INBOX", "", "4;3;100", 1)
    assert osc9(notice) == b"\x1b]9;New mail: 4;3;100\x07"


def test_bell_and_order() -> None:
    notice = NewMail("work", "INBOX", "Amy", "Hi", 1)
    assert terminal_bytes(notice, {"bell"}) == b"\x07"
    assert terminal_bytes(notice, set()) == b""
    assert terminal_bytes(notice, {"osc9", "osc777", "bell"}) == (
        b"\x1b]9;New mail: Amy: Hi\x07\x1b]777;notify;New mail in INBOX;Amy: Hi\x07\x07"
    )


@given(st.text(), st.text(), st.text(), st.integers(0, 10**6))
def test_no_field_can_end_or_inject_a_sequence(
    folder: str, sender: str, subject: str, n: int
) -> None:
    notice = NewMail("acct", folder, sender, subject, n)
    for data, prefix in ((osc9(notice), b"\x1b]9;"), (osc777(notice), b"\x1b]777;notify;")):
        assert data.startswith(prefix) and data.endswith(b"\x07")
        text = data[len(prefix) : -1].decode("utf-8")
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)
    # The title carries no ";" of its own: the first one ends it, whatever the folder.
    title = osc777(notice)[len(b"\x1b]777;notify;") : -1].decode().split(";", 1)[0]
    assert title.startswith(("New mail in", f"{n} new messages in"))


def test_text_is_capped() -> None:
    notice = NewMail("acct", "INBOX", "s" * 10_000, "x" * 1_000_000, 1)
    assert len(osc9(notice)) <= len("\x1b]9;\x07") + MAX_OSC_TEXT * 4
    text = osc777(notice).decode()
    assert len(text) < 2 * MAX_OSC_TEXT + 40


# --------------------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("window", "now", "quiet"),
    [
        ("22:00-07:00", time(21, 59), False),
        ("22:00-07:00", time(22, 0), True),
        ("22:00-07:00", time(23, 59, 59), True),
        ("22:00-07:00", time(0, 0), True),
        ("22:00-07:00", time(6, 59, 59), True),
        ("22:00-07:00", time(7, 0), False),
        ("22:00-07:00", time(12, 0), False),
        ("09:00-17:30", time(8, 59), False),
        ("09:00-17:30", time(9, 0), True),
        ("09:00-17:30", time(17, 29), True),
        ("09:00-17:30", time(17, 30), False),
        ("00:00-24:00", time(0, 0), True),
        ("00:00-24:00", time(23, 59, 59), True),
        ("20:00-24:00", time(19, 59), False),
        ("20:00-24:00", time(23, 59), True),
        ("08:00-08:00", time(8, 0), False),  # empty window
        ("", time(3, 0), False),
        (" 7:05 - 7:10 ", time(7, 7), True),
    ],
)
def test_quiet_hours_edges(window: str, now: time, quiet: bool) -> None:
    assert in_quiet_hours(parse_quiet_hours(window), now) is quiet


@pytest.mark.parametrize(
    "bad", ["22:00", "25:00-07:00", "22-07", "10:60-11:00", "ab:cd-07:00", "9:5-10:00"]
)
def test_bad_quiet_hours_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_quiet_hours(bad)


def test_should_notify_per_folder_and_quiet_hours() -> None:
    night = datetime(2027, 1, 1, 23, 30)
    day = datetime(2027, 1, 1, 12, 0)
    settings = NotifySettings(
        methods=frozenset({"bell"}),
        quiet_hours="22:00-07:00",
        folders={"Lists/noise": False, "Boss": True},
        default=True,
    )
    assert should_notify(settings, "INBOX", day)
    assert not should_notify(settings, "INBOX", night)
    assert not should_notify(settings, "Lists/noise", day)
    only_named = NotifySettings(folders={"Boss": True}, default=False)
    assert should_notify(only_named, "Boss", day)
    assert not should_notify(only_named, "INBOX", day)
    assert not should_notify(NotifySettings(methods=frozenset()), "INBOX", day)


# --------------------------------------------------------------------------- command


DUMP = """\
import json, os, sys, time
out, flag = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
deadline = time.monotonic() + 30
while flag and not os.path.exists(flag) and time.monotonic() < deadline:
    time.sleep(0.01)
env = {k: v for k, v in os.environ.items() if k.startswith("MAILTUI_")}
with open(out + ".tmp", "w") as f:
    json.dump({"env": env, "argv": sys.argv[1:], "pgid": os.getpgid(0), "pid": os.getpid()}, f)
os.replace(out + ".tmp", out)
"""


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hook dir" / "dump.py"  # a space in the path: argv, not a shell
    path.parent.mkdir(exist_ok=True)
    path.write_text(body)
    return path


def test_command_gets_the_fields_in_its_environment(tmp_path: Path) -> None:
    script = _script(tmp_path, DUMP)
    out = tmp_path / "env.json"
    notice = NewMail(
        "work", "INBOX/$(touch pwned)", "Eve `id` <e@evil.example>", "x; rm -rf ~\n\x1b[2J\x00", 7
    )
    command = shlex.join([sys.executable, str(script), str(out)])
    handle = run_new_mail_command(command, notice, timeout=30)
    assert handle.wait(30)
    assert handle.returncode == 0 and not handle.timed_out and not handle.error
    got = json.loads(out.read_text())
    assert got["env"] == {
        "MAILTUI_ACCOUNT": "work",
        "MAILTUI_FOLDER": "INBOX/$(touch pwned)",
        "MAILTUI_FROM": "Eve `id` <e@evil.example>",
        "MAILTUI_SUBJECT": "x; rm -rf ~ ␛[2J␀",
        "MAILTUI_COUNT": "7",
    }
    assert got["argv"] == [str(out)]
    assert got["pgid"] == got["pid"] != os.getpgid(0)  # its own process group
    assert not list(tmp_path.rglob("pwned"))


def test_the_caller_is_not_blocked(tmp_path: Path) -> None:
    script = _script(tmp_path, DUMP)
    out, flag = tmp_path / "env.json", tmp_path / "go"
    handle = run_new_mail_command(
        [sys.executable, str(script), str(out), str(flag)], NewMail("a", "INBOX"), timeout=60
    )
    # Returned while the command still waits for the flag only this test can create.
    assert not handle.done.is_set()
    flag.touch()
    assert handle.wait(30) and handle.returncode == 0 and out.exists()


HANG = """\
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open(sys.argv[1], "w") as f:
    f.write(f"{os.getpid()} {child.pid}")
time.sleep(300)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def test_a_hanging_command_is_killed_with_its_children(tmp_path: Path) -> None:
    script = _script(tmp_path, HANG)
    pids = tmp_path / "pids"
    handle = run_new_mail_command(
        [sys.executable, str(script), str(pids)], NewMail("a", "INBOX"), timeout=8
    )
    assert handle.wait(30) and handle.timed_out
    deadline = clock.monotonic() + 10
    while not pids.exists() and clock.monotonic() < deadline:
        clock.sleep(0.01)
    parent, child = (int(p) for p in pids.read_text().split())
    deadline = clock.monotonic() + 10
    while not (_gone(parent) and _gone(child)) and clock.monotonic() < deadline:
        clock.sleep(0.01)
    assert _gone(parent) and _gone(child)


def test_a_missing_program_is_reported_not_raised() -> None:
    handle = run_new_mail_command("/nonexistent/notify-me --now", NewMail("a", "INBOX"))
    assert handle.wait(10)
    assert handle.error.startswith("Cannot run /nonexistent/notify-me")
    with pytest.raises(ValueError):
        run_new_mail_command("   ", NewMail("a", "INBOX"))
    with pytest.raises(ValueError):
        run_new_mail_command("notify 'unterminated", NewMail("a", "INBOX"))


def test_env_values_are_capped_and_keep_the_rest_of_the_environment() -> None:
    env = new_mail_env(NewMail("a", "INBOX", "s", "x" * 100_000, -3), {"PATH": "/bin"})
    assert env["PATH"] == "/bin"
    assert len(env["MAILTUI_SUBJECT"]) == 1000
    assert env["MAILTUI_COUNT"] == "0"


def test_notify_writes_and_runs_as_settings_say(tmp_path: Path) -> None:
    script = _script(tmp_path, DUMP)
    out = tmp_path / "env.json"
    written: list[bytes] = []
    settings = NotifySettings(
        methods=frozenset({"bell", "osc9", "command"}),
        command=shlex.join([sys.executable, str(script), str(out)]),
        quiet_hours="22:00-07:00",
    )
    notice = NewMail("work", "INBOX", "Amy", "Lunch?", 1)
    assert notify(settings, notice, datetime(2027, 1, 1, 23, 0), written.append) is None
    assert written == [] and not out.exists()
    handle = notify(settings, notice, datetime(2027, 1, 1, 12, 0), written.append)
    assert written == [b"\x1b]9;New mail: Amy: Lunch?\x07\x07"]
    assert handle is not None and handle.wait(30) and handle.returncode == 0
    assert json.loads(out.read_text())["env"]["MAILTUI_SUBJECT"] == "Lunch?"
