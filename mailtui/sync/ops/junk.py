"""Junk (`!`): move to the Junk folder and say so with keywords, or back to INBOX.

Marking junk moves the messages to the account's Junk folder (special-use `\\Junk`, on
Gmail `[Gmail]/Spam`, which is how Gmail files spam) and sets the `$Junk` keyword,
clearing `$NotJunk` (the keywords spam filters and other clients read: IANA IMAP
keywords registry, RFC 5788). In the Junk folder the same key means "not junk": back to
INBOX with `$NotJunk` set and `$Junk` cleared.

One journal row, kind "junk": UID STORE of the keywords (confirmed by FETCH), then the
move exactly as ops/move.py sends it (UID MOVE, else COPY + \\Deleted + UID EXPUNGE,
confirmed by COPYUID and a check). A server that keeps no keywords still gets the
move; the keywords are a courtesy to filters, the move is the action. Undo moves the
messages back and restores the keywords they had.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mailtui.backend import Session
from mailtui.cache.store import HeaderCache
from mailtui.errors import StoreError
from mailtui.model import Role
from mailtui.sync.ops.base import (
    ActionError,
    Applied,
    Applying,
    Entry,
    Operation,
    Sending,
    UndoRecord,
    confirmed,
    folder_known,
    reversible,
    some_selected,
)
from mailtui.sync.ops.move import OP as MOVE
from mailtui.sync.ops.move import apply_move
from mailtui.sync.request import Action, Command

log = logging.getLogger("mailtui.sync.journal")

JUNK = "$Junk"
NOT_JUNK = "$NotJunk"


@dataclass(frozen=True, kw_only=True)
class MarkJunk(Action):
    """`!`: junk → the Junk folder with $Junk; in the Junk folder, not junk → INBOX
    with $NotJunk. `junk` None decides by the folder (the key's toggle)."""

    junk: bool | None = None


@dataclass(frozen=True, kw_only=True)
class RefileJunk(Action):
    """Internal: the undo of a MarkJunk (move back, keywords as they were)."""

    dest: str
    add: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()


def junk_folder(log_: Applying, cache: HeaderCache) -> str:
    """The account's Junk folder, or a sentence saying there is none."""
    try:
        return log_.role_folder(cache, Role.JUNK, None)
    except ActionError:
        raise ActionError(
            "This account has no Junk folder: nothing was marked",
            "create a folder named Junk (or Spam) on the server, then refresh (ctrl+r)",
        ) from None


class Junk(Operation):
    kind = "junk"
    commands = (MarkJunk, RefileJunk)
    noun = "junk marking"
    drops_rows = True
    places_rows = True

    def apply(
        self, log: Applying, cache: HeaderCache, command: MarkJunk | RefileJunk
    ) -> tuple[Applied, UndoRecord]:
        folder, uids = command.folder, command.uids
        folder_known(cache, folder)
        some_selected(uids)
        if isinstance(command, RefileJunk):
            dest, add, remove, word = command.dest, command.add, command.remove, "move"
        else:
            junk_box = junk_folder(log, cache)
            info = cache.folder(folder)
            in_junk = folder == junk_box or (info is not None and info.role == Role.JUNK)
            junk = not in_junk if command.junk is None else command.junk
            if junk and in_junk:
                raise ActionError("These messages are already in the Junk folder")
            if not junk and not in_junk:
                raise ActionError(
                    "Only messages in the Junk folder can be marked not junk",
                    "press ! in the Junk folder",
                )
            dest = junk_box if junk else _inbox(cache)
            add = frozenset({JUNK if junk else NOT_JUNK})
            remove = frozenset({NOT_JUNK if junk else JUNK})
            word = "junk" if junk else "not junk"
        if dest == folder:
            raise ActionError(f"The messages are already in {dest!r}")
        # Keywords first, so the rows placed in `dest` carry them.
        prior = cache.apply_flags(folder, uids, add, remove)
        extra = {"add": sorted(add), "remove": sorted(remove)}
        applied, record = apply_move(
            cache, folder, uids, dest, kind=word, journal="junk", extra=extra
        )
        record.prior_flags = prior
        return applied, record

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """UID STORE ±keywords (confirmed; skipped once the move's copy step is done),
        then the move as ops/move.py sends it."""
        add, remove = entry.args.get("add", ()), entry.args.get("remove", ())
        if entry.args.get("step", "move") == "move" and (add or remove):
            try:
                flags = confirmed(
                    writer,
                    session,
                    entry.folder,
                    entry.uids,
                    lambda u: session.store_flags(u, add, remove),
                )
                if flags.failed:
                    log.info("%s: keywords not kept for %s", entry.folder, flags.failed)
            except StoreError as exc:  # no keywords here: the move is what matters
                log.info("%s: keywords refused (%s); moving anyway", entry.folder, exc)
        return MOVE.send(writer, session, entry, replay)

    def cancel(self, cache: HeaderCache, record: UndoRecord) -> None:
        if record.rows:
            restored = [
                r._replace(flags=record.prior_flags.get(r.uid, r.flags)) for r in record.rows
            ]
            cache.store_batch(record.folder, restored)

    def roll_back(self, cache: HeaderCache, record: UndoRecord, uids: set[int]) -> bool:
        if not record.rows:
            return False
        back = [
            r._replace(flags=record.prior_flags.get(r.uid, r.flags))
            for r in record.rows
            if r.uid in uids
        ]
        cache.store_batch(record.folder, back)
        return True

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
        """Back from the destination by COPYUID's UIDs, each message with the keywords it
        had before (one command per distinct change)."""
        reversible(record)
        keywords = {JUNK, NOT_JUNK}
        groups: dict[tuple[frozenset[str], frozenset[str]], list[int]] = {}
        for row in record.rows:
            there = record.dest_uids.get(row.uid)
            if there is None:
                continue
            before = set(record.prior_flags.get(row.uid, row.flags).split()) & keywords
            now = set(row.flags.split()) & keywords
            groups.setdefault((frozenset(before - now), frozenset(now - before)), []).append(there)
        return [
            RefileJunk(
                folder=record.dest,
                uids=tuple(sorted(uids)),
                dest=record.folder,
                add=add,
                remove=remove,
            )
            for (add, remove), uids in groups.items()
        ]


def _inbox(cache: HeaderCache) -> str:
    for folder in cache.folders():
        if folder.role == Role.INBOX or folder.name.upper() == "INBOX":
            return folder.name
    raise ActionError("This account has no INBOX to move the messages back to")


OP = Junk()
