"""ScriptedImap: the listening server, its configuration knobs and its hook tables.

It listens on 127.0.0.1 only, on two free high ports like tests/support/dovecot.py:
`imap_port` (plaintext, with STARTTLS) and `imaps_port` (implicit TLS), with a
certificate from a throw-away `trustme` CA written to `ca_file`. It has the attributes
the account helpers read from a `Dovecot` (`host`, `imap_port`, `imaps_port`,
`ca_file`), and `user` stands in for a `MailUser`, so
`accounts.context_for(server, server.user, tmp_path)` configures mailtui against it.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import trustme

# Importing these registers the built-in command handlers.
from tests.support.scripted_imap import commands, messages  # noqa: F401
from tests.support.scripted_imap.registry import NOT_AUTHENTICATED, Command, Hook, Next
from tests.support.scripted_imap.session import Session
from tests.support.scripted_imap.store import Mailstore

if TYPE_CHECKING:
    import imapclient

# What Dovecot 2.3 offers after login, less what this server does not implement.
DEFAULT_CAPABILITIES = [
    "IMAP4rev1",
    "SASL-IR",
    "ID",
    "ENABLE",
    "IDLE",
    "LITERAL+",
    "UNSELECT",
    "CHILDREN",
    "NAMESPACE",
    "UIDPLUS",
    "LIST-EXTENDED",
    "CONDSTORE",
    "QRESYNC",
    "ESEARCH",
    "LIST-STATUS",
    "MOVE",
    "SPECIAL-USE",
    "MULTIAPPEND",
]
# And before login (STARTTLS is added on a plaintext connection, as Dovecot does).
DEFAULT_PRE_LOGIN = ["IMAP4rev1", "SASL-IR", "ID", "ENABLE", "IDLE", "LITERAL+", "AUTH=PLAIN"]
# Writes a liar can be told to ignore (the command name without "UID ").
WRITES = frozenset(
    {
        "STORE",
        "MOVE",
        "COPY",
        "APPEND",
        "CREATE",
        "DELETE",
        "RENAME",
        "EXPUNGE",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
    }
)


@dataclass(frozen=True)
class ScriptedUser:
    """Login details, shaped like `dovecot.MailUser` for the account helpers."""

    name: str
    password: str

    @property
    def address(self) -> str:
        return f"{self.name}@example.test"


@dataclass
class Lies:
    """A server that answers OK and does nothing, per command family (see WRITES).

    `ignore_writes={"STORE"}` acknowledges UID STORE and STORE with a bare OK and no
    untagged data, leaving the store untouched: what mailtui must never trust.
    """

    ignore_writes: set[str] = field(default_factory=set)

    def lying_about(self, cmd: Command) -> bool:
        return cmd.verb in {w.upper() for w in self.ignore_writes}

    def hook(self, session: Session, cmd: Command, _next: Next) -> None:
        session.ok(cmd)


class ScriptedImap:
    """A stateful IMAP server for tests; see the package docstring for the tour."""

    def __init__(
        self,
        store: Mailstore | None = None,
        *,
        users: dict[str, str] | None = None,
        capabilities: Iterable[str] = DEFAULT_CAPABILITIES,
        pre_login_capabilities: Iterable[str] = DEFAULT_PRE_LOGIN,
        report_on: Iterable[str] | None = None,
        lies: Lies | None = None,
        rawlog: bool = False,
        cert_hostnames: tuple[str, ...] = ("localhost", "127.0.0.1"),
        base: Path | None = None,
    ) -> None:
        self.store = store or Mailstore()
        self.users = dict(users or {"alice": "secret"})
        self.capabilities = list(capabilities)
        self.pre_login_capabilities = list(pre_login_capabilities)
        # Commands after which a session tells its client about folder changes; None =
        # after every command (Dovecot). {"NOOP", "IDLE"} makes a lazier server.
        self.report_on: frozenset[str] | None = (
            None if report_on is None else frozenset(c.upper() for c in report_on)
        )
        self.lies = lies or Lies()
        # Microsoft 365 marks Sent Items etc. in every LIST without advertising
        # SPECIAL-USE: True sends the attributes whatever the capabilities say.
        self.special_use_in_list = False
        # The order untagged EXPUNGEs go out in (view.py): "descending" (Dovecot),
        # "ascending" or "shuffled" (Office 365 sends them in other orders; every order
        # is valid as long as each number counts the ones already expunged).
        self.expunge_order = "descending"
        self.hooks: dict[str, list[Hook]] = {}
        self.filters: list[Callable[[bytes], bytes]] = []
        self.session_hooks: list[Callable[[Session], None]] = []
        self.max_line = 1 << 20
        self.max_literal = 64 << 20
        self.host = "127.0.0.1"
        self.rawlog: list[tuple[int, str, bytes]] | None = [] if rawlog else None
        self.sessions: list[Session] = []
        self.logins: list[tuple[str, bool]] = []  # (username, accepted), in order
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._listeners: list[socket.socket] = []
        self._running = threading.Event()
        self.ca = trustme.CA()
        self._cert = self.ca.issue_cert(*cert_hostnames)
        self._base = base
        self.ca_file = self._write_ca(base)
        self._context: ssl.SSLContext | None = None
        self.imap_port = self.imaps_port = 0

    # --- configuration -------------------------------------------------------------------

    @property
    def user(self) -> ScriptedUser:
        """The first configured user (what most tests log in as)."""
        name, password = next(iter(self.users.items()))
        return ScriptedUser(name, password)

    def on(self, name: str, hook: Hook) -> Hook:
        """Hook a command on every session ("UID STORE", "GREETING", "*" for all).
        Later hooks run inside earlier ones. Returns the hook, for `off`."""
        self.hooks.setdefault(name.upper(), []).append(hook)
        return hook

    def off(self, name: str, hook: Hook) -> None:
        with contextlib.suppress(ValueError, KeyError):
            self.hooks[name.upper()].remove(hook)

    def on_session(self, fn: Callable[[Session], None]) -> None:
        """Call `fn(session)` for each new connection before its greeting (per-session
        hooks, capabilities or filters: e.g. only the third connection is throttled)."""
        self.session_hooks.append(fn)

    def rewrite(self, fn: Callable[[bytes], bytes]) -> None:
        """Pass every response line (not `send_raw` bytes) through `fn` on its way out."""
        self.filters.append(fn)

    def capabilities_for(self, session: Session) -> list[str]:
        """Per phase, as real servers do (Microsoft 365 offers MOVE only after login)."""
        if session.state != NOT_AUTHENTICATED:
            return list(session.post_login_caps or self.capabilities)
        caps = list(session.pre_login_caps or self.pre_login_capabilities)
        if not session.tls and session.offer_starttls and "STARTTLS" not in caps:
            caps.append("STARTTLS")
        return caps

    def log(self, number: int, direction: str, data: bytes) -> None:
        """Keep the exchange when rawlog=True: for reading while debugging a test only —
        tests assert the store's state, never the commands that were sent."""
        if self.rawlog is not None:
            self.rawlog.append((number, direction, data))

    def rawlog_text(self) -> str:
        lines = [f"{n} {d}: {data[:300]!r}" for n, d, data in self.rawlog or []]
        return "\n".join(lines)

    # --- TLS -------------------------------------------------------------------------------

    def _write_ca(self, base: Path | None) -> Path:
        if base is None:
            import tempfile

            base = Path(tempfile.mkdtemp(prefix="scripted-imap-"))
            self._tmp = base
        else:
            self._tmp = None
        base.mkdir(parents=True, exist_ok=True)
        path = base / "scripted-ca.pem"
        self.ca.cert_pem.write_to_path(str(path))
        return path

    def server_context(self) -> ssl.SSLContext:
        if self._context is None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._cert.configure_cert(ctx)
            self._context = ctx
        return self._context

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this server's CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> ScriptedImap:
        """Listen on two free ports (plaintext+STARTTLS, implicit TLS); returns self."""
        if self._running.is_set():
            return self
        self._running.set()
        for tls in (False, True):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, 0))
            listener.listen(64)
            self._listeners.append(listener)
            if tls:
                self.imaps_port = listener.getsockname()[1]
            else:
                self.imap_port = listener.getsockname()[1]
            thread = threading.Thread(
                target=self._accept, args=(listener, tls), daemon=True, name="scripted-imap-accept"
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _accept(self, listener: socket.socket, tls: bool) -> None:
        while self._running.is_set():
            try:
                conn, _addr = listener.accept()
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(conn, tls), daemon=True, name="scripted-imap-session"
            )
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, tls: bool) -> None:
        if tls:
            try:
                conn = self.server_context().wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                with contextlib.suppress(OSError):
                    conn.close()
                return
        session = Session(self, conn, next(self._numbers), tls=tls)
        with self._lock:
            if not self._running.is_set():
                session.close()
                return
            self.sessions.append(session)
        for fn in self.session_hooks:
            fn(session)
        session.run()

    def forget(self, session: Session) -> None:
        with self._lock:
            if session in self.sessions:
                self.sessions.remove(session)

    def stop(self) -> None:
        """Close the listeners and every session; returns once their threads ended."""
        self._running.clear()
        for listener in self._listeners:
            # shutdown() wakes the thread blocked in accept() (close() alone does not).
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                listener.close()
        self._listeners.clear()
        with self._lock:
            sessions = list(self.sessions)
            threads = list(self._threads)
        for session in sessions:
            session.close()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            import shutil

            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> ScriptedImap:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- clients, for tests -----------------------------------------------------------------

    def client(
        self, *, tls: bool = True, starttls: bool = False, login: bool = True
    ) -> imapclient.IMAPClient:
        """A (logged-in) imapclient on this server, as `Dovecot.client` gives one (the
        server itself needs only the standard library and trustme)."""
        import imapclient

        if tls and not starttls:
            c = imapclient.IMAPClient(
                self.host, self.imaps_port, ssl=True, ssl_context=self.ssl_context(), timeout=10
            )
        else:
            c = imapclient.IMAPClient(self.host, self.imap_port, ssl=False, timeout=10)
            if starttls:
                c.starttls(self.ssl_context())
        if login:
            user = self.user
            c.login(user.name, user.password)
        return c
