"""The session interface the sync layer drives, and the plain records it exchanges.

Two adapters implement it: `imap.session.ImapSession` (a real server) and
`maildir.session.MaildirSession` (a local Maildir tree presented the same way, with
UIDs, UIDVALIDITY and flags). Because the resync engine, the journal writer, undo and
the watchers only ever call this interface, both backends run the very same code.
Like `model`, this module imports nothing else from mailtui but `model` and `errors`.

UID sets cross this boundary as `UidSet` (ranges, never expanded lists): see `uidset`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mailtui.backend.query import Query
from mailtui.backend.uidset import UidSet
from mailtui.model import BodyPart, Capabilities, Folder

# The header fields the message list, threading and search need: one literal per message.
LIST_HEADER_FIELDS = (
    "DATE FROM TO CC REPLY-TO SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES LIST-ID CONTENT-TYPE"
)
# The section a header fetch asks for, and the key its block has in `Fetched.sections`.
HEADER_SECTION = f"HEADER.FIELDS ({LIST_HEADER_FIELDS})"


@dataclass(slots=True)
class Fetched:
    """One message's fetched items, decoded just enough for the cache."""

    seq: int
    uid: int = 0
    flags: tuple[str, ...] | None = None
    modseq: int = 0
    internaldate: int = 0
    size: int = 0
    # Section name (e.g. "HEADER.FIELDS (DATE FROM)", "1.2", "TEXT") → bytes (None for NIL).
    sections: dict[str, bytes | None] = field(default_factory=dict)
    # A store with labels (Gmail's X-GM-LABELS): the message's labels when fetched; they
    # are also in `flags`, spelt as keywords (text/labels.py), when both were fetched.
    labels: tuple[str, ...] | None = None
    # The store's identity of the message across folders (Gmail's X-GM-MSGID) and of its
    # conversation (X-GM-THRID); 0 where the store has none.
    message_key: int = 0
    thread_key: int = 0

    def header_block(self) -> bytes | None:
        """The list headers fetched for the cache: the HEADER_SECTION block, else the one
        section a backend sent under its own name (a Maildir reads the header alone)."""
        sections = self.sections
        block = sections.get(HEADER_SECTION)
        if block is None and sections:
            block = next(iter(sections.values()))
        return block


@dataclass
class Outcome:
    """What the store shows it did with a write — never just its OK.

    A server may answer OK and do nothing (a UID this connection has not seen yet, a
    message expunged by another client meanwhile): writes are confirmed from the
    server's own evidence (FETCH responses, COPYUID, a check afterwards) and each UID
    asked for ends up in exactly one of `done`, `gone` or `failed`.
    """

    done: list[int] = field(default_factory=list)
    # Not in the folder any more (expunged or moved by someone else): nothing to do.
    gone: list[int] = field(default_factory=list)
    # Still there, and the change did not happen.
    failed: list[int] = field(default_factory=list)
    # For moves and copies: source UID → destination UID, where the store reported it.
    mapping: dict[int, int] = field(default_factory=dict)

    def merge(self, retry: Outcome) -> Outcome:
        """This outcome with its failed UIDs replaced by how a retry ended for them."""
        return Outcome(
            done=sorted({*self.done, *retry.done}),
            gone=sorted({*self.gone, *retry.gone}),
            failed=sorted(retry.failed),
            mapping={**self.mapping, **retry.mapping},
        )


@dataclass
class SelectResult:
    """What selecting a folder told us (RFC 9051 §6.3.2, RFC 7162 §3.2.5)."""

    exists: int = 0
    uidvalidity: int = 0
    uidnext: int = 0
    highestmodseq: int = 0
    nomodseq: bool = False
    readonly: bool = False
    # VANISHED (EARLIER): as the server sent it, a range of any size (see UidSet).
    vanished: UidSet = field(default_factory=lambda: UidSet())
    changed: list[Fetched] = field(default_factory=list)
    permanent_flags: tuple[str, ...] = ()
    # Taken before the folder was read: equal later → nothing changed (see
    # Session.change_token); 0 when the backend cannot tell (IMAP has HIGHESTMODSEQ).
    change_token: int = 0


