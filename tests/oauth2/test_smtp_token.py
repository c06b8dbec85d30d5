"""SMTP with a token from the test authorization server, against aiosmtpd's AUTH, and
the setup probe reading an SMTP server's AUTH mechanisms."""

from __future__ import annotations

import io
import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from mailtui.oauth2 import sasl
from mailtui.oauth2.flows import sign_in
from mailtui.oauth2.http import HttpClient
from mailtui.setup.presets import Endpoint
from mailtui.setup.probe import probe_smtp
from tests.compose.smtpd import HOST, SmtpServer, cert_context, write_ca
from tests.oauth2.conftest import provider_for
from tests.support.oauth_server import OAuthServer


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def smtp_tls(ca: trustme.CA) -> Iterator[SmtpServer]:
    server = SmtpServer(mode="tls", ssl_context=cert_context(ca), users={"kim": "pw"}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_token_logs_in_to_smtp_and_a_wrong_one_is_refused(
    oauth_server: OAuthServer, mechanism: str, ca: trustme.CA
) -> None:
    token = sign_in(
        provider_for(oauth_server),
        HttpClient(),
        io.StringIO(),
        on_code=lambda c: oauth_server.approve(c.user_code, "kim@example.test"),
    )
    server = SmtpServer(mode="plain", tokens={"kim@example.test": token.access_token}).start()
    try:
        with smtplib.SMTP(HOST, server.port, timeout=10) as smtp:
            smtp.ehlo()
            responder = sasl.Responder(
                mechanism, "kim@example.test", token.access_token, HOST, server.port
            )
            code, _ = smtp.auth(mechanism, responder, initial_response_ok=True)
            assert code == 235
        with smtplib.SMTP(HOST, server.port, timeout=10) as smtp:
            smtp.ehlo()
            responder = sasl.Responder(mechanism, "kim@example.test", "stale", HOST, server.port)
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.auth(mechanism, responder, initial_response_ok=True)
            assert responder.error  # the server's JSON report was answered, not ignored
        assert server.handler.mechanisms_tried == [mechanism, mechanism]
    finally:
        server.stop()


def test_probe_reads_smtp_auth_mechanisms(
    smtp_tls: SmtpServer, ca: trustme.CA, tmp_path: Path
) -> None:
    ca_file = write_ca(ca, tmp_path / "ca.pem")
    report = probe_smtp(Endpoint(HOST, smtp_tls.port, "tls"), ca_file=ca_file)
    assert report.ok, report.error
    assert report.oauth2_mechanism == "OAUTHBEARER"
    assert {"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"} <= set(report.mechanisms)
    assert report.auth_choices() == ["oauth2", "password"]
    untrusted = probe_smtp(Endpoint(HOST, smtp_tls.port, "tls"))
    assert not untrusted.ok and "certificate" in untrusted.error
