"""Sync service events as Textual messages, handled by the main screen's `on_…` methods.

The service reports from its worker threads; Textual objects may only be touched on the
app's event loop. ui/bridge.py wraps each event the UI acts on in the message of its
type (`message_for`) and posts it from the worker thread (`post_message` is thread-safe).
Each message class is named as its event, so Textual calls `on_<event_in_snake_case>`:
`events.HeadersSynced` arrives at `on_headers_synced(message)`, the event being
`message.event`. Events the UI does not act on have no message and are not posted.

Batch events (a 100k cold sync sends one per batch) are merged in the bridge while their
message waits in the queue: such a message is posted once with a `claim` callable, and
its `event` is every batch merged into it until the handler reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from textual.message import Message

from mailtui.sync import events

E = TypeVar("E", bound=events.Event)


class ServiceMessage(Message, Generic[E], bubble=False):
    """One sync event, delivered on the UI thread."""

    def __init__(self, event: E, claim: Callable[[], E] | None = None) -> None:
        super().__init__()
        self._event = event
        self._claim = claim

    @property
    def event(self) -> E:
        """The event; for a merged batch, all batches merged until now (claimed once)."""
        if self._claim is not None:
            claim, self._claim = self._claim, None
            self._event = claim()
        return self._event


HANDLED: tuple[type[events.Event], ...] = (
    events.ConnectionChanged,  # online, offline, connecting: status bar and banner
    events.FoldersListed,
    events.SyncStarted,
    events.HeadersSynced,
    events.FlagsChanged,
    events.MessagesVanished,
    events.FolderSynced,
    events.FolderChanged,  # another mailtui process changed the shared cache
    events.NewMail,
    events.ActionApplied,
    events.ActionFailed,
    events.PendingChanged,
    events.OfflineReadable,  # prefetch: how much can be read without the server
    events.Failed,  # a request nobody awaits failed (a background sync, fire and forget)
)
"""The events the UI acts on, each delivered as a message class of its own name."""

MERGED = (events.HeadersSynced, events.FlagsChanged, events.MessagesVanished)
"""Events merged in the bridge while undelivered: same type, account and folder."""


def _message_class(kind: type[events.Event]) -> type[ServiceMessage[events.Event]]:
    # Textual names the handler after the class: on_headers_synced for HeadersSynced.
    doc = f"`events.{kind.__name__}` as a message: {kind.__doc__ or ''}"
    return type(kind.__name__, (ServiceMessage,), {"__doc__": doc}, bubble=False)


_MESSAGES = {kind: _message_class(kind) for kind in HANDLED}


def message_for(
    event: events.Event, claim: Callable[[], events.Event] | None = None
) -> ServiceMessage[events.Event] | None:
    """The message that carries `event`, or None when the UI does not act on its type."""
    kind = _MESSAGES.get(type(event))
    return None if kind is None else kind(event, claim)
