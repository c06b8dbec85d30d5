"""Delete, archive and junk on Gmail mean what a Gmail user expects (issue 14), against
the scripted Gmail (tests/support/scripted_imap/gmail.py, from Google's IMAP docs). Each
test asserts what Gmail then holds: a message's labels, whether it is in the Bin (whose
name is localised: "[Gmail]/Bin" here, taken from LIST's \\Trash) or gone for good."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.errors import MailtuiError
from mailtui.sync import commands
from tests.support.accounts import wait_until
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail
from tests.support.scripted_imap.gmail import ALL_MAIL, SPAM, TRASH, GmailStore


def _raw(subject: str) -> bytes:
    return (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
        f"\r\nhello\r\n"
    ).encode()


def _account(factory, tmp_path: Path, **account):
    server = gmail.start(factory)
    store: GmailStore = server.store
    store.create("Work")
    store.add_mail(_raw("inboxed"), labels={"\\Inbox", "Work"})
    store.add_mail(_raw("filed"), labels={"Work"})
    store.add_mail(_raw("binned"), labels={"Work"}, place="trash")
    store.add_mail(_raw("spammy"), place="spam")
    ctx = scripted_context(server, tmp_path, account=account or None)
    ctx.service().run(commands.SyncAll(), timeout=60)
    return ctx, store


@pytest.fixture
def account(scripted_imap_factory, tmp_path: Path):
    ctx, store = _account(scripted_imap_factory, tmp_path)
    yield ctx, store
    ctx.close()


def _uid(service, folder: str, subject: str) -> int:
    envs = service.envelopes(folder, service.view(folder))
    return next(u for u, e in envs.items() if e.subject == subject)


def _act(ctx, command) -> None:
    service = ctx.service()
    service.run(command, timeout=30)
    assert service.wait_writer_idle()


def test_archive_in_the_inbox_removes_the_inbox_label_only(account) -> None:
    ctx, store = account
    service = ctx.service()
    _act(ctx, commands.ArchiveMessages(folder="INBOX", uids=(_uid(service, "INBOX", "inboxed"),)))
    mail = store.find("inboxed")
    assert mail.labels == {"Work"} and mail.place == ""  # in All Mail and Work, not in INBOX
    assert service.view("INBOX") == []
    service.run(commands.SyncAll(), timeout=60)
    assert _uid(service, ALL_MAIL, "inboxed") and _uid(service, "Work", "inboxed")


def test_archive_in_a_label_folder_removes_that_label(account) -> None:
    ctx, store = account
    service = ctx.service()
    _act(ctx, commands.ArchiveMessages(folder="Work", uids=(_uid(service, "Work", "filed"),)))
    assert store.find("filed").labels == set()
    assert store.find("filed").place == ""


def test_archive_in_all_mail_is_refused_and_changes_nothing(account) -> None:
    ctx, store = account
    service = ctx.service()
    with pytest.raises(MailtuiError, match="Nothing to archive"):
        service.run(
            commands.ArchiveMessages(folder=ALL_MAIL, uids=(_uid(service, ALL_MAIL, "filed"),)),
            timeout=30,
        )
    assert store.find("filed").labels == {"Work"}


def test_delete_moves_to_the_localised_trash_folder(account) -> None:
    ctx, store = account
    service = ctx.service()
    _act(ctx, commands.DeleteMessages(folder="INBOX", uids=(_uid(service, "INBOX", "inboxed"),)))
    assert store.find("inboxed").place == "trash"
    service.run(commands.SyncFolder(folder=TRASH), timeout=30)
    assert _uid(service, TRASH, "inboxed")


def test_delete_inside_trash_and_spam_deletes_for_good(account) -> None:
    ctx, store = account
    service = ctx.service()
    _act(ctx, commands.DeleteMessages(folder=TRASH, uids=(_uid(service, TRASH, "binned"),)))
    _act(ctx, commands.DeleteMessages(folder=SPAM, uids=(_uid(service, SPAM, "spammy"),)))
    with pytest.raises(KeyError):
        store.find("binned")
    with pytest.raises(KeyError):
        store.find("spammy")
    assert {m.msgid for m in store.mail.values()} == {
        store.find("inboxed").msgid,
        store.find("filed").msgid,
    }


def test_delete_expunge_policy_deletes_for_good_not_just_the_label(
    scripted_imap_factory, tmp_path: Path
) -> None:
    ctx, store = _account(scripted_imap_factory, tmp_path, delete="expunge")
    try:
        service = ctx.service()
        uid = _uid(service, "Work", "filed")
        _act(ctx, commands.DeleteMessages(folder="Work", uids=(uid,)))
        with pytest.raises(KeyError):
            store.find("filed")
    finally:
        ctx.close()


def test_moving_to_spam_files_it_as_spam(account) -> None:
    ctx, store = account
    service = ctx.service()
    uid = _uid(service, "INBOX", "inboxed")
    _act(ctx, commands.MoveMessages(folder="INBOX", uids=(uid,), dest=SPAM))
    assert store.find("inboxed").place == "spam"


def test_undo_of_an_archive_puts_the_inbox_label_back(account) -> None:
    ctx, store = account
    service = ctx.service()
    _act(ctx, commands.ArchiveMessages(folder="INBOX", uids=(_uid(service, "INBOX", "inboxed"),)))
    assert "\\Inbox" not in store.find("inboxed").labels
    service.run(commands.Undo(), timeout=30)
    assert service.wait_writer_idle()
    assert store.find("inboxed").labels == {"\\Inbox", "Work"}
    wait_until(lambda: len(service.view("INBOX")) == 1, what="the message back in INBOX's cache")


def test_archive_in_important_removes_the_important_system_label(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    mail = store.add_mail(_raw("vip"), labels={"\\Inbox", "\\Important"})
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        uid = _uid(service, gmail.IMPORTANT, "vip")
        _act(ctx, commands.ArchiveMessages(folder=gmail.IMPORTANT, uids=(uid,)))
        assert mail.labels == {"\\Inbox"}  # out of Important, still in the inbox
    finally:
        ctx.close()


def test_junk_on_gmail_files_the_message_in_spam_and_back_to_the_inbox(account) -> None:
    """`!` on Gmail: into [Gmail]/Spam (LIST's \\Junk), where Gmail keeps spam; `!` in
    Spam: out of it and into the inbox again (the \\Inbox label back)."""
    ctx, store = account
    service = ctx.service()
    _act(ctx, commands.MarkJunk(folder="INBOX", uids=(_uid(service, "INBOX", "inboxed"),)))
    mail = store.find("inboxed")
    assert mail.place == "spam" and "$Junk" in mail.flags
    service.run(commands.SyncFolder(folder=SPAM), timeout=30)
    _act(ctx, commands.MarkJunk(folder=SPAM, uids=(_uid(service, SPAM, "inboxed"),)))
    assert mail.place == "" and "\\Inbox" in mail.labels
    assert "$NotJunk" in mail.flags and "$Junk" not in mail.flags
    _act(ctx, commands.MarkJunk(folder=SPAM, uids=(_uid(service, SPAM, "spammy"),)))
    assert store.find("spammy").place == "" and "\\Inbox" in store.find("spammy").labels
