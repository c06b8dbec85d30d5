"""Live counts for every folder on one connection (issue 19 item 4).

With NOTIFY (RFC 5465, offered by the suite's Dovecot with mailbox_list_index) the
first watcher hears of every subscribed folder and INBOX: another client's delivery,
flag change and expunge in a folder nobody has open reach the listeners, and the
account holds one watching connection. With NOTIFY hidden (Dovecot's per-user
imap_capability) the watchers fall back to IDLE on INBOX and the open folder plus the
periodic folder poll.
"""

from __future__ import annotations

import select
import threading
from pathlib import Path

from mailtui.config.credentials import Secret
from mailtui.imap.session import ImapSession
from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import context_for, settings_for, wait_until
from tests.support.dovecot import Dovecot, MailUser


class Recorder:
    """The service's events, collected from its threads."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: events.Event) -> None:
        with self.lock:
            self.events.append(event)

    def uids(self, kind: type, folder: str) -> set[int]:
        with self.lock:
            return {
                u
                for e in self.events
                if isinstance(e, kind) and getattr(e, "folder", None) == folder
                for u in e.uids
            }


def imap_sessions(dovecot: Dovecot, user: MailUser) -> int:
    """The user's IMAP connections the server counts (`doveadm who`)."""
    out = dovecot.doveadm("who", "-1", user.name, check=False).stdout
    return sum(1 for line in out.splitlines() if line.split()[:1] == [user.name])


def server_counts(client: object, folder: str) -> tuple[int, int]:
    """(messages, unseen) as the server holds them."""
    st = client.folder_status(folder, [b"MESSAGES", b"UNSEEN"])  # type: ignore[attr-defined]
    return st[b"MESSAGES"], st[b"UNSEEN"]


def _mailbox(dovecot: Dovecot, **kwargs: object) -> MailUser:
    user = dovecot.add_user(**kwargs)  # type: ignore[arg-type]
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(2, seed=1))
    mailgen.write_maildir(user.maildir, "Work", mailgen.generate(3, seed=2))
    mailgen.write_maildir(user.maildir, "Lists", mailgen.generate(2, seed=3))
    return user


def test_one_connection_hears_every_subscribed_folder(dovecot: Dovecot, tmp_path: Path) -> None:
    user = _mailbox(dovecot)
    ctx = context_for(dovecot, user, tmp_path)
    service = ctx.service()
    seen = Recorder()
    service.subscribe(seen)
    other = dovecot.client(user)
    try:
        service.run(commands.SyncAll(), timeout=60)
        before = imap_sessions(dovecot, user)
        service.watch("Lists")  # the folder on screen; INBOX and Work are not open
        wait_until(
            lambda: (w := service.watcher("Lists")) is not None and w.everywhere_live,
            what="NOTIFY set on the open folder's watcher",
        )
        wait_until(lambda: service.watcher("INBOX") is None, what="INBOX watcher stopped")
        wait_until(lambda: service.watcher("Lists").ready.is_set(), what="watcher waiting")
        # New mail in a folder that is neither open nor INBOX.
        (uid,) = mailgen.append_imap(other, "Work", mailgen.generate(1, seed=40))
        other.select_folder("Work")
        other.remove_flags([uid], [b"\\Seen"])
        wait_until(lambda: uid in seen.uids(events.NewMail, "Work"), what="new mail in Work")
        wait_until(lambda: service.counts("Work") == server_counts(other, "Work"), what="counts")
        total, unread = service.counts("Work")
        # Another client reads it: the unread count drops without opening Work.
        other.add_flags([uid], [b"\\Seen"])
        wait_until(lambda: service.counts("Work") == (total, unread - 1), what="unread count")
        # And expunges it.
        other.delete_messages([uid])
        other.expunge()
        wait_until(lambda: uid in seen.uids(events.MessagesVanished, "Work"), what="expunge")
        assert service.counts("Work") == (total - 1, unread - 1) == server_counts(other, "Work")
        # INBOX, not subscribed on Dovecot, is heard too.
        (inbox_uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=41))
        wait_until(lambda: inbox_uid in seen.uids(events.NewMail, "INBOX"), what="INBOX mail")
        # One watching connection: the workers' and the watcher's, no more.
        with service._watch_lock:
            assert list(service._watchers) == ["Lists"]
        assert imap_sessions(dovecot, user) - before <= 1
    finally:
        other.logout()
        ctx.close()


def test_without_notify_inbox_and_the_open_folder_idle_and_the_rest_is_polled(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = _mailbox(dovecot, disable={"NOTIFY"})
    ctx = context_for(dovecot, user, tmp_path, account={"poll_interval": 1, "max_connections": 5})
    service = ctx.service()
    seen = Recorder()
    service.subscribe(seen)
    other = dovecot.client(user)
    try:
        service.run(commands.SyncAll(), timeout=60)
        service.watch("Lists")
        for name in ("Lists", "INBOX"):
            wait_until(
                lambda n=name: (w := service.watcher(n)) is not None and w.ready.is_set(),
                what=f"{name} watcher in IDLE",
            )
        assert not service.watcher("Lists").everywhere_live
        (uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=50))
        wait_until(lambda: uid in seen.uids(events.NewMail, "INBOX"), what="INBOX by IDLE")
        # Work has no watcher: the folder poll's STATUS round finds it and resyncs it.
        (uid,) = mailgen.append_imap(other, "Work", mailgen.generate(1, seed=51))
        wait_until(
            lambda: (
                service.counts("Work") == server_counts(other, "Work")
                and uid in service.cache().uids("Work")
            ),
            timeout=15,
            what="Work polled",
        )
    finally:
        other.logout()
        ctx.close()


