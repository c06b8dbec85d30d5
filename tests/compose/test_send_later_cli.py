"""`mailtui outbox` lists when each message goes; `mailtui outbox --retry` (the cron
line) sends a message held until later only once its time has come."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mailtui.compose.build import build_message, message_bytes
from mailtui.compose.draft import Draft
from mailtui.compose.outbox import Outbox
from mailtui.config.load import load_settings
from mailtui.model import Address
from tests.compose.test_cli_send import _config, _run
from tests.support.dovecot import Dovecot, MailUser


def test_outbox_lists_due_times_and_retry_sends_only_what_is_due(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, tmp_path: Path, private_data_dir: Path
) -> None:
    smtp = smtp_server(mode="plain")
    config = _config(tmp_path / "config.toml", dovecot, mail_user, smtp.table())
    data = private_data_dir  # the outbox this test writes and the command reads
    env = dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(data),
    )
    account = load_settings(config).account()
    box = Outbox.for_account("me")

    def queue(subject: str, not_before: float) -> None:
        draft = Draft(
            from_=account.address,
            to=(Address("", "zoe@example.test"),),
            subject=subject,
            body="Hi\n",
        )
        raw = message_bytes(build_message(draft, account))
        box.enqueue(raw, not_before=not_before, scheduled=True)

    later = time.time() + 3 * 3600
    soon = time.time() + 20
    queue("Much later", later)
    queue("Soon", soon)
    listed = _run(env, b"", "outbox")
    assert listed.returncode == 0, listed.stderr.decode()
    lines = listed.stdout.decode().splitlines()
    assert len(lines) == 2
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(later)) in lines[0]
    assert "Much later" in lines[0]
    assert time.strftime("%Y-%m-%d %H:%M", time.localtime(soon)) in lines[1]

    # Before its time --retry sends nothing (and says nothing: a quiet cron line).
    early = _run(env, b"", "outbox", "--retry")
    assert early.returncode == 0, early.stderr.decode()
    assert time.time() < soon  # (the check above ran before the message was due)
    assert early.stderr == b"" and smtp.messages == []

    # Once due, the same command sends it, and only it.
    deadline = time.monotonic() + 60
    while not smtp.messages:
        assert time.monotonic() < deadline, "the due message was never sent"
        out = _run(env, b"", "outbox", "--retry")
        assert out.returncode == 0, out.stderr.decode()
    assert time.time() >= soon
    (got,) = smtp.messages
    assert b"Subject: Soon" in got.content
    remaining = _run(env, b"", "outbox").stdout.decode().splitlines()
    assert len(remaining) == 1 and "Much later" in remaining[0]
