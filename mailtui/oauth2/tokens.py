"""Where the refresh token lives, and the access token that is only ever in memory.

The refresh token is the long-lived credential — as good as a password — so it is
stored like one: in the keyring, or on boxes without one in `oauth2_token_file`, a file
created 0600 and refused when group or others can read it (the same rule ssh applies to
private keys: a file others could read may already be copied). Access tokens live an
hour; they are never written anywhere, so a stolen disk holds nothing a revoke in the
account's settings does not kill.

`TokenManager` hands out a fresh access token: refreshed a minute before expiry, and
once more when a server refuses one (a token revoked early, a clock that is off). When
the refresh token itself is dead, the user gets one sentence: run
`mailtui setup --reauth NAME`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from mailtui.config import logs
from mailtui.fileio import atomic_write
from mailtui.oauth2.errors import NotSignedIn, OAuth2Error, ReauthRequired
from mailtui.oauth2.flows import TokenSet, refresh
from mailtui.oauth2.http import HttpClient
from mailtui.oauth2.providers import Provider

log = logging.getLogger(__name__)

KEYRING_SERVICE = "mailtui-oauth2"
REFRESH_MARGIN = 60.0
T = TypeVar("T")


class TokenStore(Protocol):
    """Keeps one refresh token."""

    def load(self) -> str | None: ...

    def save(self, refresh_token: str) -> None: ...

    def delete(self) -> None: ...


class KeyringLike(Protocol):
    """The three calls of the `keyring` module (or of one of its backends)."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class KeyringStore:
    """The refresh token in the system keyring, one entry per account.

    The keyring is handed in rather than imported: mailtui.config.credentials is the one
    module that imports keyring (and knows when none is usable), so it passes `keyring`
    or a backend here.
    """

    def __init__(self, account: str, keyring: KeyringLike, service: str = KEYRING_SERVICE) -> None:
        self.account = account
        self.keyring = keyring
        self.service = service

    def load(self) -> str | None:
        value = self.keyring.get_password(self.service, self.account)
        if value:
            logs.remember_secret(value)
        return value or None

    def save(self, refresh_token: str) -> None:
        logs.remember_secret(refresh_token)
        self.keyring.set_password(self.service, self.account, refresh_token)

    def delete(self) -> None:
        # keyring raises PasswordDeleteError (an Exception) when there is nothing to delete.
        with contextlib.suppress(Exception):
            self.keyring.delete_password(self.service, self.account)


class UnsafeTokenFile(OAuth2Error):
    """The token file can be read by others, so mailtui will not trust or use it."""


class FileStore:
    """The refresh token in a 0600 file of the user's choosing (`oauth2_token_file`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()

    def _check(self, st: os.stat_result) -> None:
        if st.st_mode & 0o077:
            raise UnsafeTokenFile(
                f"{self.path} can be read or changed by other users "
                f"(mode {stat.filemode(st.st_mode)})",
                f"run `chmod 600 {self.path}`, then sign in again if others may have read it",
            )
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise UnsafeTokenFile(f"{self.path} belongs to another user")

    def load(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise OAuth2Error(f"cannot read {self.path}: {exc.strerror}") from exc
        with os.fdopen(fd, "r", encoding="utf-8") as f:
            self._check(os.fstat(f.fileno()))
            value = f.read(16384).strip()
        if value:
            logs.remember_secret(value)
        return value or None

    def save(self, refresh_token: str) -> None:
        """Write a new file 0600 and rename it over the old one (never half-written)."""
        logs.remember_secret(refresh_token)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.path, (refresh_token + "\n").encode("utf-8"))

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class CommandStore:
    """The refresh token in the user's password manager: two commands of their config
    (`oauth2_refresh_command` prints it, `oauth2_refresh_store_command` takes a new one
    on stdin), run through mailtui.config.credentials like password_command."""

    def __init__(self, read: Callable[[], str], write: Callable[[str], None]) -> None:
        self._read = read
        self._write = write
        self._known: str | None = None  # what was last stored: no second run to read it

    def load(self) -> str | None:
        if self._known is None:
            value = self._read().strip()
            if value:
                logs.remember_secret(value)
            self._known = value or None
        return self._known

    def save(self, refresh_token: str) -> None:
        logs.remember_secret(refresh_token)
        self._write(refresh_token)
        self._known = refresh_token


class TokenManager:
    """Fresh access tokens for one account; see the module docstring."""

    def __init__(
        self,
        account: str,
        provider: Provider,
        http: HttpClient,
        store: TokenStore,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
    ) -> None:
        self.account = account
        self.provider = provider
        self.http = http
        self.store = store
        self.clock = clock
        self.margin = margin
        self._current: TokenSet | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    def adopt(self, token: TokenSet) -> None:
        """Take the result of a sign-in: keep the access token, store the refresh token."""
        logs.remember_secret(token.access_token)
        if token.refresh_token:
            self.store.save(token.refresh_token)
        with self._lock:
            self._current = token

    def access_token(self) -> str:
        """A token valid for at least `margin` more seconds (refreshing if needed)."""
        with self._lock:
            cur = self._current
            if cur is not None and not cur.expires_within(self.margin, self.clock()):
                return cur.access_token
            return self._refresh_locked().access_token

    def force_refresh(self) -> str:
        """A new access token even if the current one looks valid (after a refusal)."""
        with self._lock:
            return self._refresh_locked().access_token

    def _refresh_locked(self) -> TokenSet:
        stored = self.store.load()
        if not stored:
            raise NotSignedIn(self.account)
        try:
            token = refresh(self.provider, self.http, stored)
        except OAuth2Error as exc:
            if exc.code in ("invalid_grant", "invalid_token", "unauthorized_client"):
                log.warning("the stored OAuth2 sign-in for %s was refused: %s", self.account, exc)
                raise ReauthRequired(self.account) from exc
            raise
        self.refreshes += 1
        logs.remember_secret(token.access_token)
        if token.refresh_token and token.refresh_token != stored:
            self.store.save(token.refresh_token)  # rotation: the old one is now dead
        self._current = token
        log.debug("refreshed the OAuth2 access token for %s", self.account)
        return token

    def with_token(self, attempt: Callable[[str], T], *, refused: type[BaseException]) -> T:
        """`attempt(token)`; if it raises `refused`, refresh once and try once more.

        One retry only: a server that refuses a freshly issued token is refusing the
        account, and looping would just hammer both servers.
        """
        try:
            return attempt(self.access_token())
        except refused:
            log.info("server refused the OAuth2 token for %s; refreshing once", self.account)
            return attempt(self.force_refresh())
