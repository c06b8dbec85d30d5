"""Connecting safely: verified TLS, no silent downgrade, clear errors, no hangs, no leaked secrets."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import pytest

from mailtui.config.credentials import Secret
from mailtui.config.load import make_settings
from mailtui.imap.errors import AuthFailed, ConnectionLost, TlsError
from mailtui.imap.session import ImapSession
from mailtui.sync import commands
from tests.support.accounts import context_for, imap_table, settings_for
from tests.support.dovecot import Dovecot, MailUser


def _session(dovecot: Dovecot, user: MailUser, password: str | None = None, **imap) -> ImapSession:
    settings = settings_for(dovecot, user, imap=imap)
    server = settings.account().imap
    secret = Secret("password", password if password is not None else user.password)
    return ImapSession(server, lambda: secret)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_login_over_verified_tls_reads_capabilities(
    dovecot: Dovecot, mail_user: MailUser, security: str
) -> None:
    session = _session(dovecot, mail_user, security=security)
    session.connect()
    try:
        for cap in (
            "CONDSTORE",
            "QRESYNC",
            "IDLE",
            "MOVE",
            "UIDPLUS",
            "SPECIAL-USE",
            "LIST-STATUS",
            "ESEARCH",
        ):
            assert session.caps.has(cap), cap
        assert session.qresync_enabled
    finally:
        session.close()


def test_ignored_capabilities_are_not_used(dovecot: Dovecot, mail_user: MailUser) -> None:
    session = _session(dovecot, mail_user, ignore_capabilities=["QRESYNC", "MOVE"])
    session.connect()
    try:
        assert not session.caps.has("QRESYNC") and not session.caps.move
        assert not session.qresync_enabled and session.condstore_enabled
    finally:
        session.close()


def test_wrong_password_is_a_clear_auth_error(dovecot: Dovecot, mail_user: MailUser) -> None:
    session = _session(dovecot, mail_user, password="not-the-password")
    with pytest.raises(AuthFailed) as err:
        session.connect()
    assert mail_user.name in str(err.value)
    assert "not-the-password" not in err.value.sentence()
    assert "password" in err.value.hint


def test_nothing_listening_is_a_clear_error(dovecot: Dovecot, mail_user: MailUser) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = _session(dovecot, mail_user, port=port)
    with pytest.raises(ConnectionLost, match="Nothing is listening"):
        session.connect()


def test_a_silent_server_times_out_instead_of_hanging(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    """A peer that accepts and never speaks: connect must give up after `timeout`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    session = _session(dovecot, mail_user, port=listener.getsockname()[1], timeout=1)
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionLost, match=r"(?i)time"):
            session.connect()
        assert time.monotonic() - start < 5
    finally:
        for s in accepted:
            s.close()
        listener.close()


def test_untrusted_certificate_is_refused(dovecot: Dovecot, mail_user: MailUser) -> None:
    table = imap_table(dovecot, mail_user, security="tls")
    del table["ca_file"]  # only the system CAs: the test CA is unknown to them
    settings = make_settings({"t": {"email": "t@example.test", "imap": table}})
    session = ImapSession(settings.account().imap, lambda: Secret("password", mail_user.password))
    with pytest.raises(TlsError, match="cannot be trusted") as err:
        session.connect()
    assert "ca_file" in err.value.hint


def test_wrong_host_name_in_certificate_is_refused(dovecot_factory, tmp_path: Path) -> None:
    server = dovecot_factory(cert_hostnames=("mail.example.test",))
    user = server.add_user()
    session = _session(server, user, security="tls")
    with pytest.raises(TlsError, match="cannot be trusted"):
        session.connect()


def test_expired_certificate_is_refused(dovecot_factory) -> None:
    from datetime import datetime, timedelta

    server = dovecot_factory(cert_not_after=datetime.now() - timedelta(days=1))
    user = server.add_user()
    with pytest.raises(TlsError, match="expired"):
        _session(server, user, security="tls").connect()


def test_missing_starttls_is_refused_not_downgraded(dovecot_factory) -> None:
    server = dovecot_factory(ssl=False)
    user = server.add_user(rawlog=True)
    session = _session(server, user, security="starttls")
    with pytest.raises(TlsError, match="does not offer STARTTLS"):
        session.connect()
    # Refused before sending credentials: no login happened at all.
    assert not list(user.rawlog_dir.glob("*.in"))


def test_plaintext_only_to_loopback(dovecot: Dovecot, mail_user: MailUser) -> None:
    session = _session(dovecot, mail_user, security="none")
    session.connect()  # loopback: allowed
    session.close()
    from mailtui.config.model import ServerSettings

    remote = ServerSettings(host="192.0.2.1", port=143, security="none", username="x")
    with pytest.raises(TlsError, match="plaintext"):
        ImapSession(remote, lambda: Secret("password", "x")).connect()


def test_protocol_log_never_contains_the_password(
    dovecot: Dovecot, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = _session(dovecot, mail_user, log_protocol=True)
    session.connect()
    session.select("INBOX")
    session.close()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "LOGIN" in text or "AUTHENTICATE" in text
    assert mail_user.password not in text


def test_sync_reports_auth_failure_through_the_service(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    ctx = context_for(dovecot, mail_user, tmp_path, imap={"password_command": "printf wrong"})
    try:
        with pytest.raises(AuthFailed):
            ctx.service().run(commands.SyncAll(), timeout=30)
    finally:
        ctx.close()
