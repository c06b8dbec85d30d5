"""The account's message store as compose sees it, through its SyncService.

compose does the sending (outbox → SMTP → Sent copy → flags) but may not import sync
(DESIGN.md §1); this module gives it the store it writes to, for both faces:

- `service_store`: compose's `MailStore` over the service's journal (APPEND, flags,
  discarding an old Drafts copy).
- `find_message` / `with_replied`: a draft that answers a message (its In-Reply-To)
  learns where that message lives, so sending it sets \\Answered — a recalled draft
  knows only the id.

Everything here blocks (the service's `run`): call it from a thread.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mailtui.backend.query import MessageId
from mailtui.compose.draft import Draft
from mailtui.compose.flow import MailStore, resolve_folder
from mailtui.config.model import AccountSettings
from mailtui.model import MessageRef, Role
from mailtui.sync import commands

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = ["find_message", "service_store", "with_replied"]


def service_store(
    service: SyncService, account: AccountSettings, *, timeout: float = 60.0
) -> MailStore:
    """A `MailStore` over a `SyncService`: APPEND and flags go through its journal.

    A journaled write that is waiting for the network counts as done: the service
    sends it when back online (and finds an APPEND already there by Message-ID), so
    compose must not retry it, or the Sent copy would be doubled. Flags set here are
    not undoable (a reply's \\Answered is not the user's triage).
    """
    from mailtui.sync.service import ActionQueued, ConnectionLost

    later = (ActionQueued, ConnectionLost)
    folders = service.folders()

    def append(folder: str, raw: bytes, flags: frozenset[str]) -> int | None:
        try:
            result = service.run(
                commands.AppendMessage(folder=folder, raw=raw, flags=frozenset(flags)), timeout
            )
        except later:
            return None
        uid = result.get("uid") if isinstance(result, dict) else None
        return uid if isinstance(uid, int) else None

    def set_flags(folder: str, uids: tuple[int, ...], add: frozenset[str]) -> None:
        try:
            service.run(
                commands.SetFlags(folder=folder, uids=tuple(uids), add=add, undoable=False), timeout
            )
        except later:
            pass

    def discard(folder: str, uids: tuple[int, ...]) -> None:
        try:
            service.run(commands.DeleteMessages(folder=folder, uids=tuple(uids)), timeout)
        except later:
            pass

    return MailStore(
        append=append,
        set_flags=set_flags,
        discard=discard,
        sent_folder=resolve_folder(account, Role.SENT, folders),
        drafts_folder=resolve_folder(account, Role.DRAFTS, folders),
        # Gmail files what its SMTP server sends in Sent Mail itself: a copy would show
        # twice. A store with labels is such a server (sync/ops/labels.py).
        keep_sent_copy=(
            account.sent_copy
            if account.sent_copy is not None
            else "labels" not in service.cache().store_features()
        ),
    )


# Where a replied-to message is looked for first; Drafts never holds it.
_SEARCH_ORDER = {Role.INBOX: 0, Role.NONE: 1, Role.ARCHIVE: 2, Role.SENT: 3, Role.JUNK: 4}


def find_message(service: SyncService, message_id: str) -> MessageRef | None:
    """The cached message with this Message-ID (without <>) in any folder of the
    account: INBOX first, Trash last, Drafts never. Cache only, no network."""
    if not message_id:
        return None
    folders = [f for f in service.folders() if f.selectable and f.role != Role.DRAFTS]
    folders.sort(key=lambda f: (_SEARCH_ORDER.get(f.role, 5), f.name))
    cache = service.cache()
    for folder in folders:
        uids = cache.search(folder.name, MessageId(message_id), limit=1)
        if uids:
            return MessageRef(folder.name, uids[0])
    return None


def with_replied(service: SyncService, draft: Draft) -> Draft:
    """The draft, knowing where the message it answers lives (for \\Answered) when it
    only carries In-Reply-To — a draft saved and edited again, or one from the outbox."""
    if draft.replied is not None or not draft.in_reply_to:
        return draft
    found = find_message(service, draft.in_reply_to)
    return replace(draft, replied=found) if found is not None else draft
