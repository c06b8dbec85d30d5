"""The read path against the real Dovecot: cold sync, every resync mode, changes by others."""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest

from mailtui.model import FLAGGED, SEEN, Role
from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import cache_flags, context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser

# Which capabilities to hide to force each resync path.
MODES = {
    "qresync": (),
    "condstore": ("QRESYNC",),
    "plain": ("QRESYNC", "CONDSTORE"),
}


@pytest.fixture(params=list(MODES))
def mode_user(request: pytest.FixtureRequest, dovecot: Dovecot) -> tuple[str, MailUser]:
    return request.param, dovecot.add_user(disable=MODES[request.param])


def _sync(ctx, folder: str = "INBOX"):
    return ctx.service().run(commands.SyncFolder(folder=folder), timeout=60)


def test_cold_sync_caches_every_envelope_newest_batch_first(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(1200, seed=3))
    ctx = context_for(dovecot, mail_user, tmp_path)
    batches: list[events.HeadersSynced] = []
    ctx.service().subscribe(
        lambda e: batches.append(e) if isinstance(e, events.HeadersSynced) else None
    )
    try:
        stats = _sync(ctx)
        client = dovecot.client(mail_user)
        assert_cache_matches_server(ctx, client, ["INBOX"])
        assert stats.mode == "cold" and stats.total == 1200
        # The first batch holds the newest mail, so a list can show it at once.
        assert len(batches) >= 2
        assert max(batches[0].uids) == 1200
        assert min(batches[0].uids) > max(batches[1].uids)
        # Envelopes decoded: every subject the generator wrote is in the cache.
        service = ctx.service()
        subjects = {e.subject for e in service.envelopes("INBOX", service.view("INBOX")).values()}
        expected = {m.subject for m in mailgen.generate(1200, seed=3)}
        assert subjects == expected
    finally:
        ctx.close()


def test_resync_applies_changes_made_by_another_client(
    dovecot: Dovecot, mode_user: tuple[str, MailUser], tmp_path: Path
) -> None:
    mode, user = mode_user
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(300, seed=1))
    ctx = context_for(dovecot, user, tmp_path)
    other = dovecot.client(user)
    try:
        assert _sync(ctx).mode == "cold"
        # Another device flags, unflags, expunges and delivers.
        other.select_folder("INBOX")
        other.add_flags([1, 2, 3], [FLAGGED.encode()])
        other.remove_flags([10, 11], [SEEN.encode()])
        other.add_flags([10, 11], [b"$Work"])
        other.delete_messages([5, 6, 7])
        other.expunge()
        new = mailgen.append_imap(other, "INBOX", mailgen.generate(4, seed=99))
        stats = _sync(ctx)
        # Still selected on a QRESYNC connection, one NOOP carries the news to apply.
        assert stats.mode == ("noop" if mode == "qresync" else mode)
        assert stats.fetched == 4 and stats.vanished == 3
        assert_cache_matches_server(ctx, other, ["INBOX"])
        envs = ctx.service().envelopes("INBOX", new)
        assert sorted(envs) == sorted(new)
        assert "$Work" in ctx.service().envelope("INBOX", 10).keywords
        # Nothing changed since: the resync finds nothing — with CONDSTORE in one STATUS.
        again = _sync(ctx)
        assert (again.fetched, again.changed, again.vanished) == (0, 0, 0)
        assert again.mode == ("plain" if mode == "plain" else "status")
    finally:
        other.logout()
        ctx.close()


def test_resync_on_a_new_connection_costs_what_changed(
    dovecot: Dovecot, mode_user: tuple[str, MailUser], tmp_path: Path
) -> None:
    """A later run (new process, new connection) resyncs through SELECT: QRESYNC's
    VANISHED (EARLIER), CONDSTORE's CHANGEDSINCE, or the plain diff."""
    mode, user = mode_user
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(200, seed=3))
    ctx = context_for(dovecot, user, tmp_path)
    assert _sync(ctx).mode == "cold"
    ctx.close()
    other = dovecot.client(user)
    try:
        other.select_folder("INBOX")
        other.add_flags([20, 21], [FLAGGED.encode()])
        other.delete_messages([30])
        other.expunge()
        new = mailgen.append_imap(other, "INBOX", mailgen.generate(2, seed=98))
        ctx = context_for(dovecot, user, tmp_path)
        stats = _sync(ctx)
        assert stats.mode == mode
        assert (stats.fetched, stats.vanished) == (2, 1)
        assert_cache_matches_server(ctx, other, ["INBOX"])
        assert sorted(ctx.service().envelopes("INBOX", new)) == sorted(new)
    finally:
        other.logout()
        ctx.close()


def test_resync_reports_deltas_as_events(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(20, seed=2))
    ctx = context_for(dovecot, mail_user, tmp_path)
    other = dovecot.client(mail_user)
    seen: list[events.Event] = []
    try:
        _sync(ctx)
        ctx.service().subscribe(seen.append)
        other.select_folder("INBOX")
        other.add_flags([4], [FLAGGED.encode()])
        other.delete_messages([2])
        other.expunge()
        _sync(ctx)
        kinds = {type(e): e for e in seen}
        assert kinds[events.FlagsChanged].uids == (4,)
        assert kinds[events.MessagesVanished].uids == (2,)
    finally:
        other.logout()
        ctx.close()


