"""SMTP STARTTLS against a hostile server: nothing received before the handshake is used.

RFC 3207 §4.2: after STARTTLS the client forgets what it learnt in plaintext and says
EHLO again. smtplib does (it drops its buffered reader and its EHLO answer, and
mailtui's send says EHLO again); these tests check it against a server that slips
plaintext around its `220 Go ahead` — the response-side twin of CVE-2011-0411. aiosmtpd
cannot misbehave on purpose, so the server here is a few lines over a socket.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from mailtui.compose.send import SmtpInsecure, send_message
from mailtui.errors import MailtuiError
from tests.compose.smtpd import cert_context, write_ca
from tests.compose.test_send import account, message

PLAIN_EHLO = b"250-hostile.test\r\n250-STARTTLS\r\n250 SIZE 1000000\r\n"
TLS_EHLO = b"250-hostile.test\r\n250-AUTH PLAIN\r\n250 SIZE 1000000\r\n"
# What a man in the middle would like the client to believe after TLS: an EHLO answer
# without AUTH (so the password is never asked for), then OKs for a pipelined mail.
INJECTED = b"250-evil.test\r\n250 SIZE 1\r\n250 OK\r\n250 OK\r\n354 go\r\n250 OK\r\n"


@dataclass
class Hostile:
    """One SMTP connection's script: where the plaintext goes around STARTTLS's 220."""

    context: ssl.SSLContext
    inject: str  # "after": same write as the 220; "before": a 250 reply ahead of it
    port: int = 0
    seen_plain: list[bytes] = field(default_factory=list)
    seen_tls: list[bytes] = field(default_factory=list)
    ehlo_after_tls: int = 0
    auth: list[str] = field(default_factory=list)
    data: list[bytes] = field(default_factory=list)

    def start(self) -> Hostile:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._listener.close()
        self._thread.join(10)

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        with conn:
            try:
                self._talk(conn)
            except (OSError, ssl.SSLError):
                pass

    def _talk(self, conn: socket.socket) -> None:
        plain = conn.makefile("rb")
        conn.sendall(b"220 hostile.test ESMTP\r\n")
        while True:
            line = plain.readline()
            if not line:
                return
            self.seen_plain.append(line)
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(PLAIN_EHLO)
            elif verb == b"STARTTLS":
                if self.inject == "before":
                    conn.sendall(b"250 OK\r\n220 Go ahead\r\n")
                    continue  # what the client does now is the point of the test
                conn.sendall(b"220 Go ahead\r\n" + INJECTED)
                break
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 not now\r\n")
        tls = self.context.wrap_socket(conn, server_side=True)
        reader = tls.makefile("rb")
        while True:
            line = reader.readline()
            if not line:
                return
            self.seen_tls.append(line)
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                self.ehlo_after_tls += 1
                tls.sendall(TLS_EHLO)
            elif verb == b"AUTH":
                blob = line.split()[-1]
                self.auth.append(base64.b64decode(blob).decode())
                tls.sendall(b"235 2.7.0 Authentication successful\r\n")
            elif verb in (b"MAIL", b"RCPT"):
                tls.sendall(b"250 OK\r\n")
            elif verb == b"DATA":
                tls.sendall(b"354 go ahead\r\n")
                body = b""
                while not body.endswith(b"\r\n.\r\n"):
                    chunk = reader.readline()
                    if not chunk:
                        return
                    body += chunk
                self.data.append(body)
                tls.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                tls.sendall(b"221 bye\r\n")
                return
            else:
                tls.sendall(b"502 not now\r\n")


@pytest.fixture
def ca_file(tmp_path: Path) -> Iterator[tuple[trustme.CA, Path]]:
    ca = trustme.CA()
    yield ca, write_ca(ca, tmp_path / "ca.pem")


def _hostile(ca: trustme.CA, inject: str) -> Hostile:
    return Hostile(cert_context(ca), inject).start()


def _account(server: Hostile, ca_path: Path):
    return account(
        {
            "host": "127.0.0.1",
            "port": server.port,
            "security": "starttls",
            "username": "me",
            "password_command": "printf %s s3cret",
            "ca_file": str(ca_path),
            "timeout": 10,
        }
    )


def test_plaintext_after_the_220_is_never_read_as_a_reply(ca_file) -> None:
    """The injected EHLO answer (no AUTH) and OKs are not believed: mailtui says EHLO
    over TLS, learns AUTH from that answer, logs in and sends over TLS — or, if the
    bytes reach the handshake, refuses with a TLS error. Either way nothing injected
    is used, and nothing but EHLO and STARTTLS went out in plaintext."""
    ca, path = ca_file
    server = _hostile(ca, "after")
    try:
        try:
            result = send_message(_account(server, path), message())
        except SmtpInsecure:
            assert server.auth == [] and server.data == []
        else:
            assert server.ehlo_after_tls == 1
            assert server.auth == ["\0me\0s3cret"]
            assert len(server.data) == 1 and result.recipients
    finally:
        server.stop()
    assert [line.split()[0].upper() for line in server.seen_plain] == [b"EHLO", b"STARTTLS"]


def test_a_reply_slipped_in_before_the_220_stops_the_session(ca_file) -> None:
    """`250 OK` where STARTTLS's answer belongs: smtplib takes it as the answer, TLS
    never starts, and mailtui must not carry on in plaintext (no AUTH, no mail)."""
    ca, path = ca_file
    server = _hostile(ca, "before")
    try:
        with pytest.raises(MailtuiError):
            send_message(_account(server, path), message())
    finally:
        server.stop()
    sent = [line.split()[0].upper() for line in server.seen_plain]
    assert b"AUTH" not in sent and b"MAIL" not in sent and server.data == []
