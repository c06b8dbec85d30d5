"""Bringing one IMAP folder's cache up to date: cold, QRESYNC, CONDSTORE or plain.

Steps follow RFC 4549 (disconnected clients) and RFC 7162 (CONDSTORE/QRESYNC); they are
numbered in the comments. Every batch of rows is committed together with the folder
state it establishes, so an interrupted sync resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from mailtui.backend import Fetched, SelectResult, Session, UidSet, compress_uids
from mailtui.cache.store import HeaderCache
from mailtui.mime.envelope import header_row
from mailtui.model import FolderState, HeaderRow, SyncStats
from mailtui.sync import coldstore, events
from mailtui.sync.names import raw_name

# Cold sync batch sizes: a small first batch so the newest mail shows at once, then
# larger ones to keep per-command overhead negligible.
FIRST_BATCH = 500
BATCH_GROWTH = (2_000, 5_000, 10_000)
# A VANISHED set up to this size is removed as it is; a larger one is first reduced to
# the cached UIDs it names.
_VANISHED_AS_IS = 4_096


class SyncCancelled(Exception):
    """The sync was stopped between batches (shutdown or a newer request)."""


def rows_from(records: list[Fetched]) -> list[HeaderRow]:
    out = []
    for rec in records:
        if not rec.uid:
            continue
        block = rec.header_block()
        out.append(
            header_row(
                rec.uid,
                rec.flags,
                rec.modseq,
                rec.internaldate,
                rec.size,
                block,
                rec.message_key,
                rec.thread_key,
            )
        )
    return out


def _row_collector(rows: list[HeaderRow]) -> Callable[[Fetched], None]:
    """Turn each FETCH into a row as it arrives (no list of raw records kept)."""
    append = rows.append

    def collect(rec: Fetched) -> None:
        if rec.uid:
            block = rec.header_block()
            append(
                header_row(
                    rec.uid,
                    rec.flags,
                    rec.modseq,
                    rec.internaldate,
                    rec.size,
                    block,
                    rec.message_key,
                    rec.thread_key,
                )
            )

    return collect


def _record_collector(records: list[coldstore.Record]) -> Callable[[Fetched], None]:
    """Keep each FETCH as a plain tuple; rows are built where they are stored."""
    append = records.append

    def collect(rec: Fetched) -> None:
        if rec.uid:
            uid, flags, block = rec.uid, rec.flags, rec.header_block()
            if rec.message_key:  # Gmail's X-GM-MSGID/X-GM-THRID, only where the store has them
                append(
                    (
                        uid,
                        flags,
                        rec.modseq,
                        rec.internaldate,
                        rec.size,
                        block,
                        rec.message_key,
                        rec.thread_key,
                    )
                )
            else:
                append((uid, flags, rec.modseq, rec.internaldate, rec.size, block))

    return collect


def batches_newest_first(uids: UidSet) -> Iterator[list[int]]:
    """Batches of `uids` from the top, each ascending: 500, 2000, 5000, then 10000s.
    Lazy: only one batch of a set's UIDs is ever a list."""
    newest_first = reversed(uids)
    for size in itertools.chain((FIRST_BATCH, *BATCH_GROWTH), itertools.repeat(BATCH_GROWTH[-1])):
        batch = list(itertools.islice(newest_first, size))
        if not batch:
            return
        batch.reverse()
        yield batch


