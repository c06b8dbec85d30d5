"""MaildirSession: a local Maildir tree behind the same `backend.Session` interface as IMAP.

The sync layer's resync, journal writer, undo and watchers drive this exactly as they
drive an IMAP server: folders have UIDs, UIDVALIDITY and UIDNEXT (from the UID map in
mailtui's data dir), flags live in the ":2," info of the file names, writes are atomic
renames, and IDLE is inotify on the selected folder. Without CONDSTORE the sync layer
uses its plain path (new UIDs from UIDNEXT, all flags, expunges by difference).

Files come and go under us (mbsync, a mail filter, another mailtui): a message that
vanished is left out of flag fetches (so it reads as expunged) and a fetch of its
content raises FolderGone; nothing here assumes the tree holds still.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from mailtui.backend import Fetched, SelectResult, UidSet
from mailtui.backend.query import Query
from mailtui.errors import FolderGone, MailtuiError, ProtocolError
from mailtui.maildir import keywords as dkeywords
from mailtui.maildir import sections
from mailtui.maildir.base import (
    CAPABILITIES,
    expand_uid_set,
    mentions_unknown,
    store_errors,
)
from mailtui.maildir.flags import FlagCommands
from mailtui.maildir.folder import Msg, View
from mailtui.maildir.folders import FolderCommands
from mailtui.maildir.idle import LiveUpdates
from mailtui.maildir.names import size_from_name
from mailtui.maildir.search import Candidate, matcher
from mailtui.maildir.transfer import TransferCommands
from mailtui.mime.parse import parse_message
from mailtui.mime.preview import FETCH_BYTES, preview_of_part, preview_part
from mailtui.model import BodyPart

log = logging.getLogger("mailtui.maildir")

PERMANENT_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\*")
HEADER_KEY = "HEADER"
MAX_RESCANS = 50  # per fetch: files renamed under us are looked up again, up to this often


class MaildirSession(FolderCommands, FlagCommands, TransferCommands, LiveUpdates):
    """One "connection" to a Maildir tree, owned by one thread (like an ImapSession).

    The parts, by subject: connecting, directories and the selected folder in `base`,
    folder commands in `folders`, flags in `flags`, MOVE/COPY/EXPUNGE/APPEND in
    `transfer`, IDLE and NOOP in `idle`; selecting, fetching and searching here.
    """

    # --- selecting ----------------------------------------------------------------------

    @store_errors("SELECT")
    def select(
        self,
        raw: str,
        *,
        readonly: bool = False,
        qresync: tuple[int, int, str | None] | None = None,
    ) -> SelectResult:
        """Scan the folder (numbering new files) and make it the one later calls act on."""
        self._stop_watch()
        name, path = self._dir(raw)
        token = self._token(name, path)  # before reading: see _token
        try:
            view = self._scan(name, path)
        except FolderGone:
            self.selected = None
            self._view = None
            raise
        self.selected = raw
        self._view = view
        # What IDLE compares against: the state the caller's sync is based on.
        self._snapshot = view.listing
        return SelectResult(
            exists=len(view.uids),
            uidvalidity=view.uidvalidity,
            uidnext=view.uidnext,
            nomodseq=True,
            readonly=readonly,
            permanent_flags=PERMANENT_FLAGS,
            change_token=token,
        )

    # --- fetching -----------------------------------------------------------------------

    @store_errors("FETCH")
    def fetch_headers(
        self, uids: str, on_fetch: Callable[[Fetched], None] | None = None
    ) -> list[Fetched]:
        """UID, flags, internal date, size and the header block (read alone) of each message.

        Records go to `on_fetch` as they are read (like the IMAP reader's), else are returned.
        """
        view = self._current()
        if mentions_unknown(uids, view):
            view = self._rescan()
        dovecot = dkeywords.load(view.path)
        out: list[Fetched] = []
        rescans = 0
        pending = self._targets(uids, view)
        i = 0
        while i < len(pending):
            uid = pending[i]
            i += 1
            msg = view.by_uid.get(uid)
            if msg is None:
                continue
            try:
                fd = os.open(view.path / msg.sub / msg.filename, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                if rescans < MAX_RESCANS:
                    # Renamed (a flag change) or moved by someone else: look again.
                    rescans += 1
                    view = self._rescan()
                    if uid in view.by_uid:
                        i -= 1
                continue
            except OSError as exc:
                # One unreadable file (another user's, a bad sector) must not stop the sync.
                log.warning("cannot read %s: %s", msg.filename, exc)
                continue
            try:
                st = os.fstat(fd)
                header = sections.read_header(fd)
            except OSError as exc:
                log.warning("cannot read %s: %s", msg.filename, exc)
                continue
            finally:
                os.close(fd)
            size = size_from_name(msg.unique)
            rec = Fetched(
                seq=view.seq(uid),
                uid=uid,
                flags=self._flags(view, msg, dovecot),
                internaldate=int(st.st_mtime),
                size=size if size is not None else st.st_size,
                sections={HEADER_KEY: header},
            )
            if on_fetch is not None:
                on_fetch(rec)  # streamed: a 10k batch is never held twice
            else:
                out.append(rec)
        return out

    @store_errors("FETCH FLAGS")
    def fetch_flags(self, uids: str, changedsince: int | None = None) -> list[Fetched]:
        """Flags of the messages that exist now; vanished files are simply not listed."""
        view = self._rescan()
        dovecot = dkeywords.load(view.path)
        wanted = set(self._targets(uids, view))
        by_uid, flags = view.by_uid, self._flags
        return [
            Fetched(seq=seq, uid=uid, flags=flags(view, by_uid[uid], dovecot))
            for seq, uid in enumerate(view.uids, 1)
            if uid in wanted
        ]

    def _message_path(self, uid: int) -> tuple[View, Msg]:
        view = self._current()
        msg = view.by_uid.get(uid)
        if msg is None or not os.path.exists(view.path / msg.sub / msg.filename):
            view = self._rescan()
            msg = view.by_uid.get(uid)
        if msg is None:
            raise FolderGone(
                f"Message {uid} of {self._current_name()} is no longer there: another program moved or deleted it",
                "the list catches up on the next sync",
            )
        return view, msg

    def _read(self, uid: int, *, header_only: bool = False) -> bytes:
        for attempt in (0, 1):
            view, msg = self._message_path(uid)
            try:
                fd = os.open(view.path / msg.sub / msg.filename, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                if attempt == 0:
                    self._rescan()
                    continue
                break
            try:
                if header_only:
                    return sections.read_header(fd)
                with os.fdopen(fd, "rb", closefd=False) as f:
                    return f.read()
            finally:
                os.close(fd)
        raise FolderGone(
            f"Message {uid} of {self._current_name()} is no longer there: another program moved or deleted it",
            "the list catches up on the next sync",
        )

    @store_errors("FETCH BODYSTRUCTURE")
    def fetch_bodystructure(self, uid: int) -> BodyPart:
        return parse_message(self._read(uid)).structure

    def fetch_previews(self, uids: Sequence[int]) -> tuple[dict[int, str], dict[int, BodyPart]]:
        """The preview line from each message's file (local: the whole text part, cut)."""
        found: dict[int, str] = {}
        structures: dict[int, BodyPart] = {}
        for uid in uids:
            try:
                parsed = parse_message(self._read(uid))
            except MailtuiError:
                continue  # gone meanwhile
            structures[uid] = parsed.structure
            part = preview_part(parsed.structure)
            head = parsed.part_bytes(part.section)[: FETCH_BYTES * 8] if part is not None else b""
            found[uid] = preview_of_part(replace(part, encoding="binary"), head) if part else ""
        return found, structures

    def fetch_structures(self, uids: Sequence[int]) -> dict[int, BodyPart]:
        """Each message's structure from its file (gone ones left out)."""
        found: dict[int, BodyPart] = {}
        for uid in uids:
            try:
                found[uid] = self.fetch_bodystructure(uid)
            except MailtuiError:
                continue
        return found

    def fetch_section_many(self, uids: Sequence[int], section: str) -> dict[int, bytes]:
        """BODY.PEEK[section] of each message (gone ones left out)."""
        found: dict[int, bytes] = {}
        for uid in uids:
            try:
                found[uid] = self.fetch_section(uid, section)
            except MailtuiError:
                continue
        return found

    @store_errors("FETCH")
    def fetch_section(self, uid: int, section: str, *, max_bytes: int | None = None) -> bytes:
        """BODY.PEEK[section]: never touches flags; leaf parts stay transfer-encoded."""
        if section.strip().upper() == "HEADER":
            data = self._read(uid, header_only=True)
        else:
            data = sections.extract(self._read(uid), section)
        return data[:max_bytes] if max_bytes else data

    # --- searching ----------------------------------------------------------------------

    def _candidates(self, view: View) -> Iterator[Candidate]:
        dovecot = dkeywords.load(view.path)
        for seq, uid in enumerate(view.uids, 1):
            msg = view.by_uid[uid]
            path = view.path / msg.sub / msg.filename
            yield Candidate(
                uid,
                seq,
                set(self._flags(view, msg, dovecot)),
                _lazy_size(path, msg.unique),
                _lazy_mtime(path),
                _lazy_read(path, header_only=True),
                _lazy_read(path, header_only=False),
            )

    @store_errors("SEARCH")
    def search_uids(self, criteria: bytes = b"ALL", *, charset: str | None = None) -> UidSet:
        """The UIDs sync lists (b"ALL", b"UID 1:50"), from the listing without opening
        a file; a query goes through `search`."""
        words = criteria.split()
        if words in ([b"ALL"], [b"all"]) or (len(words) == 2 and words[0].upper() == b"UID"):
            view = self._rescan()
            if len(words) == 1:
                return UidSet(view.uids)
            return UidSet(expand_uid_set(words[1].decode("ascii", "replace"), view.uids))
        raise ProtocolError(
            f"SEARCH failed: a Maildir lists ALL or UID <set>, not {criteria!r:.60}"
        )

    @store_errors("SEARCH")
    def search(self, query: Query) -> list[int]:
        """UIDs of the selected folder matching the query, evaluated on the files."""
        return self._search(matcher(query))

    def _search(self, test: Callable[[Candidate], bool]) -> list[int]:
        """Matching UIDs of the selected folder; files that vanish meanwhile do not match."""
        view = self._rescan()
        out = []
        for cand in self._candidates(view):
            try:
                if test(cand):
                    out.append(cand.uid)
            except FileNotFoundError:
                continue
        return out

    @store_errors("SEARCH")
    def search_message_ids(self, message_ids: Iterable[str]) -> dict[str, int]:
        """Which of these Message-IDs the selected folder holds (journal replays)."""
        from mailtui.text.msgids import parse_msgids

        wanted = {m.strip("<>") for m in message_ids if m}
        found: dict[str, int] = {}
        if not wanted:
            return found
        view = self._rescan()
        for cand in self._candidates(view):
            try:
                values = cand.fields().get("message-id", [])
            except FileNotFoundError:
                continue
            for value in values:
                for mid in parse_msgids(value):
                    if mid in wanted:
                        found[mid] = cand.uid
        return found


# --- helpers -----------------------------------------------------------------------------


def _lazy_size(path: Path, unique: str) -> Callable[[], int]:
    def size() -> int:
        known = size_from_name(unique)
        return known if known is not None else os.stat(path).st_size

    return size


def _lazy_mtime(path: Path) -> Callable[[], int]:
    return lambda: int(os.stat(path).st_mtime)


def _lazy_read(path: Path, *, header_only: bool) -> Callable[[], bytes]:
    def read() -> bytes:
        if not header_only:
            return path.read_bytes()
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return sections.read_header(fd)
        finally:
            os.close(fd)

    return read


__all__ = ["CAPABILITIES", "MaildirSession", "expand_uid_set"]
