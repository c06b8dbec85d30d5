"""Plain data shared by every layer: no I/O, no imports from the rest of mailtui.

Everything that crosses a layer boundary (imap → sync → ui, cache → cli) is one of
these frozen dataclasses, so no layer needs to know another's internals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

# IMAP system flags (RFC 9051 §2.3.2). Keywords are any other atom.
SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"
RECENT = "\\Recent"
SYSTEM_FLAGS = frozenset({SEEN, ANSWERED, FLAGGED, DELETED, DRAFT})


def keywords_of(flags: frozenset[str]) -> frozenset[str]:
    """The user labels among a message's flags (everything not a system flag)."""
    return frozenset(f for f in flags if not f.startswith("\\") and not f.startswith("$Mdn"))


class Role(StrEnum):
    """Special-use roles (RFC 6154) plus INBOX; NONE for ordinary folders."""

    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"
    TRASH = "trash"
    ARCHIVE = "archive"
    JUNK = "junk"
    ALL = "all"
    FLAGGED = "flagged"
    # Gmail's \Important (its IMAP extensions page lists it among the special folders).
    IMPORTANT = "important"
    NONE = ""


# Display order of special folders in the tree: the ones people use most first.
ROLE_ORDER = (
    Role.INBOX,
    Role.DRAFTS,
    Role.SENT,
    Role.ARCHIVE,
    Role.JUNK,
    Role.TRASH,
    Role.ALL,
    Role.FLAGGED,
    Role.IMPORTANT,
)


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    addr: str

    def display(self) -> str:
        """What a list row shows: the name when there is one, else the address."""
        return self.name or self.addr

    def full(self) -> str:
        if self.name and self.addr:
            return f"{self.name} <{self.addr}>"
        return self.name or self.addr


@dataclass(frozen=True, slots=True)
class Folder:
    """A mailbox as the user sees it; `name` is decoded, `raw_name` is what the server wants."""

    name: str
    raw_name: str
    delimiter: str | None = "/"
    role: Role = Role.NONE
    subscribed: bool = True
    selectable: bool = True
    unread: int | None = None
    total: int | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        if not self.delimiter:
            return (self.name,)
        return tuple(self.name.split(self.delimiter))

    @property
    def leaf(self) -> str:
        return self.parts[-1]


