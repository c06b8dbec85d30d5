"""Typed IMAP failures; the edge (CLI, UI) turns each into one sentence.

They are the store errors every backend shares (mailtui.errors); `ImapError` is their
common base under the name IMAP code has always used. `drops_on_malformed` and
`short_error` are how the session's parts produce them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from mailtui.errors import (
    AuthFailed,
    ConnectionLost,
    FolderGone,
    MalformedResponse,
    ProtocolError,
    StoreError,
    TlsError,
    TooManyConnections,
    Unsupported,
)

ImapError = StoreError
R = TypeVar("R")


class Throttled(ConnectionLost):
    """The server kept saying "not now" (Microsoft 365's throttling, [UNAVAILABLE]) after
    the waits it asked for, or throttled with a BAD before hanging up: treated as a lost
    link, so the thread's Link reconnects with backoff and a journaled write stays queued
    (never refused, never lost)."""


def drops_on_malformed(method: Callable[..., R]) -> Callable[..., R]:
    """A session method whose reply could not be read (MalformedResponse) drops the
    connection: nothing read after it could be trusted to answer the right command."""

    @functools.wraps(method)
    def guarded(self: Any, *args: object, **kwargs: object) -> R:
        try:
            return method(self, *args, **kwargs)
        except MalformedResponse:
            self._drop()
            raise

    return guarded


def short_error(exc: BaseException) -> str:
    """An imapclient error's text, without bytes-repr quotes, cut to 300 characters."""
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text.strip()[:300]


__all__ = [
    "AuthFailed",
    "ConnectionLost",
    "FolderGone",
    "ImapError",
    "ProtocolError",
    "Throttled",
    "TlsError",
    "TooManyConnections",
    "Unsupported",
    "drops_on_malformed",
    "short_error",
]
