"""Fetching what the reader shows: structure, then only the body part, from the cache first.

A message whose structure and body part are cached opens without the network; else
the service fetches them on its interactive connection (BODY.PEEK, so reading does
not set \\Seen — the UI decides when to mark read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailtui.mime.headers import parse_addresses
from mailtui.mime.html import link_is_safe
from mailtui.mime.parse import transfer_decode
from mailtui.mime.render import alternatives, attachments, body_text, choose_body
from mailtui.mime.safe import clean_line
from mailtui.model import Address, Attachment, BodyPart, Envelope
from mailtui.sync import commands

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.bridge import Bridge

_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'\]\[)]+|\bmailto:[^\s<>\"'\]\[)]+", re.IGNORECASE)


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
) -> Loaded:
    """Structure and body text of a message (`part` forces one alternative)."""
    structure, cached = await fetch_structure(bridge, service, folder, uid)
    chosen = part or choose_body(structure, prefer)
    text, links = "", []
    if chosen is not None:
        payload, part_cached = await fetch_part(bridge, service, folder, uid, chosen.section)
        cached = cached and part_cached
        text, links = body_text(chosen, payload, width=width)
        if chosen.mime_type != "text/html":
            links = plain_links(text)
    return Loaded(
        structure=structure,
        part=chosen,
        text=text,
        links=links,
        attachments=attachments(structure, "html" if prefer == "html" else "plain"),
        alternatives=alternatives(structure),
        from_cache=cached,
    )


async def fetch_attachment(
    bridge: Bridge, service: SyncService, folder: str, uid: int, structure: BodyPart, section: str
) -> bytes:
    """An attachment's decoded bytes (fetched past the size-capped part cache)."""
    part = structure.find(section)
    encoding = part.encoding if part is not None else "7bit"
    raw, _ = await fetch_part(bridge, service, folder, uid, section, cache=False)
    return transfer_decode(raw, encoding)


def plain_links(text: str) -> list[str]:
    """URLs written in a plain-text body, in order, each once."""
    seen: dict[str, None] = {}
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?")
        seen.setdefault(url, None)
    return [u for u in seen if link_is_safe(u)]


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
