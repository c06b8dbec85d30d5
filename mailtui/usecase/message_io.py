"""A message out of mailtui: piped to a command, saved as .eml or appended to an mbox,
its raw source, every header. Shared by the TUI (`|`, `S`, ctrl+u, `h`, `:pipe`…)
and the CLI; blocking (the TUI calls it from a worker thread).

The command of a pipe is the user's own shell text, run by `sh -c`; the message only
ever goes to its stdin, never into the command line, so nothing in a stranger's mail
becomes shell code. Its output is capped and returned as text: the faces clean it
(text/safe.py) before showing it, as any untrusted text.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.fileio import atomic_write
from mailtui.mime.parse import parse_message
from mailtui.sync import commands
from mailtui.text.encoded_words import decode_header
from mailtui.text.safe import clean_line, safe_filename
from mailtui.usecase.reading import quoted_body

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

MAX_OUTPUT = 1 << 20  # bytes of a command's output kept
PIPE_TIMEOUT = 120.0  # seconds a piped command may run
MAX_HEADERS = 1000  # header fields shown by `h`
_FROM_LINE = re.compile(rb"^>*From ", re.MULTILINE)


class ExportError(MailtuiError):
    """A message could not be saved or piped; the sentence says why."""


def fetch_raw(service: SyncService, folder: str, uid: int) -> bytes:
    """The whole message as stored (BODY.PEEK[]: reading it marks nothing read)."""
    command = commands.FetchPart(folder=folder, uid=uid, section="", cache=False)
    return service.run(command, timeout=600)


def fetch_header(service: SyncService, folder: str, uid: int) -> bytes:
    """The message's header block, as stored."""
    command = commands.FetchPart(folder=folder, uid=uid, section="HEADER", cache=False)
    return service.run(command, timeout=120)


def header_fields(block: bytes, limit: int = MAX_HEADERS) -> list[tuple[str, str]]:
    """Every field of a header block, unfolded and decoded (RFC 5322 §2.2.3, RFC 2047),
    names and values cleaned; at most `limit` fields. Linear in the block."""
    fields: list[tuple[str, str]] = []
    text = block.decode("utf-8", "replace").replace("\r\n", "\n")
    name, value = "", []
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and name:
            value.append(line.strip())
            continue
        if name:
            fields.append((name, clean_line(decode_header(" ".join(value)))))
            if len(fields) >= limit:
                return fields
        key, sep, rest = line.partition(":")
        name, value = (clean_line(key.strip()), [rest.strip()]) if sep else ("", [])
    if name:
        fields.append((name, clean_line(decode_header(" ".join(value)))))
    return fields[:limit]


def decoded_text(raw: bytes, prefer: str = "plain") -> str:
    """The message's text as the reader shows it (the body part, decoded)."""
    return quoted_body(parse_message(raw), prefer)


# --- pipe -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipeResult:
    """What a piped command did: its exit status (None: killed), its output (capped)."""

    status: int | None
    output: str
    cut: bool = False  # the output was longer than MAX_OUTPUT
    timed_out: bool = False


def pipe(
    data: bytes, command: str, *, timeout: float = PIPE_TIMEOUT, limit: int = MAX_OUTPUT
) -> PipeResult:
    """Run `command` with `sh -c`, `data` on its stdin; stdout and stderr together."""
    if not command.strip():
        raise ExportError("No command to pipe to")
    return run_capture(["/bin/sh", "-c", command], data, timeout=timeout, limit=limit)


def run_capture(
    argv: list[str], data: bytes = b"", *, timeout: float = PIPE_TIMEOUT, limit: int = MAX_OUTPUT
) -> PipeResult:
    """Run `argv` (no shell) with `data` on its stdin; its output capped, its time limited
    (a mailcap copiousoutput viewer, a pipe's shell)."""
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a timeout kills its children too
        )
    except OSError as exc:
        raise ExportError(f"Cannot run {argv[0]!r}: {exc.strerror or exc}") from exc
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        try:
            proc.stdin.write(data)  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass  # the command did not read it all (grep -q, head): its business
        finally:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    deadline = time.monotonic() + timeout
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        _kill_group(proc)

    timer = threading.Timer(timeout, kill)
    timer.daemon = True
    timer.start()
    chunks: list[bytes] = []
    size, cut = 0, False
    try:
        while True:
            chunk = proc.stdout.read1(65536)
            if not chunk:
                break
            if size + len(chunk) > limit:
                chunks.append(chunk[: limit - size])
                cut = True
                _kill_group(proc)
                break
            chunks.append(chunk)
            size += len(chunk)
        status = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        status = proc.wait()
        timed_out.set()
    finally:
        timer.cancel()
        proc.stdout.close()
    writer.join(timeout=1)
    killed = cut or timed_out.is_set()
    return PipeResult(
        None if killed else status,
        b"".join(chunks).decode("utf-8", "replace"),
        cut,
        timed_out.is_set(),
    )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- save -----------------------------------------------------------------------------------


def default_name(subject: str) -> str:
    """A file name for a message: its subject made safe, .eml."""
    return safe_filename(f"{subject.strip() or 'message'}.eml", fallback="message.eml")


def save_eml(raw: bytes, path: Path, subject: str = "") -> Path:
    """Write the message to `path` (a directory: a file named after the subject in it),
    mode 0600, never over an existing file."""
    path = path.expanduser()
    if path.is_dir():
        path = path / default_name(subject)
    if path.exists():
        raise ExportError(f"{path} exists already; choose another name")
    if not path.parent.is_dir():
        raise ExportError(f"There is no folder {path.parent}")
    try:
        atomic_write(path, raw, mode=0o600)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    return path


def mbox_entry(raw: bytes, when: float | None = None) -> bytes:
    """One mboxrd entry (a "From " line, lines starting with >*From quoted by one more >),
    line ends LF, a blank line after it."""
    stamp = time.asctime(time.gmtime(when))
    body = raw.replace(b"\r\n", b"\n")
    body = _FROM_LINE.sub(lambda m: b">" + m.group(0), body)
    if not body.endswith(b"\n"):
        body += b"\n"
    return f"From MAILER-DAEMON {stamp}\n".encode() + body + b"\n"


def append_mbox(messages: list[bytes], path: Path) -> Path:
    """Append the messages to the mbox at `path` (made 0600 when new), under flock."""
    path = path.expanduser()
    if path.is_dir():
        raise ExportError(f"{path} is a folder; name an mbox file")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ExportError(f"Cannot open {path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = b"".join(mbox_entry(raw) for raw in messages)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    return path
