"""Sending as the UI and `mailtui send` both do it: outbox → SMTP → Sent copy → flags.

compose must not import sync (DESIGN.md §1), so the IMAP side comes in as a `MailStore`
of small callables; the app wires them to `SyncService.run(AppendMessage(...))` and
`SyncService.run(SetFlags(...))`. Everything here blocks: run it in a worker thread.

The order is what makes "nothing is lost" true:
1. the message is written to the outbox before SMTP sees it;
2. after SMTP accepted it, the entry is marked "sent" (so it is never sent twice);
3. the Sent copy (\\Seen) is appended unless the server keeps one itself, \\Answered
   is set on the replied message ($Forwarded on a forwarded one);
4. only then the entry is removed. A failure at 2 leaves the message queued and puts a
   copy in Drafts; a failure at 3 leaves the entry to finish its Sent copy later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from mailtui.compose.build import build_message, complete_raw, message_bytes
from mailtui.compose.draft import Draft, DraftError
from mailtui.compose.outbox import Outbox, OutboxEntry
from mailtui.compose.send import SendResult, SmtpError, SmtpRejected, send_message
from mailtui.config.model import AccountSettings
from mailtui.errors import MailtuiError
from mailtui.model import ANSWERED, DRAFT, SEEN, Folder, MessageRef, Role

log = logging.getLogger("mailtui.compose.flow")

__all__ = [
    "FORWARDED",
    "DeliveryReport",
    "MailStore",
    "deliver",
    "resolve_folder",
    "retry_outbox",
    "save_draft",
    "send_draft",
    "send_raw",
]

# The IANA-registered keyword for "this message was forwarded" (RFC 5788 registry).
FORWARDED = "$Forwarded"

AppendFn = Callable[[str, bytes, frozenset[str]], int | None]
"""append(folder, raw, flags) → the new UID or None; raises MailtuiError on failure."""
SetFlagsFn = Callable[[str, tuple[int, ...], frozenset[str]], object]
"""set_flags(folder, uids, add) → anything; raises MailtuiError on failure."""
DiscardFn = Callable[[str, tuple[int, ...]], object]
"""discard(folder, uids): delete messages (to Trash); used for stale Drafts copies."""
SendFn = Callable[[AccountSettings, bytes], SendResult]


@dataclass(frozen=True)
class MailStore:
    """How compose reaches the account's folders without importing sync."""

    append: AppendFn
    set_flags: SetFlagsFn
    sent_folder: str | None = None
    drafts_folder: str | None = None
    discard: DiscardFn | None = None
    # False where no copy is wanted: `sent_copy = false`, or left out on a server that
    # files sent mail itself (usecase/store.py).
    keep_sent_copy: bool = True


@dataclass(frozen=True)
class DeliveryReport:
    """What happened to one message; `summary()` is the sentence for the status bar."""

    entry_id: str
    message_id: str = ""
    sent: bool = False
    error: MailtuiError | None = None
    result: SendResult | None = None
    sent_copy: bool = False
    draft_saved: bool = False
    queued: bool = False
    """Still in the outbox (not sent, or its Sent copy is still to be stored)."""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    not_before: float = 0.0
    """Waiting in the outbox until then (the undo window, or send later): not tried."""

    @property
    def ok(self) -> bool:
        return self.sent and not self.warnings

    @property
    def waiting(self) -> bool:
        """Held in the outbox until `not_before`, by design rather than by a failure."""
        return not self.sent and self.error is None and self.not_before > 0

    def summary(self) -> str:
        if self.waiting:
            return (
                f"It waits in the outbox until {datetime.fromtimestamp(self.not_before):%H:%M:%S}."
            )
        if not self.sent:
            where = " and a copy is in Drafts" if self.draft_saved else ""
            error = self.error.sentence() if self.error else "unknown error"
            return f"Not sent: {error}. It is kept in the outbox{where}."
        parts = ["Sent"]
        if self.result is not None and self.result.refused:
            parts.append(f"(refused: {', '.join(self.result.refused)})")
        text = " ".join(parts) + "."
        if self.warnings:
            text += " " + " ".join(self.warnings)
        return text


_SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "INBOX.Sent", "INBOX/Sent")
_DRAFT_NAMES = ("Drafts", "Draft", "INBOX.Drafts", "INBOX/Drafts")


def resolve_folder(
    account: AccountSettings, role: Role, folders: Iterable[Folder] = ()
) -> str | None:
    """The folder for Sent or Drafts: the config's, else the special-use one (RFC 6154),
    else a folder with a conventional name; None when there is none."""
    configured = {Role.SENT: account.sent_folder, Role.DRAFTS: account.drafts_folder}.get(role)
    if configured:
        return configured
    folders = list(folders)
    for f in folders:
        if f.role == role and f.selectable:
            return f.name
    names = _SENT_NAMES if role == Role.SENT else _DRAFT_NAMES if role == Role.DRAFTS else ()
    by_name = {f.name.casefold(): f for f in folders if f.selectable}
    for name in names:
        found = by_name.get(name.casefold())
        if found is not None:
            return found.name
    return None