def test_what_changed_while_the_link_was_down_is_caught_up(
    private_dovecot: Dovecot, tmp_path: Path
) -> None:
    """NOTIFY tells only what happens while it is set: after a reconnect the watcher
    lists the counts once and resyncs the folders that moved (the poll stays off)."""
    user = _mailbox(private_dovecot)
    ctx = context_for(private_dovecot, user, tmp_path)
    service = ctx.service()
    states: list[str] = []
    service.subscribe(
        lambda e: states.append(e.state) if isinstance(e, events.ConnectionChanged) else None
    )
    try:
        service.run(commands.SyncAll(), timeout=60)
        service.watch(None)
        wait_until(
            lambda: (
                (w := service.watcher("INBOX")) is not None
                and w.everywhere_live
                and w.ready.is_set()
            ),
            what="NOTIFY set",
        )
        private_dovecot.stop()
        wait_until(lambda: "offline" in states, what="the link noticed down")
        mailgen.write_maildir(user.maildir, "Work", mailgen.generate(2, seed=77))
        private_dovecot.start()
        other = private_dovecot.client(user)
        try:
            wait_until(
                lambda: service.counts("Work") == server_counts(other, "Work"),
                timeout=30,
                what="Work caught up after the reconnect",
            )
            assert service.counts("Work")[0] == 5
        finally:
            other.logout()
    finally:
        ctx.close()


def _notify_session(dovecot: Dovecot, user: MailUser) -> ImapSession:
    settings = settings_for(dovecot, user)
    session = ImapSession(settings.account().imap, lambda: Secret("password", user.password))
    session.connect()
    session.select("INBOX", readonly=True)
    assert session.watch_folders()
    return session


def _news_waiting(session: ImapSession) -> None:
    """Block (with a deadline) until the server has sent something on the socket."""
    sock = session.imap().socket()
    ready, _, _ = select.select([sock], [], [], 10)
    assert ready, "Dovecot sent no notification"


def test_news_sent_just_before_idle_is_kept_not_a_broken_reply(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """NOTIFY news waiting on the socket when IDLE is sent comes before '+ idling':
    imapclient's idle() raised on it and the watcher reconnected, losing it."""
    user = _mailbox(dovecot)
    session = _notify_session(dovecot, user)
    other = dovecot.client(user)
    try:
        mailgen.append_imap(other, "Work", mailgen.generate(1, seed=60))
        _news_waiting(session)
        assert session.idle_start()
        session.idle_done()
        assert session.connected
        assert "Work" in session.changed_folders()
    finally:
        other.logout()
        session.close()


def test_news_arriving_while_leaving_idle_is_kept(dovecot: Dovecot, tmp_path: Path) -> None:
    """News between the last look and DONE's reply: imapclient's idle_done() returned
    it and it was dropped, so that folder stayed stale until its next change."""
    user = _mailbox(dovecot)
    session = _notify_session(dovecot, user)
    other = dovecot.client(user)
    try:
        assert not session.idle_start()
        mailgen.append_imap(other, "Work", mailgen.generate(1, seed=61))
        _news_waiting(session)
        session.idle_done()  # without reading what waits first
        assert "Work" in session.changed_folders()
    finally:
        other.logout()
        session.close()


def test_opening_another_folder_moves_the_watcher_without_a_new_connection(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = _mailbox(dovecot)
    ctx = context_for(dovecot, user, tmp_path)
    service = ctx.service()
    seen = Recorder()
    service.subscribe(seen)
    other = dovecot.client(user)
    try:
        service.run(commands.SyncAll(), timeout=60)
        service.watch("Lists")
        wait_until(
            lambda: (
                (w := service.watcher("Lists")) is not None
                and w.everywhere_live
                and w.ready.is_set()
            ),
            what="NOTIFY on the Lists watcher",
        )
        watcher = service.watcher("Lists")
        before = imap_sessions(dovecot, user)
        service.watch("Work")  # the user opens Work
        wait_until(
            lambda: service.watcher("Work") is watcher and watcher.session.selected == "Work",
            what="the same watcher on Work",
        )
        assert service.watcher("Lists") is None
        # Work is now the selected folder, Lists one of the others: both stay live.
        (w_uid,) = mailgen.append_imap(other, "Work", mailgen.generate(1, seed=70))
        (l_uid,) = mailgen.append_imap(other, "Lists", mailgen.generate(1, seed=71))
        wait_until(lambda: w_uid in seen.uids(events.NewMail, "Work"), what="Work's mail")
        wait_until(lambda: l_uid in seen.uids(events.NewMail, "Lists"), what="Lists' mail")
        assert imap_sessions(dovecot, user) == before  # no connection opened or closed
        assert watcher.is_alive()
    finally:
        other.logout()
        ctx.close()


def test_a_folder_watched_by_name_is_heard_even_unsubscribed(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """`mailtui watch --folder Hidden`: with one watcher for everything, a folder named
    on the command line must not depend on being subscribed."""
    user = _mailbox(dovecot)
    other = dovecot.client(user)
    other.unsubscribe_folder("Lists")
    ctx = context_for(dovecot, user, tmp_path)
    service = ctx.service()
    seen = Recorder()
    service.subscribe(seen)
    try:
        service.run(commands.SyncAll(), timeout=60)
        service.watch(None, "Lists")
        wait_until(
            lambda: (
                (w := service.watcher("INBOX")) is not None
                and w.everywhere_live
                and w.ready.is_set()
                and service.watcher("Lists") is None
            ),
            what="one watcher, NOTIFY set",
        )
        (uid,) = mailgen.append_imap(other, "Lists", mailgen.generate(1, seed=80))
        wait_until(lambda: uid in seen.uids(events.NewMail, "Lists"), what="unsubscribed Lists")
    finally:
        other.logout()
        ctx.close()
