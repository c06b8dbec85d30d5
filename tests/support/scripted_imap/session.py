"""One client connection: reading commands and literals, the hook chain, answering.

Each session runs in its own thread and owns its socket. Another session's change
reaches it through the store's listener, which only pokes a wake-up socket; the news
itself is computed from the store by the session's `SelectedView` when it may tell
the client (command end, NOOP, IDLE — see view.py).
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.support.scripted_imap.protocol import Literal, ParseError, Token, tokenize
from tests.support.scripted_imap.registry import (
    HANDLERS,
    NOT_AUTHENTICATED,
    SELECTED,
    Command,
    Hook,
)
from tests.support.scripted_imap.view import SelectedView, ViewGone

if TYPE_CHECKING:
    from tests.support.scripted_imap.server import ScriptedImap

_LITERAL = re.compile(rb"~?\{(\d+)(\+?)\}\r?\n$")
# RFC 9051 §7.5.1: no EXPUNGE while answering these (sequence numbers would shift).
_NO_EXPUNGE = frozenset({"FETCH", "STORE", "SEARCH"})


class Disconnect(Exception):
    """The session ends: the client left, or the server hung up on purpose."""


class Session:
    """Server side of one IMAP connection (see the module docstring)."""

    def __init__(
        self, server: ScriptedImap, sock: socket.socket, number: int, *, tls: bool
    ) -> None:
        self.server = server
        self.store = server.store
        self.sock = sock
        self.number = number
        self.tls = tls
        self.state = NOT_AUTHENTICATED
        self.user: str | None = None
        self.view: SelectedView | None = None
        self.enabled: set[str] = set()
        # Per-session capability lists (None: the server's), e.g. for one odd connection.
        self.post_login_caps: list[str] | None = None
        self.pre_login_caps: list[str] | None = None
        self.offer_starttls = True
        self.hooks: dict[str, list[Hook]] = {}
        self.filters: list[Callable[[bytes], bytes]] = []
        self.data: dict[str, Any] = {}  # scratch space for hooks (counters, flags)
        self.closed = threading.Event()
        self._buf = bytearray()
        self._out = bytearray()
        self._send_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._unsubscribe = self.store.subscribe(self._on_change)

    # --- configuration, per session ----------------------------------------------------

    def on(self, name: str, hook: Hook) -> None:
        """Hook a command for this session only (runs before the server's hooks)."""
        self.hooks.setdefault(name.upper(), []).append(hook)

    def capabilities(self) -> list[str]:
        """What this session advertises now (before/after login, with or without TLS)."""
        return self.server.capabilities_for(self)

    def has(self, capability: str) -> bool:
        return capability.upper() in {c.upper() for c in self.capabilities()}

    # --- output ------------------------------------------------------------------------

    def send_raw(self, data: bytes, *, flush: bool = True) -> None:
        """Bytes exactly as given: no filters, no CRLF added (for hostile scripts), and
        on the wire at once unless `flush=False`."""
        with self._send_lock:
            self.server.log(self.number, "S", data)
            self._out += data
            if flush or len(self._out) >= 65536:
                self._flush_locked()

    def flush(self) -> None:
        """Put buffered responses on the wire (done before every wait for the client)."""
        with self._send_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        if not self._out:
            return
        data, self._out = bytes(self._out), bytearray()
        try:
            self.sock.sendall(data)
        except (OSError, ValueError) as exc:
            raise Disconnect(str(exc)) from exc

    def send(self, line: bytes) -> None:
        """One response line (literals inside allowed), through the output filters.
        Buffered: a 5000-message FETCH is a few big writes, not 5000 TLS records."""
        for rewrite in (*self.server.filters, *self.filters):
            line = rewrite(line)
        self.send_raw(line + b"\r\n", flush=False)

    def untagged(self, text: bytes | str) -> None:
        self.send(b"* " + (text.encode() if isinstance(text, str) else text))

    def respond(self, cmd: Command, status: str, text: str, code: str | None = None) -> None:
        """The tagged reply; OK and NO first carry the news this session owes (view.py)."""
        if status in ("OK", "NO") and self.view is not None and self._reports(cmd):
            news = self.report(expunges=cmd.name not in _NO_EXPUNGE)
            if (
                news
                and self.view is not None
                and self.view.condstore
                and status == "OK"
                and not code
            ):
                code = f"HIGHESTMODSEQ {self.view.highestmodseq(self.store)}"
        coded = f"[{code}] " if code else ""
        self.send(f"{cmd.tag} {status} {coded}{text}".encode("utf-8", "surrogateescape"))
        cmd.responded = True

    def ok(self, cmd: Command, text: str = "", code: str | None = None) -> None:
        self.respond(cmd, "OK", text or f"{cmd.verb.title()} completed.", code)

    def no(self, cmd: Command, text: str, code: str | None = None) -> None:
        self.respond(cmd, "NO", text, code)

    def bad(self, cmd: Command, text: str, code: str | None = None) -> None:
        self.respond(cmd, "BAD", text, code)

    def report(self, *, expunges: bool = True) -> list[bytes]:
        """Send the selected folder's news now; returns the lines sent."""
        if self.view is None:
            return []
        try:
            lines = self.view.sync(self.store, expunges=expunges)
        except ViewGone:
            self.untagged("BYE Selected mailbox was deleted, have to disconnect.")
            raise Disconnect("selected mailbox gone") from None
        for line in lines:
            self.send(line)
        return lines

    def _reports(self, cmd: Command) -> bool:
        when = self.server.report_on
        return when is None or cmd.verb in when or cmd.name in when

    # --- input -------------------------------------------------------------------------

    def _fill(self) -> None:
        self.flush()  # the client may be waiting for what we have before it says more
        try:
            data = self.sock.recv(65536)
        except (OSError, ValueError) as exc:
            raise Disconnect(str(exc)) from exc
        if not data:
            raise Disconnect("client closed the connection")
        self._buf += data

    def readline(self) -> bytes:
        """One line with its line end; a line longer than the server's limit ends the session."""
        limit = self.server.max_line
        while True:
            end = self._buf.find(b"\n")
            if end >= 0:
                line = bytes(self._buf[: end + 1])
                del self._buf[: end + 1]
                return line
            if len(self._buf) > limit:
                self.untagged("BAD Line too long.")
                raise Disconnect("line too long")
            self._fill()

    def read_exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._fill()
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def read_command(self) -> tuple[bytes, list[bytes]] | None:
        """(first line, parts with `Literal`s) of the next command; None if a literal was refused.

        A synchronising literal `{n}` gets a "+ OK" continuation first (RFC 9051 §7.6);
        a non-synchronising `{n+}` (RFC 7888) is read straight away.
        """
        line = self.readline()
        first = line
        parts: list[bytes] = []
        while (m := _LITERAL.search(line)) is not None:
            size = int(m.group(1))
            parts.append(line[: m.start()])
            if size > self.server.max_literal:
                tag = first.split(b" ", 1)[0].decode("ascii", "replace")
                if m.group(2):
                    self.untagged("BYE Literal too big.")
                    raise Disconnect("literal too big")
                self.send(f"{tag} NO [TOOBIG] Literal too big.".encode())
                return None
            if not m.group(2):
                self.send_raw(b"+ OK\r\n")
            parts.append(Literal(self.read_exact(size)))
            line = self.readline()
        parts.append(line.rstrip(b"\r\n"))
        self.server.log(self.number, "C", b"".join(bytes(p) for p in parts))
        return first, parts

    def wait(self, timeout: float | None = None) -> str:
        """Block until the client sends something ("input") or the store changed ("wake")."""
        self.flush()
        pending = getattr(self.sock, "pending", lambda: 0)()
        if self._buf or pending:
            return "input"
        try:
            ready, _, _ = select.select([self.sock, self._wake_r], [], [], timeout)
        except (OSError, ValueError) as exc:
            raise Disconnect(str(exc)) from exc
        if self.sock in ready:
            return "input"
        return "wake" if ready else "timeout"

    def drain_wakes(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass

    def _on_change(self, folder: str) -> None:
        view = self.view
        if view is not None and view.name == folder:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    # --- TLS ---------------------------------------------------------------------------

    def start_tls(self) -> None:
        """Wrap the socket after STARTTLS's OK. Bytes the client sent after STARTTLS and
        before the handshake are dropped (plaintext injection, RFC 9051 §6.2.1)."""
        self._buf.clear()
        self.flush()
        try:
            self.sock = self.server.server_context().wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            raise Disconnect(f"TLS handshake failed: {exc}") from exc
        self.tls = True

    # --- running -----------------------------------------------------------------------

    def run(self) -> None:
        """Greet, then read and dispatch commands until LOGOUT, EOF or a server hang-up."""
        try:
            self.dispatch(Command("*", "GREETING"))
            while not self.closed.is_set():
                read = self.read_command()
                if read is None:
                    continue
                first, parts = read
                cmd = self.parse(first, parts)
                if cmd is not None:
                    self.dispatch(cmd)
        except Disconnect:
            pass
        finally:
            with contextlib.suppress(Disconnect):
                self.flush()  # a BYE, a LOGOUT's OK
            self.close()

    def parse(self, first: bytes, parts: list[bytes]) -> Command | None:
        """A Command, or None after answering BAD to a line that is not one."""
        try:
            tokens: list[Token] = tokenize(parts)
        except ParseError as exc:
            tag = first.split(b" ", 1)[0].decode("ascii", "replace") or "*"
            self.send(f"{tag} BAD Error in IMAP command: {exc}".encode())
            return None
        if len(tokens) < 2 or not all(isinstance(t, str) for t in tokens[:2]):
            self.untagged("BAD Error in IMAP command received by server.")
            return None
        tag, name = str(tokens[0]), str(tokens[1]).upper()
        args = tokens[2:]
        if name == "UID" and args and isinstance(args[0], str):
            name = "UID " + args.pop(0).upper()
        return Command(tag, name, args, first.rstrip(b"\r\n"))

    def dispatch(self, cmd: Command) -> None:
        """Run the hook chain for `cmd`: session hooks, server hooks, "*" hooks, the
        server's lies, then the built-in handler (state-checked)."""
        chain: list[Hook] = [
            *self.hooks.get(cmd.name, ()),
            *self.server.hooks.get(cmd.name, ()),
            *self.hooks.get("*", ()),
            *self.server.hooks.get("*", ()),
        ]
        if cmd.name != "GREETING" and self.server.lies.lying_about(cmd):
            chain.append(self.server.lies.hook)

        def step(index: int) -> Callable[[Command], None]:
            def run(command: Command) -> None:
                if index < len(chain):
                    chain[index](self, command, step(index + 1))
                else:
                    self._builtin(command)

            return run

        step(0)(cmd)

    def _builtin(self, cmd: Command) -> None:
        entry = HANDLERS.get(cmd.name)
        if entry is None:
            self.bad(cmd, "Unknown command.")
        elif self.state not in entry.states:
            if self.state == NOT_AUTHENTICATED:
                self.no(cmd, "Not logged in.")
            elif SELECTED in entry.states and len(entry.states) == 1:
                self.bad(cmd, "No mailbox selected.")
            else:
                self.bad(cmd, "Command not allowed in this state.")
        else:
            try:
                entry.handler(self, cmd)
            except ParseError as exc:
                if not cmd.responded:
                    self.bad(cmd, f"Error in IMAP command {cmd.name}: {exc}")

    def close(self) -> None:
        """End the session from any thread; its thread leaves its loop."""
        if self.closed.is_set():
            return
        self.closed.set()
        self._unsubscribe()
        with contextlib.suppress(OSError):
            # socket.socket's own shutdown: SSLSocket's would tear down its TLS state
            # under the session thread's feet.
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        for s in (self.sock, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                s.close()
        self.server.forget(self)
