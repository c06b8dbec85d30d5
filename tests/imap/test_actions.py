"""Triage actions reach the server exactly once, seen from a second, independent connection."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mailtui.model import DELETED, FLAGGED, SEEN
from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import cache_flags, context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser


@pytest.fixture
def account(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path):
    """A synced account with 30 INBOX messages, plus a second client on the same user."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(30, seed=7))
    other = dovecot.client(mail_user)
    other.create_folder("Work")
    ctx = context_for(dovecot, mail_user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    yield ctx, other
    try:
        # Whatever the scenario did, the cache ends equal to the server (after the
        # writer and the resyncs it triggered are done).
        service = ctx.service()
        assert service.wait_writer_idle()
        service.run(commands.SyncAll(), timeout=60)
        assert_cache_matches_server(ctx, other)
    finally:
        other.logout()
        ctx.close()


def _run(ctx, command):
    return ctx.service().run(command, timeout=30)


def _subjects(client, folder: str) -> set[str]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return {v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().strip() for v in data.values()}


def test_flags_and_labels_reach_the_server(account) -> None:
    ctx, other = account
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(1, 2), add=frozenset({FLAGGED, "Work"})))
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(3,), add=frozenset({SEEN})))
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(3,), remove=frozenset({SEEN})))
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(2,), remove=frozenset({"Work"})))
    flags = server_flags(other, "INBOX")
    assert FLAGGED in flags[1] and "Work" in flags[1]
    assert FLAGGED in flags[2] and "Work" not in flags[2]
    assert SEEN not in flags[3]
    assert cache_flags(ctx, "INBOX") == flags


def test_action_is_visible_in_the_cache_before_the_server_answers(account) -> None:
    ctx, _other = account
    service = ctx.service()
    applied = threading.Event()
    cached_then: list[frozenset[str]] = []

    def on_event(event: events.Event) -> None:
        if isinstance(event, events.ActionApplied):
            cached_then.append(service.envelope("INBOX", 5).flags)
            applied.set()

    service.subscribe(on_event)
    service.submit(commands.SetFlags(folder="INBOX", uids=(5,), add=frozenset({FLAGGED})))
    # submit() returns after the local commit: the cache already shows the change.
    assert FLAGGED in service.envelope("INBOX", 5).flags
    assert applied.wait(5) and FLAGGED in cached_then[0]
    assert service.wait_writer_idle()


def test_flagging_many_messages_is_one_store_command(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user(rawlog=True)
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(2000, seed=8, seen_ratio=0.0))
    ctx = context_for(dovecot, user, tmp_path)
    try:
        _run(ctx, commands.SyncFolder(folder="INBOX"))
        uids = tuple(ctx.service().view("INBOX"))
        _run(ctx, commands.SetFlags(folder="INBOX", uids=uids, add=frozenset({SEEN})))
        stores = [c for c in dovecot.commands_sent(user) if c.startswith("UID STORE")]
        assert stores == ["UID STORE 1:2000 +FLAGS (\\Seen)"]
        other = dovecot.client(user)
        assert all(SEEN in f for f in server_flags(other, "INBOX").values())
        other.logout()
    finally:
        ctx.close()


def test_move_copy_archive_and_delete(account) -> None:
    ctx, other = account
    before = _subjects(other, "INBOX")
    _run(ctx, commands.MoveMessages(folder="INBOX", uids=(1, 2), dest="Work"))
    _run(ctx, commands.CopyMessages(folder="INBOX", uids=(3,), dest="Work"))
    _run(ctx, commands.ArchiveMessages(folder="INBOX", uids=(4,)))
    _run(ctx, commands.DeleteMessages(folder="INBOX", uids=(5,)))
    inbox, work = _subjects(other, "INBOX"), _subjects(other, "Work")
    assert len(inbox) == len(before) - 4
    assert len(work) == 3 and work <= before
    assert len(_subjects(other, "Archive")) == 1
    assert len(_subjects(other, "Trash")) == 1
    # The cache agrees without a resync: the moved rows are gone from INBOX.
    assert set(cache_flags(ctx, "INBOX")) == set(server_flags(other, "INBOX"))


def test_move_places_rows_in_the_destination_using_copyuid(account) -> None:
    ctx, _other = account
    _run(ctx, commands.SyncFolder(folder="Work"))
    subject = ctx.service().envelope("INBOX", 6).subject
    result = _run(ctx, commands.MoveMessages(folder="INBOX", uids=(6,), dest="Work"))
    (new_uid,) = result["mapping"].values()
    assert ctx.service().envelope("Work", new_uid).subject == subject


def test_delete_in_trash_expunges_only_those_messages(account) -> None:
    ctx, other = account
    _run(ctx, commands.MoveMessages(folder="INBOX", uids=(1, 2, 3), dest="Trash"))
    _run(ctx, commands.SyncFolder(folder="Trash"))
    trash_uids = sorted(ctx.service().view("Trash"))
    assert len(trash_uids) == 3
    # Another client marked one of them \Deleted without expunging: it must survive us.
    other.select_folder("Trash")
    other.add_flags([trash_uids[0]], [DELETED.encode()])
    _run(ctx, commands.DeleteMessages(folder="Trash", uids=(trash_uids[1],)))
    left = set(server_flags(other, "Trash"))
    assert left == {trash_uids[0], trash_uids[2]}


