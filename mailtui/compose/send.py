"""SMTP submission with smtplib: verified TLS, no silent downgrade, typed errors.

- `security = "tls"`: implicit TLS (RFC 8314 §3.3, port 465) with a verifying context.
- `security = "starttls"`: STARTTLS (RFC 3207) is required; a server that does not
  offer it is refused, never used in clear (the classic STARTTLS-stripping attack).
- `security = "none"`: plaintext, allowed only to a loopback host (a local relay).

The secret is fetched only when the server advertises AUTH, and goes to the server
only through AUTH (PLAIN/LOGIN/CRAM-MD5 for passwords; OAUTHBEARER, RFC 7628, or
XOAUTH2 for OAuth2 tokens). smtplib's debug output is never switched on: it would print
the AUTH exchange. Errors carry the server's reply, never a secret.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage

from mailtui.compose.build import (
    envelope_recipients,
    envelope_sender,
    message_bytes,
    message_id_of,
    strip_bcc,
)
from mailtui.compose.draft import DraftError
from mailtui.config.credentials import Secret, get_secret
from mailtui.config.model import AccountSettings, ServerSettings
from mailtui.config.trust import loopback_problem
from mailtui.errors import ConfigError, MailtuiError
from mailtui.oauth2 import sasl

log = logging.getLogger("mailtui.compose.send")

__all__ = [
    "SendResult",
    "SmtpAuthFailed",
    "SmtpError",
    "SmtpInsecure",
    "SmtpRejected",
    "SmtpUnavailable",
    "send_message",
    "smtp_server",
    "tls_context",
]


class SmtpError(MailtuiError):
    """Sending failed; `transient` says whether trying again later may succeed."""

    transient = False


class SmtpUnavailable(SmtpError):
    """The server could not be reached, or the connection broke: try again later."""

    transient = True


class SmtpInsecure(SmtpError):
    """The connection could not be made secure (no STARTTLS, bad certificate, TLS error)."""


class SmtpAuthFailed(SmtpError):
    """The server refused the login."""


class SmtpRejected(SmtpError):
    """The server refused the sender, the recipients or the message."""

    def __init__(self, message: str, hint: str = "", *, code: int = 0, reply: str = "") -> None:
        super().__init__(message, hint)
        self.code = code
        self.reply = reply

    @property  # type: ignore[override]
    def transient(self) -> bool:  # 4xx replies are temporary (RFC 5321 §4.2.1)
        return 400 <= self.code < 500


@dataclass(frozen=True)
class SendResult:
    """What the server accepted: the message went out to `recipients`."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Recipients the server refused while accepting the others: address → (code, reply)."""


def smtp_server(account: AccountSettings) -> ServerSettings:
    """The account's SMTP settings; ConfigError when it has none."""
    if account.smtp is None:
        raise ConfigError(
            f"Account {account.name!r} has no SMTP server, so it cannot send",
            hint=f'add [accounts.{account.name}.smtp] with host = "smtp.example.com" '
            '(and security = "starttls" for port 587)',
        )
    return account.smtp


