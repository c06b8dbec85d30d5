"""What some servers get wrong, and how a session works around it.

Each workaround is a switch an account can also set by hand (`quirks = [...]` in its
`[accounts.NAME.imap]` table, for a server we have not met); a switch takes
capabilities away before anything uses them, so sync simply sees a server without
them. Known servers turn switches on by themselves:
- iCloud (imap.mail.me.com): QRESYNC has been reported to lose messages there: "no-qresync".
- Yahoo answers `UID FETCH … (CHANGEDSINCE n)` with `BAD [CLIENTBUG]`: the session drops
  CONDSTORE for the rest of the run (`learn`) and the flag resync takes the plain path.

Replies that mean "not now" are waited out and the same command sent again (a NO means
it was not carried out, so this is safe for writes), a bounded number of times:
- Microsoft 365: `NO … Request is throttled. Suggested Backoff Time: N milliseconds`;
- RFC 5530 `[UNAVAILABLE]` and `[SERVERBUG]` (Yahoo, others).
Every command is covered, imapclient's too (LOGIN, AUTHENTICATE, APPEND, SEARCH, FETCH
BODYSTRUCTURE: `ImapSession._call`); waits end at once when the session is aborted. A
"not now" that outlasts the retries, or a throttling BAD, is `Throttled` (a lost link):
the Link reconnects with backoff and a journaled write stays queued.
Microsoft 365's `BAD User is authenticated but not connected` means the session is dead
on its side: ConnectionLost, and the thread's Link reconnects with backoff. So does
Gmail's `[ALERT] Too many simultaneous connections` at login (15 per account, all
clients together): it is no wrong password.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from imapclient.exceptions import LoginError

from mailtui.imap.errors import (
    ConnectionLost,
    FolderGone,
    ProtocolError,
    Throttled,
    short_error,
)

log = logging.getLogger("mailtui.imap")
T = TypeVar("T")

# quirk name → the capabilities it takes away.
SWITCHES: dict[str, frozenset[str]] = {
    "no-qresync": frozenset({"QRESYNC"}),
    "no-condstore": frozenset({"CONDSTORE", "QRESYNC"}),
    "no-move": frozenset({"MOVE"}),
    "no-idle": frozenset({"IDLE"}),
    "no-esearch": frozenset({"ESEARCH"}),
    "no-list-status": frozenset({"LIST-STATUS"}),
    "no-special-use": frozenset({"SPECIAL-USE"}),
    "no-gmail-extensions": frozenset({"X-GM-EXT-1"}),
}
# Host name endings → the switches their servers need.
_BY_HOST = {"mail.me.com": ("no-qresync",)}

# How often, and at most how long each time, a "not now" is waited out.
RETRIES = 3
MAX_WAIT = 30.0
_THROTTLED = re.compile(r"Suggested Backoff Time:\s*([0-9]{1,9})\s*(?:ms|milli)", re.I)
_RETRY_CODES = ("[UNAVAILABLE]", "[SERVERBUG]")
_NOT_CONNECTED = "authenticated but not connected"
_BAD_ERROR = re.compile(r"command error: BAD\b|^BAD\b")
TOO_MANY = "too many simultaneous connections"

# What sessions learnt about a server during this run, by (host, port, user): a
# CLIENTBUG answer is not worth meeting again on every connection.
_learnt: dict[tuple[str, int, str], set[str]] = {}
_lock = threading.Lock()


def switches_for(server: object) -> set[str]:
    """The quirks in force for `server`: set by hand, known for its host, learnt."""
    names = set(getattr(server, "quirks", ()) or ())
    host = str(getattr(server, "host", "")).lower().rstrip(".")
    for ending, quirks in _BY_HOST.items():
        if host == ending or host.endswith("." + ending):
            names.update(quirks)
    with _lock:
        names |= _learnt.get(_key(server), set())
    return names


def withheld(server: object) -> frozenset[str]:
    """The capabilities the quirks in force take away."""
    out: set[str] = set()
    for name in switches_for(server):
        out |= SWITCHES.get(name, frozenset())
    return frozenset(out)


def learn(server: object, quirk: str) -> None:
    """Remember for this run that `server` needs `quirk` (new sessions start with it)."""
    with _lock:
        _learnt.setdefault(_key(server), set()).add(quirk)


def _key(server: object) -> tuple[str, int, str]:
    return (
        str(getattr(server, "host", "")).lower(),
        int(getattr(server, "port", 0) or 0),
        str(getattr(server, "username", "")),
    )


def wait_before_retry(status: str, text: str, attempt: int) -> float | None:
    """Seconds to wait before sending the command again, or None: not a "not now"."""
    if attempt >= RETRIES or status not in ("NO", "BAD"):
        return None
    m = _THROTTLED.search(text)
    if m and status == "NO":  # a BAD one comes before a BYE: the session is over
        return min(int(m.group(1)) / 1000, MAX_WAIT)
    if any(code in text.upper() for code in _RETRY_CODES):
        return min(float(2**attempt), MAX_WAIT)
    return None


def not_now(status: str, text: str) -> bool:
    """A refusal that means "later", whatever the attempt: throttling (NO, or the BAD
    Microsoft 365 sends before it hangs up), [UNAVAILABLE], [SERVERBUG]."""
    if status not in ("NO", "BAD"):
        return False
    return bool(_THROTTLED.search(text)) or any(c in text.upper() for c in _RETRY_CODES)


def status_of(error_text: str) -> str:
    """NO or BAD from the text of an error imapclient raised (it keeps the status only
    in imaplib's "X command error: BAD [...]" form; its own checks raise for NO)."""
    return "BAD" if _BAD_ERROR.search(error_text) else "NO"


def dead_session(status: str, text: str) -> bool:
    """Microsoft 365's BAD for a session it has dropped on its side."""
    return status == "BAD" and _NOT_CONNECTED in text.lower()


def clientbug(status: str, text: str) -> bool:
    return status == "BAD" and "[CLIENTBUG]" in text.upper()


class Retrying:
    """The "not now" handling of ImapSession (a mixin: `raw` and `_call` use it)."""

    server: Any
    _abort: Any
    _drop: Callable[[], None]
    _errors: Any

    def _wait_if_not_now(self, status: str, text: str, attempt: int) -> bool:
        """After a refusal: True when it meant "not now" and the wait it asked for is
        over (send the command again). A session the server dropped, and a "not now"
        that outlasted the retries, are ConnectionLost (Throttled): the thread's Link
        reconnects with backoff and a journaled write stays queued, never refused.
        The wait ends at once when the session is aborted (no sleeping through `q`)."""
        if dead_session(status, text):
            self._drop()
            raise ConnectionLost(f"The IMAP server dropped the session: {text[:200]}")
        delay = wait_before_retry(status, text, attempt)
        if delay is None:
            if not_now(status, text):
                self._drop()
                raise Throttled(
                    f"{self.server.host} is throttling this account: {text[:200]}",
                    "mailtui tries again after a pause; nothing queued is lost",
                )
            return False
        log.info("%s: %s; waiting %.1f s", self.server.host, text[:120], delay)
        if self._abort.wait(delay):
            raise ConnectionLost("The connection was closed: mailtui is stopping")
        return True

    def _call(self, what: str, call: Callable[[], T], *, fresh: bool = True) -> T:
        """One imapclient command (LOGIN, APPEND, SEARCH, FETCH BODYSTRUCTURE…) with the
        same "not now" handling as `raw`: throttled → wait as asked and send it again."""
        attempt = 0
        while True:
            try:
                with self._errors(what, fresh=fresh):
                    return call()
            except (ProtocolError, LoginError) as exc:
                if isinstance(exc, FolderGone):
                    raise
                text = short_error(exc)
                if not self._wait_if_not_now(status_of(text), text, attempt):
                    raise
            attempt += 1
