"""Secrets for servers: from the keyring, a password command, or an OAuth2 token command.

The only module that imports keyring. A secret is held in memory only: it is never
written to a file, never logged, and never shown in an error message or a repr, even
when the command that produced it failed.

The built-in OAuth2 sign-in (`auth = "oauth2"`) gets its tokens in mailtui.oauth2.account,
one layer up (config is the bottom layer and cannot import oauth2): it asks this module
for the keyring (`token_keyring`) and returns the same `Secret`, with `renew` set.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from mailtui.config import logs
from mailtui.config.model import AccountSettings, ServerSettings
from mailtui.errors import CredentialError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE: Final = "mailtui"
SecretKind = Literal["password", "oauth2"]
Protocol = Literal["imap", "smtp"]

_NO_KEYRING_HINT = (
    "have a command print the secret instead: under [accounts.{account}.{protocol}] add "
    'password_command = "pass show mail/{account}" (any command that prints the password '
    'on its first line: your password manager, or "cat FILE" with a 0600 file)'
)


@dataclass(frozen=True)
class Secret:
    """A password or OAuth2 access token; its repr never shows the value.

    `renew`, set for tokens of the built-in sign-in, gets a fresh token: a session whose
    server refused this one calls it once and tries once more (a token revoked early, a
    clock that is off), so only a dead sign-in reaches the user.
    """

    kind: SecretKind
    value: str = field(repr=False)
    renew: Callable[[], Secret] | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"Secret(kind={self.kind!r}, value=<hidden>)"

    __str__ = __repr__


def keyring_username(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> str:
    """The keyring entry name: one entry per account, protocol, login and server."""
    return f"{account.name}:{protocol}:{server.username}@{server.host}"


def get_secret(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> Secret:
    """The secret to log in with, from the server's one configured source.

    Every value handed out is registered with the log redactor (config.logs).
    """
    secret = _get_secret(account, server, protocol)
    logs.remember_secret(secret.value)
    return secret


def _get_secret(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> Secret:
    _check_protocol(protocol)
    source = server.auth_source
    log.debug("getting the %s secret for account %r from %s", protocol, account.name, source)
    if source == "password_command":
        assert server.password_command is not None
        value = _run(account, server, protocol, "password_command", server.password_command)
        return Secret("password", value)
    if source == "oauth2_token_command":
        assert server.oauth2_token_command is not None
        value = _run(account, server, protocol, "oauth2_token_command", server.oauth2_token_command)
        return Secret("oauth2", value)
    if source == "oauth2":  # a caller that should have asked mailtui.oauth2.account
        raise CredentialError(
            f"Account {account.name!r} ({protocol}) signs in with OAuth2; its tokens come "
            "from mailtui.oauth2.account.get_secret"
        )
    return Secret("password", _keyring_get(account, server, protocol))


def store_password(
    account: AccountSettings, server: ServerSettings, protocol: Protocol, password: str
) -> None:
    """Save a password in the system keyring (`mailtui login ACCOUNT`)."""
    _check_protocol(protocol)
    if server.auth_source != "keyring":
        raise CredentialError(
            f"Account {account.name!r} ({protocol}) takes its secret from {server.auth_source}, "
            "so a password in the keyring would never be used",
            hint=f"remove {server.auth_source} from [accounts.{account.name}.{protocol}] "
            "to use the keyring instead",
        )
    if not password:
        raise CredentialError(f"Empty password for account {account.name!r}; nothing stored")
    backend = _usable_keyring(account, protocol)
    try:
        backend.set_password(SERVICE, keyring_username(account, server, protocol), password)
    except Exception as exc:  # any backend failure: D-Bus, locked, not implemented...
        raise _keyring_failed(account, protocol, "store the password in", exc) from None
    log.info("stored the %s password for account %r in the keyring", protocol, account.name)


def delete_password(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> bool:
    """Remove a stored password; False when there was none."""
    _check_protocol(protocol)
    import keyring.errors

    backend = _usable_keyring(account, protocol)
    try:
        backend.delete_password(SERVICE, keyring_username(account, server, protocol))
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _keyring_failed(account, protocol, "delete the password from", exc) from None
    log.info("deleted the %s password for account %r from the keyring", protocol, account.name)
    return True


def keyring_available() -> bool:
    """Whether a real keyring backend is present (for `mailtui login` and diagnostics)."""
    import keyring

    try:
        return _is_usable(keyring.get_keyring())
    except Exception:
        return False


def token_keyring(account: AccountSettings, protocol: Protocol) -> _TokenKeyring:
    """The keyring for an OAuth2 refresh token (oauth2.tokens.KeyringStore), or a
    CredentialError saying to set oauth2_token_file where there is none."""
    _check_protocol(protocol)
    hint = (
        f'set oauth2_token_file = "~/.local/share/mailtui/{account.name}.token" under '
        f"[accounts.{account.name}.{protocol}] (created 0600), then sign in again with "
        f"`mailtui login {account.name}`"
    )
    try:
        backend = _usable_keyring(account, protocol)
    except CredentialError as exc:
        raise _for_tokens(exc, hint) from None
    return _TokenKeyring(account, protocol, backend, hint)


def _for_tokens(exc: CredentialError, hint: str) -> CredentialError:
    """A keyring error about the password, said about the OAuth2 sign-in."""
    why = str(exc).partition(": ")[2] or str(exc)
    error = CredentialError(f"Cannot keep the OAuth2 sign-in in the keyring: {why}", hint=hint)
    if exc.hint.startswith("unlock your keyring"):
        error.hint = "unlock your keyring (log in to the desktop session) and try again; or " + hint
    return error


class _TokenKeyring:
    """A keyring backend whose failures (locked, D-Bus gone) are CredentialErrors."""

    def __init__(
        self, account: AccountSettings, protocol: str, backend: KeyringBackend, hint: str
    ) -> None:
        self._account = account
        self._protocol = protocol
        self._backend = backend
        self._hint = hint

    def _failed(self, doing: str, exc: Exception) -> CredentialError:
        return _for_tokens(_keyring_failed(self._account, self._protocol, doing, exc), self._hint)

    def get_password(self, service: str, username: str) -> str | None:
        try:
            return self._backend.get_password(service, username)
        except Exception as exc:
            raise self._failed("read the sign-in from", exc) from None

    def set_password(self, service: str, username: str, password: str) -> None:
        try:
            self._backend.set_password(service, username, password)
        except Exception as exc:
            raise self._failed("store the sign-in in", exc) from None

    def delete_password(self, service: str, username: str) -> None:
        self._backend.delete_password(service, username)


def _check_protocol(protocol: str) -> None:
    if protocol not in ("imap", "smtp"):
        raise ValueError(f"protocol must be 'imap' or 'smtp', not {protocol!r}")


def _is_usable(backend: KeyringBackend) -> bool:
    """False for the backends keyring falls back to when nothing real is installed."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(backend.backends)
    return True


