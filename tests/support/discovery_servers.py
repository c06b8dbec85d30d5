"""Servers that discovery talks to, on loopback: a stub DNS server and an HTTPS server.

`StubDns` answers real DNS queries over UDP (dnspython's wire format) from a table the
test fills: the resolver under test is the real one, pointed at 127.0.0.1:port.

`HttpsSite` serves fixed files over TLS with a certificate for the names the test
chooses, issued by a test CA (the Dovecot instance's `trustme` CA, so one CA file
verifies both the autoconfig server and the IMAP server it points to). Clients reach it
through `mailtui.oauth2.http.HttpClient(connect_to=site.connect_to)`, which dials
127.0.0.1 while TLS still checks the certificate against the real name.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import trustme


class StubDns:
    """A tiny authoritative DNS server: `add("_imaps._tcp.example.test", "SRV", "0 1 993 x.")`."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def add(self, name: str, rdtype: str, *rdatas: str) -> None:
        key = (name.lower().rstrip(".") + ".", rdtype.upper())
        self.records.setdefault(key, []).extend(rdatas)

    def _answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        for question in query.question:
            name = question.name.to_text().lower()
            rdtype = dns.rdatatype.to_text(question.rdtype)
            self.queries.append((name, rdtype))
            rdatas = self.records.get((name, rdtype))
            if rdatas:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, "IN", rdtype, rdatas)
                )
            elif not any(n == name for n, _t in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            with contextlib.suppress(Exception):
                self._sock.sendto(self._answer(wire), peer)

    def __enter__(self) -> StubDns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _SiteServer

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").partition(":")[0]
        self.server.requests.append((host, self.path))
        status, body, headers = self.server.files.get((host, self.path), (404, b"", {}))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SiteServer(http.server.ThreadingHTTPServer):
    files: dict[tuple[str, str], tuple[int, bytes, dict[str, str]]]
    requests: list[tuple[str, str]]


class HttpsSite:
    """HTTPS on 127.0.0.1 for `hostnames`, with a certificate from `ca`."""

    def __init__(self, ca: trustme.CA, *hostnames: str) -> None:
        self.hostnames = hostnames
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(*hostnames).configure_cert(ctx)
        self._httpd = _SiteServer(("127.0.0.1", 0), _Handler)
        self._httpd.files, self._httpd.requests = {}, []
        self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def connect_to(self) -> dict[tuple[str, int], tuple[str, int]]:
        """For HttpClient: every hostname's port 443 dials this server."""
        return {(h, 443): ("127.0.0.1", self.port) for h in self.hostnames}

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self._httpd.requests

    def serve(self, host: str, path: str, body: bytes, status: int = 200, **headers: str) -> None:
        self._httpd.files[(host, path)] = (status, body, dict(headers))

    def __enter__(self) -> HttpsSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
