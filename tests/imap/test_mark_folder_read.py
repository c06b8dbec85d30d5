"""Mark a folder read (sync/ops/mark_read.py): one new operation module, nothing else changed.

The proof of the "add an operation" recipe: the command is applied to the cache at
once, reaches the server as one confirmed flag change, survives a crash like any
journaled action, and Undo makes exactly those messages unread again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.errors import MailtuiError
from mailtui.model import SEEN
from mailtui.sync import commands
from mailtui.sync.actionlog import ActionLog, Policy
from tests.support import mailgen
from tests.support.accounts import cache_flags, context_for, server_flags
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser


@pytest.fixture
def account(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path):
    """A synced INBOX of 12 messages, some read, and a second client on the same user."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(12, seed=41, seen_ratio=0.5))
    other = dovecot.client(mail_user)
    ctx = context_for(dovecot, mail_user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    try:
        yield ctx, other
    finally:
        other.logout()
        ctx.close()


def _unread(flags: dict[int, frozenset[str]]) -> set[int]:
    return {uid for uid, f in flags.items() if SEEN not in f}


def test_mark_folder_read_reaches_the_server_and_undo_restores_it(account) -> None:
    ctx, other = account
    service = ctx.service()
    unread_before = _unread(server_flags(other, "INBOX"))
    assert unread_before and len(unread_before) < 12, "the mailbox needs read and unread mail"

    service.submit(commands.MarkFolderRead(folder="INBOX"))
    # Applied to the cache before submit() returns.
    assert not _unread(cache_flags(ctx, "INBOX"))
    assert service.wait_writer_idle()
    assert not _unread(server_flags(other, "INBOX"))

    assert service.run(commands.Undo(), timeout=30) == "reversed"
    assert service.wait_writer_idle()
    assert _unread(server_flags(other, "INBOX")) == unread_before
    assert _unread(cache_flags(ctx, "INBOX")) == unread_before
    assert_cache_matches_server(ctx, other, ["INBOX"])


def test_mark_folder_read_is_refused_when_nothing_is_unread(account) -> None:
    ctx, _other = account
    service = ctx.service()
    service.run(commands.MarkFolderRead(folder="INBOX"), timeout=30)
    with pytest.raises(MailtuiError, match="read already"):
        service.run(commands.MarkFolderRead(folder="INBOX"), timeout=30)
    with pytest.raises(MailtuiError, match="no folder named"):
        service.run(commands.MarkFolderRead(folder="Nowhere"), timeout=30)
    assert service.pending_actions() == 0


def test_mark_folder_read_journaled_before_a_crash_is_sent_by_the_next_run(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    """Applied, journaled and marked 'sending' by a run that died mid-send: the next
    run replays it (the STORE is by UID, so sending it again is harmless)."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(6, seed=42, seen_ratio=0.0))
    other = dovecot.client(mail_user)
    ctx = context_for(dovecot, mail_user, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        service.stop()
        # As the service's submit() would, in a process that died before its writer ran.
        cache = service.open_cache()
        try:
            applied = ActionLog(Policy()).apply(cache, commands.MarkFolderRead(folder="INBOX"))
            with cache.transaction():
                cache.journal_update(applied.journal_id, state="sending", attempt=True)
        finally:
            cache.close()
        assert _unread(server_flags(other, "INBOX")) == set(applied.uids)
        service.start()
        assert service.wait_writer_idle()
        assert not _unread(server_flags(other, "INBOX"))
    finally:
        other.logout()
        ctx.close()