def _no_keyring(account: AccountSettings, protocol: str, why: str) -> CredentialError:
    return CredentialError(
        f"Cannot use the keyring for the {protocol} password of account {account.name!r}: {why}",
        hint=_NO_KEYRING_HINT.format(account=account.name, protocol=protocol),
    )


def _keyring_failed(
    account: AccountSettings, protocol: str, doing: str, exc: BaseException
) -> CredentialError:
    """A keyring exception as a CredentialError; keyring messages never carry the secret."""
    detail = _first_line(str(exc)) or type(exc).__name__
    error = _no_keyring(account, protocol, f"could not {doing} the keyring ({detail})")
    import keyring.errors

    if isinstance(exc, keyring.errors.KeyringLocked):
        error.hint = "unlock your keyring (log in to the desktop session) and try again; or " + (
            error.hint
        )
    return error


def _usable_keyring(account: AccountSettings, protocol: str) -> KeyringBackend:
    # Imported here: keyring costs ~20 ms at start-up, and most set-ups use a command.
    import keyring

    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        raise _keyring_failed(account, protocol, "open", exc) from None
    if not _is_usable(backend):
        raise _no_keyring(
            account, protocol, "no system keyring is available here (e.g. a headless machine)"
        )
    return backend


def _keyring_get(account: AccountSettings, server: ServerSettings, protocol: Protocol) -> str:
    backend = _usable_keyring(account, protocol)
    try:
        value = backend.get_password(SERVICE, keyring_username(account, server, protocol))
    except Exception as exc:
        raise _keyring_failed(account, protocol, "read the password from", exc) from None
    if not value:
        raise CredentialError(
            f"No {protocol} password for account {account.name!r} in the keyring",
            hint=f"run `mailtui login {account.name}` to store it, or set password_command "
            f"under [accounts.{account.name}.{protocol}]",
        )
    return value