def _internal(exc: Exception) -> MailtuiError:
    """A bug while sending must not lose the message either: it stays queued."""
    log.error("sending failed unexpectedly", exc_info=exc)
    return MailtuiError(f"Sending failed: {type(exc).__name__}: {exc}")


def _error_text(exc: BaseException) -> str:
    return exc.sentence() if isinstance(exc, MailtuiError) else f"{type(exc).__name__}: {exc}"


def _save_failed_copy(
    outbox: Outbox, entry: OutboxEntry, raw: bytes, store: MailStore
) -> tuple[OutboxEntry, bool, str]:
    """Put a not-yet-sent message in Drafts too (once), so it is visible everywhere."""
    if entry.draft_copy is not None:
        return entry, True, ""
    if not store.drafts_folder:
        return entry, False, "No Drafts folder to keep a copy in."
    try:
        uid = store.append(store.drafts_folder, raw, frozenset({DRAFT, SEEN}))
    except Exception as exc:  # offline too, most likely: the outbox still has it
        log.warning("could not save the unsent message to Drafts: %s", _error_text(exc))
        return entry, False, f"Saving to Drafts failed: {_error_text(exc)}"
    if isinstance(uid, int) and uid > 0:
        entry = outbox.update(entry, draft_copy=MessageRef(store.drafts_folder, uid))
    else:
        entry = outbox.update(entry, extra={**entry.extra, "draft_saved": True})
    return entry, True, ""


def _finish(
    account: AccountSettings, outbox: Outbox, entry: OutboxEntry, raw: bytes, store: MailStore
) -> tuple[OutboxEntry, bool, list[str]]:
    """Steps after SMTP accepted: Sent copy, flags, stale draft; remove when all done.

    Progress is written to the outbox only when a step is left for later: the
    common case costs no metadata rewrite (each one is an fsync)."""
    warnings: list[str] = []
    sent_copy = False
    sent_copy_done = entry.sent_copy_done
    if not sent_copy_done:
        wanted = account.sent_copy if account.sent_copy is not None else store.keep_sent_copy
        if not wanted:
            sent_copy_done = True
        elif not store.sent_folder:
            warnings.append("No Sent folder was found, so no copy was kept.")
            sent_copy_done = True
        else:
            try:
                store.append(store.sent_folder, raw, frozenset({SEEN}))
            except Exception as exc:
                warnings.append(
                    f"The copy to {store.sent_folder} failed ({_error_text(exc)}); "
                    "it is retried with the outbox."
                )
            else:
                sent_copy = sent_copy_done = True
    if not entry.flags_done:
        for ref, flag in ((entry.replied, ANSWERED), (entry.forwarded, FORWARDED)):
            if ref is None:
                continue
            try:
                store.set_flags(ref.folder, (ref.uid,), frozenset({flag}))
            except Exception as exc:  # best effort: the message may have moved since
                warnings.append(f"Could not mark the original {flag}: {_error_text(exc)}.")
    draft_copy = entry.draft_copy
    if draft_copy is not None and store.discard is not None:
        try:
            store.discard(draft_copy.folder, (draft_copy.uid,))
        except Exception as exc:
            log.warning("could not remove the stale Drafts copy: %s", _error_text(exc))
        draft_copy = None
    if sent_copy_done:
        outbox.remove(entry)
    else:
        entry = outbox.update(entry, flags_done=True, draft_copy=draft_copy)
    return entry, sent_copy, warnings


def _process(
    account: AccountSettings,
    outbox: Outbox,
    entry: OutboxEntry,
    store: MailStore,
    send: SendFn,
) -> DeliveryReport:
    with outbox.claim(entry) as held:
        if held is None:
            return DeliveryReport(
                entry_id=entry.id,
                message_id=entry.message_id,
                queued=True,
                error=MailtuiError("The message is being sent by another mailtui"),
            )
        entry = held
        raw = outbox.raw(entry)
        result: SendResult | None = None
        if entry.state == "queued":
            try:
                result = send(account, raw)
            except Exception as caught:
                exc = caught if isinstance(caught, MailtuiError) else _internal(caught)
                entry = outbox.record_failure(entry, exc.sentence())
                entry, saved, note = _save_failed_copy(outbox, entry, raw, store)
                log.info("message %s kept in the outbox: %s", entry.message_id, exc)
                return DeliveryReport(
                    entry_id=entry.id,
                    message_id=entry.message_id,
                    error=exc,
                    draft_saved=saved,
                    queued=True,
                    warnings=(note,) if note else (),
                )
            # From here on the message is delivered: never send it again.
            entry = outbox.update(entry, state="sent", last_error="")
        entry, sent_copy, warnings = _finish(account, outbox, entry, raw, store)
        still_queued = outbox.get(entry.id) is not None
        return DeliveryReport(
            entry_id=entry.id,
            message_id=entry.message_id,
            sent=True,
            result=result,
            sent_copy=sent_copy,
            queued=still_queued,
            warnings=tuple(warnings),
        )