def test_move_without_the_move_extension(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user(disable=("MOVE",), rawlog=True)
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(5, seed=9))
    ctx = context_for(dovecot, user, tmp_path)
    other = dovecot.client(user)
    try:
        _run(ctx, commands.SyncAll())
        result = _run(ctx, commands.MoveMessages(folder="INBOX", uids=(2, 3), dest="Archive"))
        assert len(result["mapping"]) == 2
        sent = dovecot.commands_sent(user)
        assert not any(c.startswith("UID MOVE") for c in sent)
        assert any(c.startswith("UID COPY 2:3") for c in sent)
        assert any(c.startswith("UID EXPUNGE 2:3") for c in sent)
        assert set(server_flags(other, "INBOX")) == {1, 4, 5}
        assert len(server_flags(other, "Archive")) == 2
    finally:
        other.logout()
        ctx.close()


def test_undo_moves_back_with_the_new_uids_and_restores_flags(account) -> None:
    ctx, other = account
    before = _subjects(other, "INBOX")
    _run(ctx, commands.MoveMessages(folder="INBOX", uids=(7, 8), dest="Work"))
    _run(ctx, commands.Undo())
    assert ctx.service().wait_writer_idle()
    assert _subjects(other, "INBOX") == before
    assert _subjects(other, "Work") == set()
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(9,), add=frozenset({FLAGGED})))
    _run(ctx, commands.Undo())
    assert ctx.service().wait_writer_idle()
    assert FLAGGED not in server_flags(other, "INBOX")[9]


def test_refused_action_is_dropped_reported_and_resynced(account) -> None:
    ctx, other = account
    failures: list[events.ActionFailed] = []
    ctx.service().subscribe(
        lambda e: failures.append(e) if isinstance(e, events.ActionFailed) else None
    )
    other.delete_folder("Work")  # gone on the server; the cache still lists it
    with pytest.raises(Exception, match=r"(?i)work|exist|mailbox"):
        _run(ctx, commands.MoveMessages(folder="INBOX", uids=(10,), dest="Work"))
    assert failures and failures[0].kind == "move"
    # The optimistic removal was undone by the resync: message 10 is back in the list.
    service = ctx.service()
    wait_until(lambda: service.envelope("INBOX", 10) is not None, what="message 10 restored")
    assert service.pending_actions() == 0


def test_folder_create_rename_delete_subscribe(account) -> None:
    ctx, other = account
    _run(ctx, commands.CreateFolder(name="Projects/Zeta"))
    _run(ctx, commands.RenameFolder(old="Projects/Zeta", new="Projects/Omega"))
    _run(ctx, commands.CreateFolder(name="Entwürfe alt"))
    names = {f.name for f in other.list_folders() for f in [type("F", (), {"name": f[2]})]}
    assert "Projects/Omega" in names and "Projects/Zeta" not in names
    assert "Entwürfe alt" in names
    _run(ctx, commands.SubscribeFolder(name="Projects/Omega", subscribed=False))
    assert "Projects/Omega" not in {f[2] for f in other.list_sub_folders()}
    _run(ctx, commands.DeleteFolder(name="Entwürfe alt"))
    assert "Entwürfe alt" not in {f[2] for f in other.list_folders()}
    assert {f.name for f in ctx.service().folders()} >= {"Projects/Omega"}


def test_search_on_the_server_and_in_the_cache(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    other = dovecot.client(mail_user)
    raws = [
        mailgen.make_message(
            subject="Grüße aus München", sender="Jürgen Groß <j@example.de>", body="Straße\n"
        ),
        mailgen.make_message(
            subject="Quarterly report", sender="Alice <alice@example.com>", body="numbers\n"
        ),
        mailgen.make_message(subject="Lunch?", sender="Bob <bob@example.com>", body="Grüße\n"),
    ]
    uids = mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(r) for r in raws])
    other.select_folder("INBOX")
    other.add_flags([uids[1]], [FLAGGED.encode()])
    ctx = context_for(dovecot, mail_user, tmp_path)
    try:
        _run(ctx, commands.SyncFolder(folder="INBOX"))
        assert _run(ctx, commands.Search(folder="INBOX", query="subject:grüße")) == [uids[0]]
        assert _run(ctx, commands.Search(folder="INBOX", query="body:Straße")) == [uids[0]]
        assert _run(ctx, commands.Search(folder="INBOX", query="from:alice flagged")) == [uids[1]]
        assert set(_run(ctx, commands.Search(folder="INBOX", query="Grüße"))) == {uids[0], uids[2]}
        local = _run(ctx, commands.Search(folder="INBOX", query="from:jürgen", local=True))
        assert local == [uids[0]]
        assert _run(ctx, commands.Search(folder="INBOX", query="flagged", local=True)) == [uids[1]]
    finally:
        other.logout()
        ctx.close()


def test_leaving_a_folder_never_expunges_without_unselect(dovecot: Dovecot, tmp_path: Path) -> None:
    """Without UNSELECT, leaving a folder must not CLOSE it read-write (that expunges)."""
    user = dovecot.add_user(disable=("UNSELECT",))
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(3, seed=10))
    other = dovecot.client(user)
    other.select_folder("INBOX")
    other.add_flags([2], [DELETED.encode()])  # another client's pending delete
    ctx = context_for(dovecot, user, tmp_path)
    try:
        _run(ctx, commands.SyncFolder(folder="INBOX"))
        _run(ctx, commands.SyncFolder(folder="INBOX"))  # leaves INBOX to check STATUS
        assert set(server_flags(other, "INBOX")) == {1, 2, 3}
    finally:
        other.logout()
        ctx.close()
