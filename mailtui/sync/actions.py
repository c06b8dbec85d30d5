"""User actions applied to the cache at once and written to the journal in the same transaction.

The journal row is what the writer (sync/journal.py) later sends to the server; the
UndoRecord kept here in memory is what `Undo` reverses. Nothing in this module talks
to the network.
"""

from __future__ import annotations

import base64
import threading
from collections import deque
from dataclasses import dataclass, field

from mailtui.backend import compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.errors import MailtuiError
from mailtui.imap.translate import encode_folder_name
from mailtui.model import SEEN, Folder, HeaderRow, Role
from mailtui.sync import commands as cmd

UNDO_DEPTH = 50


class ActionError(MailtuiError):
    """The action cannot be applied as asked (no such folder, no archive folder…)."""


@dataclass
class UndoRecord:
    """What one action changed, enough to reverse it."""

    kind: str  # "flags" | "move" | "copy"
    folder: str
    uids: tuple[int, ...]
    journal_id: int
    prior_flags: dict[int, str] = field(default_factory=dict)
    dest: str = ""
    rows: list[HeaderRow] = field(default_factory=list)
    # Filled in by the writer from COPYUID once the server confirmed the move/copy.
    dest_uids: dict[int, int] = field(default_factory=dict)
    # UIDs the server no longer had when the action reached it (nothing to reverse).
    gone: tuple[int, ...] = ()
    confirmed: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Applied:
    journal_id: int
    kind: str
    folder: str
    uids: tuple[int, ...]
    dest: str = ""


@dataclass(frozen=True)
class Policy:
    """The account settings actions need (kept small so tests can build it)."""

    archive_folder: str | None = None
    trash_folder: str | None = None
    delete: str = "trash"


