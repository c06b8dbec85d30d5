"""usecase/message_io: pipe (stdin only, capped, timed out), .eml never overwritten,
mboxrd quoting, header fields decoded and cleaned."""

from __future__ import annotations

import mailbox
import os
import time
from pathlib import Path

import pytest

from mailtui.usecase import message_io
from mailtui.usecase.message_io import ExportError

RAW = (
    b"From: =?utf-8?q?Am=C3=A9lie?= <amelie@example.com>\r\n"
    b"To: you@example.com\r\n"
    b"Subject: $(touch /tmp/owned) `id` ; rm -rf x\r\n"
    b"X-Evil: \x1b[31mred\x1b[0m\r\n"
    b"Received: from a\r\n\tby b\r\n"
    b"\r\n"
    b"From the start of a line\r\n>From quoted\r\nbody\r\n"
)


def test_pipe_gets_the_message_on_stdin_only(tmp_path: Path) -> None:
    marker = tmp_path / "owned"
    result = message_io.pipe(RAW.replace(b"/tmp/owned", str(marker).encode()), "grep -c From")
    assert result.status == 0
    assert result.output.strip() == "3"
    assert not marker.exists()  # the subject's $(…) never reached a shell


def test_pipe_reports_status_caps_output_and_stops_at_the_timeout() -> None:
    assert message_io.pipe(b"x", "exit 3").status == 3
    assert "nope" in message_io.pipe(b"", "echo nope >&2").output
    flood = message_io.pipe(b"", "yes", limit=10_000)
    assert flood.cut and flood.status is None and len(flood.output) == 10_000
    start = time.monotonic()
    slow = message_io.pipe(b"", "sleep 30", timeout=0.5)
    assert slow.timed_out and time.monotonic() - start < 10
    # A command that reads nothing of a big message still ends cleanly.
    assert message_io.pipe(b"a\n" * 1_000_000, "true").status == 0
    with pytest.raises(ExportError):
        message_io.pipe(b"", "  ")


def test_save_eml_never_overwrites_and_names_after_the_subject(tmp_path: Path) -> None:
    saved = message_io.save_eml(RAW, tmp_path, "Re: ../../etc/passwd")
    assert saved.parent == tmp_path and saved.name.endswith(".eml") and "/" not in saved.name
    assert saved.read_bytes() == RAW
    assert os.stat(saved).st_mode & 0o077 == 0
    with pytest.raises(ExportError, match="exists already"):
        message_io.save_eml(b"other", saved)
    assert saved.read_bytes() == RAW


def test_mbox_append_quotes_from_lines(tmp_path: Path) -> None:
    box = tmp_path / "saved.mbox"
    message_io.append_mbox([RAW], box)
    message_io.append_mbox([RAW, RAW], box)
    assert os.stat(box).st_mode & 0o077 == 0
    messages = list(mailbox.mbox(str(box)))
    assert len(messages) == 3
    body = messages[0].get_payload()
    assert "From the start" in body and ">From quoted" in body
    raw = box.read_bytes()
    assert b"\n>From the start" in raw and b"\n>>From quoted" in raw


def test_header_fields_unfold_decode_and_clean() -> None:
    block = RAW.split(b"\r\n\r\n")[0] + b"\r\n"
    fields = dict(message_io.header_fields(block))
    assert fields["From"] == "Amélie <amelie@example.com>"
    assert fields["Received"] == "from a by b"
    assert "\x1b" not in fields["X-Evil"]
    many = b"".join(b"X-%d: v\r\n" % i for i in range(5000))
    assert len(message_io.header_fields(many, limit=100)) == 100
