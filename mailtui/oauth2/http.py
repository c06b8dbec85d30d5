"""The small HTTPS client behind OAuth2 sign-in and autoconfig discovery.

Why not urllib.request or a third-party client: the rules are few and must be strict,
and `http.client` states them in a few lines. https only, with verified certificates;
plain http only to a loopback address (the tests' servers, RFC 8252 redirects); no
redirects followed (a token endpoint never redirects, and an autoconfig redirect to
another host is the classic hijack); bodies capped so a hostile server cannot fill
memory. `connect_to` maps a (host, port) to the address to dial — like curl's
`--resolve` — which lets tests serve `https://autoconfig.example.test/` from 127.0.0.1
while TLS still checks the certificate against the real name.

Nothing here logs request or response bodies: they carry tokens and codes.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailtui.config.trust import loopback_problem

MAX_BODY = 1 << 20
DEFAULT_TIMEOUT = 15.0
USER_AGENT = "mailtui"


class HttpError(Exception):
    """The request could not be made or answered; the message is safe to show."""


class InsecureEndpoint(HttpError):
    """An http:// URL that is not on loopback, or a scheme we never speak."""


def check_url(url: str) -> urllib.parse.SplitResult:
    """The parsed URL, or InsecureEndpoint if mailtui must not send secrets there."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise InsecureEndpoint(f"not a URL with a host: {url!r}")
    if parts.scheme == "https":
        return parts
    if parts.scheme == "http":
        problem = loopback_problem(host)
        if not problem:
            return parts
        raise InsecureEndpoint(f"{url} is plain http and {problem}: only https is accepted")
    raise InsecureEndpoint(f"{url}: only https URLs are accepted")


@dataclass(frozen=True)
class Response:
    """Status, lower-cased headers and the (capped) body of one answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body as a JSON object, or HttpError saying what came instead."""
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise HttpError(
                f"the server answered {self.status} with a body that is not JSON"
            ) from exc
        if not isinstance(value, dict):
            raise HttpError(f"the server answered {self.status} with JSON that is not an object")
        return value


class _DialingHttps(http.client.HTTPSConnection):
    """HTTPS to `host` (SNI and certificate name) over a socket to another address."""

    def __init__(self, host: str, port: int, *, dial: tuple[str, int], **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._dial = dial

    def connect(self) -> None:
        sock = socket.create_connection(self._dial, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _DialingHttp(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, dial: tuple[str, int], **kw: Any) -> None:
        super().__init__(host, port, **kw)
        self._dial = dial

    def connect(self) -> None:
        self.sock = socket.create_connection(self._dial, self.timeout)


@dataclass
class HttpClient:
    """Makes the few requests mailtui needs under the rules in the module docstring.

    `ca_file` replaces the system trust store (a private CA, or the tests' CA).
    """

    ca_file: Path | None = None
    connect_to: Mapping[tuple[str, int], tuple[str, int]] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    max_body: int = MAX_BODY

    def ssl_context(self) -> ssl.SSLContext:
        """Verified TLS: certificate chain and host name, TLS 1.2 or later."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def request(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One request, one answer (any status); HttpError if there is no answer."""
        parts = check_url(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        dial = self.connect_to.get((host, port), (host, port))
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = _DialingHttps(
                host, port, dial=dial, context=self.ssl_context(), timeout=self.timeout
            )
        else:
            conn = _DialingHttp(host, port, dial=dial, timeout=self.timeout)
        target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        body = urllib.parse.urlencode(dict(form)).encode() if form is not None else None
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json, */*"}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        try:
            conn.request(method, target, body=body, headers=sent)
            resp = conn.getresponse()
            data = resp.read(self.max_body + 1)
        except ssl.SSLCertVerificationError as exc:
            raise HttpError(f"{host}: certificate not trusted ({exc.verify_message})") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise HttpError(f"{host}: {type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
        if len(data) > self.max_body:
            raise HttpError(f"{host}: answer larger than {self.max_body} bytes")
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def get(self, url: str) -> Response:
        return self.request("GET", url)

    def post_form(self, url: str, form: Mapping[str, str]) -> Response:
        return self.request("POST", url, form=form)
