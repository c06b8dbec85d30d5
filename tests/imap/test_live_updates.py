"""Live updates over every transport, from the first second (issue 11, item 2).

Over plain IMAP on loopback (security = "none": DavMail, local bridges) the watcher
used to read its non-blocking socket, get b'' and call it EOF: it reconnected every
second forever and never delivered news. Mail delivered while the first syncs ran
reached listeners late or not at all.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import context_for, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot


class Recorder:
    """Collects the service's events from its threads."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: events.Event) -> None:
        with self.lock:
            self.events.append((time.monotonic(), event))

    def new_uids(self, folder: str = "INBOX") -> set[int]:
        with self.lock:
            return {
                u
                for _, e in self.events
                if isinstance(e, events.NewMail | events.HeadersSynced) and e.folder == folder
                for u in e.uids
            }

    def logins_lost(self) -> list[str]:
        with self.lock:
            return [
                e.detail
                for _, e in self.events
                if isinstance(e, events.ConnectionChanged) and e.state == "offline"
            ]


def appends_arrive_live(
    dovecot: Dovecot, tmp_path: Path, security: str, count: int = 3, timeout: float = 5
) -> None:
    """Another client appends `count` messages to INBOX; each must reach the watching
    service's listeners within `timeout`, with no lost login, and the cache then equal
    the server."""
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(3, seed=1))
    ctx = context_for(dovecot, user, tmp_path, imap={"security": security})
    service = ctx.service()
    seen = Recorder()
    service.subscribe(seen)
    other = dovecot.client(user)
    try:
        service.run(commands.SyncAll(), timeout=60)
        service.watch("INBOX")
        wait_until(lambda: service.watcher("INBOX").ready.is_set(), what="watcher in IDLE")
        for i in range(count):
            (uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=50 + i))
            wait_until(lambda u=uid: u in seen.new_uids(), timeout=timeout, what=f"UID {uid} live")
        assert seen.logins_lost() == []
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_another_clients_append_arrives_live_on_every_transport(
    dovecot: Dovecot, tmp_path: Path, security: str
) -> None:
    appends_arrive_live(dovecot, tmp_path, security)


def test_mail_delivered_during_the_first_syncs_arrives_within_two_seconds(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """Start-up included: the INBOX watcher is serviced while other folders sync."""
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(50, seed=2))
    for i, name in enumerate(("Lists/a", "Lists/b", "Projects")):
        mailgen.write_maildir(user.maildir, name, mailgen.generate(1500, seed=i))
    ctx = context_for(dovecot, user, tmp_path, imap={"security": "none"})
    service = ctx.service()
    seen = Recorder()
    service.subscribe(seen)
    other = dovecot.client(user)
    try:
        # What the app does at start: sync everything in the background, watch INBOX.
        service.submit(commands.SyncAll())
        service.watch("INBOX")
        wait_until(lambda: "INBOX" in {getattr(e, "folder", "") for _, e in seen.events})
        latencies = []
        assert not service.cache().folder_state("Projects").synced, "start-up was over"
        for i in range(3):
            start = time.monotonic()
            (uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=70 + i))
            wait_until(lambda u=uid: u in seen.new_uids(), timeout=10, what=f"UID {uid}")
            latencies.append(time.monotonic() - start)
        assert max(latencies) < 2.0, latencies
    finally:
        other.logout()
        ctx.close()
