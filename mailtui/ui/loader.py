"""Fetching what the reader shows: structure, then only the body part, from the cache first.

A message whose structure and body part are cached opens without the network; else
the service fetches them on its interactive connection (BODY.PEEK, so reading does
not set \\Seen — the UI decides when to mark read).

Which part is shown and how it becomes text is the use case both faces share
(`usecase.reading`: `shown_part`, `decode_body`); this module adds what only the app
needs. Rendering (charset and transfer decoding, HTML layout, format=flowed, finding
links and long quotes) runs in a render thread, never on the event loop: a hostile
or huge body must not freeze the app. The awaiting task can be cancelled at any moment (the cursor
moved on); the thread is then told to stop and its result is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from mailtui.mime.render import (
    Quote,
    RenderedBody,
    alternatives,
    attachments,
    plain_links,
    split_blocks,
)
from mailtui.model import Address, Attachment, BodyPart, Envelope
from mailtui.sync import commands
from mailtui.text.addresses import parse_addresses
from mailtui.text.chunks import CancelCheck, Cancelled
from mailtui.text.safe import clean_line
from mailtui.usecase.reading import attachment_data, decode_body, shown_part
from mailtui.usecase.secure import InlineBody, Secured

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.bridge import Bridge
    from mailtui.usecase.reading import SecureReading

__all__ = [
    "FOLD_OVER",
    "Loaded",
    "addresses",
    "fetch_attachment",
    "in_render_thread",
    "load_message",
    "long_quotes",
    "plain_links",
    "render_activity",
    "render_whole",
]

FOLD_OVER = 6  # quotes longer than this many lines start folded
T = TypeVar("T")


@dataclass
class Loaded:
    """One message ready to draw."""

    structure: BodyPart
    part: BodyPart | None  # the part shown (None: no text body)
    text: str  # cleaned body text (HTML already converted)
    links: list[str]  # link n is links[n-1]; "" for inert links
    attachments: list[Attachment]
    alternatives: list[BodyPart] = field(default_factory=list)
    from_cache: bool = False
    quotes: frozenset[int] = frozenset()  # quote blocks long enough to fold
    cut: int = 0  # characters of the part left unrendered by the size cap (T renders all)
    payload: bytes = field(default=b"", repr=False)  # the part as fetched, to render it whole
    width: int = 0
    # OpenPGP/S-MIME: the status, and a decrypted message (in memory only) whose parts
    # the body and the attachments come from; inline PGP runs of the text shown.
    secure: Secured | None = field(default=None, repr=False)
    inline: InlineBody | None = field(default=None, repr=False)


def long_quotes(text: str) -> frozenset[int]:
    """Indexes of the quote blocks long enough to fold."""
    return frozenset(
        i
        for i, block in enumerate(split_blocks(text))
        if isinstance(block, Quote) and len(block.lines) > FOLD_OVER
    )


# --------------------------------------------------------------------------- render thread

_pool: ThreadPoolExecutor | None = None
_RENDER_NICENESS = 10
_pool_lock = threading.Lock()
# Renders started, ended (finished, failed or abandoned), abandoned (told to stop).
_activity = [0, 0, 0]


def _behind_the_ui() -> None:
    """Render threads yield the CPU to the event loop's thread when both want it.

    Linux applies a nice value to one thread (its TID); elsewhere this does nothing.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _RENDER_NICENESS)
    except (AttributeError, OSError):
        pass


def _render_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # Two: a render being abandoned never delays the next one.
            _pool = ThreadPoolExecutor(
                max_workers=2, thread_name_prefix="mailtui-render", initializer=_behind_the_ui
            )
        return _pool


def render_activity() -> tuple[int, int, int]:
    """(renders started, ended, abandoned) since start: one runs while the first two differ.

    For diagnostics and tests: "was the render still going when the key was answered?"
    """
    with _pool_lock:
        return _activity[0], _activity[1], _activity[2]


