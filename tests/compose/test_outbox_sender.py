"""OutboxSender (mailtui.usecase.sending): when the outbox is tried again, and that a message
goes out once — against aiosmtpd and a Dovecot the test stops and starts.

The clock is a list the test advances, so pauses are checked without sleeping.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailtui.compose.draft import Draft
from mailtui.compose.flow import send_draft
from mailtui.compose.send import SmtpRejected, SmtpUnavailable
from mailtui.errors import MailtuiError
from mailtui.model import Address, MessageRef
from mailtui.sync import commands
from mailtui.usecase.sending import OutboxSender
from mailtui.usecase.store import find_message, service_store, with_replied
from tests.support import mailgen
from tests.support.accounts import context_for, server_flags
from tests.support.dovecot import Dovecot, MailUser


def standard_folders(user: MailUser) -> None:
    for folder in ("INBOX", "Sent", "Drafts", "Trash"):
        mailgen.write_maildir(user.maildir, folder, [])


@contextlib.contextmanager
def synced(dovecot: Dovecot, user: MailUser, tmp_path: Path, smtp: Any) -> Iterator[Any]:
    """(account, service) as the app has them: standard folders, synced, SMTP `smtp`."""
    standard_folders(user)
    ctx = context_for(dovecot, user, tmp_path / "cache", account={"smtp": smtp.table()})
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        yield ctx.account(), service
    finally:
        ctx.close()


def draft_for(account: Any, subject: str, to: str = "carol@example.com") -> Draft:
    return Draft(from_=account.address, to=(Address("", to),), subject=subject, body="Hi\n")


def test_retries_back_off_and_start_again_when_the_account_is_back_online(
    private_dovecot: Dovecot, smtp_server: Any, tmp_path: Path
) -> None:
    smtp = smtp_server(mode="plain", start=False)
    now = [1000.0]
    with synced(private_dovecot, private_dovecot.add_user(), tmp_path, smtp) as (account, service):
        sender = OutboxSender(account, service, first=10, longest=30, clock=lambda: now[0])
        stop = sender.attach()
        report = send_draft(
            account, draft_for(account, "Queued"), store=service_store(service, account)
        )
        assert not report.sent and sender.count() == 1
        assert sender.due()  # the app's first look, at start

        (failed,) = sender.retry(automatic=True)
        assert isinstance(failed.error, SmtpUnavailable)
        now[0] += 9.9
        assert not sender.due()
        now[0] += 0.1
        assert sender.due()  # 10 s after the first failure
        sender.retry(automatic=True)
        now[0] += 19.9
        assert not sender.due()
        now[0] += 0.1
        assert sender.due()  # 20 s after the second
        sender.retry(automatic=True)
        sender.retry(automatic=True)
        now[0] += 29.9
        assert not sender.due()  # never more than `longest`
        now[0] += 0.1
        assert sender.due()
        sender.retry(automatic=True)
        assert not sender.due()

        # The IMAP account drops and comes back: the outbox is due again at once.
        private_dovecot.stop()
        with pytest.raises(MailtuiError):
            service.run(commands.RefreshFolders(), timeout=30)
        assert service.online is False
        assert not sender.due()
        private_dovecot.start()
        service.run(commands.RefreshFolders(), timeout=30)
        assert service.online is True
        assert sender.due()

        smtp.start()
        (sent,) = sender.retry(automatic=True)
        assert sent.sent and sender.count() == 0
        assert len(smtp.messages) == 1
        assert not sender.due()  # an empty outbox is looked at now and then only
        stop()


def test_a_message_the_server_refuses_waits_for_the_user(
    dovecot: Dovecot, smtp_server: Any, tmp_path: Path
) -> None:
    smtp = smtp_server(mode="plain", reject={"nobody@example.com"})
    with synced(dovecot, dovecot.add_user(), tmp_path, smtp) as (account, service):
        sender = OutboxSender(account, service)
        store = service_store(service, account)
        refused = send_draft(account, draft_for(account, "Typo", "nobody@example.com"), store=store)
        assert isinstance(refused.error, SmtpRejected) and refused.queued
        sender.note([refused])
        # Automatic retries leave it alone: the same 550 would come back.
        assert sender.retry(automatic=True) == []
        (entry,) = sender.entries()
        assert entry.attempts == 1
        # The user's "retry now" tries it anyway.
        (again,) = sender.retry()
        assert isinstance(again.error, SmtpRejected)
        assert sender.entries()[0].attempts == 2
        assert smtp.messages == []


def test_two_senders_at_once_send_each_message_once(
    dovecot: Dovecot, smtp_server: Any, tmp_path: Path
) -> None:
    """The app's retry and `mailtui outbox --retry` racing over the same outbox."""
    smtp = smtp_server(mode="plain", start=False)
    with synced(dovecot, dovecot.add_user(), tmp_path, smtp) as (account, service):
        store = service_store(service, account)
        for n in range(6):
            send_draft(account, draft_for(account, f"Message {n}"), store=store)
        smtp.start()
        senders = [OutboxSender(account, service) for _ in range(3)]
        start = threading.Barrier(len(senders))
        reports: list[Any] = []

        def run(sender: OutboxSender) -> None:
            start.wait()
            reports.extend(sender.retry())

        threads = [threading.Thread(target=run, args=(s,)) for s in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for sender in senders:  # whatever one skipped while another held it
            reports.extend(sender.retry())
        subjects = sorted(
            line for m in smtp.messages for line in m.content.split(b"\r\n") if b"Subject:" in line
        )
        assert subjects == [f"Subject: Message {n}".encode() for n in range(6)]
        assert senders[0].count() == 0
        assert sum(r.sent for r in reports) == 6


def test_the_replied_message_is_found_by_its_message_id(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    original = mailgen.make_message(subject="Question", message_id="<q-1@example.org>")
    copy = mailgen.from_bytes(original)
    for folder in ("Trash", "Drafts", "INBOX"):
        mailgen.write_maildir(user.maildir, folder, [copy])
    mailgen.write_maildir(user.maildir, "Sent", [])
    ctx = context_for(dovecot, user, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        assert find_message(service, "q-1@example.org") == MessageRef("INBOX", 1)
        assert find_message(service, "nowhere@example.org") is None
        draft = Draft(from_=Address("", "me@example.test"), in_reply_to="q-1@example.org")
        assert with_replied(service, draft).replied == MessageRef("INBOX", 1)
        known = MessageRef("Trash", 1)
        assert with_replied(service, Draft(from_=draft.from_, replied=known)).replied == known
        client = dovecot.client(user)
        assert server_flags(client, "INBOX")[1] == frozenset()  # looking flags nothing
        client.logout()
    finally:
        ctx.close()
