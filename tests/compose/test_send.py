"""SMTP submission (mailtui.compose.send) against real aiosmtpd servers on loopback."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import trustme

from mailtui.compose.build import build_message, message_bytes, strip_bcc
from mailtui.compose.draft import AttachmentData, Draft, Original, forward_draft
from mailtui.compose.send import (
    SmtpAuthFailed,
    SmtpInsecure,
    SmtpRejected,
    SmtpUnavailable,
    send_message,
)
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.errors import ConfigError
from mailtui.model import Address
from tests.support.dovecot import free_ports

ME = Address("Mé Myself", "me@example.test")
TO = Address("Zoë Adams", "zoe@example.test")
CC = Address("", "cc@example.test")
BCC = Address("Secret", "hidden@example.test")


def account(smtp: dict[str, Any] | None, **extra: Any) -> AccountSettings:
    table: dict[str, Any] = {
        "email": ME.addr,
        "name": ME.name,
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
    }
    if smtp is not None:
        table["smtp"] = smtp
    table.update(extra)
    return make_settings({"t": table}).account("t")


def message(**kw: Any) -> EmailMessage:
    draft = Draft(from_=ME, to=(TO,), cc=(CC,), bcc=(BCC,), subject="Grüße", body="Hallo\n")
    return build_message(Draft(**{**draft.__dict__, **kw}), account(None))


def parsed(content: bytes) -> EmailMessage:
    msg = email.message_from_bytes(content, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def test_plain_loopback_relay_gets_exactly_the_message(smtp_server: Any) -> None:
    server = smtp_server(mode="plain")
    files = (
        AttachmentData("photo.jpg", bytes(range(256)) * 40),
        AttachmentData("notes.txt", b"line\r\nbare lf\nno end"),
        AttachmentData("Ünïcödé näme.bin", b"\x00\xff" * 999),
    )
    msg = message(attachments=files)
    raw = message_bytes(msg)
    result = send_message(account(server.table()), msg)
    (got,) = server.messages
    assert got.mail_from == ME.addr
    assert got.rcpt_tos == (TO.addr, CC.addr, BCC.addr)
    assert result.recipients == (TO.addr, CC.addr, BCC.addr)
    assert result.refused == {}
    assert result.message_id == msg["Message-ID"].strip("<>")
    # Exactly the built bytes, minus the Bcc header (smtplib's dot-stuffing undone).
    assert got.content.replace(b"\r\n", b"\n") == strip_bcc(raw).replace(b"\r\n", b"\n")
    received = parsed(got.content)
    assert received["Bcc"] is None
    assert b"hidden@example.test" not in got.content
    assert str(received["To"]) == "Zoë Adams <zoe@example.test>"
    assert received["Subject"] == "Grüße"
    atts = list(received.iter_attachments())
    assert [a.get_filename() for a in atts] == [f.filename for f in files]
    assert [a.get_payload(decode=True) for a in atts] == [f.data for f in files]
    assert got.login is None and not got.tls


def test_starttls_with_password_login(smtp_server: Any, smtp_ca_file: Path) -> None:
    server = smtp_server(mode="starttls", users={"me": "s3cr3t pass"})
    acct = account(
        server.table(
            username="me", password_command="printf %s 's3cr3t pass'", ca_file=str(smtp_ca_file)
        )
    )
    send_message(acct, message())
    (got,) = server.messages
    assert got.tls and got.login == "me"


def test_implicit_tls(smtp_server: Any, smtp_ca_file: Path) -> None:
    server = smtp_server(mode="tls", users={"me": "pw"})
    acct = account(
        server.table(username="me", password_command="printf pw", ca_file=str(smtp_ca_file))
    )
    send_message(acct, message())
    (got,) = server.messages
    assert got.tls and got.login == "me"


def test_no_starttls_offered_is_refused_before_any_secret(
    smtp_server: Any, smtp_ca_file: Path, tmp_path: Path
) -> None:
    server = smtp_server(mode="plain", users={"me": "pw"})
    marker = tmp_path / "secret-was-read"
    acct = account(
        server.table(
            security="starttls",
            username="me",
            password_command=f"touch {marker}; printf pw",
            ca_file=str(smtp_ca_file),
        )
    )
    with pytest.raises(SmtpInsecure, match="does not offer STARTTLS") as info:
        send_message(acct, message())
    assert 'security = "tls"' in info.value.hint
    assert not info.value.transient
    assert server.messages == []
    assert server.handler.mechanisms_tried == []
    assert not marker.exists()


def test_untrusted_certificate_is_refused(smtp_server: Any, smtp_ca_file: Path) -> None:
    server = smtp_server(mode="starttls", cert_ca=trustme.CA(), users={"me": "pw"})
    acct = account(
        server.table(username="me", password_command="printf pw", ca_file=str(smtp_ca_file))
    )
    with pytest.raises(SmtpInsecure, match="could not be verified") as info:
        send_message(acct, message())
    assert "ca_file" in info.value.hint
    assert server.messages == []
    # Without ca_file the system store does not know the test CA either.
    with pytest.raises(SmtpInsecure):
        send_message(account(server.table(username="me", password_command="printf pw")), message())


def test_certificate_for_another_host_is_refused(
    smtp_server: Any, smtp_ca: trustme.CA, smtp_ca_file: Path
) -> None:
    from tests.compose.smtpd import cert_context

    server = smtp_server(mode="tls", ssl_context=cert_context(smtp_ca, "other.example"))
    with pytest.raises(SmtpInsecure, match="could not be verified"):
        send_message(account(server.table(ca_file=str(smtp_ca_file))), message())


def test_wrong_password(smtp_server: Any, smtp_ca_file: Path) -> None:
    server = smtp_server(mode="starttls", users={"me": "right"})
    acct = account(
        server.table(username="me", password_command="printf wrong-pw", ca_file=str(smtp_ca_file))
    )
    with pytest.raises(SmtpAuthFailed, match="refused the login for 'me'") as info:
        send_message(acct, message())
    assert "wrong-pw" not in info.value.sentence()
    assert "mailtui login t" in info.value.hint
    assert server.messages == []


@pytest.mark.parametrize(
    ("excluded", "mechanism"),
    [(("OAUTHBEARER",), "XOAUTH2"), ((), "OAUTHBEARER")],
)
def test_oauth2_token(
    smtp_server: Any, smtp_ca_file: Path, excluded: tuple[str, ...], mechanism: str
) -> None:
    server = smtp_server(
        mode="starttls",
        tokens={"me@example.test": "ya29.token"},
        auth_mechanisms_excluded=excluded,
    )
    table = server.table(
        username="me@example.test",
        password_command=None,
        oauth2_token_command="printf ya29.token",
        ca_file=str(smtp_ca_file),
    )
    send_message(account(table), message())
    (got,) = server.messages
    assert got.login == "me@example.test"
    assert server.handler.mechanisms_tried == [mechanism]
    bad = dict(table, oauth2_token_command="printf expired")
    with pytest.raises(SmtpAuthFailed) as info:
        send_message(account(bad), message())
    assert "expired" not in info.value.sentence()
    assert len(server.messages) == 1


def test_server_down_is_transient() -> None:
    port = free_ports(1)[0]
    acct = account({"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5})
    with pytest.raises(
        SmtpUnavailable, match=f"Cannot reach the SMTP server 127.0.0.1:{port}"
    ) as info:
        send_message(acct, message())
    assert info.value.transient


def test_refused_recipients(smtp_server: Any) -> None:
    server = smtp_server(mode="plain", reject={CC.addr})
    result = send_message(account(server.table()), message())
    assert result.recipients == (TO.addr, BCC.addr)
    assert result.refused == {CC.addr: (550, "5.1.1 No such user here")}
    (got,) = server.messages
    assert got.rcpt_tos == (TO.addr, BCC.addr)
    server.handler.reject |= {TO.addr, BCC.addr}
    with pytest.raises(SmtpRejected, match="refused every recipient") as info:
        send_message(account(server.table()), message())
    assert info.value.code == 550 and not info.value.transient


def test_forwarded_8bit_message_uses_8bitmime(smtp_server: Any) -> None:
    server = smtp_server(mode="plain")
    original = b"From: a@b.example\r\nSubject: caf\xc3\xa9\r\n\r\ncaf\xc3\xa9\r\n"
    draft = forward_draft(account(None), Original(subject="café", raw=original), as_attachment=True)
    msg = build_message(Draft(**{**draft.__dict__, "to": (TO,)}), account(None))
    send_message(account(server.table()), msg)
    (got,) = server.messages
    assert "BODY=8BITMIME" in got.mail_options
    assert original in got.content


def test_account_without_smtp() -> None:
    with pytest.raises(ConfigError, match="has no SMTP server"):
        send_message(account(None), message())
