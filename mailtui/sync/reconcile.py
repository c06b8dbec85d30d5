"""Keeping the cache's optimistic changes honest: apply, confirm, refuse, not-applied, undo.

An action is applied to the cache (and journaled) at `submit()`; the journal writer
later tells what the server did with it. Here each outcome is put right: confirmed
UIDs are announced, what the server did not apply (or refused) is rolled back and
reported, the folders involved are resynced, and Undo either takes back an unsent
action or sends its inverse once the original is confirmed.
"""

from __future__ import annotations

from typing import Any

from mailtui.cache.store import HeaderCache
from mailtui.errors import MailtuiError
from mailtui.sync import commands as cmd
from mailtui.sync import events, ops
from mailtui.sync.actionlog import ActionLog
from mailtui.sync.host import ReconcileHost
from mailtui.sync.ops.base import ActionError, Entry, UndoRecord


class Reconciler:
    """The service's bookkeeping of actions between the cache and the server."""

    def __init__(self, host: ReconcileHost, actions: ActionLog) -> None:
        self.host = host
        self.actions = actions
        # journal row id → the request id of the command that made it (its ending).
        self.requests: dict[int, int] = {}

    # --- applying ----------------------------------------------------------------------

    def fail(self, command: cmd.Command, exc: MailtuiError) -> None:
        self.host.emit(
            events.Failed(
                account=self.host.account,
                request_id=command.request_id,
                message=str(exc),
                hint=exc.hint,
                kind=type(exc).__name__,
            )
        )

    def apply(self, command: cmd.Command, *, undoable: bool = True) -> None:
        """Apply an action to the cache and journal it; the writer sends it later."""
        try:
            applied = self.actions.apply(self.host.cache(), command)
        except MailtuiError as exc:
            self.fail(command, exc)
            return
        if not undoable:
            with self.actions.lock:
                if self.actions.undo and self.actions.undo[-1].journal_id == applied.journal_id:
                    self.actions.undo.pop()
        self.requests[applied.journal_id] = command.request_id
        self.host.emit(
            events.ActionApplied(
                account=self.host.account,
                folder=applied.folder,
                kind=applied.kind,
                uids=applied.uids,
                dest=applied.dest,
            )
        )
        self.announce_pending()
        self.host.wake_writer()

    def announce_pending(self) -> None:
        count = self.host.cache().journal_count()
        self.host.emit(events.PendingChanged(account=self.host.account, count=count))

    # --- undo --------------------------------------------------------------------------

    def undo(self, command: cmd.Undo) -> None:
        """Reverse the newest action: cancel it if still unsent, else send its inverse."""
        cache = self.host.cache()
        account = self.host.account
        try:
            record = self.actions.pop_undo()
            if self._cancel_unsent(cache, record):
                self.host.emit(
                    events.Done(account=account, request_id=command.request_id, result="cancelled")
                )
                return
            if not record.confirmed.wait(15):
                raise ActionError(
                    "The action is still on its way to the server", "try undo again in a moment"
                )
            inverses = self.actions.inverse(cache, record)
        except MailtuiError as exc:
            self.fail(command, exc)
            return
        for inverse in inverses:
            self.apply(inverse, undoable=False)
        self.host.emit(
            events.Done(account=account, request_id=command.request_id, result="reversed")
        )

    def _cancel_unsent(self, cache: HeaderCache, record: UndoRecord) -> bool:
        """An action the writer has not started can be taken back without the server."""
        with cache.transaction():
            rows = [r for r in cache.journal() if r.id == record.journal_id]
            if not rows or rows[0].state != "pending":
                return False
            cache.journal_remove(record.journal_id)
            op = ops.for_kind(record.kind)
            op.cancel(cache, record)
        self.actions.forget(record.journal_id)
        self.host.emit(
            op.cancelled_event(account=self.host.account, folder=record.folder, uids=record.uids)
        )
        self.announce_pending()
        return True

    # --- what the writer reports -------------------------------------------------------

    def confirmed(self, entry: Entry, result: dict[str, Any]) -> None:
        """The writer sent `entry` and checked what the server did: confirm what it shows
        done, and put right (and report) what it did not apply."""
        host, account = self.host, self.host.account
        op = ops.for_kind(entry.kind)
        failed = tuple(result.get("failed") or ())
        gone = tuple(result.get("gone") or ())
        record = self.actions.by_journal.get(entry.id)
        if record is not None:
            record.dest_uids = dict(result.get("mapping", {}))
            record.gone = gone
            record.confirmed.set()
        skipped = {*failed, *gone}
        host.emit(
            events.ActionConfirmed(
                account=account,
                folder=entry.folder,
                kind=entry.kind,
                uids=tuple(u for u in entry.uid_set if u not in skipped),
            )
        )
        if skipped:
            self._not_applied(entry, record, failed, gone)
        dest = entry.args.get("dest", "")
        if (
            dest
            and op.places_rows
            and (record is None or not record.rows)
            and host.cache().folder_state(dest).synced
        ):
            # Replayed for an earlier run or another process: the rows it would place in
            # the destination's cache live only in that process's memory. Resync it.
            host.submit(cmd.SyncFolder(folder=dest))
        request_id = self.requests.pop(entry.id, None)
        if request_id is not None:
            if failed:
                host.emit(
                    events.Failed(
                        account=account,
                        request_id=request_id,
                        message=not_applied_sentence(op, len(failed), len(entry.uid_set)),
                        kind="ActionRefused",
                        details={"failed": failed, "gone": gone},
                    )
                )
            else:
                payload = {k: v for k, v in result.items() if k != "rows"}
                host.emit(events.Done(account=account, request_id=request_id, result=payload))
        self.announce_pending()

    def _not_applied(
        self,
        entry: Entry,
        record: UndoRecord | None,
        failed: tuple[int, ...],
        gone: tuple[int, ...],
    ) -> None:
        """Some messages of an action were not changed by the server: roll the cache back
        for them (a resync refetches their rows) and say so."""
        host, account, cache = self.host, self.host.account, self.host.cache()
        op = ops.for_kind(entry.kind)
        if failed and record is not None:
            with cache.transaction():
                rolled_back = op.roll_back(cache, record, set(failed))
            if rolled_back:
                host.emit(events.HeadersSynced(account=account, folder=entry.folder, uids=failed))
        if failed:
            message = not_applied_sentence(op, len(failed), len(entry.uid_set))
        else:
            n = len(gone)
            message = (
                f"{n} message{'s were' if n != 1 else ' was'} already gone from the server "
                "(removed by another client)"
            )
        host.emit(
            events.ActionFailed(
                account=account, folder=entry.folder, kind=entry.kind, message=message
            )
        )
        if cache.raw_name(entry.folder) is not None:
            host.submit(cmd.SyncFolder(folder=entry.folder, refetch=failed))
        dest = entry.args.get("dest", "")
        if dest and cache.raw_name(dest) is not None:
            host.submit(cmd.SyncFolder(folder=dest))

    def refused(self, entry: Entry, message: str) -> None:
        """The server refused the action: undo our guess, report it, resync to converge."""
        host, account, cache = self.host, self.host.account, self.host.cache()
        op = ops.for_kind(entry.kind)
        record = self.actions.by_journal.get(entry.id)
        if record is not None:
            # Put the rows back at once; the resync below confirms against the server.
            with cache.transaction():
                rolled_back = op.roll_back(cache, record, set(record.uids))
            if rolled_back:
                host.emit(
                    events.HeadersSynced(account=account, folder=entry.folder, uids=record.uids)
                )
        self.actions.forget(entry.id)
        host.emit(
            events.ActionFailed(
                account=account,
                folder=entry.folder,
                kind=entry.kind,
                message=f"The server refused the {entry.kind}: {message}",
            )
        )
        request_id = self.requests.pop(entry.id, None)
        if request_id is not None:
            host.emit(
                events.Failed(
                    account=account, request_id=request_id, message=message, kind="ActionRefused"
                )
            )
        self.announce_pending()
        # Our optimistic change may now disagree with the server: resync to converge.
        dropped = tuple(entry.uid_set) if op.drops_rows else ()
        if cache.raw_name(entry.folder) is not None and entry.uids:
            host.submit(cmd.SyncFolder(folder=entry.folder, refetch=dropped))
        dest = entry.args.get("dest", "")
        if dest and cache.raw_name(dest) is not None:
            host.submit(cmd.SyncFolder(folder=dest))
        if op.changes_folders:
            host.submit(cmd.RefreshFolders())

    def queued(self, journal_id: int) -> None:
        """The server is unreachable: the command that made this row ends as Queued."""
        request_id = self.requests.get(journal_id)
        if request_id is not None:
            self.host.emit(
                events.Queued(
                    account=self.host.account,
                    request_id=request_id,
                    message="The server is unreachable; the change is saved and will be sent later",
                )
            )


def not_applied_sentence(op: ops.Operation, failed: int, total: int) -> str:
    what = op.describe()
    of = (
        f"{failed} of {total} messages"
        if total != failed
        else ("the message" if total == 1 else f"the {total} messages")
    )
    return f"The server did not apply the {what} to {of}, even after a retry"
