"""Muted conversations stay quiet: a listener on the service's events that archives and
marks read each new reply to a muted conversation (cache/muted.py) arriving in INBOX.

Both are ordinary journaled actions submitted to the service (SetFlags \\Seen, then
ArchiveMessages: on Gmail removing the \\Inbox label), so they are confirmed by the
server like every write and survive a crash; they are not the user's own, so `u` does
not undo them. It runs wherever the service runs: the app, `mailtui sync`, `watch`.
"""

from __future__ import annotations

import logging
from typing import Protocol

from mailtui.cache import muted
from mailtui.cache.store import HeaderCache
from mailtui.errors import MailtuiError
from mailtui.model import SEEN, Role
from mailtui.sync import commands as cmd
from mailtui.sync import events

log = logging.getLogger("mailtui.sync")


class _Service(Protocol):
    def cache(self) -> HeaderCache: ...

    def submit(self, command: cmd.Command) -> int: ...


class Muter:
    """Subscribed by the service to its own events (see SyncService.__init__)."""

    def __init__(self, service: _Service) -> None:
        self.service = service

    def listen(self, event: events.Event) -> None:
        if not isinstance(event, events.HeadersSynced | events.NewMail) or not event.uids:
            return
        cache = self.service.cache()
        info = cache.folder(event.folder)
        if event.folder.upper() != "INBOX" and (info is None or info.role != Role.INBOX):
            return
        with cache.transaction():
            uids = tuple(muted.new_replies(cache, event.folder, event.uids))
        if not uids:
            return
        log.info("%s: %d new repl(ies) to muted conversations archived", event.folder, len(uids))
        try:
            self.service.submit(
                cmd.SetFlags(folder=event.folder, uids=uids, add=frozenset({SEEN}), undoable=False)
            )
            self.service.submit(cmd.ArchiveMessages(folder=event.folder, uids=uids, undoable=False))
        except MailtuiError as exc:  # no archive folder: read, but left in INBOX
            log.info("muted replies not archived: %s", exc)