class FolderSyncer:
    """Syncs folders of one account over one ImapSession into one HeaderCache."""

    def __init__(
        self,
        account: str,
        session: Session,
        cache: HeaderCache,
        emit: Callable[[events.Event], None],
        cancel: threading.Event | None = None,
    ) -> None:
        self.account = account
        self.session = session
        self.cache = cache
        self.emit = emit
        self.cancel = cancel or threading.Event()

    def _raw_name(self, folder: str) -> str:
        return raw_name(self.cache, folder)

    def sync(self, folder: str, refetch: tuple[int, ...] = ()) -> SyncStats:
        raw = self._raw_name(folder)
        state = self.cache.folder_state(folder)
        session = self.session
        # The backend proves nothing changed (a Maildir: three stats, no listing).
        if (
            not refetch
            and state.synced
            and state.change_token
            and session.change_token(raw) == state.change_token
        ):
            total = self.cache.synced_total(folder) or 0
            stats = SyncStats(folder, mode="status", total=total)
            self.emit(events.FolderSynced(account=self.account, folder=folder, stats=stats))
            return stats
        if not refetch:
            fast = self._fast_path(folder, raw, state)
            if fast is not None:
                if fast.mode != "status" or fast.total == 0:
                    total, unread = self.cache.counts(folder)
                    self.cache.set_synced_counts(folder, total, unread)
                    fast = replace(fast, total=total)
                self.emit(events.FolderSynced(account=self.account, folder=folder, stats=fast))
                return fast
        use_qresync = bool(session.qresync_enabled and state.uidvalidity and state.highestmodseq)
        qresync = (state.uidvalidity, state.highestmodseq, None) if use_qresync else None
        # 1. SELECT; with QRESYNC the server adds VANISHED (EARLIER) + changed FETCHes.
        sel = session.select(raw, qresync=qresync)
        if state.uidvalidity and sel.uidvalidity != state.uidvalidity:
            # RFC 4549 §4.1: a new UIDVALIDITY invalidates every cached UID.
            self.cache.reset_folder(folder, sel.uidvalidity)
            state = FolderState()  # start over: the cold path below
            sel.vanished = UidSet()
            sel.changed.clear()
        if refetch and state.uidvalidity == sel.uidvalidity:
            self._refetch(folder, refetch)
        if not state.uidvalidity:
            state = FolderState(
                uidvalidity=sel.uidvalidity,
                uidnext=sel.uidnext,
                highestmodseq=0 if sel.nomodseq else sel.highestmodseq,
                cold_floor=sel.uidnext or 1,
            )
            self.cache.set_folder_state(folder, state)
            stats = SyncStats(folder, mode="cold")
            stats = self._cold(folder, state, stats)
        else:
            if use_qresync:
                state, stats = self._qresync(folder, state, sel)
            elif session.condstore_enabled and state.highestmodseq and not sel.nomodseq:
                state, stats = self._condstore(folder, state, sel)
            else:
                state, stats = self._plain(folder, state, sel)
            if not state.synced:
                stats = self._cold(folder, state, stats)
        total, unread = self.cache.counts(folder)
        self.cache.set_synced_counts(folder, total, unread)
        stats = replace(stats, total=total)
        self.emit(events.FolderSynced(account=self.account, folder=folder, stats=stats))
        return stats

    # --- cold: newest first, resumable ------------------------------------------------

    def _cold(self, folder: str, state: FolderState, stats: SyncStats) -> SyncStats:
        """Fetch the list headers of every message below `cold_floor`, newest first."""
        floor = state.cold_floor
        criteria = b"ALL" if floor > state.uidnext else f"UID 1:{max(floor - 1, 1)}".encode()
        # A server's set is a range of any size ("ALL 1:4294967295"): only UIDs below
        # the floor (UIDNEXT when the cold sync began) can be messages to fetch.
        pending = self.session.search_uids(criteria) & UidSet.span(1, floor - 1)
        total = self.cache.count(folder) + len(pending)
        self.emit(events.SyncStarted(account=self.account, folder=folder, mode="cold", total=total))
        batches = batches_newest_first(pending)
        done_before = total - len(pending)
        fetched = 0
        with contextlib.ExitStack() as stack:
            store: coldstore.ThreadBatchStore | coldstore.ProcessBatchStore | None = None
            for i, batch in enumerate(batches):
                if self.cancel.is_set():
                    raise SyncCancelled(folder)
                records: list[coldstore.Record] = []
                self.session.fetch_headers(
                    compress_uids(batch), on_fetch=_record_collector(records)
                )
                if store is None:
                    # Made after the first FETCH: a storing process's start-up (~0.1 s of
                    # CPU) must not compete with the newest mail, nor with the app's.
                    store = stack.enter_context(
                        coldstore.batch_store(
                            self.cache,
                            folder,
                            self.emit,
                            self.account,
                            total,
                            done_before,
                            pending=len(pending),
                            cancel=self.cancel,
                        )
                    )
                # Everything from this batch's lowest UID up to uidnext is now cached.
                if i == 0 and isinstance(store, coldstore.ProcessBatchStore):
                    # The newest mail goes in at once, while the child process starts.
                    rows = coldstore.rows_of(records)
                    with self.cache.transaction():
                        self.cache.store_batch(folder, rows, index=False)
                        self.cache.set_cold_floor(folder, batch[0])
                    store.progress.committed(tuple(r.uid for r in rows))
                else:
                    try:
                        store.put(records, batch[0])
                    except coldstore.Stopped:
                        raise SyncCancelled(folder) from None
        if store is not None:
            fetched = store.progress.stored
        self.cache.set_cold_floor(folder, 1, synced=True)
        return replace(stats, fetched=stats.fetched + fetched, mode=stats.mode or "cold")

    # --- incremental ------------------------------------------------------------------

    def _new_messages(self, folder: str, state: FolderState, sel: SelectResult) -> list[HeaderRow]:
        """Headers of messages with UID >= the known UIDNEXT (RFC 4549 §4.3.1)."""
        if not sel.uidnext or sel.uidnext <= state.uidnext or not sel.exists:
            return []
        records: list[Fetched] = []
        self.session.fetch_headers(f"{max(state.uidnext, 1)}:*", on_fetch=records.append)
        # "n:*" includes the highest UID even when it is below n (RFC 9051 §6.4.8).
        return [r for r in rows_from(records) if r.uid >= state.uidnext]

    def _commit_incremental(
        self,
        folder: str,
        state: FolderState,
        new_rows: list[HeaderRow],
        flag_changes: list[tuple[int, str, int]],
        vanished: Iterable[int],
        mode: str,
    ) -> tuple[FolderState, SyncStats]:
        if isinstance(vanished, UidSet) and len(vanished) > _VANISHED_AS_IS:
            # VANISHED may name any range; only the UIDs we hold can be removed.
            vanished = vanished.pick(self.cache.uids(folder))
        with self.cache.transaction():
            if new_rows:
                self.cache.store_batch(folder, new_rows)
            flag_changes = self._with_pending_flags(folder, flag_changes)
            changed = self.cache.update_flags(folder, flag_changes) if flag_changes else []
            removed = self.cache.remove(folder, vanished) if vanished else []
            self.cache.set_folder_state(folder, state)
        if new_rows:
            uids = tuple(r.uid for r in new_rows)
            self.emit(events.HeadersSynced(account=self.account, folder=folder, uids=uids))
            self.emit(events.NewMail(account=self.account, folder=folder, uids=uids))
        if changed:
            self.emit(events.FlagsChanged(account=self.account, folder=folder, uids=tuple(changed)))
        if removed:
            self.emit(
                events.MessagesVanished(account=self.account, folder=folder, uids=tuple(removed))
            )
        return state, SyncStats(
            folder, fetched=len(new_rows), changed=len(changed), vanished=len(removed), mode=mode
        )

    def _fast_path(self, folder: str, raw: str, state: FolderState) -> SyncStats | None:
        """Bring a synced folder up to date without a SELECT, when that can be proven right.

        With the folder still selected on this connection, a NOOP reports every change
        since the server last reported to us (RFC 9051 §6.1.2; in QRESYNC mode as
        VANISHED and FETCH with UID, RFC 7162 §3.2.10), provided no report went
        unapplied meanwhile: then those changes are applied as they are. Otherwise one
        STATUS proves nothing changed (RFC 7162 §3.1.2.1): Dovecot answers it from its
        index, whatever the folder's size, where a SELECT costs time proportional to it.
        None means: do a full resync.
        """
        session = self.session
        if not (state.synced and state.highestmodseq and session.condstore_enabled):
            return None
        total = self.cache.synced_total(folder)
        if total is None:
            return None
        if session.selected == raw:
            changes = session.noop_changes()
            if changes is None:
                if session.qresync_enabled or session.changes_pending or session.poll():
                    return None
                return SyncStats(folder, mode="status", total=total)
            if changes.empty:
                return SyncStats(folder, mode="status", total=total)
            return self._apply_noop(folder, state, changes)
        status = session.status(raw, unseen=False)
        unchanged = (
            status.get("UIDVALIDITY") == state.uidvalidity
            and status.get("UIDNEXT") == state.uidnext
            and status.get("HIGHESTMODSEQ") == state.highestmodseq
            and status.get("MESSAGES") == total
        )
        return SyncStats(folder, mode="status", total=total) if unchanged else None

    def _apply_noop(self, folder: str, state: FolderState, changes: Any) -> SyncStats:
        """NOOP news applied: flags, vanished UIDs, and the new messages fetched by UID."""
        new_rows: list[HeaderRow] = []
        if changes.exists:
            records: list[Fetched] = []
            self.session.fetch_headers(f"{max(state.uidnext, 1)}:*", on_fetch=records.append)
            new_rows = [r for r in rows_from(records) if r.uid >= state.uidnext]
        flag_changes = [c for c in changes.flags if c[0] < state.uidnext]
        uidnext = max([state.uidnext, *(r.uid + 1 for r in new_rows)])
        # Without a HIGHESTMODSEQ in the reply, keep ours: the next check then resyncs fully.
        modseq = changes.highestmodseq or state.highestmodseq
        if self.session.changes_pending:  # more news arrived while we fetched: be safe
            modseq = state.highestmodseq
        new_state = replace(state, uidnext=uidnext, highestmodseq=modseq)
        _state, stats = self._commit_incremental(
            folder, new_state, new_rows, flag_changes, changes.vanished, "noop"
        )
        return stats

    def _refetch(self, folder: str, uids: tuple[int, ...]) -> None:
        rows: list[HeaderRow] = []
        self.session.fetch_headers(compress_uids(uids), on_fetch=_row_collector(rows))
        if rows:
            self.cache.store_batch(folder, rows)
            self.emit(
                events.HeadersSynced(
                    account=self.account, folder=folder, uids=tuple(r.uid for r in rows)
                )
            )

    def _with_pending_flags(
        self, folder: str, changes: list[tuple[int, str, int]]
    ) -> list[tuple[int, str, int]]:
        """Server flags with our not-yet-sent flag actions on top (RFC 4549 §4.2).

        Without this, a resync between a user's action and its write-back would flip the
        message back until the writer catches up.
        """
        if not changes:
            return changes
        pending = [
            (UidSet.parse(row.uids), row.args)
            for row in self.cache.journal()
            if row.kind == "flags" and row.folder == folder
        ]
        if not pending:
            return changes
        out = []
        for uid, flags, modseq in changes:
            current = set(flags.split())
            for uids, args in pending:
                if uid in uids:
                    current = (current | set(args.get("add", ()))) - set(args.get("remove", ()))
            out.append((uid, " ".join(sorted(current)), modseq))
        return out

    def _qresync(
        self, folder: str, state: FolderState, sel: SelectResult
    ) -> tuple[FolderState, SyncStats]:
        # 2. Nothing changed: same HIGHESTMODSEQ and UIDNEXT → the SELECT was the whole resync.
        if sel.highestmodseq == state.highestmodseq and sel.uidnext == state.uidnext:
            return state, SyncStats(folder, mode="qresync")
        # 3. New messages (their FETCHes in the SELECT reply carry flags only).
        new_rows = self._new_messages(folder, state, sel)
        # 4. Flag changes for messages we hold; 5. VANISHED (EARLIER) expunges.
        changes = [
            (r.uid, " ".join(r.flags or ()), r.modseq)
            for r in sel.changed
            if r.uid and r.flags is not None and r.uid < state.uidnext
        ]
        new_state = replace(state, uidnext=sel.uidnext, highestmodseq=sel.highestmodseq)
        return self._commit_incremental(
            folder, new_state, new_rows, changes, sel.vanished, "qresync"
        )

    def _condstore(
        self, folder: str, state: FolderState, sel: SelectResult
    ) -> tuple[FolderState, SyncStats]:
        cached = self.cache.count(folder)
        # 1. Unchanged HIGHESTMODSEQ, UIDNEXT and message count → nothing to do.
        if (
            sel.highestmodseq == state.highestmodseq
            and sel.uidnext == state.uidnext
            and sel.exists == cached
        ):
            return state, SyncStats(folder, mode="condstore")
        # 2. New messages.
        new_rows = self._new_messages(folder, state, sel)
        # 3. Flags changed since our modseq (RFC 7162 §3.1.4 CHANGEDSINCE).
        changes: list[tuple[int, str, int]] = []
        if sel.highestmodseq != state.highestmodseq and state.uidnext > 1:
            low = max(state.cold_floor, 1)
            for r in self.session.fetch_flags(f"{low}:{state.uidnext - 1}", state.highestmodseq):
                if r.uid and r.flags is not None and r.uid < state.uidnext:
                    changes.append((r.uid, " ".join(r.flags), r.modseq))
        # 4. Expunges: only when the count does not add up, diff a UID SEARCH.
        vanished: list[int] = []
        if sel.exists != cached + len(new_rows):
            vanished = self._expunged(folder, state)
        new_state = replace(state, uidnext=sel.uidnext, highestmodseq=sel.highestmodseq)
        return self._commit_incremental(folder, new_state, new_rows, changes, vanished, "condstore")

    def _plain(
        self, folder: str, state: FolderState, sel: SelectResult
    ) -> tuple[FolderState, SyncStats]:
        # 1. New messages above the known UIDNEXT.
        new_rows = self._new_messages(folder, state, sel)
        # 2. All flags of the cached range (no CONDSTORE: no cheaper way to learn changes).
        known = self.cache.flags_map(folder)
        changes: list[tuple[int, str, int]] = []
        server_uids: set[int] = set()
        if state.uidnext > 1 and sel.exists:
            low = max(state.cold_floor, 1)
            for r in self.session.fetch_flags(f"{low}:{state.uidnext - 1}"):
                if not r.uid or r.uid >= state.uidnext:
                    continue
                server_uids.add(r.uid)
                flags = " ".join(r.flags or ())
                if r.uid in known and known[r.uid] != flags:
                    changes.append((r.uid, flags, 0))
        # 3. Expunged = cached UIDs the server no longer listed.
        vanished = [u for u in known if u not in server_uids and u < state.uidnext]
        new_state = replace(
            state,
            uidnext=sel.uidnext or state.uidnext,
            highestmodseq=0,
            change_token=sel.change_token,
        )
        return self._commit_incremental(folder, new_state, new_rows, changes, vanished, "plain")

    def _expunged(self, folder: str, state: FolderState) -> list[int]:
        low = max(state.cold_floor, 1)
        if state.uidnext <= low:
            return []
        on_server = self.session.search_uids(f"UID {low}:{state.uidnext - 1}".encode())
        return [
            u
            for u in self.cache.uids(folder)
            if u >= low and u < state.uidnext and u not in on_server
        ]
