"""Typed IMAP failures; the edge (CLI, UI) turns each into one sentence."""

from __future__ import annotations

from mailtui.errors import MailtuiError


class ImapError(MailtuiError):
    """Base of everything the IMAP adapter raises."""


class AuthFailed(ImapError):
    """The server refused the credentials."""


class ConnectionLost(ImapError):
    """The link is down, the server is not listening, or it stopped answering in time."""


class TlsError(ImapError):
    """The server's certificate or TLS set-up cannot be trusted (or TLS is unavailable)."""


class Unsupported(ImapError):
    """The server lacks an extension the request needs."""


class ProtocolError(ImapError):
    """The server answered NO/BAD or something mailtui cannot parse."""


class FolderGone(ProtocolError):
    """The folder does not exist (any more) on the server."""
