"""Gmail, as Google documents its IMAP (developers.google.com/workspace/gmail/imap/
imap-extensions, and "Gmail IMAP behaviour" in support.google.com/mail/answer/78892 and
/77657): one message, many labels; each folder is a view of a label.

What this store keeps and the tests assert: `mail`, one `Mail` per message (X-GM-MSGID),
with its flags, labels (`\\Inbox`, `\\Sent`, `\\Important`, user labels) and whether it
is in the Trash or Spam. The IMAP folders are derived from it, each with UIDs of its own
(as Gmail's are):
- INBOX: messages with the `\\Inbox` label; a user label "Work": the folder "Work";
- `[Gmail]/All Mail` (\\All): every message not in Trash or Spam;
- `[Gmail]/Bin` (\\Trash; its name is localised — "Bin" in en-GB, "Trash" in en-US,
  "Papierkorb" in German: clients must take it from LIST), `[Gmail]/Spam` (\\Junk);
- `[Gmail]/Sent Mail` (\\Sent), `[Gmail]/Drafts` (\\Drafts), `[Gmail]/Starred`
  (\\Flagged, follows the \\Flagged flag), `[Gmail]/Important` (\\Important).

How IMAP commands change it, as Google describes:
- STORE ±X-GM-LABELS adds/removes labels (removing a folder's label takes the message out
  of that folder); flags are per message, so \\Seen set in one folder shows in all;
- COPY to a label's folder adds the label; to Bin/Spam moves the message there;
- MOVE out of INBOX removes `\\Inbox` (that is archiving), out of a label's folder removes
  that label, and into a folder adds its label;
- EXPUNGE of a \\Deleted message in a label's folder (or INBOX) only removes that label
  (the message stays in All Mail); in All Mail it goes to Bin; in Bin or Spam it is
  deleted for good. \\Deleted stays per folder until then.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.support.scripted_imap import messages, search
from tests.support.scripted_imap.protocol import ParseError, atoms, text, utf7_decode, utf7_encode
from tests.support.scripted_imap.registry import Command
from tests.support.scripted_imap.server import ScriptedImap
from tests.support.scripted_imap.store import Folder, GenLike, Mailstore, StoreError

ALL_MAIL = "[Gmail]/All Mail"
TRASH = "[Gmail]/Bin"
SPAM = "[Gmail]/Spam"
SENT = "[Gmail]/Sent Mail"
DRAFTS = "[Gmail]/Drafts"
STARRED = "[Gmail]/Starred"
IMPORTANT = "[Gmail]/Important"
# Folder → the label it shows (None: All Mail, Bin and Spam are places, not labels).
SYSTEM = {
    "INBOX": "\\Inbox",
    SENT: "\\Sent",
    DRAFTS: "\\Draft",
    IMPORTANT: "\\Important",
    STARRED: None,
    ALL_MAIL: None,
    TRASH: None,
    SPAM: None,
}
SPECIAL_USE = {
    ALL_MAIL: "\\All",
    TRASH: "\\Trash",
    SPAM: "\\Junk",
    SENT: "\\Sent",
    DRAFTS: "\\Drafts",
    STARRED: "\\Flagged",
    IMPORTANT: "\\Important",
}
# What Gmail advertises after login (less COMPRESS=DEFLATE and UTF8=ACCEPT, which this
# server does not implement): X-GM-EXT-1, CONDSTORE, no QRESYNC.
CAPABILITIES = [
    "IMAP4rev1",
    "UNSELECT",
    "IDLE",
    "NAMESPACE",
    "QUOTA",
    "ID",
    "XLIST",
    "CHILDREN",
    "X-GM-EXT-1",
    "UIDPLUS",
    "ENABLE",
    "MOVE",
    "CONDSTORE",
    "ESEARCH",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "LITERAL+",
    "SPECIAL-USE",
]


@dataclass(eq=False)
class Mail:
    """One Gmail message, whatever folders show it."""

    msgid: int
    raw: bytes
    internaldate: datetime
    thrid: int
    flags: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    place: str = ""  # "" (All Mail), "trash" or "spam"


class GmailStore(Mailstore):
    """A Mailstore whose folders are kept as Gmail's views of one set of messages."""

    def __init__(self) -> None:
        self.mail: dict[int, Mail] = {}
        self._ids = itertools.count(1_700_000_000_000_000_001)
        super().__init__(special_use=SPECIAL_USE)

    # --- the truth, and the folders derived from it --------------------------------------

    def label_of(self, folder: str) -> str | None:
        """The label a folder shows (a user label's folder is named after it)."""
        return SYSTEM.get(folder, folder)

    def _shows(self, folder: str, mail: Mail) -> bool:
        if folder == TRASH:
            return mail.place == "trash"
        if folder == SPAM:
            return mail.place == "spam"
        if mail.place:
            return False
        if folder == ALL_MAIL:
            return True
        if folder == STARRED:
            return "\\Flagged" in mail.flags
        label = self.label_of(folder)
        return label is not None and label.casefold() in {x.casefold() for x in mail.labels}

    def refresh(self) -> None:
        """Bring every folder's copies in line with `mail`: add, drop, update flags and
        labels (each change bumps MODSEQ, so CONDSTORE clients see it)."""
        changed: list[str] = []
        with self.lock:
            for folder in self.folders.values():
                if not folder.selectable:
                    continue
                if self._refresh_folder(folder):
                    changed.append(folder.name)
        if changed:
            self._announce(*changed)

    def _refresh_folder(self, folder: Folder) -> bool:
        copies = {m.msgid: m for m in folder.messages.values()}
        changed = False
        for msgid, copy in list(copies.items()):
            mail = self.mail.get(msgid) if msgid is not None else None
            if mail is None or not self._shows(folder.name, mail):
                del folder.messages[copy.uid]
                folder.expunged.append((copy.uid, folder.bump()))
                changed = True
                continue
            deleted = {f for f in copy.flags if f == "\\Deleted"}
            if copy.flags - deleted != mail.flags or copy.labels != mail.labels:
                copy.flags = set(mail.flags) | deleted
                copy.labels = set(mail.labels)
                copy.modseq = folder.bump()
                changed = True
        for mail in sorted(self.mail.values(), key=lambda m: m.msgid):
            if mail.msgid not in copies and self._shows(folder.name, mail):
                self._add(
                    folder,
                    mail.raw,
                    mail.flags,
                    mail.internaldate,
                    labels=set(mail.labels),
                    msgid=mail.msgid,
                    thrid=mail.thrid,
                )
                changed = True
        return changed

    def _mails(self, name: str, uids: Iterable[int]) -> list[Mail]:
        folder = self.get(name)
        out = []
        for uid in uids:
            copy = folder.messages.get(uid)
            if copy is not None and copy.msgid in self.mail:
                out.append(self.mail[copy.msgid])
        return out

    def _file(self, mail: Mail, folder: str) -> None:
        """What putting a message into `folder` means: its label, or Bin/Spam."""
        if folder == TRASH:
            mail.place = "trash"
        elif folder == SPAM:
            mail.place = "spam"
        else:
            mail.place = ""
            if folder == STARRED:
                mail.flags.add("\\Flagged")
            label = self.label_of(folder)
            if label is not None:
                mail.labels.add(label)

    def _unfile(self, mail: Mail, folder: str) -> None:
        """What taking a message out of `folder` means (MOVE, EXPUNGE there)."""
        if folder in (TRASH, SPAM):
            mail.place = ""
        elif folder == STARRED:
            mail.flags.discard("\\Flagged")
        else:
            label = self.label_of(folder)
            if label is not None:
                mail.labels = {x for x in mail.labels if x.casefold() != label.casefold()}

    # --- Mailstore's mutations, the Gmail way -------------------------------------------

    def _new(self, name: str, raw: bytes, flags: Iterable[str], when: datetime | None) -> Mail:
        msgid = next(self._ids)
        mail = Mail(
            msgid,
            bytes(raw),
            when or datetime.now(UTC).replace(microsecond=0),
            msgid,
            {f for f in flags if f not in ("\\Recent", "\\Deleted")},
        )
        self._file(mail, self.get(name).name)
        self.mail[msgid] = mail
        return mail

    def _uid_of(self, name: str, mail: Mail) -> int:
        for copy in self.get(name).messages.values():
            if copy.msgid == mail.msgid:
                return copy.uid
        raise StoreError(f"message {mail.msgid} not in {name}")

    def append(
        self,
        name: str,
        raw: bytes,
        flags: Iterable[str] = (),
        internaldate: datetime | None = None,
        *,
        labels: Iterable[str] = (),
    ) -> int:
        with self.lock:
            mail = self._new(name, raw, flags, internaldate)
            mail.labels |= set(labels)
            self.refresh()
            return self._uid_of(name, mail)

    def add_messages(self, name: str, messages: Iterable[GenLike]) -> list[int]:
        with self.lock:
            mails = [self._new(name, m.raw, m.flags, m.internaldate) for m in messages]
            self.refresh()
            return [self._uid_of(name, m) for m in mails]

    def add_mail(
        self,
        raw: bytes,
        *,
        labels: Iterable[str] = (),
        flags: Iterable[str] = (),
        place: str = "",
        thread_of: Mail | None = None,
    ) -> Mail:
        """A message as a test sets it up: its labels and place, not a folder; in the
        conversation of `thread_of` (Gmail threads by its own rules, not only References)."""
        with self.lock:
            msgid = next(self._ids)
            thrid = thread_of.thrid if thread_of is not None else msgid
            mail = Mail(msgid, raw, datetime.now(UTC).replace(microsecond=0), thrid)
            mail.labels, mail.flags, mail.place = set(labels), set(flags), place
            self.mail[msgid] = mail
            self.refresh()
            return mail

    def store(
        self,
        name: str,
        uids: Iterable[int],
        mode: str,
        flags: Iterable[str],
        *,
        unchangedsince: int | None = None,
    ) -> tuple[list[int], list[int]]:
        """Flags are per message (a \\Seen shows in every folder); \\Deleted is per folder."""
        wanted = list(flags)
        deleted = [f for f in wanted if f.lower() == "\\deleted"]
        shared = [f for f in wanted if f.lower() != "\\deleted"]
        with self.lock:
            changed: set[int] = set()
            refused: list[int] = []
            if deleted or mode == "":
                c, refused = super().store(name, uids, mode, deleted, unchangedsince=unchangedsince)
                changed |= set(c)
            folder = self.get(name)
            for uid in uids:
                copy = folder.messages.get(uid)
                if copy is None or uid in refused or copy.msgid not in self.mail:
                    continue
                mail = self.mail[copy.msgid]
                before = set(mail.flags)
                if mode == "+":
                    mail.flags |= set(shared)
                elif mode == "-":
                    mail.flags -= set(shared)
                else:
                    mail.flags = set(shared)
                if mail.flags != before:
                    changed.add(uid)
            self.refresh()
            return sorted(changed), refused

    def store_labels(self, name: str, uids: Iterable[int], mode: str, labels: list[str]) -> None:
        with self.lock:
            for mail in self._mails(name, uids):
                if mode == "+":
                    have = {x.casefold() for x in mail.labels}
                    mail.labels |= {x for x in labels if x.casefold() not in have}
                elif mode == "-":
                    drop = {x.casefold() for x in labels}
                    mail.labels = {x for x in mail.labels if x.casefold() not in drop}
                else:
                    mail.labels = set(labels)
            self.refresh()

    def copy(self, name: str, uids: Iterable[int], dest: str) -> list[tuple[int, int]]:
        with self.lock:
            dest = self.get(dest).name
            pairs = []
            for uid in sorted(uids):
                mails = self._mails(name, [uid])
                if mails:
                    self._file(mails[0], dest)
                    self.refresh()
                    pairs.append((uid, self._uid_of(dest, mails[0])))
            return pairs

    def move(self, name: str, uids: Iterable[int], dest: str) -> list[tuple[int, int]]:
        with self.lock:
            source, dest = self.get(name).name, self.get(dest).name
            pairs = []
            for uid in sorted(uids):
                mails = self._mails(source, [uid])
                if not mails:
                    continue
                if dest not in (TRASH, SPAM):
                    self._unfile(mails[0], source)
                self._file(mails[0], dest)
                self.refresh()
                pairs.append((uid, self._uid_of(dest, mails[0])))
            return pairs

    def expunge(
        self, name: str, uids: Iterable[int] | None = None, *, only_deleted: bool = True
    ) -> list[int]:
        with self.lock:
            folder = self.get(name)
            candidates = folder.uids() if uids is None else sorted(set(uids))
            gone = []
            for uid in candidates:
                copy = folder.messages.get(uid)
                if copy is None or (only_deleted and not copy.has_flag("\\Deleted")):
                    continue
                mail = self.mail.get(copy.msgid) if copy.msgid is not None else None
                gone.append(uid)
                copy.flags.discard("\\Deleted")
                if mail is None:
                    continue
                if folder.name in (TRASH, SPAM):
                    del self.mail[mail.msgid]  # deleted for good
                elif folder.name == ALL_MAIL:
                    mail.place = "trash"
                else:
                    self._unfile(mail, folder.name)
            self.refresh()
            return gone

    def create(
        self, name: str, *, special_use: str | None = None, subscribed: bool = True
    ) -> Folder:
        folder = super().create(name, special_use=special_use, subscribed=subscribed)
        if hasattr(self, "mail"):
            self.refresh()
        return folder

    # --- for tests ---------------------------------------------------------------------

    def find(self, subject: str) -> Mail:
        """The one message whose raw bytes hold this Subject."""
        needle = f"Subject: {subject}\r\n".encode()
        found = [m for m in self.mail.values() if needle in m.raw]
        if len(found) != 1:
            raise KeyError(f"{len(found)} messages with subject {subject!r}")
        return found[0]

    def user_labels(self, mail: Mail) -> set[str]:
        return {x for x in mail.labels if not x.startswith("\\")}


