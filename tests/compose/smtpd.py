"""Loopback SMTP servers for the compose tests (aiosmtpd), recording what they receive.

One `SmtpServer` keeps its port for life, so a test can stop it ("SMTP is down") and
start it again on the same address. TLS certificates come from a throw-away trustme
CA; `ca_file` is what an account's `ca_file` should point at.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.dovecot import free_ports

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    mail_options: tuple[str, ...]
    tls: bool
    login: str | None


@dataclass
class Recorder:
    """aiosmtpd handler: accepts mail, refuses listed recipients, speaks XOAUTH2/OAUTHBEARER."""

    reject: set[str] = field(default_factory=set)
    tokens: dict[str, str] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    mechanisms_tried: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold: threading.Event | None = None
    """When set to an Event: the reply to DATA waits until the test sets it (a send
    in flight, the message not yet accepted)."""
    data_started: threading.Event = field(default_factory=threading.Event)
    """Set as soon as a message's DATA has arrived (before any `hold`)."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        self.data_started.set()
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait, 60)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else auth
        with self.lock:
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content=content,
                    mail_options=tuple(envelope.mail_options),
                    # session.ssl is set only after STARTTLS; implicit TLS shows on the
                    # transport.
                    tls=session.ssl is not None
                    or server.transport.get_extra_info("ssl_object") is not None,
                    login=login if isinstance(login, str) else None,
                )
            )
        return "250 2.0.0 Accepted"

    def _check_bearer(self, user: str, token: str) -> bool:
        return bool(self.tokens) and self.tokens.get(user) == token

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        self.mechanisms_tried.append("XOAUTH2")
        blob = base64.b64decode(args[1]) if len(args) > 1 else b""
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        if self._check_bearer(fields.get("user", ""), token):
            return AuthResult(success=True, auth_data=fields.get("user"))
        # Google's way: a 334 with a JSON error, the client answers, then 535.
        await server.challenge_auth('{"status":"401","schemes":"bearer"}')
        return AuthResult(success=False, handled=False)

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        self.mechanisms_tried.append("OAUTHBEARER")
        blob = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        gs2, _, rest = blob.partition("\x01")
        user = gs2.split(",")[1].removeprefix("a=").replace("=2C", ",").replace("=3D", "=")
        fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        if self._check_bearer(user, token):
            return AuthResult(success=True, auth_data=user)
        await server.challenge_auth('{"status":"invalid_token"}')
        return AuthResult(success=False, handled=False)


def cert_context(ca: trustme.CA, *hostnames: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(hostnames or (HOST, "localhost"))).configure_cert(ctx)
    return ctx


class SmtpServer:
    """An aiosmtpd Controller on a fixed loopback port that can be stopped and restarted."""

    def __init__(
        self,
        *,
        mode: str = "plain",
        ssl_context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        tokens: dict[str, str] | None = None,
        reject: set[str] | None = None,
        auth_mechanisms_excluded: tuple[str, ...] = (),
    ) -> None:
        self.mode = mode  # "plain", "starttls" or "tls"
        self.port = free_ports(1)[0]
        self.ssl_context = ssl_context
        self.users = users
        self.handler = Recorder(reject=set(reject or ()), tokens=dict(tokens or {}))
        self.excluded = auth_mechanisms_excluded
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def _authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.handler.mechanisms_tried.append(mechanism)
        users = self.users or {}
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if users.get(login) == password:
                return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {"hostname": HOST, "port": self.port, "ready_timeout": 10}
        server_kwargs: dict[str, Any] = {"hostname": "smtp.test"}
        if self.mode == "starttls":
            server_kwargs["tls_context"] = self.ssl_context
            server_kwargs["require_starttls"] = True
        elif self.mode == "tls":
            kwargs["ssl_context"] = self.ssl_context
        if self.users is not None or self.handler.tokens:
            server_kwargs["authenticator"] = self._authenticator
            server_kwargs["auth_required"] = True
            # aiosmtpd counts only STARTTLS as TLS; implicit TLS is encrypted too, and
            # plain mode stands for a loopback relay, where AUTH without TLS is allowed.
            server_kwargs["auth_require_tls"] = self.mode == "starttls"
            server_kwargs["auth_exclude_mechanism"] = list(self.excluded)
        controller = Controller(self.handler, **kwargs, server_kwargs=server_kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def table(self, **extra: Any) -> dict[str, Any]:
        """An `[accounts.X.smtp]` table pointing at this server."""
        security = {"plain": "none", "starttls": "starttls", "tls": "tls"}[self.mode]
        table: dict[str, Any] = {
            "host": HOST,
            "port": self.port,
            "security": security,
            "password_command": "printf %s unused",
            "timeout": 10,
        }
        table.update(extra)
        return {k: v for k, v in table.items() if v is not None}


ServerFactory = Callable[..., SmtpServer]


def write_ca(ca: trustme.CA, path: Path) -> Path:
    ca.cert_pem.write_to_path(str(path))
    return path
