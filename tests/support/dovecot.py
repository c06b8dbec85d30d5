"""A private Dovecot IMAP server for the test suite and the benchmarks.

Each `Dovecot` owns a temp directory holding its own config, base_dir, state_dir,
log, passwd-files and user homes, and listens only on 127.0.0.1 on free high ports:
one listener for plaintext + STARTTLS and one for implicit TLS, with a certificate
from a throw-away `trustme` CA. The system Dovecot service is never touched.

Privileges (Dovecot 2.3 rules, learnt the hard way):
- login processes must not run as root, mail processes must not run as root, and a
  passwd-file userdb refuses UID 0. So when the tests run as root the master and the
  internal services run as root, imap-login as `dovenull`, and every mail user as the
  `dovecot` system user; homes are chowned to it and the directories above the
  instance get o+x / g+x (traverse, not list) so that user can reach its home.
- As a normal user everything runs as that user (no chroot, no setuid).

Per-user capabilities: `add_user(disable={"QRESYNC"})` writes a userdb extra field
`userdb_imap_capability=...` with the full post-login set minus the disabled names.
passwd-file splits extra fields on spaces, so the spaces inside that value are written
as `%{env:MAILTUI_DOVECOT_SP}`, which the auth process expands to a space (the master
passes the variable through `import_environment`). Hiding a capability only changes
what is advertised; Dovecot still answers the command if a client sends it anyway, so
tests that must prove a command was *not* used should read the user's rawlog.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import grp
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import imapclient
import trustme

DOVECOT_BIN_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
SPACE_VAR = "MAILTUI_DOVECOT_SP"
MAIL_DOMAIN = "example.test"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
# Unix socket paths must fit in sun_path (108 bytes); Dovecot's longest name under
# base_dir is about 30 characters, so keep base_dir short or move it to /tmp.
MAX_BASE_DIR_LEN = 70
COMPRESS_CONFIG = """\
mail_plugins = $mail_plugins zlib
protocol imap {
  mail_plugins = $mail_plugins imap_zlib
}
"""
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

# RFC 6154 special-use mailboxes every test account has (created and subscribed).
SPECIAL_USE = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Archive": "\\Archive",
    "Junk": "\\Junk",
}

_live: weakref.WeakSet[Dovecot] = weakref.WeakSet()


def _stop_all_at_exit() -> None:
    """Last line of defence when a test run ends without finalizers."""
    for instance in list(_live):
        with contextlib.suppress(Exception):
            instance.stop()


atexit.register(_stop_all_at_exit)


def find_dovecot() -> str:
    """Path of the dovecot binary, or a clear error saying how to get it."""
    for candidate in DOVECOT_BIN_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("dovecot")
    if found:
        return found
    raise FileNotFoundError("dovecot not found; install it with: apt-get install dovecot-imapd")


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Ports the kernel says are free right now (bound together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _set_pdeathsig() -> None:
    """Runs in the child before exec: SIGTERM dovecot if the test process dies.

    This is what cleans up after a test run killed with SIGKILL, where neither
    fixture finalizers nor atexit get a chance.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _children_of(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc (Linux)."""
    kids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 2 (comm) is parenthesised and may contain spaces: split after it.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            kids.append(int(entry.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2 :].split()[0]
    return state != b"Z"


def _is_log_process(pid: int) -> bool:
    """Dovecot's log service retitles itself "dovecot-<instance>/log"."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].endswith(b"/log")
    except OSError:
        return False


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class MailUser:
    """A passwd-file user of one test Dovecot, with where its mail lives on disk."""

    name: str
    password: str
    home: Path
    maildir: Path
    disabled: frozenset[str] = frozenset()
    rawlog_dir: Path | None = None
    uid: int = field(default=-1, repr=False)
    gid: int = field(default=-1, repr=False)

    @property
    def address(self) -> str:
        return f"{self.name}@{MAIL_DOMAIN}"


class Dovecot:
    """One private Dovecot instance; see the module docstring for the why of its setup."""

    host: str
    imap_port: int
    imaps_port: int
    ca_file: Path
    ca: trustme.CA
    log_path: Path

    def __init__(
        self,
        base: Path,
        *,
        ssl: bool = True,
        cert_hostnames: tuple[str, ...] = ("localhost", "127.0.0.1"),
        extra_config: str = "",
        cert_not_after: datetime | None = None,
        compress: bool = False,
    ) -> None:
        self.base = Path(base).resolve()
        self.base.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.ssl = ssl
        self.extra_config = extra_config
        # COMPRESS=DEFLATE (RFC 4978) offered after login: Dovecot's imap_zlib plugin.
        # Off by default, so the shared server's traffic stays readable by the fault
        # proxy and the rawlogs tests inspect.
        self.compress = compress
        self.binary = find_dovecot()
        self.config_path = self.base / "dovecot.conf"
        self.users_dir = self.base / "users"
        self.state_dir = self.base / "state"
        self.homes = self.base / "home"
        self.log_path = self.base / "dovecot.log"
        self.ca_file = self.base / "ca.pem"
        self.cert_file = self.base / "server.pem"
        self._base_dir_tmp: Path | None = None
        self._homes_tmp: Path | None = None
        run_dir = self.base / "run"
        as_root = os.geteuid() == 0
        if len(str(run_dir)) > MAX_BASE_DIR_LEN or as_root:
            self._base_dir_tmp = Path(tempfile.mkdtemp(prefix="mailtui-dc-"))
            run_dir = self._base_dir_tmp
        if as_root:
            # The mail uid must reach the homes. Under pytest's tmp dir that depends on
            # /tmp/pytest-of-root's mode, which any other pytest run resets to 0700; a
            # directory of our own directly in /tmp does not.
            self._homes_tmp = Path(tempfile.mkdtemp(prefix="mailtui-homes-"))
            self.homes = self._homes_tmp
        self.run_dir = run_dir
        self.instance_name = f"mailtui-{os.getpid()}-{id(self) & 0xFFFFFF:x}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._users: dict[str, MailUser] = {}
        self._counter = itertools.count(1)
        self._full_caps: tuple[str, ...] | None = None
        self._started_once = False

        self._setup_identities()
        self.ca = trustme.CA()
        validity = {}
        if cert_not_after is not None:  # e.g. in the past, for "expired certificate" tests
            validity = {
                "not_before": cert_not_after - timedelta(days=30),
                "not_after": cert_not_after,
            }
        server_cert = self.ca.issue_cert(*cert_hostnames, **validity)
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        server_cert.private_key_and_cert_chain_pem.write_to_path(str(self.cert_file))
        self.cert_file.chmod(0o600)
        for d in (self.state_dir, self.homes, self.users_dir):
            d.mkdir(exist_ok=True)
        self.users_dir.chmod(0o700)
        if self._root:
            self.homes.chmod(0o711)
        self.imap_port, self.imaps_port = free_ports(2, self.host)

    # -- identities -------------------------------------------------------------

    def _setup_identities(self) -> None:
        """Pick which system users the services and the mail users run as."""
        self._root = os.geteuid() == 0
        if self._root:
            try:
                mail = pwd.getpwnam("dovecot")
            except KeyError:
                mail = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = mail.pw_uid, mail.pw_gid
            self.internal_user, self.internal_group = "root", "root"
            self.login_user = "dovenull"
            try:
                pwd.getpwnam(self.login_user)
            except KeyError:
                self.login_user = "nobody"
        else:
            me = pwd.getpwuid(os.getuid())
            self.mail_uid, self.mail_gid = me.pw_uid, me.pw_gid
            self.internal_user = self.login_user = me.pw_name
            self.internal_group = grp.getgrgid(me.pw_gid).gr_name

    def _make_traversable(self, path: Path) -> None:
        """Let the mail uid walk down to `path` (as root the homes' parents are 0700)."""
        for parent in [path, *path.parents]:
            mode = parent.stat().st_mode
            if mode & 0o011 != 0o011:
                parent.chmod((mode & 0o7777) | 0o011)

    # -- configuration ----------------------------------------------------------

    def _config(self) -> str:
        mailboxes = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
            for name, flag in SPECIAL_USE.items()
        )
        imaps = (
            f"  inet_listener imaps {{\n    address = {self.host}\n"
            f"    port = {self.imaps_port}\n    ssl = yes\n  }}\n"
            if self.ssl
            else "  inet_listener imaps {\n    port = 0\n  }\n"
        )
        ssl_block = (
            f"ssl = yes\nssl_cert = <{self.cert_file}\nssl_key = <{self.cert_file}\n"
            "ssl_min_protocol = TLSv1.2\n"
            if self.ssl
            else "ssl = no\n"
        )
        chroot = "" if self._root else "  chroot =\n"
        # chroot() needs root: without it, switch off every default chroot.
        no_chroots = (
            ""
            if self._root
            else "".join(
                f"service {svc} {{\n  chroot =\n}}\n"
                for svc in ("anvil", "ipc", "imap-urlauth-login", "old-stats", "aggregator")
            )
        )
        return f"""\
# Generated by tests/support/dovecot.py for one test run; safe to delete.
base_dir = {self.run_dir}
state_dir = {self.state_dir}
instance_name = {self.instance_name}
log_path = {self.log_path}
protocols = imap
listen = {self.host}
shutdown_clients = yes
{ssl_block}\
# Tests talk over loopback, sometimes without TLS on purpose.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Tests log in with wrong passwords on purpose: no failure delay, and no anvil auth
# penalty (see the anvil service below), which would otherwise delay every later login
# from 127.0.0.1, good ones included, by up to 15 seconds across the whole suite.
auth_failure_delay = 0
default_internal_user = {self.internal_user}
default_internal_group = {self.internal_group}
default_login_user = {self.login_user}
first_valid_uid = {self.mail_uid}
first_valid_gid = {self.mail_gid}
import_environment = TZ {SPACE_VAR}
mail_location = maildir:~/Maildir
# (also what makes Dovecot offer NOTIFY, RFC 5465: live counts on one connection)
mailbox_list_index = yes
mail_fsync = never
mail_max_userip_connections = 10000
# IDLE notices changes by inotify; this bounds the wait where that is unavailable.
mailbox_idle_check_interval = 1 secs
# One passwd-file per user: Dovecot re-stats a passwd-file at most once a second, so
# a user appended to a shared file right after a login could stay unknown for up to
# a second; a new file (new path) is read on its first lookup.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.users_dir}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
{imaps}\
  service_count = 0
  process_min_avail = 1
{chroot}\
}}
service imap {{
  process_limit = 1024
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
{no_chroots}\
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
{mailboxes}
}}
{COMPRESS_CONFIG if self.compress else ""}\
{self.extra_config}
"""

    # -- lifecycle --------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start dovecot and return once it greets on its ports."""
        if self.running:
            return
        attempts = 1 if self._started_once else 3
        for attempt in range(attempts):
            try:
                self._start_once()
            except _PortInUse:
                if attempt == attempts - 1:
                    raise
                # Someone took a port between our probe and dovecot's bind: pick others.
                self.imap_port, self.imaps_port = free_ports(2, self.host)
                continue
            self._started_once = True
            _live.add(self)
            return

    def _start_once(self) -> None:
        self.config_path.write_text(self._config())
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), SPACE_VAR: " "}
        if "TZ" in os.environ:
            env["TZ"] = os.environ["TZ"]
        stderr_path = self.base / "dovecot.stderr"
        with open(stderr_path, "ab") as err:
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                env=env,
                start_new_session=True,  # Ctrl-C reaches pytest, which stops us in order
                preexec_fn=_set_pdeathsig,
            )
        deadline = time.monotonic() + START_TIMEOUT
        try:
            self._wait_ready(deadline)
        except Exception:
            tail = self.log_tail(log_offset)
            self._terminate()
            if "Address already in use" in tail:
                raise _PortInUse(tail) from None
            raise

    def _wait_ready(self, deadline: float) -> None:
        """Poll until the plaintext port greets (and the TLS port answers)."""
        assert self._proc is not None
        pending = [self._greets]
        if self.ssl:
            pending.append(self._tls_answers)
        while pending:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited with status {self._proc.returncode} during start-up:\n"
                    + self.log_tail()
                )
            if pending[0]():
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start in time:\n" + self.log_tail())
            time.sleep(0.01)  # poll interval, not synchronisation

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.imap_port), timeout=1) as s:
                return s.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _tls_answers(self) -> bool:
        # A readiness probe only: the certificate may name other hosts on purpose.
        ctx = self.ssl_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((self.host, self.imaps_port), timeout=1) as s,
                ctx.wrap_socket(s, server_hostname=self.host) as t,
            ):
                return t.recv(64).startswith(b"* OK")
        except (OSError, ssl.SSLError):
            return False

    def stop(self) -> None:
        """Stop dovecot; returns when its processes are gone and its ports closed."""
        if self._proc is None:
            return
        self._terminate()
        _live.discard(self)
        deadline = time.monotonic() + STOP_TIMEOUT
        ports = [self.imap_port] + ([self.imaps_port] if self.ssl else [])
        while any(_port_open(self.host, p) for p in ports):
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot ports {ports} still open after stop")
            time.sleep(0.01)

    def _terminate(self) -> None:
        proc = self._proc
        if proc is None:
            return
        kids = set(_children_of(proc.pid))
        deadline = time.monotonic() + STOP_TIMEOUT
        if proc.poll() is None:
            proc.terminate()
            # The master only SIGQUITs mail processes with a client attached and waits
            # ten seconds for them; SIGTERM makes them say "BYE Server shutting down"
            # and exit at once, which is what a client sees when a server restarts.
            for kid in kids:
                if self._owns(kid) and not _is_log_process(kid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(kid, signal.SIGTERM)
        while proc.poll() is None:
            kids.update(_children_of(proc.pid))
            kids = {k for k in kids if _alive(k)}
            workers = [k for k in kids if not _is_log_process(k)]
            if not workers or time.monotonic() > deadline:
                # On SIGTERM the master stops every child (clients are disconnected),
                # signals its log process and then sleeps a fixed second before exiting.
                # Once only the log process is left nothing is worth waiting for; it
                # exits by itself when the master's pipes close.
                proc.kill()
                proc.wait()
                with contextlib.suppress(OSError):
                    (self.run_dir / "master.pid").unlink()
                break
            time.sleep(0.005)
        while kids := {k for k in kids if _alive(k)}:
            if time.monotonic() > deadline:
                for k in kids:
                    if self._owns(k):
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(k, signal.SIGKILL)
                break
            time.sleep(0.005)
        self._proc = None

    def _owns(self, pid: int) -> bool:
        """Whether `pid` is still one of this instance's processes (not a reused pid)."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read()
        except OSError:
            return False
        return title.startswith(f"dovecot-{self.instance_name}/".encode())

    def restart(self) -> None:
        """Stop and start again on the same ports, keeping all mail and users."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop and remove the short-path base_dir this instance may have made."""
        self.stop()
        for tmp in (self._base_dir_tmp, self._homes_tmp):
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, offset: int = 0, max_chars: int = 4000) -> str:
        """The end of the log (and stderr), for error messages."""
        parts = []
        for path, off in ((self.log_path, offset), (self.base / "dovecot.stderr", 0)):
            with contextlib.suppress(OSError):
                data = path.read_bytes()[off:]
                if data:
                    parts.append(data.decode("utf-8", "replace")[-max_chars:])
        return "\n".join(parts) or "(dovecot log is empty)"

    # -- users ------------------------------------------------------------------

    def add_user(
        self,
        name: str | None = None,
        password: str = "secret",
        *,
        disable: Iterable[str] = (),
        rawlog: bool = False,
    ) -> MailUser:
        """Create a user; Dovecot sees it at once (passwd-file is re-read on change).

        `disable` hides those capabilities from this user's post-login CAPABILITY, to
        exercise clients' fallback paths. `rawlog` records the user's IMAP sessions
        under `MailUser.rawlog_dir` (see `commands_sent`).
        """
        disabled = frozenset(c.upper() for c in disable)
        with self._lock:
            if name is None:
                name = self._fresh_name()
            if not _NAME_RE.match(name) or name in self._users:
                raise ValueError(f"bad or duplicate user name: {name!r}")
            if any(c in password for c in ":\n\r") or not password:
                raise ValueError("password must be non-empty and free of ':' and newlines")
            home = self.homes / name
            maildir = home / "Maildir"
            for d in (home, maildir, maildir / "cur", maildir / "new", maildir / "tmp"):
                d.mkdir(mode=0o700, exist_ok=True)
                os.chown(d, self.mail_uid, self.mail_gid)
            extra = []
            if disabled:
                extra.append("userdb_imap_capability=" + self._capability_value(disabled))
            rawlog_dir = None
            if rawlog:
                rawlog_dir = home / "rawlog"
                rawlog_dir.mkdir(mode=0o700, exist_ok=True)
                os.chown(rawlog_dir, self.mail_uid, self.mail_gid)
                extra.append(f"userdb_rawlog_dir={rawlog_dir}")
            line = (
                f"{name}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::"
                + " ".join(extra)
            )
            self._write_passwd(name, line)
            user = MailUser(
                name=name,
                password=password,
                home=home,
                maildir=maildir,
                disabled=disabled,
                rawlog_dir=rawlog_dir,
                uid=self.mail_uid,
                gid=self.mail_gid,
            )
            self._users[name] = user
            return user

    def _fresh_name(self) -> str:
        while True:
            name = f"user{next(self._counter)}"
            if name not in self._users:
                return name

    def _write_passwd(self, name: str, line: str) -> None:
        """Write the user's passwd-file atomically so auth never reads half a line."""
        tmp = self.users_dir / f".{name}.tmp"
        tmp.write_text(line + "\n")
        tmp.chmod(0o600)
        os.replace(tmp, self.users_dir / name)

    def default_capabilities(self) -> tuple[str, ...]:
        """The post-login CAPABILITY of an ordinary user, asked of the running server."""
        if self._full_caps is None:
            if not self.running:
                raise RuntimeError("start dovecot before adding users with disable=")
            probe_name = f"capprobe{os.getpid()}"
            if probe_name not in self._users:
                home = self.homes / probe_name
                home.mkdir(mode=0o700, exist_ok=True)
                os.chown(home, self.mail_uid, self.mail_gid)
                self._write_passwd(
                    probe_name,
                    f"{probe_name}:{{PLAIN}}probe:{self.mail_uid}:{self.mail_gid}::{home}::",
                )
                self._users[probe_name] = MailUser(probe_name, "probe", home, home / "Maildir")
            probe = self._users[probe_name]
            with self.client(probe, tls=self.ssl) as c:
                # Ask imaplib directly to keep the server's spelling (imapclient upper-cases).
                _typ, data = c._imap.capability()
                self._full_caps = tuple(data[-1].decode().split())
        return self._full_caps

    def _capability_value(self, disabled: frozenset[str]) -> str:
        full = self.default_capabilities()
        unknown = disabled - {c.upper() for c in full}
        if unknown:
            raise ValueError(f"not offered by this server, cannot disable: {sorted(unknown)}")
        keep = [c for c in full if c.upper() not in disabled]
        return f"%{{env:{SPACE_VAR}}}".join(keep)

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this instance's test CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def client(
        self, user: MailUser, *, tls: bool = True, starttls: bool = False
    ) -> imapclient.IMAPClient:
        """A logged-in imapclient: implicit TLS by default, STARTTLS or plaintext on request."""
        if tls and not starttls:
            c = imapclient.IMAPClient(
                self.host, self.imaps_port, ssl=True, ssl_context=self.ssl_context(), timeout=30
            )
        else:
            c = imapclient.IMAPClient(self.host, self.imap_port, ssl=False, timeout=30)
            if starttls:
                c.starttls(self.ssl_context())
        try:
            c.login(user.name, user.password)
        except Exception:
            with contextlib.suppress(Exception):
                c.shutdown()
            raise
        return c

    def commands_sent(self, user: MailUser) -> list[str]:
        """What the user's clients sent after login, from the rawlog, timestamp and tag
        removed ("UID MOVE 1:3 Trash"), so a test can prove a hidden command was not used.

        Lines of literal data (APPEND bodies) come through as they are.
        """
        if user.rawlog_dir is None:
            raise ValueError("user was created without rawlog=True")
        lines: list[str] = []
        for path in sorted(user.rawlog_dir.glob("*.in")):
            for raw in path.read_bytes().splitlines():
                words = raw.decode("utf-8", "replace").split(" ", 2)
                # Each line is "<unix time> <tag> <command...>" (Dovecot 2.3 rawlog).
                if len(words) == 3 and words[0].replace(".", "").isdigit():
                    lines.append(words[2])
                else:
                    lines.append(" ".join(words))
        return lines

    def refresh_folder_list(self, user: MailUser) -> None:
        """Make sessions already logged in see folders made on disk since they listed.

        Dovecot's mailbox list index is per user on disk; an open session re-reads it
        but does not rescan the Maildir for new folders itself. A LIST from another
        process (here doveadm) updates the index, and open sessions pick that up.
        New connections always see everything.
        """
        self.doveadm("mailbox", "list", "-u", user.name)

    def doveadm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run doveadm against this instance (e.g. `doveadm("index", "-u", name, "INBOX")`)."""
        doveadm = str(Path(self.binary).with_name("doveadm"))
        if not os.access(doveadm, os.X_OK):
            doveadm = shutil.which("doveadm") or "doveadm"
        env = {**os.environ, SPACE_VAR: " "}
        return subprocess.run(
            [doveadm, "-c", str(self.config_path), *args],
            capture_output=True,
            text=True,
            check=check,
            env=env,
        )


class _PortInUse(RuntimeError):
    """Dovecot could not bind: another process took the port we picked."""