def _counted(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with _pool_lock:
        _activity[0] += 1
    try:
        return fn(*args, **kwargs)
    except Cancelled:
        with _pool_lock:
            _activity[2] += 1
        raise
    finally:
        with _pool_lock:
            _activity[1] += 1


async def in_render_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, cancelled=…, **kwargs)` in a render thread, awaited without blocking.

    If the awaiting task is cancelled, `cancelled()` turns true and the render stops at
    its next check (mime works in slices and raises chunks.Cancelled); nobody waits for
    it and its result is dropped.
    """
    stop = threading.Event()
    call = functools.partial(_counted, fn, *args, cancelled=stop.is_set, **kwargs)
    try:
        return await asyncio.get_running_loop().run_in_executor(_render_pool(), call)
    finally:
        stop.set()


def _render(
    part: BodyPart, payload: bytes, width: int, whole: bool, cancelled: CancelCheck
) -> tuple[RenderedBody, frozenset[int]]:
    """In the render thread: the body as text, and which quotes to fold."""
    rendered = decode_body(part, payload, width=width, whole=whole, cancelled=cancelled)
    return rendered, long_quotes(rendered.text)


def _loaded(
    structure: BodyPart,
    part: BodyPart | None,
    rendered: RenderedBody | None,
    quotes: frozenset[int],
    payload: bytes,
    width: int,
    prefer: str,
    from_cache: bool,
    secure: Secured | None = None,
    inline: InlineBody | None = None,
) -> Loaded:
    hidden = secure.hidden if secure is not None else frozenset()
    atts = attachments(structure, "html" if prefer == "html" else "plain")
    return Loaded(
        structure=structure,
        part=part,
        text=rendered.text if rendered else "",
        links=rendered.links if rendered else [],
        attachments=[a for a in atts if a.section not in hidden],
        alternatives=alternatives(structure),
        from_cache=from_cache,
        quotes=quotes,
        cut=rendered.cut if rendered else 0,
        payload=payload if rendered and rendered.cut else b"",
        width=width,
        secure=secure,
        inline=inline,
    )


async def render_whole(loaded: Loaded) -> Loaded:
    """The same message with its body rendered past the size cap (for T)."""
    if loaded.part is None or not loaded.cut:
        return loaded
    rendered, quotes = await in_render_thread(
        _render, loaded.part, loaded.payload, loaded.width, True
    )
    return replace(
        loaded, text=rendered.text, links=rendered.links, quotes=quotes, cut=0, payload=b""
    )


# --------------------------------------------------------------------------- fetching


async def fetch_structure(
    bridge: Bridge, service: SyncService, folder: str, uid: int
) -> tuple[BodyPart, bool]:
    """The message's MIME tree, and whether it came from the cache."""
    cached = service.cached_structure(folder, uid)
    if cached is not None:
        return cached, True
    result = await bridge.call(service, commands.FetchStructure(folder=folder, uid=uid))
    return result, False


async def fetch_part(
    bridge: Bridge, service: SyncService, folder: str, uid: int, section: str, *, cache: bool = True
) -> tuple[bytes, bool]:
    """A part's raw transfer-encoded bytes, and whether they came from the cache."""
    if cache:
        cached = service.cached_part(folder, uid, section)
        if cached is not None:
            return cached, True
    data = await bridge.call(
        service, commands.FetchPart(folder=folder, uid=uid, section=section, cache=cache)
    )
    return bytes(data or b""), False


async def load_message(
    bridge: Bridge,
    service: SyncService,
    folder: str,
    uid: int,
    *,
    prefer: str = "plain",
    part: BodyPart | None = None,
    width: int = 0,
    secure: SecureReading | None = None,
) -> Loaded:
    """Structure and body text of a message (`part` forces one alternative).

    With `secure` (the account and how to ask for a passphrase), a signed message is
    verified and an encrypted one decrypted first (`usecase.reading.secure_view`, in a
    thread); the body then comes from the decrypted message, in memory."""
    structure, cached = await fetch_structure(bridge, service, folder, uid)
    secured: Secured | None = None
    if secure is not None and secure.needed(structure):
        secured = await asyncio.to_thread(secure.examine, service, folder, uid, structure)
    tree = secured.structure if secured is not None and secured.structure is not None else structure
    chosen = shown_part(tree, prefer, part)
    if secured is not None:
        secured = secured.for_part(chosen)  # a signature elsewhere does not vouch for it
    rendered: RenderedBody | None = None
    inline: InlineBody | None = None
    quotes: frozenset[int] = frozenset()
    payload = b""
    if chosen is not None:
        if secured is not None and secured.message is not None:
            payload = secured.message.part_bytes(chosen.section)
            chosen = replace(chosen, encoding="binary")  # part_bytes decoded it already
        else:
            payload, part_cached = await fetch_part(bridge, service, folder, uid, chosen.section)
            cached = cached and part_cached
        if secure is not None and secure.may_be_inline(chosen, payload):
            inline = await asyncio.to_thread(secure.inline, service, folder, uid, chosen, payload)
        if inline is not None:
            rendered = RenderedBody(inline.text, plain_links(inline.text))
        else:
            rendered, quotes = await in_render_thread(_render, chosen, payload, width, False)
    return _loaded(tree, chosen, rendered, quotes, payload, width, prefer, cached, secured, inline)


async def fetch_attachment(
    bridge: Bridge, service: SyncService, folder: str, uid: int, structure: BodyPart, section: str
) -> bytes:
    """An attachment's decoded bytes (fetched past the size-capped part cache)."""
    raw, _ = await fetch_part(bridge, service, folder, uid, section, cache=False)
    return await in_render_thread(attachment_data, structure, section, raw)


def addresses(env: Envelope) -> list[Address]:
    """Everyone on the message (From, Reply-To, To, Cc), each once, names cleaned."""
    found: dict[str, Address] = {}
    people: list[Address] = list(env.from_)
    for value in (env.reply_to, env.to, env.cc):
        if value:
            people.extend(parse_addresses(value))
    for person in people:
        addr = clean_line(person.addr)
        if addr and addr.lower() not in found:
            found[addr.lower()] = Address(clean_line(person.name), addr)
    return list(found.values())