# --- wire: X-GM-LABELS in FETCH and STORE, X-GM-* in SEARCH -----------------------------


def _label_atom(label: str) -> bytes:
    """System labels as atoms, others quoted, non-ASCII in modified UTF-7 (as Gmail)."""
    if label.startswith("\\") and label[1:].isalpha():
        return label.encode()
    data = utf7_encode(label).encode()
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def render_labels(labels: Iterable[str]) -> bytes:
    return b"(" + b" ".join(_label_atom(x) for x in sorted(labels)) + b")"


messages.FETCH_ITEMS["X-GM-LABELS"] = lambda s, m: render_labels(m.labels)


def store_hook(session, cmd: Command, next_) -> None:
    """UID STORE ±X-GM-LABELS: Gmail answers each changed message with its new labels
    ("* 1 FETCH (X-GM-LABELS (...) UID 1)" — the documented example)."""
    args = cmd.args
    item = text(args[1]).upper() if len(args) > 2 and not isinstance(args[1], list) else ""
    if not item.lstrip("+-").startswith("X-GM-LABELS"):
        next_(cmd)
        return
    if not session.has("X-GM-EXT-1"):
        raise ParseError(f"unknown STORE item {item}")
    view = session.view
    mode = item[0] if item[0] in "+-" else ""
    sent = [x for a in args[2:] for x in atoms(a)]
    # Labels travel in modified UTF-7 like folder names (X-GM-LABELS in Google's IMAP
    # extensions page): a string that is not mUTF-7 ("R&D", raw UTF-8) names no label.
    bad = [x for x in sent if utf7_encode(utf7_decode(x)) != x]
    if bad:
        session.respond(cmd, "BAD", f"Invalid label: {bad[0][:40]}")
        return
    labels = [utf7_decode(x) for x in sent]
    msgs = messages.targets(session, cmd, args[0])
    store: GmailStore = session.store
    uids = [m.uid for m in msgs]
    store.store_labels(view.name, uids, mode, labels)
    if not item.endswith(".SILENT"):
        with store.lock:
            for msg in msgs:
                mail = store.mail.get(msg.msgid) if msg.msgid is not None else None
                now = mail.labels if mail is not None else msg.labels
                line = b"%d FETCH (X-GM-LABELS " % view.seq(msg.uid) + render_labels(now)
                session.untagged(line + (b" UID %d)" % msg.uid if cmd.uid else b")"))
    session.ok(cmd, "Store completed.")


