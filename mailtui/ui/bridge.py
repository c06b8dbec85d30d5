"""Service events → Textual messages (ui/messages.py), and requests the UI can await.

SyncService listeners run in its worker threads; Textual objects may only be touched
from the app's event loop. So the listener here does nothing but hand events over:
endings of awaited requests resolve an asyncio future (thread-safely), everything
else is posted as a message to the receiver (the main screen, once it is mounted).
Chatty batch events (a 100k cold sync sends one per batch) are merged while still
undelivered, so the UI handles one per frame, not hundreds.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from mailtui.errors import MailtuiError
from mailtui.sync import commands, events
from mailtui.ui.messages import MERGED, message_for

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from textual.message_pump import MessagePump

    from mailtui.sync.service import SyncService

T = TypeVar("T")
_MergeKey = tuple[type[events.Event], str, str]  # event type, account, folder


class ServiceFailed(MailtuiError):
    """A request ended in Failed: `kind` is the service's error class name."""

    def __init__(self, message: str, hint: str = "", kind: str = "") -> None:
        super().__init__(message, hint)
        self.kind = kind


class ServiceCancelled(MailtuiError):
    """A request was cancelled (the app is closing, or a newer one replaced it)."""


def _merge(old: events.Event | None, new: events.Event) -> events.Event:
    if old is None:
        return new
    uids = tuple(dict.fromkeys((*old.uids, *new.uids)))  # type: ignore[attr-defined]
    return replace(new, uids=uids)  # type: ignore[type-var]


class Bridge:
    """One per app: subscribes to services, resolves awaited requests, posts the rest."""

    def __init__(self) -> None:
        self._receiver: MessagePump | None = None
        self._loop = asyncio.get_running_loop()
        self._lock = threading.Lock()
        self._waiting: dict[int, asyncio.Future[events.Ending]] = {}
        self._merged: dict[_MergeKey, events.Event] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        # Cache reads that may take a while (a 100k view, threading) run here, on one
        # thread with its own SQLite connection, so the UI keeps drawing meanwhile.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailtui-ui-read")
        self.closed = False

    def attach(self, service: SyncService) -> None:
        self._unsubscribe.append(service.subscribe(self._listen))

    def deliver_to(self, receiver: MessagePump | None) -> None:
        """Post events to `receiver` from now on; None drops them (no screen shows them).

        What was announced before is in the cache or the service's state, which the
        receiver reads when it starts listening."""
        with self._lock:
            self._receiver = receiver
            self._merged.clear()

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
        if isinstance(event, MERGED):
            key = (type(event), event.account, event.folder)
            with self._lock:
                pending = self._merged.get(key)
                self._merged[key] = _merge(pending, event)
            if pending is None and not self._post(event, partial(self._claim, key, event)):
                with self._lock:
                    self._merged.pop(key, None)
            return
        self._post(event)

    def _post(self, event: events.Event, claim: Callable[[], events.Event] | None = None) -> bool:
        message = message_for(event, claim)
        receiver = self._receiver
        if message is None or receiver is None:
            return False
        return receiver.post_message(message)

    # --- on the UI thread ------------------------------------------------------------------

    def _claim(self, key: _MergeKey, first: events.Event) -> events.Event:
        """The batches merged under `key` since its message was posted; new ones post anew."""
        with self._lock:
            return self._merged.pop(key, first)

    def submit(self, service: SyncService, command: commands.Command) -> int:
        """Fire and forget: a failure arrives as a `messages.Failed`."""
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
