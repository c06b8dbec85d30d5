"""Telling the user about new mail: terminal bell, OSC 9 / OSC 777, a command of theirs.

Shared by the TUI and `mailtui watch --notify` (issue 19 item 5): both subscribe a
listener to the service's new-mail events and call `notify()`; this module holds no
state. The sender, subject and folder name came from a stranger, and they travel
inside terminal control sequences and into another program's environment:

- OSC text is cleaned with `safe.clean_line` (ESC, BEL and C0 become visible
  stand-ins, C1 — U+009C is ST, U+009D is OSC on 8-bit terminals — becomes U+FFFD,
  bidi controls go) and capped, so no subject can end the sequence and start its own
  (set the title, write the clipboard with OSC 52, plant a link). The OSC 9 text always
  starts with "New mail", so a subject like "4;3;100" cannot become a ConEmu/Windows
  Terminal sub-command (OSC 9;4 is a progress bar), and the OSC 777 title carries no ';'
  (its field separator).
- `new_mail_command` is split with shlex into argv and run without a shell; the
  message's fields reach it only as environment variables MAILTUI_ACCOUNT, _FOLDER,
  _FROM, _SUBJECT, _COUNT (cleaned, capped). It runs in a session of its own with
  stdin/stdout/stderr closed, on a thread, and its whole process group is killed at
  the timeout: a hung script never blocks mail.

`should_notify` is the pure decision: the per-folder switch and quiet hours
("22:00-07:00" crosses midnight).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING

from mailtui.sync import events
from mailtui.text.safe import clean_line

if TYPE_CHECKING:
    from mailtui.config.model import AccountSettings
    from mailtui.sync.service import SyncService

__all__ = [
    "CommandHandle",
    "NewMail",
    "Notifier",
    "NotifySettings",
    "in_quiet_hours",
    "new_mail_env",
    "notify",
    "osc9",
    "osc777",
    "parse_quiet_hours",
    "run_new_mail_command",
    "settings_for",
    "should_notify",
    "terminal_bytes",
]

MAX_OSC_TEXT = 200
"""Characters of notification text: a desktop toast shows a line or two."""
MAX_ENV_VALUE = 1000
METHODS = frozenset({"bell", "osc9", "osc777", "command"})
BEL = b"\x07"


@dataclass(frozen=True)
class NewMail:
    """One new-mail notice: `count` new messages in `folder`, the newest from `sender`."""

    account: str
    folder: str
    sender: str = ""
    subject: str = ""
    count: int = 1


@dataclass(frozen=True)
class NotifySettings:
    """How to notify; the config (`notify = [...]`, `new_mail_command`, `quiet_hours`,
    per-folder switches) maps onto this."""

    methods: frozenset[str] = frozenset({"bell"})
    command: str = ""
    """new_mail_command: split with shlex, run without a shell."""
    quiet_hours: str = ""
    """"HH:MM-HH:MM" in local time, may cross midnight; "" for none."""
    folders: Mapping[str, bool] = field(default_factory=dict)
    """Per-folder switches (folder name → on/off); folders not named use `default`."""
    default: bool = True
    timeout: float = 10.0
    """Seconds new_mail_command may run before its process group is killed."""


# --------------------------------------------------------------------------- deciding


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """("22:00-07:00") → (22:00, 07:00); "" → None; ValueError naming the mistake."""
    text = text.strip()
    if not text:
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f'quiet hours {text!r} should look like "22:00-07:00"')
    return _clock(start), _clock(end)


def _clock(text: str) -> time:
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"{text.strip()!r} is not a time like 07:30")
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time.max  # "…-24:00": to the end of the day
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"{text.strip()!r} is not a time of day")
    return time(h, m)


def in_quiet_hours(window: tuple[time, time] | None, now: time) -> bool:
    """True inside [start, end): the start minute is quiet, the end minute is not.

    A window that crosses midnight (start after end) is quiet from start to 24:00 and
    from 00:00 to end; start == end is no window at all."""
    if window is None:
        return False
    start, end = window
    now = now.replace(second=0, microsecond=0, tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def should_notify(settings: NotifySettings, folder: str, now: datetime) -> bool:
    """Whether new mail in `folder` at local time `now` is announced at all."""
    if not settings.methods & METHODS:
        return False
    if not settings.folders.get(folder, settings.default):
        return False
    return not in_quiet_hours(parse_quiet_hours(settings.quiet_hours), now.time())


# --------------------------------------------------------------------------- terminal


def _osc_text(text: str, limit: int = MAX_OSC_TEXT) -> str:
    """Text safe inside an OSC string: no C0/C1/DEL at all, capped."""
    cleaned = clean_line(text[: limit * 4])
    return cleaned[:limit]


def _summary(notice: NewMail) -> tuple[str, str]:
    """(title, body) of a notice, before cleaning."""
    title = (
        f"New mail in {notice.folder}"
        if notice.count == 1
        else (f"{notice.count} new messages in {notice.folder}")
    )
    body = f"{notice.sender}: {notice.subject}" if notice.sender else notice.subject
    return title, body


def osc9(notice: NewMail) -> bytes:
    """OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal, …): ESC ] 9 ; text BEL."""
    title, body = _summary(notice)
    text = _osc_text(f"New mail: {body}" if notice.count == 1 else f"{title}: {body}")
    return b"\x1b]9;" + text.encode("utf-8") + BEL


def osc777(notice: NewMail) -> bytes:
    """OSC 777 (urxvt, foot, Ghostty, WezTerm, VTE): ESC ] 777 ; notify ; title ; body BEL."""
    title, body = _summary(notice)
    safe_title = _osc_text(title, 80).replace(";", ",")
    return b"\x1b]777;notify;" + f"{safe_title};{_osc_text(body)}".encode() + BEL


def terminal_bytes(notice: NewMail, methods: frozenset[str] | set[str]) -> bytes:
    """The bytes to write to the terminal for `methods` (bell, osc9, osc777)."""
    out = b""
    if "osc9" in methods:
        out += osc9(notice)
    if "osc777" in methods:
        out += osc777(notice)
    if "bell" in methods:
        out += BEL
    return out


# --------------------------------------------------------------------------- command


def new_mail_env(notice: NewMail, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The command's environment: `base` (os.environ) plus the MAILTUI_* fields."""
    env = dict(os.environ if base is None else base)
    fields = {
        "MAILTUI_ACCOUNT": notice.account,
        "MAILTUI_FOLDER": notice.folder,
        "MAILTUI_FROM": notice.sender,
        "MAILTUI_SUBJECT": notice.subject,
        "MAILTUI_COUNT": str(max(0, int(notice.count))),
    }
    for name, value in fields.items():
        env[name] = clean_line(value[: MAX_ENV_VALUE * 4])[:MAX_ENV_VALUE]
    return env