@dataclass(frozen=True, slots=True)
class FolderState:
    """What the cache knows of a folder's server state (RFC 7162 / RFC 4549 sync anchors)."""

    uidvalidity: int = 0
    uidnext: int = 0
    highestmodseq: int = 0
    # Cold sync goes newest first; every UID in [cold_floor, uidnext) is cached.
    # 0 means the folder has been fully synced down to UID 1 at least once.
    cold_floor: int = 0
    synced: bool = False
    # A backend's proof that nothing changed since (Maildir: directory mtimes); 0 = none.
    change_token: int = 0


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message list row, as stored in the header cache."""

    uid: int
    flags: frozenset[str] = frozenset()
    internaldate: int = 0  # epoch seconds
    size: int = 0
    date: int = 0  # epoch seconds from the Date header (internaldate when missing/broken)
    subject: str = ""
    from_: tuple[Address, ...] = ()
    # Recipients stay as decoded header text: parsing every To/Cc of a 100k-message
    # sync costs more than the list ever needs; mime.parse_addresses does it on demand.
    to: str = ""
    cc: str = ""
    reply_to: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    list_id: str = ""
    modseq: int = 0
    has_attachments: bool = False
    # See HeaderRow: Gmail's X-GM-MSGID and X-GM-THRID, 0 elsewhere.
    message_key: int = 0
    thread_key: int = 0

    @property
    def seen(self) -> bool:
        return SEEN in self.flags

    @property
    def flagged(self) -> bool:
        return FLAGGED in self.flags

    @property
    def answered(self) -> bool:
        return ANSWERED in self.flags

    @property
    def keywords(self) -> frozenset[str]:
        return keywords_of(self.flags)

    @property
    def sender(self) -> str:
        return self.from_[0].display() if self.from_ else ""


class HeaderRow(NamedTuple):
    """The flat record a sync batch writes per message (cheap to build, fed to executemany)."""

    uid: int
    flags: str  # space-separated flags and keywords
    modseq: int
    internaldate: int
    size: int
    date: int
    subject: str
    from_name: str
    from_addr: str
    to: str
    cc: str
    reply_to: str
    message_id: str
    in_reply_to: str
    references: str  # space-separated message ids
    list_id: str
    has_attachments: int
    # The store's identity across folders and its conversation (Gmail's X-GM-MSGID and
    # X-GM-THRID); 0 where the store has none.
    message_key: int = 0
    thread_key: int = 0


# Signature and encryption control parts: plumbing of a signed or encrypted message,
# neither an attachment nor something to save.
CONTROL_TYPES = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-encrypted",
    }
)


def guess_has_attachments(content_type: bytes | None) -> bool:
    """`BodyPart.has_attachments` guessed from a message's Content-Type until its
    structure is fetched: a multipart/mixed, or a whole message that is a file (not
    text, not S/MIME or PGP plumbing)."""
    if not content_type:
        return False
    ct = content_type.lstrip().lower()
    if ct.startswith(b"multipart/mixed"):
        return True
    return ct.startswith((b"application/", b"image/", b"audio/", b"video/")) and not ct.startswith(
        (b"application/pkcs7", b"application/pgp")
    )


@dataclass(frozen=True, slots=True)
class BodyPart:
    """One node of a message's MIME tree (from BODYSTRUCTURE or a parsed message).

    `section` is the IMAP part specifier ("1", "2.1"); for a single-part message the
    root is section "1" (RFC 9051 §6.4.5).
    """

    section: str
    mime_type: str  # lower-case "type/subtype"
    params: tuple[tuple[str, str], ...] = ()
    encoding: str = "7bit"
    size: int = 0
    disposition: str = ""  # "inline", "attachment" or ""
    filename: str = ""
    content_id: str = ""
    children: tuple[BodyPart, ...] = ()
    # For message/rfc822 parts: the envelope subject, so attachments list well.
    description: str = ""

    @property
    def maintype(self) -> str:
        return self.mime_type.partition("/")[0]

    @property
    def subtype(self) -> str:
        return self.mime_type.partition("/")[2]

    @property
    def is_multipart(self) -> bool:
        return self.maintype == "multipart"

    def param(self, key: str, default: str = "") -> str:
        key = key.lower()
        for k, v in self.params:
            if k.lower() == key:
                return v
        return default

    @property
    def charset(self) -> str:
        return self.param("charset")

    @property
    def is_attachment(self) -> bool:
        """Meant to be saved rather than read inline: a disposition other than inline, or
        a name on a part that is not text."""
        if self.disposition and self.disposition != "inline":
            return True
        return bool(self.filename) and self.maintype != "text"

    @property
    def has_attachments(self) -> bool:
        """The message list's paperclip, once the structure is known: a leaf part that is
        an attachment and not signature or encryption plumbing (which is never offered
        for saving). `guess_has_attachments` estimates it from Content-Type alone."""
        return any(
            not p.is_multipart and p.mime_type not in CONTROL_TYPES and p.is_attachment
            for p in self.walk()
        )

    def walk(self):
        """Depth-first, self first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, section: str) -> BodyPart | None:
        for part in self.walk():
            if part.section == section and not part.is_multipart:
                return part
        return None

    def to_json(self) -> str:
        return json.dumps(_part_to_obj(self), separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> BodyPart:
        return _part_from_obj(json.loads(text))


def _part_to_obj(part: BodyPart) -> dict[str, Any]:
    obj: dict[str, Any] = {"s": part.section, "t": part.mime_type}
    if part.params:
        obj["p"] = [list(p) for p in part.params]
    if part.encoding != "7bit":
        obj["e"] = part.encoding
    if part.size:
        obj["z"] = part.size
    if part.disposition:
        obj["d"] = part.disposition
    if part.filename:
        obj["f"] = part.filename
    if part.content_id:
        obj["i"] = part.content_id
    if part.description:
        obj["x"] = part.description
    if part.children:
        obj["c"] = [_part_to_obj(c) for c in part.children]
    return obj


def _part_from_obj(obj: dict[str, Any]) -> BodyPart:
    return BodyPart(
        section=obj["s"],
        mime_type=obj["t"],
        params=tuple((k, v) for k, v in obj.get("p", ())),
        encoding=obj.get("e", "7bit"),
        size=obj.get("z", 0),
        disposition=obj.get("d", ""),
        filename=obj.get("f", ""),
        content_id=obj.get("i", ""),
        description=obj.get("x", ""),
        children=tuple(_part_from_obj(c) for c in obj.get("c", ())),
    )


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The IMAP extensions mailtui cares about, read after login."""

    names: frozenset[str] = frozenset()

    def has(self, name: str) -> bool:
        return name.upper() in self.names

    @property
    def condstore(self) -> bool:
        return self.has("CONDSTORE") or self.has("QRESYNC")

    @property
    def qresync(self) -> bool:
        return self.has("QRESYNC") and self.has("ENABLE")

    @property
    def idle(self) -> bool:
        return self.has("IDLE")

    @property
    def move(self) -> bool:
        return self.has("MOVE")

    @property
    def uidplus(self) -> bool:
        return self.has("UIDPLUS")

    @property
    def special_use(self) -> bool:
        return self.has("SPECIAL-USE")

    @property
    def list_status(self) -> bool:
        return self.has("LIST-STATUS")

    @property
    def esearch(self) -> bool:
        return self.has("ESEARCH")

    @property
    def notify(self) -> bool:
        """One connection can hear of changes in every subscribed folder (RFC 5465)."""
        return self.has("NOTIFY")

    @property
    def labels(self) -> bool:
        """Messages carry labels, and a folder is a label's view (Gmail's X-GM-EXT-1):
        archive removes the inbox label, keywords are labels, one message may show in
        several folders (imap/ext/gmail.py)."""
        return self.has("X-GM-EXT-1")

    @property
    def raw_search(self) -> bool:
        """The store has a search language of its own (Gmail's X-GM-RAW)."""
        return self.has("X-GM-EXT-1")


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message addressed the way every layer can agree on."""

    folder: str
    uid: int


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as listed to the user: name already made safe for display."""

    section: str
    filename: str
    mime_type: str
    size: int


@dataclass(frozen=True)
class SyncStats:
    """Counts a sync reports back; shown by the CLI and the status bar."""

    folder: str
    fetched: int = 0
    changed: int = 0
    vanished: int = 0
    total: int = 0
    mode: str = ""  # "cold", "qresync", "condstore", "plain"
    extra: dict[str, Any] = field(default_factory=dict)
