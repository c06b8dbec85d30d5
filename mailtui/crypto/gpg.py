"""The one door to GnuPG: python-gnupg runs the user's own `gpg` binary.

Why python-gnupg (see the commit that added it): it is pure Python and drives the same
`gpg` the user runs on the command line, so `GNUPGHOME`, gpg.conf, gpg-agent and its
pinentry behave as they do in a shell; it feeds data through pipes and parses gpg's
status lines. We keep its process handling and re-read the status lines ourselves
(`statuslines`), so a signature's state is decided in one place of our own.

Nothing decrypted touches the disk: data goes to gpg on stdin and comes back on stdout.
A second input (a detached signature, a recipient's key) goes through a FIFO in a
private 0700 directory: a FIFO holds no data on disk, only a name. python-gnupg logs
data chunks at DEBUG level, so its logger is capped at CRITICAL here: an app that logs
at DEBUG to a file must not write plaintext there.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from mailtui.crypto.keyinfo import KeyInfo, parse_colons
from mailtui.crypto.status import (
    Availability,
    CryptoError,
    PassphraseNeeded,
    PassphraseRequest,
    Pinentry,
)
from mailtui.crypto.statuslines import (
    ERR_BAD_PASSPHRASE,
    ERR_CANCELED,
    ERR_NO_PIN_ENTRY,
    Status,
    error_codes,
)

try:  # the package is a dependency, but a broken install must not break the app
    import gnupg as _gnupg
except ImportError:  # pragma: no cover - exercised only on a broken install
    _gnupg = None  # type: ignore[assignment]

__all__ = ["Engine", "Run", "availability", "feed_fifo"]

# python-gnupg logs the first bytes of data it passes (plaintext included) at DEBUG.
logging.getLogger("gnupg").setLevel(logging.CRITICAL)

INSTALL_HINT = "install GnuPG: sudo apt-get install gnupg (macOS: brew install gnupg)"
_VERSION = re.compile(rb"gpg \(GnuPG[^)]*\) (\d+)\.(\d+)\.(\d+)")


def availability(gpg_binary: str = "gpg") -> Availability:
    """Whether OpenPGP works here, with the one sentence to show when it does not."""
    if _gnupg is None:
        return Availability(
            False, "OpenPGP is off: python-gnupg is missing — pip install python-gnupg"
        )
    path = shutil.which(gpg_binary)
    if path is None:
        return Availability(False, f"OpenPGP is off: gpg was not found — {INSTALL_HINT}")
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return Availability(False, f"OpenPGP is off: {path} does not run — {INSTALL_HINT}")
    m = _VERSION.search(out)
    if m is None or (int(m.group(1)), int(m.group(2))) < (2, 1):
        return Availability(False, f"OpenPGP is off: GnuPG 2.1 or newer is needed — {INSTALL_HINT}")
    version = b".".join(m.groups()).decode()
    return Availability(True, f"OpenPGP is on (GnuPG {version})", version)


def _runtime_dir() -> str:
    """Where FIFOs are made: the per-user runtime dir (tmpfs) when there is one."""
    run = os.environ.get("XDG_RUNTIME_DIR", "")
    if run and os.path.isdir(run) and os.access(run, os.W_OK):
        return run
    return tempfile.gettempdir()


@contextmanager
def feed_fifo(payload: bytes) -> Iterator[str]:
    """A path gpg can open to read `payload` from memory (a named pipe, removed after).

    A writer thread blocks in open() until gpg opens the FIFO; if gpg never does (it
    failed first), the finally block opens the read end itself to release the writer.
    """
    folder = tempfile.mkdtemp(prefix="mailtui-gpg-", dir=_runtime_dir())
    path = os.path.join(folder, "in")
    os.mkfifo(path, 0o600)

    def feed() -> None:
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError:
            return
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
        except OSError:  # gpg stopped reading (BrokenPipeError): nothing left to do
            pass
        finally:
            os.close(fd)

    writer = threading.Thread(target=feed, name="gpg-fifo", daemon=True)
    writer.start()
    try:
        yield path
    finally:
        while writer.is_alive():
            try:
                rfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            except OSError:
                break
            try:
                writer.join(0.05)
                while True:  # drain, so a writer blocked on a full pipe moves on
                    try:
                        if not os.read(rfd, 65536):
                            break
                    except BlockingIOError:
                        break
            finally:
                os.close(rfd)
        writer.join(5)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Run:
    """One gpg run: its status lines, its stdout, its exit code."""

    statuses: list[Status] = field(default_factory=list)
    data: bytes = b""
    returncode: int = 0

    def has(self, keyword: str) -> bool:
        """Whether gpg wrote a status line with this keyword."""
        return any(k == keyword for k, _ in self.statuses)

    def values(self, keyword: str) -> list[str]:
        """The arguments of every status line with this keyword."""
        return [v for k, v in self.statuses if k == keyword]

    @property
    def codes(self) -> set[int]:
        """libgpg-error codes from ERROR/FAILURE lines."""
        return error_codes(self.statuses)


def _recording(base: type) -> type:
    """A python-gnupg result class that also keeps every status line in order."""

    def handle_status(self: Any, key: str, value: str) -> None:
        self.statuses.append((key, value))
        base.handle_status(self, key, value)

    def init(self: Any, gpg: Any) -> None:
        base.__init__(self, gpg)
        self.statuses = []

    return type(
        f"Recording{base.__name__}", (base,), {"__init__": init, "handle_status": handle_status}
    )


def _tty_env() -> dict[str, str]:
    """The environment for gpg: ours, plus GPG_TTY when a terminal is at hand, so an
    agent pinentry (curses/tty) knows where to draw while the app is suspended."""
    env = dict(os.environ)
    if "GPG_TTY" not in env:
        for fd in (0, 1, 2):
            try:
                env["GPG_TTY"] = os.ttyname(fd)
                break
            except OSError:
                continue
    return env


class Engine:
    """GnuPG for one home directory (`GNUPGHOME` or ~/.gnupg unless `gnupghome` given).

    Thread-safe for concurrent calls (each call is its own gpg process). Raises
    `CryptoError` on construction when OpenPGP is unavailable; check `availability()`
    first to show the user why.
    """

    def __init__(self, gnupghome: str | None = None, gpg_binary: str = "gpg") -> None:
        avail = availability(gpg_binary)
        if not avail.on or _gnupg is None:
            raise CryptoError(avail.sentence)
        self.availability = avail
        results = dict(_gnupg.GPG.result_map)
        for kind in ("crypt", "verify", "sign", "import", "list", "scan", "export"):
            results[kind] = _recording(results[kind])
        cls = type("_GPG", (_gnupg.GPG,), {"result_map": results})
        try:
            self._gpg = cls(gpgbinary=gpg_binary, gnupghome=gnupghome, env=_tty_env())
        except (OSError, ValueError) as exc:
            raise CryptoError(f"gpg does not start: {exc}", hint=INSTALL_HINT) from None
        self.gnupghome = gnupghome
        self.version: tuple[int, ...] = tuple(self._gpg.version or (2, 1, 0))
        # Never reach out to the network while reading mail: keys are fetched only when
        # the user asks. --no-auto-key-import exists from 2.2.28 on.
        self.quiet = ["--no-auto-key-retrieve"]
        if self.version >= (2, 2, 28):
            self.quiet.append("--no-auto-key-import")

    # ------------------------------------------------------------------ plumbing

    @staticmethod
    def _run_of(result: Any) -> Run:
        data = result.data if isinstance(result.data, bytes) else b""
        return Run(list(getattr(result, "statuses", [])), data, result.returncode or 0)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Run:
        """Run one python-gnupg operation and return what gpg said."""
        try:
            result = getattr(self._gpg, method)(*args, **kwargs)
        except ValueError as exc:  # e.g. a passphrase with a newline
            raise CryptoError(f"gpg refused the request: {exc}") from None
        except OSError as exc:
            raise CryptoError(f"gpg failed to run: {exc}", hint=INSTALL_HINT) from None
        return self._run_of(result)

    def with_passphrase(
        self,
        attempt: Callable[[str | None, list[str]], Run],
        pinentry: Pinentry | None,
        key_hint: Callable[[Run], tuple[str, str]],
    ) -> Run:
        """Run `attempt(passphrase, extra_args)` so that a passphrase is asked for only
        when the key is locked and not cached, and never inside the TUI.

        First try: ``--pinentry-mode error`` (succeeds for unprotected or cached keys).
        If gpg needs a passphrase: loopback asks `pinentry.ask` (again after a wrong
        one); agent mode runs gpg again with its pinentry inside `pinentry.suspend()`.
        """
        first = attempt(None, ["--pinentry-mode", "error"])
        if ERR_NO_PIN_ENTRY not in first.codes:
            return first
        mode = pinentry.mode if pinentry is not None else "never"
        fpr, uid = key_hint(first)
        who = uid or fpr or "your secret key"
        if mode == "agent" and pinentry is not None:
            guard = pinentry.suspend() if pinentry.suspend else nullcontext()
            with guard:
                run = attempt(None, ["--pinentry-mode", "ask"])
            if run.codes & {ERR_CANCELED, ERR_NO_PIN_ENTRY, ERR_BAD_PASSPHRASE}:
                raise PassphraseNeeded(f"The passphrase for {who} was not given")
            return run
        if mode != "loopback" or pinentry is None or pinentry.ask is None:
            raise PassphraseNeeded(
                f"{who} is locked and no passphrase prompt is available",
                hint="unlock it with gpg first, or use the app's prompt",
            )
        retry = False
        for n in range(1, pinentry.max_attempts + 1):
            answer = pinentry.ask(PassphraseRequest(fpr, uid, retry=retry, attempt=n))
            if answer is None:
                raise PassphraseNeeded(f"Cancelled: no passphrase for {who}")
            run = attempt(answer, [])
            if ERR_BAD_PASSPHRASE not in run.codes:
                return run
            retry = True
        raise PassphraseNeeded(f"Wrong passphrase for {who} ({pinentry.max_attempts} tries)")

    # ------------------------------------------------------------------ keys

    def list_keys(self, patterns: Sequence[str] = (), *, secret: bool = False) -> list[KeyInfo]:
        """Keys in the keyring matching any pattern (all keys when none)."""
        run = self.call("list_keys", secret, list(patterns) or None)
        return parse_colons(run.data)

    def key(self, fingerprint: str) -> KeyInfo | None:
        """The public key with this fingerprint (or key id), or None."""
        if not fingerprint:
            return None
        found = self.list_keys([fingerprint])
        return found[0] if found else None

    def scan_keys(self, keydata: bytes) -> list[KeyInfo]:
        """What key data holds, without importing it."""
        return parse_colons(self.call("scan_keys_mem", keydata).data)

    def import_keys(self, keydata: bytes) -> list[str]:
        """Import keys (the `K` action, after the user asked); fingerprints imported."""
        run = self.call("import_keys", keydata)
        return [v.split()[1] for v in run.values("IMPORT_OK") if len(v.split()) > 1]

    def fetch_key(self, fingerprint: str, addr: str = "") -> list[str]:
        """Fetch a key from the network because the user asked (never while reading):
        the sender's Web Key Directory first, then the keyserver dirmngr is set up with
        (keys.openpgp.org unless dirmngr.conf says otherwise). Fingerprints imported."""
        attempts = []
        if addr:
            wkd = "clear,wkd,nodefault"
            attempts.append(["--auto-key-locate", wkd, "--locate-external-keys", addr])
        attempts.append(["--recv-keys", fingerprint])
        found: list[str] = []
        for args in attempts:
            result = self._gpg.result_map["import"](self._gpg)
            data = _gnupg._make_binary_stream("", self._gpg.encoding)
            try:
                self._gpg._handle_io(args, data, result, binary=True)
            except (OSError, ValueError) as exc:
                raise CryptoError(f"gpg could not fetch the key: {exc}") from None
            finally:
                data.close()
            run = self._run_of(result)
            found = [v.split()[1] for v in run.values("IMPORT_OK") if len(v.split()) > 1]
            if any(f.upper().endswith(fingerprint.upper()) for f in found):
                return found
        return found

    def export_minimal(self, fingerprint: str, addr: str) -> bytes:
        """The public key reduced for an Autocrypt header: primary key, the user id for
        `addr`, encryption subkeys, no third-party signatures (Autocrypt Level 1 §2.1)."""
        # python-gnupg's export_keys has no extra_args: the filters ride in front of the
        # key id (gpg reads options up to the first argument).
        filters = [
            "--export-filter",
            f"keep-uid=mbox = {addr.strip().lower()}",
            "--export-filter",
            "drop-subkey=usage !~ e",
            fingerprint,
        ]
        try:
            data = self._gpg.export_keys(filters, armor=False, minimal=True)
        except (OSError, ValueError) as exc:
            raise CryptoError(f"gpg could not export {fingerprint}: {exc}") from None
        if not isinstance(data, bytes) or not data:
            raise CryptoError(f"No public key {fingerprint} with a user id for {addr}")
        return data

    def secret_key_for(self, key_ids: Sequence[str]) -> tuple[str, str]:
        """(fingerprint, user id) of the secret key owning one of these (sub)key ids."""
        if not key_ids:
            return "", ""
        for key in self.list_keys(secret=True):
            if any(key.has_subkey(k) for k in key_ids):
                return key.fingerprint, key.primary_user_id
        return "", ""

    def with_fifos(self, payloads: Sequence[bytes]) -> tuple[ExitStack, list[str]]:
        """FIFOs for several side inputs at once; close the stack when gpg is done."""
        stack = ExitStack()
        paths = [stack.enter_context(feed_fifo(p)) for p in payloads]
        return stack, paths


def default_engine() -> Engine:
    """An engine on the user's own GnuPG home (GNUPGHOME or ~/.gnupg)."""
    return Engine(os.environ.get("GNUPGHOME") or None)