def _settled_server_flags(dovecot: Dovecot, user: MailUser, folder: str) -> dict:
    """Dovecot can trip over its own index of a folder deleted and recreated while
    another session had it open (its log: "indexid changed"), answering SERVERBUG
    until it has rebuilt the index: ask on fresh connections until it answers."""
    answer: dict = {}

    def ask() -> bool:
        client = dovecot.client(user)
        try:
            answer.update(server_flags(client, folder))
            return True
        except imaplib.IMAP4.error as exc:
            if "SERVERBUG" not in str(exc):
                raise
            return False
        finally:
            client.logout()

    wait_until(ask, 15, f"Dovecot to answer for {folder}")
    return answer


def test_uidvalidity_change_drops_the_folder_and_resyncs(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    other = dovecot.client(mail_user)
    other.create_folder("Work")
    mailgen.append_imap(other, "Work", mailgen.generate(5, seed=4))
    ctx = context_for(dovecot, mail_user, tmp_path)
    try:
        ctx.service().run(commands.SyncAll())
        old_validity = ctx.service().folder_state("Work").uidvalidity
        assert len(cache_flags(ctx, "Work")) == 5
        # Delete and recreate: same name, new UIDVALIDITY, different messages.
        other.delete_folder("Work")
        other.create_folder("Work")
        uids = mailgen.append_imap(other, "Work", mailgen.generate(2, seed=5))
        assert _sync(ctx, "Work").mode == "cold"
        assert ctx.service().folder_state("Work").uidvalidity != old_validity
        assert cache_flags(ctx, "Work") == _settled_server_flags(dovecot, mail_user, "Work")
        subjects = {e.subject for e in ctx.service().envelopes("Work", uids).values()}
        assert subjects == {m.subject for m in mailgen.generate(2, seed=5)}
    finally:
        other.logout()
        ctx.close()


def test_folder_list_has_roles_counts_and_non_ascii_names(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    counts = mailgen.populate_standard(mail_user, inbox=40)
    ctx = context_for(dovecot, mail_user, tmp_path)
    try:
        folders = {f.name: f for f in ctx.service().run(commands.RefreshFolders())}
        assert {"Entwürfe", "日本語", "Archive/2025", "Projects/Alpha/Specs"} <= set(folders)
        assert folders["INBOX"].role == Role.INBOX
        assert folders["Sent"].role == Role.SENT
        assert folders["Trash"].role == Role.TRASH
        assert folders["Archive"].role == Role.ARCHIVE
        assert folders["Junk"].role == Role.JUNK
        assert folders["Drafts"].role == Role.DRAFTS
        assert folders["INBOX"].total == counts["INBOX"]
        assert folders["日本語"].total == counts["日本語"]
        # Syncing a non-ASCII folder by its decoded name works end to end.
        stats = _sync(ctx, "日本語")
        assert stats.total == counts["日本語"]
        client = dovecot.client(mail_user)
        assert_cache_matches_server(ctx, client, ["日本語"])
        client.logout()
    finally:
        ctx.close()


def test_list_status_fallback_uses_status(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user(disable=("LIST-STATUS", "SPECIAL-USE"))
    counts = mailgen.populate_standard(user, inbox=7)
    ctx = context_for(dovecot, user, tmp_path)
    try:
        folders = {f.name: f for f in ctx.service().run(commands.RefreshFolders())}
        assert folders["INBOX"].total == counts["INBOX"]
        # Without SPECIAL-USE the well-known names still get their roles.
        assert folders["Sent"].role == Role.SENT
        assert folders["Trash"].role == Role.TRASH
    finally:
        ctx.close()


def test_sync_all_puts_inbox_first(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path) -> None:
    mailgen.populate_standard(mail_user, inbox=5)
    ctx = context_for(dovecot, mail_user, tmp_path)
    order: list[str] = []
    ctx.service().subscribe(
        lambda e: order.append(e.folder) if isinstance(e, events.FolderSynced) else None
    )
    try:
        stats = ctx.service().run(commands.SyncAll(), timeout=60)
        assert order[0] == "INBOX"
        assert len(stats) == len({f.name for f in ctx.service().folders() if f.selectable})
    finally:
        ctx.close()


def test_cache_files_are_private(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path) -> None:
    ctx = context_for(dovecot, mail_user, tmp_path / "cache")
    try:
        _sync(ctx)
        db = ctx.service().cache_path
        for path in [db, *db.parent.glob(db.name + "-*")]:
            assert path.stat().st_mode & 0o077 == 0, path
    finally:
        ctx.close()


def test_mail_delivered_straight_into_the_maildir_is_found(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    """Local delivery (an LDA writing files) bypasses IMAP; the cheap STATUS check must see it."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(10, seed=6))
    ctx = context_for(dovecot, mail_user, tmp_path)
    try:
        _sync(ctx)
        delivered = list(mailgen.generate(13, seed=6))[10:]
        mailgen.write_maildir(mail_user.maildir, "INBOX", delivered)
        stats = _sync(ctx)
        assert stats.fetched == 3
        client = dovecot.client(mail_user)
        assert_cache_matches_server(ctx, client, ["INBOX"])
        client.logout()
    finally:
        ctx.close()
