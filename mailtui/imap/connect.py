"""Opening an IMAP connection: TLS policy, imaplib guarded against its server, and
what goes wrong on the way as typed errors (`connect`). Logging in and reading the
capabilities are the session's (imap/session.py).

imapclient reads through imaplib, which trusts the server's framing. The classes here
keep imaplib's behaviour and add mailtui's rules where it reads:
- a line over `wire.MAX_LINE` (imaplib: 1,000,000 bytes, then a plain error) and a
  literal over `wire.MAX_HEADER_LITERAL` (imaplib: any size, read to EOF) are
  MalformedResponse: imapclient's commands never fetch bodies (the lean reader does);
- a PREAUTH greeting where TLS is required (security "starttls" or "tls") is refused
  with TlsError before any command is sent: after PREAUTH, STARTTLS can never happen
  (RFC 9051 §7.1.4) and the session would belong to whomever the server chose;
- STARTTLS (RFC 9051 §6.2.1, RFC 2595 §3.1): everything received in plaintext is
  dropped, and a server that sent untagged responses between STARTTLS and its OK is
  refused (TlsError) — that is where a man in the middle injects them (CVE-2011-0411's
  response-side twin), and no honest server sends any. imaplib then reads CAPABILITY
  again over TLS.
"""

from __future__ import annotations

import imaplib
import os
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from imapclient.exceptions import ProtocolError as ImapclientParseError
from imapclient.imap4 import IMAP4WithTimeout
from imapclient.imapclient import SocketTimeout
from imapclient.tls import IMAP4_TLS

from mailtui.config.trust import is_loopback
from mailtui.errors import MalformedResponse
from mailtui.imap.errors import ConnectionLost, ProtocolError, TlsError, short_error
from mailtui.imap.wire import MAX_HEADER_LITERAL, MAX_REPLY, REPLY_OBJECT_COST, read_line


class ServerLike(Protocol):
    host: str
    port: int
    security: str
    username: str
    ca_file: Path | None
    timeout: float
    ignore_capabilities: tuple[str, ...]


_contexts: dict[tuple[str, int], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def make_ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """System CAs plus an optional extra CA; hostname checked; TLS 1.2 or newer.

    One context per CA file (and its mtime) for the whole process: every connection
    (two workers, the writer, each IDLE watcher) made its own, each parsing the system
    CA store — ~1 MB resident and a hundred-odd ms of CPU apiece on these machines
    (issue 17); an SSLContext is safe to share between threads."""
    key = ("", 0)
    if ca_file is not None:
        try:
            key = (str(ca_file), os.stat(ca_file).st_mtime_ns)
        except OSError:
            key = (str(ca_file), -1)  # load_verify_locations names the problem
    with _contexts_lock:
        ctx = _contexts.get(key)
        if ctx is None:
            ctx = ssl.create_default_context()
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            if ca_file is not None:
                ctx.load_verify_locations(cafile=str(ca_file))
            _contexts[key] = ctx
        return ctx


class _Guarded:
    """Mixed into imaplib.IMAP4 subclasses: see the module docstring."""

    refuse_preauth = ""
    _starting_tls = False
    # Told each socket as soon as it exists, before the greeting is read: whoever stops
    # the session from another thread can then shut it (see abort_socket).
    on_socket: Callable[[socket.socket], None] | None = None
    # What this command's replies may still cost (see wire.MAX_REPLY); renewed by
    # `forget_replies` before each imapclient command.
    reply_budget = MAX_REPLY
    file: Any
    state: str
    untagged_responses: dict[str, list[Any]]

    def __init__(
        self,
        *args: Any,
        refuse_preauth: str = "",
        on_socket: Callable[[socket.socket], None] | None = None,
        **kwargs: Any,
    ) -> None:
        # Set before imaplib's constructor: it reads the greeting.
        self.refuse_preauth = refuse_preauth
        self.on_socket = on_socket
        super().__init__(*args, **kwargs)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]
        if self.on_socket is not None:
            self.on_socket(sock)
        return sock

    def forget_replies(self) -> None:
        """Before a command: nothing said earlier (or unasked) may answer it, and its
        own replies get a fresh budget."""
        self.untagged_responses.clear()
        self.reply_budget = MAX_REPLY

    def _spend(self, size: int) -> None:
        self.reply_budget -= size + REPLY_OBJECT_COST
        if self.reply_budget < 0:
            raise MalformedResponse(
                f"The IMAP server sent more than {MAX_REPLY >> 20} MiB for one command"
            )

    def readline(self) -> bytes:
        line = read_line(self.file)
        self._spend(len(line))
        return line

    def read(self, size: int) -> bytes:
        if size > MAX_HEADER_LITERAL:
            raise MalformedResponse(
                f"The IMAP server announced a literal of {size:,} bytes; "
                f"mailtui accepts at most {MAX_HEADER_LITERAL:,} here"
            )
        self._spend(size)
        return self.file.read(size)

    def starttls(self, ssl_context: ssl.SSLContext | None = None) -> Any:
        # The greeting and the first CAPABILITY came in plaintext: forget them.
        self.untagged_responses.clear()
        self._starting_tls = True
        try:
            return super().starttls(ssl_context)  # type: ignore[misc]
        finally:
            self._starting_tls = False

    def _get_capabilities(self) -> None:
        # imaplib calls this right after the greeting, and right after the STARTTLS
        # handshake: before it sends anything more.
        if self._starting_tls:
            self._starting_tls = False
            if self.untagged_responses:
                names = ", ".join(sorted(self.untagged_responses))
                raise TlsError(
                    f"The IMAP server sent responses ({names}) between STARTTLS and its "
                    "OK, in plaintext; mailtui refuses the connection",
                    "something between you and the server may be tampering with the "
                    'connection; security = "tls" (port 993) avoids STARTTLS',
                )
        elif self.state == "AUTH" and self.refuse_preauth:
            raise TlsError(self.refuse_preauth, "check the host, port and security settings")
        super()._get_capabilities()  # type: ignore[misc]


