"""Typed IMAP failures; the edge (CLI, UI) turns each into one sentence.

They are the store errors every backend shares (mailtui.errors); `ImapError` is their
common base under the name IMAP code has always used.
"""

from __future__ import annotations

from mailtui.errors import (
    AuthFailed,
    ConnectionLost,
    FolderGone,
    ProtocolError,
    StoreError,
    TlsError,
    Unsupported,
)

ImapError = StoreError

__all__ = [
    "AuthFailed",
    "ConnectionLost",
    "FolderGone",
    "ImapError",
    "ProtocolError",
    "TlsError",
    "Unsupported",
]
