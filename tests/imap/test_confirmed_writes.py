"""Every action reaches the server or says it didn't (issue 11, item 1).

The writer's connection selected a folder earlier; mail then arrives on another
connection and the cache learns it through the watcher. Acting on such a message
used to be answered "OK" by Dovecot while nothing happened ("OK No messages found"
for UID MOVE; a quiet OK for UID STORE) and mailtui recorded it as done. Each test
ends by comparing the cache with what a fresh client reads from the server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server, message_ids
from tests.support.dovecot import Dovecot

ROUNDS = 12


@pytest.fixture
def live_account(dovecot: Dovecot, tmp_path: Path):
    """A synced account watching INBOX, its writer already on INBOX, and another device."""
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(5, seed=7, seen_ratio=0.0))
    other = dovecot.client(user)
    ctx = context_for(dovecot, user, tmp_path)
    service = ctx.service()
    service.run(commands.SyncAll(), timeout=60)
    arrived: list[int] = []
    service.subscribe(
        lambda e: (
            arrived.extend(e.uids)
            if isinstance(e, events.NewMail | events.HeadersSynced) and e.folder == "INBOX"
            else None
        )
    )
    service.watch("INBOX")
    # The writer selects INBOX now, before any of the mail the tests act on exists.
    service.run(commands.SetFlags(folder="INBOX", uids=(1,), add=frozenset({SEEN})), timeout=30)
    yield ctx, other, arrived
    try:
        assert service.wait_writer_idle()
        assert_cache_matches_server(ctx, other)
    finally:
        other.logout()
        ctx.close()


def _deliver(other, arrived: list[int], n: int, seed: int) -> list[int]:
    """Another device appends; wait until this account's cache announced the UIDs."""
    uids = mailgen.append_imap(other, "INBOX", mailgen.generate(n, seed=seed, seen_ratio=0.0))
    wait_until(lambda: set(uids) <= set(arrived), what=f"UIDs {uids} announced")
    return uids


def test_actions_on_mail_that_just_arrived_reach_the_server(live_account) -> None:
    ctx, other, arrived = live_account
    service = ctx.service()
    for i in range(ROUNDS):
        seen_uid, flag_uid, moved_uid, deleted_uid = _deliver(other, arrived, 4, seed=100 + i)
        service.run(
            commands.SetFlags(folder="INBOX", uids=(seen_uid,), add=frozenset({SEEN})), timeout=30
        )
        service.run(
            commands.SetFlags(folder="INBOX", uids=(flag_uid,), add=frozenset({FLAGGED})),
            timeout=30,
        )
        moved = service.run(
            commands.MoveMessages(folder="INBOX", uids=(moved_uid,), dest="Archive"), timeout=30
        )
        service.run(commands.DeleteMessages(folder="INBOX", uids=(deleted_uid,)), timeout=30)
        flags = server_flags(other, "INBOX")
        assert SEEN in flags[seen_uid], f"round {i}: \\Seen never reached UID {seen_uid}"
        assert FLAGGED in flags[flag_uid], f"round {i}: \\Flagged never reached UID {flag_uid}"
        assert moved_uid not in flags and deleted_uid not in flags, f"round {i}: still in INBOX"
        # The move is undoable: the server said where the message went.
        assert set(moved["mapping"]) == {moved_uid}
    assert len(message_ids(other, "Archive")) == ROUNDS
    assert len(message_ids(other, "Trash")) == ROUNDS


def test_undo_of_a_move_of_new_mail_brings_it_back(live_account) -> None:
    ctx, other, arrived = live_account
    service = ctx.service()
    (uid,) = _deliver(other, arrived, 1, seed=300)
    mid = service.envelope("INBOX", uid).message_id
    service.run(commands.MoveMessages(folder="INBOX", uids=(uid,), dest="Archive"), timeout=30)
    service.run(commands.Undo(), timeout=30)
    assert service.wait_writer_idle()
    assert mid in message_ids(other, "INBOX")
    assert mid not in message_ids(other, "Archive")
    service.run(commands.SyncFolder(folder="INBOX"), timeout=30)


def test_search_right_after_new_mail_finds_it(live_account) -> None:
    ctx, other, arrived = live_account
    service = ctx.service()
    for i in range(ROUNDS):
        raw = mailgen.make_message(subject=f"needle{i} report", body="x\n")
        client_uids = mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(raw)])
        wait_until(lambda u=client_uids: set(u) <= set(arrived), what="announced")
        found = service.run(commands.Search(folder="INBOX", query=f"subject:needle{i}"), timeout=30)
        assert found == client_uids, f"round {i}: search found {found}"


def test_an_action_on_a_message_expunged_elsewhere_is_reported_not_claimed(
    live_account,
) -> None:
    ctx, other, arrived = live_account
    service = ctx.service()
    (uid,) = _deliver(other, arrived, 1, seed=400)
    # Another device removes it before our action reaches the server.
    other.select_folder("INBOX")
    other.add_flags([uid], [b"\\Deleted"])
    other.uid_expunge([uid])
    failures: list[events.ActionFailed] = []
    service.subscribe(lambda e: failures.append(e) if isinstance(e, events.ActionFailed) else None)
    service.run(
        commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({FLAGGED})), timeout=30
    )
    assert failures and "already gone" in failures[0].message
    # The resync that follows drops it from the cache: the screen shows what the server has.
    wait_until(lambda: service.envelope("INBOX", uid) is None, what="the row dropped")