def id_hook(session, cmd: Command, next_) -> None:
    """ID (RFC 2971): Gmail keeps what the client said of itself (Google asks clients
    to send it); answered as Gmail does."""
    fields = [text(t) if t is not None else "" for t in (cmd.args[0] if cmd.args else [])]
    session.server.client_ids.append(dict(zip(fields[::2], fields[1::2], strict=False)))
    session.untagged('ID ("name" "GImap" "vendor" "Google, Inc.")')
    session.ok(cmd, "Success")


def start(factory, **kwargs) -> ScriptedImap:
    """A scripted Gmail from `scripted_imap_factory`: GmailStore, Gmail's capabilities,
    X-GM-LABELS in STORE, and ID kept in `server.client_ids`."""
    server = factory(store=GmailStore(), capabilities=CAPABILITIES, **kwargs)
    server.client_ids = []
    for name in ("STORE", "UID STORE"):
        server.on(name, store_hook)
    server.on("ID", id_hook)
    return server


@search.key("X-GM-LABELS", 1)
def _x_gm_labels(args):
    want = utf7_decode(text(args[0])).casefold()
    return lambda m, s, sc: want in {x.casefold() for x in m.labels}


@search.key("X-GM-MSGID", 1)
def _x_gm_msgid(args):
    want = int(text(args[0]))
    return lambda m, s, sc: m.msgid == want