@dataclass
class CommandHandle:
    """A running new_mail_command; `wait()` for tests and shutdown, never needed."""

    argv: list[str]
    done: threading.Event = field(default_factory=threading.Event)
    returncode: int | None = None
    timed_out: bool = False
    error: str = ""

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


def run_new_mail_command(
    command: str | Sequence[str], notice: NewMail, *, timeout: float = 10.0
) -> CommandHandle:
    """Start new_mail_command for `notice` and return at once (see the module docstring).

    Raises ValueError when `command` cannot be split into words or is empty."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise ValueError("new_mail_command names no program")
    handle = CommandHandle(argv=argv)
    env = new_mail_env(notice)
    thread = threading.Thread(
        target=_run, args=(handle, env, timeout), name="mailtui-new-mail-command", daemon=True
    )
    thread.start()
    return handle


def _run(handle: CommandHandle, env: dict[str, str], timeout: float) -> None:
    try:
        proc = subprocess.Popen(
            handle.argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: killed whole, away from our terminal
        )
    except OSError as exc:
        handle.error = clean_line(f"Cannot run {handle.argv[0]}: {exc.strerror or exc}")
        handle.done.set()
        return
    try:
        handle.returncode = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        handle.timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        handle.returncode = proc.wait()
    finally:
        handle.done.set()


# --------------------------------------------------------------------------- together


def notify(
    settings: NotifySettings,
    notice: NewMail,
    now: datetime,
    write: Callable[[bytes], object],
) -> CommandHandle | None:
    """Announce `notice` as `settings` say, unless `should_notify` says no.

    `write` puts bytes on the terminal (the TUI's driver, or stdout for `mailtui
    watch`). Returns the command's handle when new_mail_command was started."""
    if not should_notify(settings, notice.folder, now):
        return None
    data = terminal_bytes(notice, settings.methods)
    if data:
        write(data)
    if "command" in settings.methods and settings.command.strip():
        return run_new_mail_command(settings.command, notice, timeout=settings.timeout)
    return None


# --------------------------------------------------------------------------- listening


def settings_for(account: AccountSettings) -> NotifySettings:
    """An account's `notify`, `new_mail_command`, `quiet_hours`, `notify_folders`."""
    folders = dict(account.notify_folders)
    default = folders.pop("*", False)
    if "*" not in account.notify_folders:
        folders.setdefault("INBOX", True)  # unset: INBOX only
    return NotifySettings(
        methods=frozenset(account.notify),
        command=account.new_mail_command,
        quiet_hours=account.quiet_hours,
        folders=folders,
        default=default,
    )


class Notifier:
    """A service listener: announces `NewMail` events as the account's settings say.

    Subscribed by the TUI (ui/app.py) and by `mailtui watch --notify`, so both behave
    the same. It runs in the service's threads: `write` must be safe to call from
    them (the TUI hands the bytes to its event loop; the CLI writes stdout). A UID is
    announced once, however many syncs report it; mail already \\Seen is not announced."""

    def __init__(
        self,
        service: SyncService,
        settings: NotifySettings,
        write: Callable[[bytes], object],
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.service = service
        self.settings = settings
        self.write = write
        self.clock = clock
        self.handles: list[CommandHandle] = []
        self._announced: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, event: events.Event) -> None:
        if not isinstance(event, events.NewMail) or not event.uids:
            return
        with self._lock:
            top = self._announced.get(event.folder, 0)
            fresh = sorted(u for u in event.uids if u > top)
            if not fresh:
                return
            self._announced[event.folder] = fresh[-1]
        if not should_notify(self.settings, event.folder, self.clock()):
            return
        # Mail already read (on another device, or our own copy in Sent) is no news.
        envelopes = self.service.envelopes(event.folder, fresh)
        unread = [envelopes[u] for u in fresh if u in envelopes and not envelopes[u].seen]
        if not unread:
            return
        newest = unread[-1]
        notice = NewMail(
            account=event.account,
            folder=event.folder,
            sender=newest.sender,
            subject=newest.subject,
            count=len(unread),
        )
        try:
            handle = notify(self.settings, notice, self.clock(), self.write)
        except ValueError:
            return  # a command that cannot be split: the config check refuses it first
        if handle is not None:
            self.handles = [h for h in self.handles if not h.done.is_set()] + [handle]
