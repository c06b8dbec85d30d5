"""On Gmail a conversation is what Gmail says (X-GM-THRID, cached as thread_key), even
without linking headers; a message under several labels is shown once."""

from __future__ import annotations

from pathlib import Path

from mailtui.sync import commands
from mailtui.usecase.conversation import find_conversation
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail
from tests.support.scripted_imap.gmail import ALL_MAIL, GmailStore


def _raw(subject: str, day: int) -> bytes:
    return (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\n"
        f"Date: Mon, {day} Mar 2026 10:00:00 +0000\r\n\r\nhello\r\n"
    ).encode()


def test_gmail_thread_id_joins_the_conversation_across_labels(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.create("Work")
    plan = store.add_mail(_raw("plan", 2), labels={"\\Inbox", "Work"})
    # Same Gmail conversation, no header linking it, archived (Work and All Mail only).
    store.add_mail(_raw("budget", 3), labels={"Work"}, thread_of=plan)
    store.add_mail(_raw("other", 4), labels={"\\Inbox"})
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        (plan_uid,) = [
            e.uid
            for e in service.envelopes("INBOX", service.view("INBOX")).values()
            if e.subject == "plan"
        ]
        messages = find_conversation(service, "INBOX", plan_uid)
        assert [m.envelope.subject for m in messages] == ["plan", "budget"]
        assert messages[0].folder == "INBOX"
        assert set(messages[0].also_in) == {"Work", ALL_MAIL}
        assert messages[1].folder == "Work"  # a label before All Mail
        assert messages[1].also_in == (ALL_MAIL,)
    finally:
        ctx.close()