@search.key("X-GM-THRID", 1)
def _x_gm_thrid(args):
    want = int(text(args[0]))
    return lambda m, s, sc: m.thrid == want


@search.key("X-GM-RAW", 1)
def _x_gm_raw(args):
    """A small part of Gmail's search syntax (support.google.com/mail/answer/7190):
    `label:NAME`, `has:attachment`, `is:unread`, `is:starred`, `from:X`, `subject:X` and
    bare words (in the subject or sender); terms are ANDed."""
    preds = []
    for word in text(args[0]).split():
        key, _, value = word.partition(":")
        key = key.lower()
        if key == "label":
            want = value.casefold()
            preds.append(lambda m, want=want: want in {x.casefold() for x in m.labels})
        elif key == "has" and value == "attachment":
            preds.append(lambda m: b"multipart/mixed" in m.raw.lower())
        elif key == "is" and value == "unread":
            preds.append(lambda m: not m.has_flag("\\Seen"))
        elif key == "is" and value == "starred":
            preds.append(lambda m: m.has_flag("\\Flagged"))
        elif key in ("from", "subject"):
            needle = value.lower().encode()
            head = key.encode() + b":"
            preds.append(
                lambda m, n=needle, h=head: any(
                    ln.lower().startswith(h) and n in ln.lower() for ln in m.raw.split(b"\r\n")
                )
            )
        else:
            needle = word.lower().encode()
            preds.append(lambda m, n=needle: n in m.raw.split(b"\r\n\r\n", 1)[0].lower())
    return lambda m, s, sc: all(p(m) for p in preds)