class Session(Protocol):
    """One connection to a mail store, owned by one thread.

    Folder arguments named `raw` are the store's own spelling (`Folder.raw_name`): as
    listed, or modified UTF-7 for a name not listed yet (`text.utf7`, see sync/names.py).
    UID sets are IMAP sequence-set strings ("1:5,9") going in, `UidSet`s coming out.
    Errors are the store errors of `mailtui.errors` (ConnectionLost, FolderGone,
    ProtocolError…), whichever the backend.
    """

    caps: Capabilities
    selected: str | None
    qresync_enabled: bool
    condstore_enabled: bool
    # Off for a connection that only writes (see ImapSession).
    enable_condstore: bool
    # The store reported changes to the selected folder that were not applied yet.
    changes_pending: bool

    @property
    def connected(self) -> bool: ...

    def connect(self) -> None: ...
    def close(self) -> None: ...

    def abort(self) -> None:
        """From any thread, to stop at once: the owner's blocked call ends (ConnectionLost)
        and it drops the session; nothing is said to the store."""
        ...

    # folders
    def list_folders(self) -> list[Folder]: ...
    def status(self, raw: str, *, unseen: bool = True) -> dict[str, int]: ...
    def folder_exists(self, raw: str, *, subscribed: bool = False) -> bool: ...
    def create_folder(self, raw: str) -> None: ...
    def rename_folder(self, old_raw: str, new_raw: str) -> None: ...
    def delete_folder(self, raw: str) -> None: ...
    def subscribe(self, raw: str, subscribed: bool = True) -> None: ...

    # reading
    def select(
        self,
        raw: str,
        *,
        readonly: bool = False,
        qresync: tuple[int, int, str | None] | None = None,
    ) -> SelectResult: ...
    def unselect(self) -> None: ...
    def fetch_headers(
        self, uids: str, on_fetch: Callable[[Fetched], None] | None = None
    ) -> Any: ...
    def fetch_flags(self, uids: str, changedsince: int | None = None) -> list[Fetched]: ...
    def search_uids(self, criteria: bytes = b"ALL", *, charset: str | None = None) -> UidSet: ...
    def search(self, query: Query) -> list[int]: ...
    def search_message_ids(self, message_ids: Iterable[str]) -> dict[str, int]: ...
    def fetch_bodystructure(self, uid: int) -> BodyPart: ...
    def fetch_section(self, uid: int, section: str, *, max_bytes: int | None = None) -> bytes: ...
    def fetch_previews(self, uids: Sequence[int]) -> tuple[dict[int, str], dict[int, BodyPart]]:
        """The preview line of these messages of the selected folder ({uid: text}, ""
        for one without text; gone ones left out), and any structures learnt on the way."""
        ...

    def fetch_structures(self, uids: Sequence[int]) -> dict[int, BodyPart]:
        """BODYSTRUCTURE of many messages of the selected folder in one go (gone ones
        left out): prefetching for offline reading."""
        ...

    def fetch_section_many(self, uids: Sequence[int], section: str) -> dict[int, bytes]:
        """BODY.PEEK[section] of many messages in one command (gone ones left out)."""
        ...

    # writing: each returns what the store shows it did (see Outcome)
    def ensure_visible(self, top_uid: int) -> None:
        """Make sure this connection knows every message up to `top_uid` of the selected
        folder (learnt on another connection) before acting on or searching for it."""
        ...

    def store_flags(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome: ...
    def store_labels(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome:
        """Only where `caps.labels`: add/remove labels (Gmail's X-GM-LABELS), confirmed."""
        ...

    def folder_label(self, raw: str) -> str | None:
        """Only where `caps.labels`: the label whose view this folder is (INBOX's is the
        inbox label), or None for a folder that is no label's (All Mail, Trash…)."""
        ...

    def move(self, uids: str, dest_raw: str) -> Outcome: ...
    def copy(self, uids: str, dest_raw: str) -> Outcome: ...
    def expunge_uids(self, uids: str) -> Outcome: ...
    def append(
        self, folder_raw: str, raw: bytes, flags: Iterable[str] = (), when: float | None = None
    ) -> int | None: ...

    # live updates
    def idle_start(self) -> bool:
        """Start waiting for changes to the selected folder; True if some are already known."""
        ...

    def idle_wait(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        """Wait for a change or a wake-up: (changed, woken)."""
        ...

    def idle_done(self) -> None: ...

    def watch_folders(self, also: Sequence[str] = ()) -> bool:
        """Also hear, on this connection, of changes in every subscribed folder, INBOX
        and the folders `also` names (IMAP NOTIFY); False where the store cannot
        (watch folder by folder)."""
        ...

    def changed_folders(self) -> frozenset[str]:
        """Raw names of the other folders reported changed since the last call."""
        ...

    def poll(self) -> bool:
        """Without IDLE: check once (NOOP); True when the selected folder changed."""
        ...

    def change_token(self, raw: str) -> int:
        """A cheap fingerprint of the folder's state, equal to an earlier
        `SelectResult.change_token` only if nothing changed since; 0 = cannot tell."""
        ...

    def noop_changes(self) -> Any:
        """The selected folder's news from one NOOP, ready to apply (an object with
        `vanished`, `flags`, `exists`, `highestmodseq`, `empty`), or None when it cannot
        be applied as it stands (the caller resyncs fully)."""
        ...