def deliver(
    account: AccountSettings,
    message: EmailMessage | bytes,
    *,
    store: MailStore,
    replied: MessageRef | None = None,
    forwarded: MessageRef | None = None,
    outbox: Outbox | None = None,
    send: SendFn | None = None,
    not_before: float = 0.0,
    scheduled: bool = False,
) -> DeliveryReport:
    """Send one message the safe way (see the module docstring); never raises for SMTP
    or IMAP trouble — the report says what happened. Blocking.

    With `not_before` in the future the message only enters the outbox (the undo
    window after `y`, or a time the user chose: `scheduled`); a retry sends it when due.
    """
    box = outbox if outbox is not None else Outbox.for_account(account.name)
    raw = message_bytes(message)
    entry = box.enqueue(
        raw, replied=replied, forwarded=forwarded, not_before=not_before, scheduled=scheduled
    )
    if not entry.due():
        return DeliveryReport(
            entry_id=entry.id, message_id=entry.message_id, queued=True, not_before=not_before
        )
    return _process(account, box, entry, store, send or _default_send)


def _default_send(account: AccountSettings, raw: bytes) -> SendResult:
    return send_message(account, raw)


def send_draft(
    account: AccountSettings,
    draft: Draft,
    *,
    store: MailStore,
    outbox: Outbox | None = None,
    send: SendFn | None = None,
    not_before: float = 0.0,
    scheduled: bool = False,
) -> DeliveryReport:
    """Build a draft (DraftError if it cannot be) and deliver it (`not_before`: see
    `deliver`)."""
    msg = build_message(draft, account)
    return deliver(
        account,
        msg,
        store=store,
        replied=draft.replied,
        forwarded=draft.forwarded,
        outbox=outbox,
        send=send,
        not_before=not_before,
        scheduled=scheduled,
    )


def send_raw(
    account: AccountSettings,
    raw: bytes,
    *,
    store: MailStore,
    outbox: Outbox | None = None,
    send: SendFn | None = None,
) -> DeliveryReport:
    """`mailtui send`: a complete message from stdin, completed like `sendmail -t`."""
    return deliver(account, complete_raw(raw, account), store=store, outbox=outbox, send=send)


def retry_outbox(
    account: AccountSettings,
    *,
    store: MailStore,
    outbox: Outbox | None = None,
    send: SendFn | None = None,
    only: Sequence[str] = (),
    early: Sequence[str] = (),
) -> list[DeliveryReport]:
    """Try every waiting message again (or those in `only`), oldest first.

    A message held until later (`OutboxEntry.not_before`) is left alone until then,
    unless it is in `early` (quitting during its undo window sends it at once).

    Stops sending after the first failure that is not about one message (server down,
    login refused), so a long outbox does not hammer an unreachable server; queued
    entries that only await their Sent copy are still finished.
    """
    box = outbox if outbox is not None else Outbox.for_account(account.name)
    send_fn = send or _default_send
    reports: list[DeliveryReport] = []
    server_down = False
    now = time.time()
    for entry in box.pending():
        if only and entry.id not in only:
            continue
        if not entry.due(now) and entry.id not in early:
            continue
        if server_down and entry.state == "queued":
            continue
        report = _process(account, box, entry, store, send_fn)
        reports.append(report)
        error = report.error
        if isinstance(error, SmtpError) and not isinstance(error, SmtpRejected):
            server_down = True
    return reports


def save_draft(
    account: AccountSettings,
    message: Draft | EmailMessage | bytes,
    *,
    store: MailStore,
) -> int | None:
    """APPEND the message to Drafts with \\Draft and \\Seen; returns the UID (or None).

    Raises DraftError when there is no Drafts folder, or the store's error."""
    if not store.drafts_folder:
        raise DraftError(
            "No Drafts folder is known for this account",
            hint=f'set drafts_folder = "Drafts" under [accounts.{account.name}]',
        )
    if isinstance(message, Draft):
        message = build_message(message, account, require_recipients=False)
    return store.append(store.drafts_folder, message_bytes(message), frozenset({DRAFT, SEEN}))
