"""Service events → Textual messages, and requests the UI can await.

SyncService listeners run in its worker threads; Textual objects may only be touched
from the app's event loop. So the listener here does nothing but hand events over:
endings of awaited requests resolve an asyncio future (thread-safely), everything
else is posted as a message. Chatty batch events (a 100k cold sync sends one per
batch) are merged while still undelivered, so the UI handles one per frame, not
hundreds.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from textual.message import Message

from mailtui.errors import MailtuiError
from mailtui.sync import commands, events

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual.app import App

    from mailtui.sync.service import SyncService

T = TypeVar("T")

# Events merged while undelivered: same type, account and folder.
_MERGED = (events.HeadersSynced, events.FlagsChanged, events.MessagesVanished)


class ServiceFailed(MailtuiError):
    """A request ended in Failed: `kind` is the service's error class name."""

    def __init__(self, message: str, hint: str = "", kind: str = "") -> None:
        super().__init__(message, hint)
        self.kind = kind


class ServiceCancelled(MailtuiError):
    """A request was cancelled (the app is closing, or a newer one replaced it)."""


class ServiceEvent(Message, bubble=False):
    """A sync event, delivered on the UI thread."""

    def __init__(self, event: events.Event) -> None:
        super().__init__()
        self.event = event


class MergedEvent(Message, bubble=False):
    """A merged batch event waiting in the bridge; the handler takes the latest."""

    def __init__(self, bridge: Bridge, key: tuple[Any, ...]) -> None:
        super().__init__()
        self.bridge = bridge
        self.key = key


def _merge(old: events.Event | None, new: events.Event) -> events.Event:
    if old is None:
        return new
    uids = tuple(dict.fromkeys((*old.uids, *new.uids)))  # type: ignore[attr-defined]
    return replace(new, uids=uids)  # type: ignore[type-var]


class Bridge:
    """One per app: subscribes to services, resolves awaited requests, posts the rest."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._waiting: dict[int, asyncio.Future[events.Ending]] = {}
        self._merged: dict[tuple[Any, ...], events.Event] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        # Cache reads that may take a while (a 100k view, threading) run here, on one
        # thread with its own SQLite connection, so the UI keeps drawing meanwhile.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailtui-ui-read")
        self.closed = False

    def attach(self, service: SyncService) -> None:
        self._unsubscribe.append(service.subscribe(self._listen))

    def close(self) -> None:
        self.closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        with self._lock:
            waiting = list(self._waiting.values())
            self._waiting.clear()
        for future in waiting:
            if not future.done():
                future.cancel()
        self._reader.shutdown(wait=False, cancel_futures=True)

    # --- from worker threads -------------------------------------------------------------

    def _listen(self, event: events.Event) -> None:
        if self.closed:
            return
        if isinstance(event, events.Ending):
            with self._lock:
                future = self._waiting.pop(event.request_id, None)
            if future is not None:
                self._loop.call_soon_threadsafe(_settle, future, event)
                return
        if isinstance(event, _MERGED):
            key = (type(event), event.account, event.folder)
            with self._lock:
                pending = self._merged.get(key)
                self._merged[key] = _merge(pending, event)
            if pending is None:
                self._app.post_message(MergedEvent(self, key))
            return
        self._app.post_message(ServiceEvent(event))

    # --- on the UI thread ------------------------------------------------------------------

    def take(self, message: MergedEvent) -> events.Event | None:
        """The merged event a `MergedEvent` message stands for."""
        with self._lock:
            return self._merged.pop(message.key, None)

    def submit(self, service: SyncService, command: commands.Command) -> int:
        """Fire and forget: the ending arrives as a ServiceEvent."""
        return service.submit(command)

    async def call(
        self,
        service: SyncService,
        command: commands.Command,
        *,
        submit: Callable[..., Awaitable[Any]] | None = None,
    ) -> Any:
        """Submit and wait for the ending: Done's result, or ServiceFailed/ServiceCancelled.

        `submit=asyncio.to_thread` submits from a thread, for commands whose `submit`
        itself may block (Undo waits for the server's confirmation of a move).
        """
        future: asyncio.Future[events.Ending] = self._loop.create_future()
        with self._lock:
            self._waiting[command.request_id] = future
        try:
            if submit is None:
                service.submit(command)
            else:
                await submit(service.submit, command)
        except Exception:
            with self._lock:
                self._waiting.pop(command.request_id, None)
            raise
        try:
            ending = await future
        except asyncio.CancelledError:
            with self._lock:
                self._waiting.pop(command.request_id, None)
            raise
        if isinstance(ending, events.Done):
            return ending.result
        if isinstance(ending, events.Failed):
            raise ServiceFailed(ending.message, ending.hint, ending.kind)
        if isinstance(ending, events.Queued):
            return None
        raise ServiceCancelled("The request was cancelled")

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a cache read on the bridge's reader thread."""
        return await self._loop.run_in_executor(self._reader, fn, *args)


def _settle(future: asyncio.Future[events.Ending], ending: events.Ending) -> None:
    if not future.done():
        future.set_result(ending)