class ActionLog:
    """Applies actions locally and remembers them for undo (newest last)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.undo: deque[UndoRecord] = deque(maxlen=UNDO_DEPTH)
        self.by_journal: dict[int, UndoRecord] = {}
        self.lock = threading.Lock()

    # --- resolving folders --------------------------------------------------------------

    def role_folder(self, cache: HeaderCache, role: Role, configured: str | None) -> str:
        if configured:
            return configured
        for folder in cache.folders():
            if folder.role == role:
                return folder.name
        raise ActionError(
            f"This account has no {role.value} folder",
            f"set {role.value}_folder in the account's config, or create one",
        )

    def _folder_known(self, cache: HeaderCache, name: str) -> None:
        if cache.raw_name(name) is None:
            raise ActionError(f"There is no folder named {name!r}")

    # --- applying -----------------------------------------------------------------------

    def apply(self, cache: HeaderCache, command: cmd.Command) -> Applied:
        """Change the cache and journal the server write, in one transaction."""
        with cache.transaction():
            applied, record = self._apply(cache, command)
        if record is not None:
            with self.lock:
                self.undo.append(record)
                self.by_journal[record.journal_id] = record
        return applied

    def _apply(self, cache: HeaderCache, c: cmd.Command) -> tuple[Applied, UndoRecord | None]:
        if isinstance(c, cmd.SetFlags):
            return self._flags(cache, c.folder, c.uids, c.add, c.remove)
        if isinstance(c, cmd.MoveMessages):
            return self._move(cache, c.folder, c.uids, c.dest)
        if isinstance(c, cmd.ArchiveMessages):
            dest = self.role_folder(cache, Role.ARCHIVE, self.policy.archive_folder)
            return self._move(cache, c.folder, c.uids, dest, kind="archive")
        if isinstance(c, cmd.DeleteMessages):
            if c.permanent:
                self._folder_known(cache, c.folder)
                return self._expunge(cache, c.folder, c.uids)
            return self._delete(cache, c.folder, c.uids)
        if isinstance(c, cmd.CopyMessages):
            return self._copy(cache, c.folder, c.uids, c.dest)
        if isinstance(c, cmd.AppendMessage):
            return self._append(cache, c)
        if isinstance(c, ExpungeMessages):
            return self._expunge(cache, c.folder, c.uids)
        if isinstance(
            c, cmd.CreateFolder | cmd.RenameFolder | cmd.DeleteFolder | cmd.SubscribeFolder
        ):
            return self._folder_op(cache, c), None
        raise ActionError(f"Not an action: {type(c).__name__}")

    def _flags(
        self,
        cache: HeaderCache,
        folder: str,
        uids: tuple[int, ...],
        add: frozenset[str],
        remove: frozenset[str],
    ) -> tuple[Applied, UndoRecord]:
        self._folder_known(cache, folder)
        if not uids:
            raise ActionError("No messages selected")
        prior = cache.apply_flags(folder, uids, add, remove)
        jid = cache.journal_add(
            "flags", folder, compress_uids(uids), {"add": sorted(add), "remove": sorted(remove)}
        )
        record = UndoRecord("flags", folder, tuple(uids), jid, prior_flags=prior)
        return Applied(jid, "flags", folder, tuple(uids)), record

    def _move(
        self, cache: HeaderCache, folder: str, uids: tuple[int, ...], dest: str, kind: str = "move"
    ) -> tuple[Applied, UndoRecord]:
        self._folder_known(cache, folder)
        self._folder_known(cache, dest)
        if dest == folder:
            raise ActionError(f"The messages are already in {dest!r}")
        if not uids:
            raise ActionError("No messages selected")
        rows = cache.rows(folder, list(uids))
        cache.remove(folder, uids)
        args = {
            "dest": dest,
            "step": "move",
            "message_ids": {str(r.uid): r.message_id for r in rows},
        }
        jid = cache.journal_add("move", folder, compress_uids(uids), args)
        record = UndoRecord("move", folder, tuple(uids), jid, dest=dest, rows=rows)
        return Applied(jid, kind, folder, tuple(uids), dest), record

    def _copy(
        self, cache: HeaderCache, folder: str, uids: tuple[int, ...], dest: str
    ) -> tuple[Applied, UndoRecord]:
        self._folder_known(cache, folder)
        self._folder_known(cache, dest)
        if not uids:
            raise ActionError("No messages selected")
        rows = cache.rows(folder, list(uids))
        args = {"dest": dest, "message_ids": {str(r.uid): r.message_id for r in rows}}
        jid = cache.journal_add("copy", folder, compress_uids(uids), args)
        record = UndoRecord("copy", folder, tuple(uids), jid, dest=dest, rows=rows)
        return Applied(jid, "copy", folder, tuple(uids), dest), record

    def _delete(
        self, cache: HeaderCache, folder: str, uids: tuple[int, ...]
    ) -> tuple[Applied, UndoRecord]:
        self._folder_known(cache, folder)
        if not uids:
            raise ActionError("No messages selected")
        trash = None
        if self.policy.delete != "expunge":
            try:
                trash = self.role_folder(cache, Role.TRASH, self.policy.trash_folder)
            except ActionError:
                trash = None
        if trash is not None and trash != folder:
            applied, record = self._move(cache, folder, uids, trash, kind="delete")
            return applied, record
        return self._expunge(cache, folder, uids)

    def _expunge(
        self, cache: HeaderCache, folder: str, uids: tuple[int, ...]
    ) -> tuple[Applied, UndoRecord]:
        """Already in Trash, or the account deletes for good: \\Deleted + UID EXPUNGE."""
        cache.remove(folder, uids)
        jid = cache.journal_add("expunge", folder, compress_uids(uids), {})
        # Recorded so that Undo says it cannot, instead of undoing an older action.
        return Applied(jid, "expunge", folder, tuple(uids)), UndoRecord(
            "expunge", folder, tuple(uids), jid
        )

    def _append(self, cache: HeaderCache, c: cmd.AppendMessage) -> tuple[Applied, None]:
        self._folder_known(cache, c.folder)
        from mailtui.mime.envelope import split_header_block
        from mailtui.mime.headers import parse_msgids

        head = c.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        mid_value = split_header_block(head + b"\r\n").get("message-id", "")
        ids = parse_msgids(mid_value) if mid_value else ()
        args = {
            "raw": base64.b64encode(c.raw).decode("ascii"),
            "flags": sorted(c.flags),
            "message_id": ids[0] if ids else "",
        }
        jid = cache.journal_add("append", c.folder, "", args)
        return Applied(jid, "append", c.folder, ()), None

    def _folder_op(self, cache: HeaderCache, c: cmd.Command) -> Applied:
        if isinstance(c, cmd.CreateFolder):
            if cache.raw_name(c.name) is not None:
                raise ActionError(f"A folder named {c.name!r} already exists")
            delimiter = _delimiter(cache)
            cache.create_folder_local(
                Folder(name=c.name, raw_name=encode_folder_name(c.name), delimiter=delimiter)
            )
            jid = cache.journal_add("create", c.name, "", {})
            return Applied(jid, "create", c.name, ())
        if isinstance(c, cmd.RenameFolder):
            self._folder_known(cache, c.old)
            if c.old.upper() == "INBOX":
                raise ActionError("INBOX cannot be renamed")
            if cache.raw_name(c.new) is not None:
                raise ActionError(f"A folder named {c.new!r} already exists")
            old_raw = cache.raw_name(c.old)
            cache.rename_folder_local(c.old, c.new, _delimiter(cache), encode_folder_name)
            jid = cache.journal_add(
                "rename",
                c.old,
                "",
                {"new": c.new, "old_raw": old_raw, "new_raw": encode_folder_name(c.new)},
            )
            return Applied(jid, "rename", c.old, (), c.new)
        if isinstance(c, cmd.DeleteFolder):
            self._folder_known(cache, c.name)
            if c.name.upper() == "INBOX":
                raise ActionError("INBOX cannot be deleted")
            raw = cache.raw_name(c.name)
            cache.delete_folder_local(c.name)
            jid = cache.journal_add("delete_folder", c.name, "", {"raw": raw})
            return Applied(jid, "delete_folder", c.name, ())
        assert isinstance(c, cmd.SubscribeFolder)
        self._folder_known(cache, c.name)
        cache.set_subscribed(c.name, c.subscribed)
        jid = cache.journal_add("subscribe", c.name, "", {"subscribed": c.subscribed})
        return Applied(jid, "subscribe", c.name, ())

    # --- undo ---------------------------------------------------------------------------

    def pop_undo(self) -> UndoRecord:
        with self.lock:
            if not self.undo:
                raise ActionError("Nothing to undo")
            return self.undo.pop()

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[cmd.Command]:
        """The actions that reverse `record` once the server has applied it."""
        if record.kind == "flags":
            return _flag_inverse(cache, record)
        if record.kind in ("move", "copy"):
            if not record.dest_uids and set(record.uids) <= set(record.gone):
                raise ActionError(
                    "Nothing to undo: the messages were already gone from the server",
                    "another client had removed them",
                )
            if not record.dest_uids:
                raise ActionError(
                    "The server did not report where the messages went (no UIDPLUS)",
                    "move them back by hand",
                )
            dest_uids = tuple(sorted(record.dest_uids.values()))
            if record.kind == "move":
                return [cmd.MoveMessages(folder=record.dest, uids=dest_uids, dest=record.folder)]
            return [_expunge_command(record.dest, dest_uids)]
        if record.kind == "expunge":
            raise ActionError("Messages deleted for good cannot be undone")
        raise ActionError("This action cannot be undone")

    def forget(self, journal_id: int) -> None:
        with self.lock:
            self.by_journal.pop(journal_id, None)


def _flag_inverse(cache: HeaderCache, record: UndoRecord) -> list[cmd.Command]:
    """Group messages by the flag change that restores them: one STORE per group."""
    current = cache.flags_map(record.folder)
    groups: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
    for uid, before in record.prior_flags.items():
        if uid not in current:
            continue
        now, then = set(current[uid].split()), set(before.split())
        key = (frozenset(then - now), frozenset(now - then))
        if key[0] or key[1]:
            groups.setdefault(key, []).append(uid)
    return [
        cmd.SetFlags(folder=record.folder, uids=tuple(sorted(uids)), add=add, remove=remove)
        for (add, remove), uids in groups.items()
    ]


@dataclass(frozen=True, kw_only=True)
class ExpungeMessages(cmd.Action):
    """Internal: remove copies made by an undone copy (\\Deleted + UID EXPUNGE)."""


def _expunge_command(folder: str, uids: tuple[int, ...]) -> cmd.Command:
    return ExpungeMessages(folder=folder, uids=uids)


def _delimiter(cache: HeaderCache) -> str | None:
    for folder in cache.folders():
        if folder.delimiter:
            return folder.delimiter
    return "/"


def mark_seen(folder: str, uids: tuple[int, ...], seen: bool = True) -> cmd.SetFlags:
    """The read/unread toggle the UI and CLI share."""
    flags = frozenset({SEEN})
    return cmd.SetFlags(
        folder=folder,
        uids=uids,
        add=flags if seen else frozenset(),
        remove=frozenset() if seen else flags,
    )


__all__ = [
    "ActionError",
    "ActionLog",
    "Applied",
    "ExpungeMessages",
    "Policy",
    "UndoRecord",
]