def tls_context(server: ServerSettings) -> ssl.SSLContext:
    """A verifying client context: system CAs plus `ca_file`, TLS 1.2 or newer."""
    ctx = ssl.create_default_context()
    if server.ca_file is not None:
        try:
            ctx.load_verify_locations(cafile=str(server.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise SmtpInsecure(
                f"Cannot load ca_file {str(server.ca_file)!r}: {exc}",
                hint="point ca_file at a PEM file of CA certificates",
            ) from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())[:300]


def _helo_name(smtp: smtplib.SMTP) -> str:
    """Our address as an RFC 5321 §4.1.3 literal: no host name (or DNS lookup) leaks."""
    try:
        addr = smtp.sock.getsockname()[0] if smtp.sock is not None else "127.0.0.1"
    except OSError:
        addr = "127.0.0.1"
    return f"[IPv6:{addr}]" if ":" in addr else f"[{addr}]"


class _Session:
    """One SMTP connection, its phase recorded so an error can say what failed."""

    def __init__(self, account: AccountSettings, server: ServerSettings, timeout: float) -> None:
        self.account = account
        self.server = server
        self.timeout = timeout
        self.where = f"{server.host}:{server.port}"
        self.phase = "connect"
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        server = self.server
        refusal = loopback_problem(server.host) if server.security == "none" else ""
        if refusal:
            raise SmtpInsecure(
                f'security = "none" is allowed only for a loopback host: {refusal}',
                hint=f'use security = "tls" or "starttls" under [accounts.{self.account.name}.smtp]',
            )
        ctx = tls_context(server) if server.security != "none" else None
        # The host goes to the constructor: smtplib takes the TLS server name (SNI and
        # the certificate check) from it, and raises SMTPConnectError unless greeted 220.
        if server.security == "tls":
            self.phase = "tls"
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, context=ctx, timeout=self.timeout
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        self.smtp = smtp
        self.phase = "greeting"
        smtp.local_hostname = _helo_name(smtp)
        smtp.ehlo_or_helo_if_needed()
        if server.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise SmtpInsecure(
                    f"The SMTP server {self.where} does not offer STARTTLS, so mailtui will "
                    "not send your password and mail over the connection unencrypted",
                    hint=f'if the server uses implicit TLS, set security = "tls" (port 465) '
                    f"under [accounts.{self.account.name}.smtp]",
                )
            self.phase = "tls"
            smtp.starttls(context=ctx)
            self.phase = "greeting"
            smtp.ehlo()  # RFC 3207 §4.2: forget everything learnt before TLS
        return smtp

    def login(self, secret_source: Callable[[], Secret]) -> None:
        smtp = self.smtp
        assert smtp is not None
        if not smtp.has_extn("auth"):
            log.debug("%s offers no AUTH; sending without logging in", self.where)
            return
        self.phase = "login"
        secret = secret_source()
        if secret.kind != "oauth2":
            try:
                smtp.login(self.server.username, secret.value)
            except smtplib.SMTPAuthenticationError:
                raise
            except smtplib.SMTPException as exc:  # "No suitable authentication method"
                raise SmtpAuthFailed(
                    f"Cannot log in to the SMTP server {self.where}: {exc}",
                    hint="the server offers no password login mailtui knows (PLAIN, LOGIN)",
                ) from None
            return
        try:
            self._oauth2(smtp, secret.value)
        except smtplib.SMTPAuthenticationError:
            if secret.renew is None:
                raise
            # A token revoked early or a clock that is off: one refresh, one more try.
            log.info("%s refused the OAuth2 token; refreshing it once", self.where)
            self._oauth2(smtp, secret.renew().value)

    def _oauth2(self, smtp: smtplib.SMTP, token: str) -> None:
        """AUTH by OAUTHBEARER (RFC 7628) when offered, else XOAUTH2 (mailtui.oauth2.sasl)."""
        mechanism = sasl.choose(smtp.esmtp_features.get("auth", "").split())
        if mechanism is None:
            raise SmtpAuthFailed(
                f"The SMTP server {self.where} does not offer OAuth2 login (OAUTHBEARER or XOAUTH2)",
                hint=f"log in with a password instead under [accounts.{self.account.name}.smtp]",
            )
        server = self.server
        # The responder answers a refusal's error report (a JSON challenge) so that the
        # server can end the exchange with 535.
        responder = sasl.Responder(mechanism, server.username, token, server.host, server.port)
        smtp.auth(mechanism, responder, initial_response_ok=True)

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.smtp.close()


def _hint_for(account: AccountSettings) -> str:
    return f"check host and port under [accounts.{account.name}.smtp] and your network"


def _translate(exc: BaseException, session: _Session) -> MailtuiError:
    """An smtplib/ssl/socket exception as one sentence with what to do next."""
    where, name, phase = session.where, session.account.name, session.phase
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SmtpInsecure(
            f"The certificate of the SMTP server {where} could not be verified: "
            f"{exc.verify_message or exc.reason or exc}",
            hint=f"if the server uses a private CA, set ca_file under [accounts.{name}.smtp]",
        )
    if isinstance(exc, ssl.SSLError):
        return SmtpInsecure(
            f"TLS with the SMTP server {where} failed: {exc.reason or exc}",
            hint='port 465 takes security = "tls", port 587 security = "starttls"',
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SmtpAuthFailed(
            f"The SMTP server {where} refused the login for {session.server.username!r}: "
            f"{exc.smtp_code} {_reply_text(exc.smtp_error)}",
            hint=f"check username and the password source under [accounts.{name}.smtp] "
            f"(or run `mailtui login {name}`)",
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(
            f"{addr} ({code} {_reply_text(reply)})"
            for addr, (code, reply) in exc.recipients.items()
        )
        codes = [code for code, _ in exc.recipients.values()]
        return SmtpRejected(
            f"The SMTP server refused every recipient: {refused}",
            hint="check the addresses",
            code=min(codes) if codes else 550,
            reply=refused,
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        reply = _reply_text(exc.smtp_error)
        return SmtpRejected(
            f"The SMTP server refused the sender {exc.sender!r}: {exc.smtp_code} {reply}",
            hint="the server may not let this login send as this From address",
            code=exc.smtp_code,
            reply=reply,
        )
    if isinstance(exc, smtplib.SMTPConnectError):
        return SmtpUnavailable(
            f"The SMTP server {where} turned the connection away: "
            f"{exc.smtp_code} {_reply_text(exc.smtp_error)}",
            hint="the message is kept in the outbox; it is retried later",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = _reply_text(exc.smtp_error)
        what = "the message" if phase == "send" else f"the {phase}"
        error = SmtpRejected(
            f"The SMTP server {where} refused {what}: {exc.smtp_code} {reply}",
            hint="the server said why; fix that and send again from the outbox",
            code=exc.smtp_code,
            reply=reply,
        )
        if error.transient:
            error.hint = "a temporary refusal: the message is kept in the outbox and retried"
        return error
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SmtpUnavailable(
            f"The SMTP server {where} closed the connection during {phase}",
            hint="the message is kept in the outbox; it is retried later",
        )
    if isinstance(exc, socket.gaierror):
        return SmtpUnavailable(
            f"Cannot find the SMTP server {session.server.host}: {exc.strerror or exc}",
            hint=_hint_for(session.account),
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return SmtpUnavailable(
            f"The SMTP server {where} did not answer in time ({phase})",
            hint="the message is kept in the outbox; it is retried later",
        )
    if isinstance(exc, OSError):
        return SmtpUnavailable(
            f"Cannot reach the SMTP server {where}: {exc.strerror or exc}",
            hint=_hint_for(session.account),
        )
    return SmtpError(f"Sending through {where} failed: {type(exc).__name__}: {exc}")


def _secret(account: AccountSettings, server: ServerSettings) -> Secret:
    """The configured secret; the built-in sign-in is imported only by accounts using it."""
    if server.auth_source != "oauth2":
        return get_secret(account, server, "smtp")
    from mailtui.oauth2 import account as oauth2_account

    return oauth2_account.get_secret(account, server, "smtp")


def send_message(
    account: AccountSettings,
    msg: EmailMessage | bytes,
    *,
    timeout: float | None = None,
    secret: Callable[[], Secret] | None = None,
) -> SendResult:
    """Submit one message; returns what was accepted or raises a MailtuiError.

    Envelope recipients are To, Cc and Bcc; the Bcc header is removed from the bytes
    sent (and only from those: the Sent copy keeps it). Blocking: call from a thread.
    `secret` overrides where the password comes from (default: the configured source).
    """
    server = smtp_server(account)
    raw = message_bytes(msg)
    recipients = envelope_recipients(raw)
    if not recipients:
        raise DraftError("The message has no recipients", hint="add a To, Cc or Bcc address")
    sender = envelope_sender(raw, account)
    wire = strip_bcc(raw)
    session = _Session(account, server, timeout if timeout is not None else server.timeout)
    secret_source = secret or (lambda: _secret(account, server))
    try:
        smtp = session.open()
        session.login(secret_source)
        session.phase = "send"
        options = ["BODY=8BITMIME"] if not wire.isascii() and smtp.has_extn("8bitmime") else []
        refused = smtp.sendmail(sender, list(recipients), wire, mail_options=options)
    except MailtuiError:
        raise
    except Exception as exc:
        raise _translate(exc, session) from None
    finally:
        session.close()
    accepted = tuple(r for r in recipients if r not in refused)
    log.info("sent %s to %d recipient(s) via %s", message_id_of(raw), len(accepted), session.where)
    return SendResult(
        message_id=message_id_of(raw),
        sender=sender,
        recipients=accepted,
        refused={k: (code, _reply_text(reply)) for k, (code, reply) in refused.items()},
    )
