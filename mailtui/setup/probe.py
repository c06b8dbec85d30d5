"""Connecting to a proposed IMAP server and reading what it offers, before any login.

Setup offers only what the server supports: the pre-login CAPABILITY (after TLS, so a
man in the middle cannot strip AUTH= mechanisms) says whether OAUTHBEARER/XOAUTH2 and
PLAIN/LOGIN are there. The connection itself is the one mailtui always uses —
mailtui.imap.connect.open_client, with its TLS policy and PREAUTH refusal — so what
the probe accepts is exactly what a session will accept.

The probe never logs in and sends no secret.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

from mailtui.errors import MailtuiError
from mailtui.imap.connect import close_quietly, make_ssl_context, open_client
from mailtui.oauth2 import sasl
from mailtui.setup.presets import Endpoint
from mailtui.text.safe import clean_line

PROBE_TIMEOUT = 10.0


@dataclass
class _Target:
    """The fields open_client reads (imap.connect.ServerLike)."""

    host: str
    port: int
    security: str
    username: str = ""
    ca_file: Path | None = None
    timeout: float = PROBE_TIMEOUT
    ignore_capabilities: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ProbeReport:
    """What one server offered, or why it could not be asked."""

    endpoint: Endpoint
    error: str = ""
    capabilities: tuple[str, ...] = ()
    seconds: float = 0.0
    protocol: str = "imap"

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return tuple(c[5:] for c in self.capabilities if c.startswith("AUTH="))

    @property
    def oauth2_mechanism(self) -> str | None:
        """OAUTHBEARER or XOAUTH2 when offered (OAUTHBEARER preferred)."""
        return sasl.choose(self.mechanisms)

    @property
    def password_ok(self) -> bool:
        """A password login is possible: IMAP LOGIN not disabled, or PLAIN/LOGIN offered."""
        if self.protocol == "smtp" or "LOGINDISABLED" in self.capabilities:
            return bool({"PLAIN", "LOGIN"} & set(self.mechanisms))
        return True

    def auth_choices(self) -> list[str]:
        """What setup may offer for this server, preferred first."""
        choices = []
        if self.oauth2_mechanism:
            choices.append("oauth2")
        if self.password_ok:
            choices.append("password")
        return choices


def probe_imap(endpoint: Endpoint, *, ca_file: Path | None = None) -> ProbeReport:
    """Connect as a session would, read CAPABILITY, hang up; errors become the report."""
    started = time.perf_counter()
    target = _Target(endpoint.host, endpoint.port, endpoint.security, ca_file=ca_file)
    try:
        client = open_client(target, f"{endpoint.host}:{endpoint.port}")
    except MailtuiError as exc:
        return ProbeReport(endpoint, error=exc.sentence(), seconds=time.perf_counter() - started)
    except Exception as exc:  # socket, TLS and imaplib errors alike
        return ProbeReport(endpoint, error=_describe(exc), seconds=time.perf_counter() - started)
    try:
        caps = tuple(c.decode("ascii", "replace").upper() for c in client.capabilities())
    except Exception as exc:
        return ProbeReport(endpoint, error=_describe(exc), seconds=time.perf_counter() - started)
    finally:
        close_quietly(client)
    return ProbeReport(endpoint, capabilities=caps, seconds=time.perf_counter() - started)


def probe_smtp(endpoint: Endpoint, *, ca_file: Path | None = None) -> ProbeReport:
    """EHLO (after TLS) and the AUTH mechanisms offered; capabilities as "AUTH=X" items.

    Implicit TLS or STARTTLS only, certificates verified as a send would (the same
    context as IMAP: system CAs plus the account's ca_file).
    """
    started = time.perf_counter()
    ctx = make_ssl_context(ca_file)
    smtp: smtplib.SMTP | None = None
    try:
        if endpoint.security == "tls":
            smtp = smtplib.SMTP_SSL(
                endpoint.host, endpoint.port, timeout=PROBE_TIMEOUT, context=ctx
            )
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=PROBE_TIMEOUT)
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            smtp.starttls(context=ctx)
        smtp.ehlo()
        mechanisms = smtp.esmtp_features.get("auth", "").upper().split()
    except (OSError, smtplib.SMTPException) as exc:
        return ProbeReport(
            endpoint, error=_describe(exc), seconds=time.perf_counter() - started, protocol="smtp"
        )
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    caps = tuple(f"AUTH={m}" for m in mechanisms)
    return ProbeReport(
        endpoint, capabilities=caps, seconds=time.perf_counter() - started, protocol="smtp"
    )


def _describe(exc: BaseException) -> str:
    """A short reason; the server's own words (untrusted) are made inert first."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted ({exc.verify_message})"
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return clean_line(str(exc) or type(exc).__name__)[:200]
