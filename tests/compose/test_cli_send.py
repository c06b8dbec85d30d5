"""`mailtui send` reads a whole message from stdin and delivers it like the app does."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from email.policy import default
from pathlib import Path

from mailtui.model import SEEN
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser


def _config(path: Path, dovecot: Dovecot, user: MailUser, smtp: dict) -> Path:
    lines = [
        "[accounts.me]",
        f'email = "{user.name}@example.test"',
        'name = "Test Person"',
        "",
        "[accounts.me.imap]",
        f'host = "{dovecot.host}"',
        f"port = {dovecot.imap_port}",
        'security = "starttls"',
        f'username = "{user.name}"',
        f'password_command = "printf %s {user.password}"',
        f'ca_file = "{dovecot.ca_file}"',
        "",
        "[accounts.me.smtp]",
    ]
    for key, value in smtp.items():
        lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(env: dict[str, str], stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_send_from_stdin_delivers_and_files_a_sent_copy(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, tmp_path: Path
) -> None:
    smtp = smtp_server(mode="plain")
    config = _config(tmp_path / "config.toml", dovecot, mail_user, smtp.table())
    env = dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(tmp_path / "d"),
    )
    message = (
        "To: Zoë <zoe@example.test>\nBcc: hidden@example.test\nSubject: Grüße per CLI\n\nHallo!\n"
    ).encode()
    out = _run(env, message, "send")
    assert out.returncode == 0, out.stderr.decode()
    (got,) = smtp.messages
    assert set(got.rcpt_tos) == {"zoe@example.test", "hidden@example.test"}
    parsed = email.message_from_bytes(got.content, policy=default)
    assert parsed["Subject"] == "Grüße per CLI" and "Bcc" not in parsed
    assert parsed["Message-ID"] and parsed["Date"]
    client = dovecot.client(mail_user)
    sent = server_flags(client, "Sent")
    assert len(sent) == 1 and SEEN in next(iter(sent.values()))
    client.logout()


def test_send_with_smtp_down_keeps_it_in_the_outbox(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, tmp_path: Path
) -> None:
    smtp = smtp_server(mode="plain", start=False)
    config = _config(tmp_path / "config.toml", dovecot, mail_user, smtp.table())
    env = dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(tmp_path / "d"),
    )
    out = _run(env, b"To: a@example.test\nSubject: later\n\nbody\n", "send")
    assert out.returncode == 75, out.stderr.decode()
    assert b"later" in _run(env, b"", "outbox").stdout
    smtp.start()
    retried = _run(env, b"", "outbox", "--retry")
    assert retried.returncode == 0, retried.stderr.decode()
    assert len(smtp.messages) == 1
    assert _run(env, b"", "outbox").stdout.strip() == b""
