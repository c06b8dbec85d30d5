"""The address book compose completes from: who the user writes to and hears from.

Built from the header cache (no network) by both faces' compose paths; the ranking
rule lives here once, `compose.complete.AddressBook` does the matching.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from mailtui.compose.complete import AddressBook
from mailtui.compose.flow import resolve_folder
from mailtui.config.model import AccountSettings
from mailtui.model import Address, Role
from mailtui.text.addresses import parse_addresses

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = ["address_book"]


def address_book(
    service: SyncService, account: AccountSettings, *, per_folder: int = 2000
) -> AddressBook:
    """Addresses for completion from the header cache (no network): people the user
    wrote to (Sent: To and Cc) rank above people who wrote to them (INBOX: From),
    each by how often; the user's own address is left out. Cheap enough to build when
    a compose starts (two indexed cache reads)."""
    folders = service.folders()
    sent = resolve_folder(account, Role.SENT, folders)
    inbox = next((f.name for f in folders if f.role == Role.INBOX), "INBOX")
    score: Counter[str] = Counter()
    best: dict[str, Address] = {}

    def note(a: Address, weight: int) -> None:
        key = a.addr.casefold()
        if not a.addr or "@" not in a.addr or key == account.email.casefold():
            return
        score[key] += weight
        if a.name or key not in best:
            best[key] = a

    for folder, weight in ((sent, 3), (inbox, 1)):
        if not folder:
            continue
        uids = service.view(folder)[:per_folder]
        for env in service.envelopes(folder, uids).values():
            if folder == sent:
                for a in (*parse_addresses(env.to), *parse_addresses(env.cc)):
                    note(a, weight)
            else:
                for a in env.from_:
                    note(a, weight)
    ranked = sorted(score, key=lambda key: (-score[key], key))
    return AddressBook(best[key] for key in ranked)
