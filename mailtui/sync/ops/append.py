"""Storing a complete message in a folder (Sent copies, drafts): APPEND, confirmed by
APPENDUID or by finding its Message-ID there."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from mailtui.backend import Session
from mailtui.cache.store import HeaderCache
from mailtui.errors import ProtocolError
from mailtui.sync.names import raw_name
from mailtui.sync.ops.base import Applied, Applying, Entry, Operation, Sending, folder_known
from mailtui.sync.request import Command


@dataclass(frozen=True, kw_only=True)
class AppendMessage(Command):
    """Store a complete message in a folder (Sent copies, drafts); result: its UID or None."""

    folder: str
    raw: bytes
    flags: frozenset[str] = frozenset()
    interactive: bool = True


def first_message_id(raw: bytes) -> str:
    """The Message-ID of a complete message, "" when it has none."""
    from mailtui.mime.envelope import split_header_block
    from mailtui.text.msgids import parse_msgids

    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    value = split_header_block(head + b"\r\n").get("message-id", "")
    ids = parse_msgids(value) if value else ()
    return ids[0] if ids else ""


class Append(Operation):
    kind = "append"
    commands = (AppendMessage,)

    def apply(
        self, log: Applying, cache: HeaderCache, command: AppendMessage
    ) -> tuple[Applied, None]:
        """Nothing in the cache until the server has it (the next sync lists it)."""
        folder_known(cache, command.folder)
        args = {
            "raw": base64.b64encode(command.raw).decode("ascii"),
            "flags": sorted(command.flags),
            "message_id": first_message_id(command.raw),
        }
        jid = cache.journal_add("append", command.folder, "", args)
        return Applied(jid, "append", command.folder, ()), None

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """On replay, first look for the Message-ID: the APPEND may have landed already."""
        raw_folder = raw_name(writer.cache, entry.folder)
        mid = entry.args.get("message_id", "")
        if replay and mid:
            session.select(raw_folder)
            found = session.search_message_ids([mid])
            if mid in found:
                return {"uid": found[mid]}
        uid = session.append(
            raw_folder, base64.b64decode(entry.args["raw"]), entry.args.get("flags", ())
        )
        if uid is None and mid:
            # No APPENDUID (no UIDPLUS): the OK alone proves nothing; look for it.
            session.select(raw_folder)
            uid = session.search_message_ids([mid]).get(mid)
            if uid is None:
                raise ProtocolError(
                    f"The server accepted the message but it is not in {entry.folder}",
                    "it stays in the journal's report; try again or check the server",
                )
        return {"uid": uid}


OP = Append()
