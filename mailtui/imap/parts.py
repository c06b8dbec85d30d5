"""Fetching one message's structure and parts on an IMAP session (BODYSTRUCTURE,
BODY.PEEK[section]), with one NOOP and a second look for mail this connection has not
been told about yet.

A part of ImapSession (imap/session.py), kept apart by subject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from mailtui.backend import UidSet
from mailtui.imap import translate
from mailtui.imap.errors import FolderGone
from mailtui.imap.wire import MAX_PART_LITERAL
from mailtui.model import BodyPart

T = TypeVar("T")


class PartFetching:
    """BODYSTRUCTURE and body parts for ImapSession."""

    def _look_twice(self, fetch: Callable[[], T]) -> T:
        """A message added after this session's last look (by our own APPEND on another
        connection, or by anyone) is unknown here until the server reports it, and a
        UID FETCH of it answers nothing (RFC 9051 §7.4.1): one NOOP, then ask again."""
        try:
            return fetch()
        except FolderGone:
            self.noop()
            return fetch()

    def fetch_bodystructure(self, uid: int) -> BodyPart:
        client = self._require()

        def fetch() -> BodyPart:
            data = self._call("FETCH BODYSTRUCTURE", lambda: client.fetch([uid], ["BODYSTRUCTURE"]))
            item = data.get(uid)
            if not item or b"BODYSTRUCTURE" not in item:
                raise FolderGone(f"Message {uid} is no longer on the server")
            return translate.bodystructure_to_part(item[b"BODYSTRUCTURE"])

        return self._look_twice(fetch)

    def fetch_previews(self, uids: Sequence[int]) -> tuple[dict[int, str], dict[int, BodyPart]]:
        """The preview line of each message (imap/ext/preview.py: PREVIEW, else a
        partial fetch of its text part)."""
        from mailtui.imap.ext.preview import fetch_previews

        return fetch_previews(self, uids)  # type: ignore[arg-type]

    def fetch_section(self, uid: int, section: str, *, max_bytes: int | None = None) -> bytes:
        """BODY.PEEK[section] (never sets \\Seen), optionally only the first max_bytes."""
        partial = f"<0.{max_bytes}>" if max_bytes else ""
        cmd = f"UID FETCH {uid} (UID BODY.PEEK[{section}]{partial})".encode()

        def fetch() -> bytes:
            for rec in self.raw(cmd, max_literal=MAX_PART_LITERAL).fetches:
                if rec.uid == uid:
                    for data in rec.sections.values():
                        return data or b""
            raise FolderGone(f"Message {uid} is no longer on the server")

        return self._look_twice(fetch)

    def fetch_sections(self, uid: int, sections: Iterable[str]) -> dict[str, bytes]:
        """Several parts of one message in one round trip (e.g. "1.MIME" and "1")."""
        names = list(sections)
        items = " ".join(f"BODY.PEEK[{s}]" for s in names)

        def fetch() -> dict[str, bytes]:
            command = f"UID FETCH {uid} (UID {items})".encode()
            for rec in self.raw(command, max_literal=MAX_PART_LITERAL).fetches:
                if rec.uid == uid:
                    return {k: (v or b"") for k, v in rec.sections.items()}
            raise FolderGone(f"Message {uid} is no longer on the server")

        return self._look_twice(fetch)

    def fetch_structures(self, uids: Sequence[int]) -> dict[int, BodyPart]:
        """BODYSTRUCTURE of many messages in one FETCH (prefetch; gone ones left out)."""
        if not uids:
            return {}
        wanted = UidSet(uids)
        client = self._require()
        with self._errors("FETCH BODYSTRUCTURE"):
            data = client.fetch(list(wanted), ["BODYSTRUCTURE"])
        return {
            uid: translate.bodystructure_to_part(item[b"BODYSTRUCTURE"])
            for uid, item in data.items()
            if uid in wanted and b"BODYSTRUCTURE" in item
        }

    def fetch_section_many(self, uids: Sequence[int], section: str) -> dict[int, bytes]:
        """BODY.PEEK[section] of many messages in one UID FETCH (never sets \\Seen)."""
        if not uids:
            return {}
        wanted = UidSet(uids)
        command = f"UID FETCH {wanted} (UID BODY.PEEK[{section}])".encode()
        found: dict[int, bytes] = {}
        for rec in self.raw(command, max_literal=MAX_PART_LITERAL).fetches:
            if rec.uid in wanted and rec.sections:
                found[rec.uid] = next(iter(rec.sections.values())) or b""
        return found
