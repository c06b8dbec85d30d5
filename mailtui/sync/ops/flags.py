"""Flags and keywords: \\Seen, \\Flagged, \\Answered, or labels like "Work" (UID STORE)."""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.backend import Session, compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.model import SEEN
from mailtui.sync import events
from mailtui.sync.ops.base import (
    Applied,
    Applying,
    Entry,
    Operation,
    Sending,
    UndoRecord,
    confirmed,
    folder_known,
    result,
    some_selected,
)
from mailtui.sync.request import Action, Command
from mailtui.text.labels import keyword_for


@dataclass(frozen=True, kw_only=True)
class SetFlags(Action):
    """Add/remove flags and keywords: \\Seen, \\Flagged, \\Answered, or labels like "Work"."""

    add: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()


def apply_flags(
    cache: HeaderCache,
    folder: str,
    uids: tuple[int, ...],
    add: frozenset[str],
    remove: frozenset[str],
) -> tuple[Applied, UndoRecord]:
    """Change the cached flags and journal one "flags" row; the record keeps the old ones."""
    folder_known(cache, folder)
    some_selected(uids)
    prior = cache.apply_flags(folder, uids, add, remove)
    jid = cache.journal_add(
        "flags", folder, compress_uids(uids), {"add": sorted(add), "remove": sorted(remove)}
    )
    record = UndoRecord("flags", folder, tuple(uids), jid, prior_flags=prior)
    return Applied(jid, "flags", folder, tuple(uids)), record


class Flags(Operation):
    kind = "flags"
    commands = (SetFlags,)
    noun = "change"
    cancelled_event = events.FlagsChanged

    def apply(
        self, log: Applying, cache: HeaderCache, command: SetFlags
    ) -> tuple[Applied, UndoRecord]:
        add, remove = command.add, command.remove
        if "labels" in cache.store_features():
            # Gmail labels may hold spaces and quotes: cached spelt as keywords (the
            # CLI's `mark --label "Big Project"` and the app's `l` alike).
            add = frozenset(keyword_for(x) for x in add)
            remove = frozenset(keyword_for(x) for x in remove)
        return apply_flags(cache, command.folder, command.uids, add, remove)

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        """UID STORE ±FLAGS, confirmed by the FETCH responses; by UID, so a replay is harmless."""
        add, remove = entry.args.get("add", ()), entry.args.get("remove", ())
        outcome = confirmed(
            writer, session, entry.folder, entry.uids, lambda u: session.store_flags(u, add, remove)
        )
        return result(outcome)

    def cancel(self, cache: HeaderCache, record: UndoRecord) -> None:
        cache.set_flag_strings(record.folder, record.prior_flags)

    def inverse(self, cache: HeaderCache, record: UndoRecord) -> list[Command]:
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
            SetFlags(folder=record.folder, uids=tuple(sorted(uids)), add=add, remove=remove)
            for (add, remove), uids in groups.items()
        ]


def mark_seen(folder: str, uids: tuple[int, ...], seen: bool = True) -> SetFlags:
    """The read/unread toggle as one command."""
    flags = frozenset({SEEN})
    return SetFlags(
        folder=folder,
        uids=uids,
        add=flags if seen else frozenset(),
        remove=frozenset() if seen else flags,
    )


OP = Flags()
