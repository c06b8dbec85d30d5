"""The one error family every layer raises; the CLI and UI turn it into one sentence."""

from __future__ import annotations


class MailtuiError(Exception):
    """An error a user can act on: `str()` says what happened, `hint` what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def sentence(self) -> str:
        msg = str(self)
        return f"{msg} — {self.hint}" if self.hint else msg


class ConfigError(MailtuiError):
    """The config file is missing, unreadable or wrong; the message names file and key."""


class NoConfigFile(ConfigError):
    """There is no config file yet: a new user. The faces say how to start (`mailtui setup`)."""

    def __init__(self, message: str, hint: str, *, path: str, why: str) -> None:
        super().__init__(message, hint)
        self.path = path
        self.why = why


class CredentialError(MailtuiError):
    """No secret could be obtained for a server."""


class SignInExpired(CredentialError):
    """A stored sign-in (an OAuth2 grant) no longer works: only the user can renew it.

    Scripts and cron jobs tell it apart by its exit status (77, EX_NOPERM) from a
    server that is down for a while (75) — one needs a person, the other a retry."""


# --- mail store errors: raised by every backend (IMAP server, local Maildir) -----------


class StoreError(MailtuiError):
    """Base of everything a mail store adapter raises."""


class AuthFailed(StoreError):
    """The server refused the credentials."""


class ConnectionLost(StoreError):
    """The link is down, the server is not listening, or it stopped answering in time."""


class TooManyConnections(ConnectionLost):
    """The server refused a login for the connections already open (Gmail: 15 per
    account, all clients together): waited out and tried again, and the account's
    service gives up its IDLE connections for a while to share (sync/service.py)."""


class TlsError(StoreError):
    """The server's certificate or TLS set-up cannot be trusted (or TLS is unavailable)."""


class Unsupported(StoreError):
    """The store lacks a feature the request needs."""


class ProtocolError(StoreError):
    """The store refused a command (IMAP NO/BAD) or answered something unreadable."""


class FolderGone(ProtocolError):
    """The folder (or message) does not exist (any more)."""


class MalformedResponse(ProtocolError, ConnectionLost):
    """The store answered something unreadable or impossible (a UID of 0, a literal of
    -1 bytes, a line without end): that connection was dropped, since no later reply on
    it can be trusted to belong to the right command.

    A `ProtocolError` by what happened and a `ConnectionLost` by what follows: every
    caller that reconnects after a lost link (workers, the journal writer, watchers)
    reconnects after this too, and the journal keeps the action to send again.
    """