class _Plain(_Guarded, IMAP4WithTimeout):
    pass


class _Tls(_Guarded, IMAP4_TLS):
    pass


class GuardedClient(imapclient.IMAPClient):
    """imapclient over the guarded imaplib classes."""

    def __init__(
        self,
        host: str,
        *,
        refuse_preauth: str = "",
        on_socket: Callable[[socket.socket], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self._refuse_preauth = refuse_preauth
        self._on_socket = on_socket
        super().__init__(host, **kwargs)

    def _create_IMAP4(self) -> imaplib.IMAP4:
        connect_timeout = getattr(self._timeout, "connect", None)
        guards = {"refuse_preauth": self._refuse_preauth, "on_socket": self._on_socket}
        if self.ssl:
            return _Tls(self.host, self.port, self.ssl_context, connect_timeout, **guards)
        return _Plain(self.host, self.port, connect_timeout, **guards)


def connect(
    server: ServerLike, on_socket: Callable[[socket.socket], None] | None = None
) -> GuardedClient:
    """A connected client, secured as `server.security` says, not yet logged in.
    `on_socket` is told the socket as soon as it is connected (see abort_socket).

    Every failure is a typed error naming host and port: TlsError (certificate,
    handshake, policy), ConnectionLost (timeout, refused, reset), MalformedResponse
    (an unreadable greeting), ProtocolError (anything else the server said).
    """
    where = f"{server.host}:{server.port}"
    try:
        return open_client(server, where, on_socket)
    except ssl.SSLCertVerificationError as exc:
        raise TlsError(
            f"The certificate of {where} cannot be trusted: {exc.verify_message}",
            "if the server uses a private CA, set ca_file to its PEM certificate",
        ) from exc
    except ssl.SSLError as exc:
        raise TlsError(f"TLS with {where} failed: {exc.reason or exc}") from exc
    except TimeoutError as exc:
        raise ConnectionLost(
            f"Timed out connecting to {where}", "check the host, port and network"
        ) from exc
    except ConnectionRefusedError as exc:
        raise ConnectionLost(
            f"Nothing is listening on {where} (connection refused)",
            "check the host and port, or whether the server is up",
        ) from exc
    except OSError as exc:
        raise ConnectionLost(f"Cannot connect to {where}: {exc.strerror or exc}") from exc
    except IMAPClientAbortError as exc:  # the link died (EOF, reset) mid-handshake
        raise ConnectionLost(
            f"The connection to {where} broke during set-up: {short_error(exc)}"
        ) from exc
    except ImapclientParseError as exc:
        raise MalformedResponse(f"{where} sent an unreadable greeting: {exc}") from exc
    except IMAPClientError as exc:
        raise ProtocolError(f"{where} failed during connection set-up: {exc}") from exc
    except (ValueError, IndexError, RecursionError) as exc:
        raise MalformedResponse(f"{where} sent an unreadable greeting: {exc!r}") from exc


def open_client(
    server: ServerLike,
    where: str,
    on_socket: Callable[[socket.socket], None] | None = None,
) -> GuardedClient:
    """A connected client, secured as `server.security` says (not yet logged in).

    Raises TlsError for a policy refusal; socket and TLS errors are left to the caller.
    """
    timeout = SocketTimeout(connect=server.timeout, read=server.timeout)
    ctx = make_ssl_context(server.ca_file) if server.security != "none" else None
    refuse = (
        f"{where} greeted with PREAUTH (already logged in, without TLS ever starting); "
        "mailtui refuses a session it did not secure and authenticate itself"
        if server.security == "starttls"
        else f"{where} greeted with PREAUTH (already logged in as a user it chose); "
        "mailtui refuses a session it did not authenticate itself"
        if server.security == "tls"
        else ""
    )
    if server.security == "tls":
        return GuardedClient(
            server.host,
            port=server.port,
            ssl=True,
            ssl_context=ctx,
            timeout=timeout,
            refuse_preauth=refuse,
            on_socket=on_socket,
        )
    if server.security == "none" and not is_loopback(server.host):
        raise TlsError(
            f"Refusing a plaintext IMAP connection to {server.host}",
            'use security = "tls" or "starttls"; plaintext is only allowed to loopback',
        )
    client = GuardedClient(
        server.host,
        port=server.port,
        ssl=False,
        timeout=timeout,
        refuse_preauth=refuse,
        on_socket=on_socket,
    )
    if server.security != "starttls":
        return client
    try:
        offered = {c.upper() for c in client.capabilities()}
        if b"STARTTLS" not in offered:
            raise TlsError(
                f"{where} does not offer STARTTLS; refusing to log in without encryption",
                'check the port and security settings (security = "tls" uses port 993)',
            )
        client.starttls(ctx)
    except BaseException:
        _hang_up(client)  # nothing more is said on a connection refused
        raise
    return client


def _hang_up(client: imapclient.IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:
        pass


def close_quietly(client: imapclient.IMAPClient) -> None:
    """Log out if the link allows, else just close the socket; never raises."""
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            pass


def abort_socket(sock: socket.socket | None) -> None:
    """Shut the connection down under whichever thread is blocked on it; never raises.

    Safe from any thread: shutdown(2) makes a blocked recv return at once (EOF, so the
    owner's read ends in ConnectionLost) where close() from another thread would not.
    The plain socket's own shutdown, also for a TLS socket: ssl's override drops the
    TLS state the reading thread is still using. The owner closes the socket.
    """
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError, TypeError):
        pass  # not connected yet, or already shut or closed


class Abort:
    """Lets any thread stop a session's connection, from the moment its socket exists.

    The session passes `opened` to `connect` as `on_socket`; `abort()` may come before
    (the socket is then shut as soon as it exists), during or after set-up.
    """

    def __init__(self) -> None:
        self.socket: socket.socket | None = None
        self.requested = False
        self._event = threading.Event()

    def wait(self, seconds: float) -> bool:
        """Sleep `seconds` (a server's "not now"), ended at once by an abort; True if
        aborted."""
        return self._event.wait(seconds)

    def opened(self, sock: socket.socket) -> None:
        self.socket = sock
        if self.requested:
            abort_socket(sock)

    def __call__(self, client: imapclient.IMAPClient | None) -> None:
        self.requested = True
        self._event.set()
        imap = getattr(client, "_imap", None)
        abort_socket(getattr(imap, "sock", None) or self.socket)