def _first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line, control characters replaced, capped for a one-line error."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            cleaned = "".join(c if c.isprintable() else "?" for c in line)
            return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
    return ""


def _run(
    account: AccountSettings, server: ServerSettings, protocol: str, key: str, command: str
) -> str:
    """Run a secret command through the shell; return the first line of its output.

    Errors name the account and quote the command's stderr, never its output (which
    may be the secret, or part of it) and never the command (it may embed one).
    """
    what, hint = _what(account, protocol, key)
    stdout = _run_checked(what, hint, command, server.timeout)
    try:
        output = stdout.decode("utf-8")
    except UnicodeDecodeError:
        output = None
    if output is None:
        raise CredentialError(f"{what} printed something that is not UTF-8", hint=hint)
    # Password managers print the secret on the first line, metadata after it.
    value = output.split("\n", 1)[0].removesuffix("\r")
    if not value.strip():
        raise CredentialError(f"{what} printed nothing on its first line", hint=hint)
    return value


def _what(account: AccountSettings, protocol: str, key: str) -> tuple[str, str]:
    """How an error names a secret command, and the hint to check it."""
    what = f"{key} for account {account.name!r} ({protocol})"
    hint = f"check {key} under [accounts.{account.name}.{protocol}] by running it in a shell"
    return what, hint


def _run_checked(
    what: str, hint: str, command: str, timeout: float, stdin: bytes | None = None, suffix: str = ""
) -> bytes:
    """The command's stdout; CredentialError (`what` ... `suffix`) when it cannot start,
    times out or fails, quoting its stderr's first line."""
    problem = ""
    try:
        stdout, stderr, returncode = _run_in_group(command, timeout, stdin)
    except subprocess.TimeoutExpired:
        problem = f"did not finish within {timeout:g} s"
    except (OSError, ValueError) as exc:
        problem = f"could not be started: {getattr(exc, 'strerror', None) or type(exc).__name__}"
    if problem:
        # Raised outside the except block: TimeoutExpired holds the partial output,
        # which must not ride along as __context__ into a traceback or log.
        raise CredentialError(f"{what} {problem}{suffix}", hint=hint)
    if returncode != 0:
        message = _first_line(stderr.decode("utf-8", "replace"))
        status = (
            f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        )
        detail = f": {message}" if message else " (no error message)"
        raise CredentialError(f"{what} failed with {status}{detail}{suffix}", hint=hint)
    return stdout


def read_refresh_token(account: AccountSettings, server: ServerSettings, protocol: str) -> str:
    """The refresh token `oauth2_refresh_command` prints (first line)."""
    command = server.oauth2_refresh_command
    assert command is not None
    return _run(account, server, protocol, "oauth2_refresh_command", command)


def store_refresh_token(
    account: AccountSettings, server: ServerSettings, protocol: str, token: str
) -> None:
    """Give a new refresh token to `oauth2_refresh_store_command` on its stdin; errors
    as `_run`'s (never the token, never the command line)."""
    command = server.oauth2_refresh_store_command
    assert command is not None
    what, hint = _what(account, protocol, "oauth2_refresh_store_command")
    token_in = (token + "\n").encode("utf-8")
    suffix = "; the new sign-in was not kept"
    _run_checked(what, hint, command, server.timeout, token_in, suffix)


def _run_in_group(
    command: str, timeout: float, stdin: bytes | None = None
) -> tuple[bytes, bytes, int]:
    """(stdout, stderr, exit status) of `command` run by the shell (given `stdin`, else
    none) in a process group of its own; on timeout the whole group is killed and TimeoutExpired raised.

    A pipeline (`gpg -d f | head -1`) is several processes: killing only the shell, as
    subprocess.run does, would leave the rest running and, holding the output pipe,
    keep run() waiting for them. Its own group (not its own session) keeps the
    terminal reachable for what prompts there through an agent (pinentry, GPG_TTY).
    """
    # The user wrote this command in their own config: running it through the shell
    # is the point (pipes, `pass show`, `$HOME` expansion).
    proc = subprocess.Popen(
        command,
        shell=True,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,
    )
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout)
    except BaseException:  # the timeout, or ctrl-c: no process of the command outlives it
        _kill_group(proc)
        raise
    return stdout, stderr, proc.returncode


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL every process of the command's group, then reap the shell and drop the
    pipes (a process that left the group may still hold them: not waited for)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.wait()
