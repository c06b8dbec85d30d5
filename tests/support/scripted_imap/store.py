"""The scripted server's mail: folders and messages, shared by every session.

This is the state tests set up and assert: a "liar" test asks the store whether a STORE
that was answered OK really changed anything. One lock guards it all (test volumes are
small); every change bumps the folder's HIGHESTMODSEQ and the message's MODSEQ (RFC 7162
§3.1) and is announced to listeners (the sessions, for IDLE and their views), which
must only note it and return: they may be called with the lock held.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from tests.support.scripted_imap import mime

DELIMITER = "/"
SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
_CANONICAL = {f.lower(): f for f in SYSTEM_FLAGS}
DEFAULT_START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def canonical_flag(flag: str) -> str:
    """System flags in their usual spelling; flags compare case-insensitively (§2.3.2)."""
    return _CANONICAL.get(flag.lower(), flag)


class GenLike(Protocol):
    """What `tests.support.mailgen.GenMessage` offers (raw bytes, flags, date)."""

    raw: bytes
    flags: frozenset[str]
    internaldate: datetime


@dataclass(eq=False)
class Message:
    """One message in one folder (a copy elsewhere is another Message with its own UID)."""

    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)
    internaldate: datetime = DEFAULT_START
    modseq: int = 1
    # Gmail (X-GM-EXT-1): labels, and ids shared by every copy of the message.
    labels: set[str] = field(default_factory=set)
    msgid: int | None = None
    thrid: int | None = None

    @property
    def keywords(self) -> set[str]:
        return {f for f in self.flags if not f.startswith("\\")}

    def has_flag(self, flag: str) -> bool:
        low = flag.lower()
        return any(f.lower() == low for f in self.flags)

    @functools.cached_property
    def mime(self) -> mime.MimePart:
        """The parsed MIME tree (raw bytes never change, so parse once)."""
        return mime.parse(self.raw)


@dataclass(eq=False)
class Folder:
    """A mailbox: its UID bookkeeping, attributes and messages in UID order."""

    name: str
    uidvalidity: int
    special_use: str | None = None
    subscribed: bool = True
    selectable: bool = True
    uidnext: int = 1
    highestmodseq: int = 1
    messages: dict[int, Message] = field(default_factory=dict)
    # (uid, modseq) of expunged messages: QRESYNC's VANISHED (EARLIER) (RFC 7162 §3.2.5.1).
    expunged: list[tuple[int, int]] = field(default_factory=list)
    allow_keywords: bool = True

    def uids(self) -> list[int]:
        return list(self.messages)

    def bump(self) -> int:
        self.highestmodseq += 1
        return self.highestmodseq


Listener = Callable[[str], None]


class StoreError(Exception):
    """A request the store refuses; `code` is the IMAP response code to answer with."""

    def __init__(self, text: str, code: str = "") -> None:
        super().__init__(text)
        self.code = code


class Mailstore:
    """All folders of one account. Safe to use from tests and sessions at once."""

    def __init__(self, *, special_use: dict[str, str] | None = None) -> None:
        self.lock = threading.RLock()
        self.folders: dict[str, Folder] = {}
        self._uidvalidity = itertools.count(1000)
        self._gm_ids = itertools.count(1_600_000_000_000_000_000)
        self._listeners: list[Listener] = []
        self.create("INBOX")
        defaults = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash"}
        defaults.update({"Archive": "\\Archive", "Junk": "\\Junk"})
        for name, use in (defaults if special_use is None else special_use).items():
            self.create(name, special_use=use)

    # --- listening ----------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(folder_name)` after each change; returns the unsubscriber."""
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _announce(self, *names: str) -> None:
        with self.lock:
            listeners = list(self._listeners)
        for name in names:
            for listener in listeners:
                listener(name)

    # --- folders ------------------------------------------------------------------------

    @staticmethod
    def normalise(name: str) -> str:
        """INBOX is case-insensitive (RFC 9051 §5.1); other names are exact."""
        head, sep, tail = name.partition(DELIMITER)
        return "INBOX" + sep + tail if head.upper() == "INBOX" else name

    def get(self, name: str) -> Folder:
        with self.lock:
            folder = self.folders.get(self.normalise(name))
            if folder is None or not folder.selectable:
                raise StoreError(f"Mailbox doesn't exist: {name}", "NONEXISTENT")
            return folder

    def exists(self, name: str) -> bool:
        with self.lock:
            folder = self.folders.get(self.normalise(name))
            return folder is not None and folder.selectable

    def create(
        self, name: str, *, special_use: str | None = None, subscribed: bool = True
    ) -> Folder:
        name = self.normalise(name.rstrip(DELIMITER))
        with self.lock:
            if self.exists(name):
                raise StoreError("Mailbox already exists", "ALREADYEXISTS")
            if not name:
                raise StoreError("Invalid mailbox name", "CANNOT")
            folder = Folder(name, next(self._uidvalidity), special_use, subscribed)
            self.folders[name] = folder
        self._announce(name)
        return folder

    def delete(self, name: str) -> None:
        """DELETE (RFC 9051 §6.3.5): INBOX cannot go; children stay (as Dovecot keeps them)."""
        folder = self.get(name)
        if folder.name == "INBOX":
            raise StoreError("INBOX can't be deleted.", "CANNOT")
        with self.lock:
            del self.folders[folder.name]
        self._announce(folder.name)

    def rename(self, old: str, new: str) -> None:
        """RENAME with its children; renaming INBOX moves its mail and leaves it empty
        (RFC 9051 §6.3.6)."""
        new = self.normalise(new.rstrip(DELIMITER))
        with self.lock:
            src = self.get(old)
            if self.exists(new):
                raise StoreError("Target mailbox already exists", "ALREADYEXISTS")
            if src.name == "INBOX":
                dest = self.create(new)
                self.move(src.name, src.uids(), dest.name)
                return
            prefix = src.name + DELIMITER
            for name in [n for n in self.folders if n == src.name or n.startswith(prefix)]:
                folder = self.folders.pop(name)
                folder.name = new + name[len(src.name) :]
                folder.uidvalidity = next(self._uidvalidity)
                self.folders[folder.name] = folder
        self._announce(src.name, new)

    def set_subscribed(self, name: str, subscribed: bool) -> None:
        with self.lock:
            folder = self.folders.get(self.normalise(name))
            if folder is None:
                if not subscribed:
                    return
                # RFC 9051 §6.3.7: a name may be subscribed before it exists.
                folder = Folder(self.normalise(name), 0, selectable=False)
                self.folders[folder.name] = folder
            folder.subscribed = subscribed
            if not folder.selectable and not subscribed:
                del self.folders[folder.name]

    def reset_uidvalidity(self, name: str) -> int:
        """Renumber a folder from UID 1 under a new UIDVALIDITY (a server rebuilt its index)."""
        with self.lock:
            folder = self.get(name)
            folder.uidvalidity = next(self._uidvalidity)
            msgs = list(folder.messages.values())
            folder.messages.clear()
            folder.expunged.clear()
            for uid, msg in enumerate(msgs, start=1):
                msg.uid = uid
                folder.messages[uid] = msg
            folder.uidnext = len(msgs) + 1
            folder.bump()
        self._announce(folder.name)
        return folder.uidvalidity

    # --- messages -----------------------------------------------------------------------

    def append(
        self,
        name: str,
        raw: bytes,
        flags: Iterable[str] = (),
        internaldate: datetime | None = None,
        *,
        labels: Iterable[str] = (),
    ) -> int:
        """Add a message; returns its UID (what APPEND's APPENDUID reports, RFC 4315 §3)."""
        with self.lock:
            uid = self._add(self.get(name), raw, flags, internaldate, labels=set(labels))
        self._announce(self.normalise(name))
        return uid

    def add_messages(self, name: str, messages: Iterable[GenLike]) -> list[int]:
        """Fill a folder from `mailgen.generate(...)` (like `mailgen.write_maildir`)."""
        with self.lock:
            folder = self.get(name)
            uids = [
                self._add(folder, m.raw, m.flags - {"\\Recent"}, m.internaldate) for m in messages
            ]
        self._announce(folder.name)
        return uids

    def _add(
        self,
        folder: Folder,
        raw: bytes,
        flags: Iterable[str],
        internaldate: datetime | None,
        *,
        labels: set[str] | None = None,
        msgid: int | None = None,
        thrid: int | None = None,
    ) -> int:
        uid = folder.uidnext
        folder.uidnext += 1
        gm = msgid if msgid is not None else next(self._gm_ids)
        folder.messages[uid] = Message(
            uid,
            bytes(raw),
            {canonical_flag(f) for f in flags}
            if folder.allow_keywords
            else {canonical_flag(f) for f in flags if f.startswith("\\")},
            internaldate or datetime.now(UTC).replace(microsecond=0),
            folder.bump(),
            set(labels or ()),
            gm,
            thrid if thrid is not None else gm,
        )
        return uid

    def store(
        self,
        name: str,
        uids: Iterable[int],
        mode: str,
        flags: Iterable[str],
        *,
        unchangedsince: int | None = None,
    ) -> tuple[list[int], list[int]]:
        """STORE ("+", "-" or "" for replace) on these UIDs: (changed, refused by
        UNCHANGEDSINCE, RFC 7162 §3.1.3). UIDs no longer in the folder are skipped."""
        wanted = [canonical_flag(f) for f in flags]
        changed: list[int] = []
        refused: list[int] = []
        with self.lock:
            folder = self.get(name)
            if not folder.allow_keywords:
                wanted = [f for f in wanted if f.startswith("\\")]
            for uid in uids:
                msg = folder.messages.get(uid)
                if msg is None:
                    continue
                if unchangedsince is not None and msg.modseq > unchangedsince:
                    refused.append(uid)
                    continue
                new = _apply(msg.flags, mode, wanted)
                if {f.lower() for f in new} != {f.lower() for f in msg.flags}:
                    msg.flags = new
                    msg.modseq = folder.bump()
                    changed.append(uid)
        if changed:
            self._announce(folder.name)
        return changed, refused

    def copy(self, name: str, uids: Iterable[int], dest: str) -> list[tuple[int, int]]:
        """COPY: (source UID, new UID) pairs in UID order (COPYUID, RFC 4315 §3)."""
        with self.lock:
            src, dst = self.get(name), self.get(dest)
            pairs = []
            for uid in sorted(uids):
                msg = src.messages.get(uid)
                if msg is not None:
                    new = self._add(
                        dst,
                        msg.raw,
                        msg.flags,
                        msg.internaldate,
                        labels=msg.labels,
                        msgid=msg.msgid,
                        thrid=msg.thrid,
                    )
                    pairs.append((uid, new))
        if pairs:
            self._announce(dst.name)
        return pairs

    def move(self, name: str, uids: Iterable[int], dest: str) -> list[tuple[int, int]]:
        """MOVE (RFC 6851): copy, then expunge the sources, as one step under the lock."""
        with self.lock:
            pairs = self.copy(name, uids, dest)
            self.expunge(name, [src for src, _ in pairs], only_deleted=False)
        return pairs

    def expunge(
        self, name: str, uids: Iterable[int] | None = None, *, only_deleted: bool = True
    ) -> list[int]:
        """Remove messages (by default only \\Deleted ones, as EXPUNGE does); returns UIDs."""
        with self.lock:
            folder = self.get(name)
            candidates = folder.uids() if uids is None else sorted(set(uids))
            gone = []
            for uid in candidates:
                msg = folder.messages.get(uid)
                if msg is not None and (not only_deleted or msg.has_flag("\\Deleted")):
                    del folder.messages[uid]
                    folder.expunged.append((uid, folder.bump()))
                    gone.append(uid)
        if gone:
            self._announce(folder.name)
        return gone

    # --- reading, for tests ------------------------------------------------------------

    def flags(self, name: str) -> dict[int, frozenset[str]]:
        """{uid: flags} of a folder, as a test compares them with a client's cache."""
        with self.lock:
            return {u: frozenset(m.flags) for u, m in self.get(name).messages.items()}

    def message(self, name: str, uid: int) -> Message:
        with self.lock:
            msg = self.get(name).messages.get(uid)
            if msg is None:
                raise KeyError(f"no UID {uid} in {name}")
            return msg

    def messages(self, name: str) -> list[Message]:
        with self.lock:
            return list(self.get(name).messages.values())

    def names(self) -> list[str]:
        with self.lock:
            return [n for n, f in self.folders.items() if f.selectable]


def _apply(current: set[str], mode: str, wanted: list[str]) -> set[str]:
    if mode == "":
        return set(wanted)
    low = {f.lower() for f in wanted}
    if mode == "-":
        return {f for f in current if f.lower() not in low}
    have = {f.lower() for f in current}
    return current | {f for f in wanted if f.lower() not in have}
