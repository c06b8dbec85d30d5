"""The preview line's text on IMAP: PREVIEW (RFC 8970) when offered, else the first
bytes of each message's text part.

With PREVIEW one `UID FETCH set (PREVIEW)` answers every row at once, the server
having done the work (RFC 8970 §3: at most 256 characters of plain text; Dovecot
offers it). Without it: one FETCH of the BODYSTRUCTUREs (stored, so opening the
message later needs no round trip for it), then `BODY.PEEK[section]<0.512>` grouped by
section — a capped partial fetch, never the whole part, and never \\Seen. The text
is made a preview by `mime.preview`. A part of ImapSession (imap/session.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailtui.backend import UidSet
from mailtui.imap import translate
from mailtui.imap.wire import MAX_HEADER_LITERAL
from mailtui.mime.preview import FETCH_BYTES, preview_of_part, preview_part, tidy_preview
from mailtui.model import BodyPart

if TYPE_CHECKING:
    from mailtui.imap.session import ImapSession

__all__ = ["fetch_previews"]


def fetch_previews(
    session: ImapSession, uids: Sequence[int]
) -> tuple[dict[int, str], dict[int, BodyPart]]:
    """{uid: preview} for the messages still there ("" for one without text), and the
    structures fetched on the way (empty with PREVIEW)."""
    if not uids:
        return {}, {}
    wanted = UidSet(uids)
    if session.caps.has("PREVIEW"):
        command = f"UID FETCH {wanted} (UID PREVIEW)".encode()
        found: dict[int, str] = {}
        for rec in session.raw(command, max_literal=MAX_HEADER_LITERAL).fetches:
            if rec.uid in wanted and "PREVIEW" in rec.sections:
                value = rec.sections["PREVIEW"] or b""
                found[rec.uid] = tidy_preview(value.decode("utf-8", "replace"))
        return found, {}
    client = session._require()
    data = session._call(
        "FETCH BODYSTRUCTURE", lambda: client.fetch(list(wanted), ["BODYSTRUCTURE"])
    )
    structures = {
        uid: translate.bodystructure_to_part(item[b"BODYSTRUCTURE"])
        for uid, item in data.items()
        if uid in wanted and b"BODYSTRUCTURE" in item
    }
    found = {uid: "" for uid in structures}
    by_section: dict[str, list[tuple[int, BodyPart]]] = {}
    for uid, structure in structures.items():
        part = preview_part(structure)
        if part is not None:
            by_section.setdefault(part.section, []).append((uid, part))
    for section, members in by_section.items():
        parts = dict(members)
        command = f"UID FETCH {UidSet(parts)} (UID BODY.PEEK[{section}]<0.{FETCH_BYTES}>)".encode()
        for rec in session.raw(command, max_literal=MAX_HEADER_LITERAL).fetches:
            part = parts.get(rec.uid)
            if part is not None:
                head = next(iter(rec.sections.values()), b"") or b""
                found[rec.uid] = preview_of_part(part, head)
    return found, structures
