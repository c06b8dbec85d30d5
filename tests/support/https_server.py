"""A loopback HTTPS server with its own throw-away CA, recording every request.

For one-click unsubscribe (RFC 8058): tests assert what the server received — method,
path, headers, body — and that nothing else (no GET, no redirect followed) arrived.
Paths: /redirect302, /redirect307 answer with a redirect (and a cookie); /fail… with
500; anything else 200.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpsServer:
    """A loopback HTTPS server recording every request it gets."""

    ca_file: Path
    port: int = 0
    requests: list[Seen] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"


def _handler(server: HttpsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.requests.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )

        def _answer(self) -> None:
            self._record()
            if self.path.startswith("/redirect"):
                code = 307 if "307" in self.path else 302
                self.send_response(code)
                self.send_header("Location", server.url("/landing"))
                self.send_header("Set-Cookie", "track=1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            code = 500 if self.path.startswith("/fail") else 200
            body = b"done"
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def write_ca(authority: trustme.CA, path: Path) -> Path:
    authority.cert_pem.write_to_path(str(path))
    return path


def serve(cert_ca: trustme.CA, ca_file: Path) -> Iterator[HttpsServer]:
    """Run a server whose certificate `cert_ca` signed (`ca_file`: what clients trust)."""
    state = HttpsServer(ca_file=ca_file)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
