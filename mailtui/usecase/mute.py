"""Mute a conversation (the app's `X`, `mailtui mute`): both faces share this.

Muting remembers the conversation in the cache (cache/muted.py); from then on the
sync archives and marks read every new reply to it that arrives in INBOX
(sync/muting.py, journaled like any write), and the search term `muted` lists it.
The same key on a message of a muted conversation unmutes it. Nothing is sent to the
server when muting: it is mailtui's own memory (a server has no such notion).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailtui.cache import muted
from mailtui.errors import MailtuiError

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = ["MuteResult", "set_muted", "toggle_mute"]


@dataclass(frozen=True)
class MuteResult:
    """What happened: muted (True) or unmuted, and how many conversations."""

    muted: bool
    conversations: int

    def sentence(self) -> str:
        n = self.conversations
        what = f"{n} conversation{'s' if n != 1 else ''}"
        if self.muted:
            return f"Muted {what}: new replies are archived and marked read"
        return f"Unmuted {what}"


def toggle_mute(service: SyncService, folder: str, uids: Sequence[int]) -> MuteResult:
    """`X`: unmute when any target's conversation is muted, else mute them all."""
    cache = service.cache()
    if any(muted.is_muted(cache, folder, uid) for uid in uids):
        return set_muted(service, folder, uids, False)
    return set_muted(service, folder, uids, True)


def set_muted(service: SyncService, folder: str, uids: Sequence[int], on: bool) -> MuteResult:
    """Mute (or unmute) the conversations of these messages; MailtuiError when none of
    them is in the cache."""
    if not uids:
        raise MailtuiError("No messages selected")
    cache = service.cache()
    convs: set[str] = set()
    with cache.transaction():
        for uid in uids:
            if on:
                if muted.is_muted(cache, folder, uid) is None and muted.mute(cache, folder, uid):
                    convs.add(muted.is_muted(cache, folder, uid) or "")
            else:
                conv = muted.is_muted(cache, folder, uid)
                if conv is not None:
                    muted.unmute(cache, conv)
                    convs.add(conv)
    if on and not convs and not any(muted.is_muted(cache, folder, u) for u in uids):
        raise MailtuiError(
            f"Nothing to mute: the messages are not in the cache of {folder!r}",
            "sync the folder first (mailtui sync)",
        )
    return MuteResult(on, len(convs))
