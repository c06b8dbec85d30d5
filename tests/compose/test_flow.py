"""The whole send flow against real servers: aiosmtpd for SMTP, the test Dovecot for
Sent, Drafts and \\Answered — first through a direct imapclient store, then end to end
through the SyncService the app uses."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from mailtui.compose.build import build_message, message_bytes, strip_bcc
from mailtui.compose.draft import AttachmentData, forward_draft, new_draft, reply_draft
from mailtui.compose.flow import MailStore, retry_outbox, save_draft, send_draft, send_raw
from mailtui.compose.outbox import Outbox
from mailtui.compose.send import SmtpUnavailable
from mailtui.config.model import AccountSettings
from mailtui.model import Address, MessageRef
from mailtui.sync import commands
from mailtui.usecase.addressbook import address_book
from mailtui.usecase.reading import original_from_raw
from mailtui.usecase.store import service_store
from tests.support.accounts import context_for, server_flags, settings_for
from tests.support.dovecot import Dovecot, MailUser

ORIGINAL = (
    b"From: =?utf-8?q?Zo=C3=AB_Adams?= <zoe@example.test>\r\n"
    b"To: {me}, Bob <bob@example.test>\r\n"
    b"Cc: carol@example.test\r\n"
    b"Subject: =?utf-8?q?Caf=C3=A9?= plans\r\n"
    b"Message-ID: <orig-1@example.test>\r\n"
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=BB\r\n"
    b"\r\n"
    b"--BB\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Shall we meet at the caf\xc3\xa9?\r\n"
    b"--BB\r\n"
    b"Content-Type: application/octet-stream; name=map.bin\r\n"
    b"Content-Disposition: attachment; filename=map.bin\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAEC/f7/\r\n"
    b"--BB--\r\n"
)


class ImapStore:
    """A MailStore over plain imapclient connections to the test Dovecot."""

    def __init__(self, dovecot: Dovecot, user: MailUser) -> None:
        self.dovecot = dovecot
        self.user = user

    def append(self, folder: str, raw: bytes, flags: frozenset[str]) -> int | None:
        client = self.dovecot.client(self.user)
        try:
            response = client.append(folder, raw, flags=sorted(flags))
        finally:
            client.logout()
        found = re.search(rb"APPENDUID \d+ (\d+)", response)
        return int(found.group(1)) if found else None

    def set_flags(self, folder: str, uids: tuple[int, ...], add: frozenset[str]) -> None:
        client = self.dovecot.client(self.user)
        try:
            client.select_folder(folder)
            client.add_flags(list(uids), sorted(add))
        finally:
            client.logout()

    def discard(self, folder: str, uids: tuple[int, ...]) -> None:
        client = self.dovecot.client(self.user)
        try:
            client.select_folder(folder)
            client.delete_messages(list(uids))
            client.uid_expunge(list(uids))
        finally:
            client.logout()

    def store(self) -> MailStore:
        return MailStore(
            append=self.append,
            set_flags=self.set_flags,
            discard=self.discard,
            sent_folder="Sent",
            drafts_folder="Drafts",
        )

    def messages(self, folder: str) -> dict[int, tuple[frozenset[str], bytes]]:
        client = self.dovecot.client(self.user)
        try:
            flags = server_flags(client, folder)
            data = client.fetch(list(flags), ["BODY.PEEK[]"]) if flags else {}
            return {uid: (flags[uid], data[uid][b"BODY[]"]) for uid in flags}
        finally:
            client.logout()


def parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.fixture
def imap(dovecot: Dovecot, mail_user: MailUser) -> ImapStore:
    return ImapStore(dovecot, mail_user)


def account_for(
    dovecot: Dovecot, user: MailUser, smtp: dict[str, Any], **extra: Any
) -> AccountSettings:
    settings = settings_for(
        dovecot, user, account={"name": "Mé Myself", "smtp": smtp, "signature": "Me", **extra}
    )
    return settings.account("test")


def put_original(imap: ImapStore, user: MailUser) -> int:
    raw = ORIGINAL.replace(b"{me}", user.address.encode())
    uid = imap.append("INBOX", raw, frozenset())
    assert uid is not None
    return uid


def test_reply_is_sent_copied_to_sent_and_marks_the_original(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore, smtp_server: Any
) -> None:
    server = smtp_server(mode="plain")
    account = account_for(dovecot, mail_user, server.table())
    uid = put_original(imap, mail_user)
    raw_original = imap.messages("INBOX")[uid][1]
    original = original_from_raw(raw_original, ref=MessageRef("INBOX", uid))
    draft = reply_draft(account, original, reply_all=True)
    assert draft.to == (Address("Zoë Adams", "zoe@example.test"),)
    assert draft.cc == (Address("Bob", "bob@example.test"), Address("", "carol@example.test"))
    attachment = AttachmentData("photo.bin", bytes(range(256)) * 50)
    draft = draft.__class__(
        **{
            **draft.__dict__,
            "bcc": (Address("", "me2@example.test"),),
            "attachments": (attachment,),
        }
    )

    report = send_draft(account, draft, store=imap.store())

    assert report.sent and report.ok and report.sent_copy and not report.queued
    (got,) = server.messages
    assert set(got.rcpt_tos) == {
        "zoe@example.test",
        "bob@example.test",
        "carol@example.test",
        "me2@example.test",
    }
    wire = parsed(got.content)
    assert wire["Bcc"] is None
    assert wire["Subject"] == "Re: Café plans"
    assert wire["In-Reply-To"] == "<orig-1@example.test>"
    assert wire["References"] == "<orig-1@example.test>"
    body = next(wire.iter_parts()).get_content()
    assert "Zoë Adams wrote:" in body and "> Shall we meet at the café?" in body
    (att,) = wire.iter_attachments()
    assert att.get_payload(decode=True) == attachment.data

    ((sent_flags, sent_raw),) = imap.messages("Sent").values()
    assert "\\Seen" in sent_flags
    assert parsed(sent_raw)["Bcc"] is not None  # the user's own copy keeps Bcc
    assert strip_bcc(sent_raw).replace(b"\r\n", b"\n") == got.content.replace(b"\r\n", b"\n")
    (sent_att,) = parsed(sent_raw).iter_attachments()
    assert sent_att.get_payload(decode=True) == attachment.data
    assert "\\Answered" in imap.messages("INBOX")[uid][0]
    assert imap.messages("Drafts") == {}
    assert Outbox.for_account(account.name).pending() == []


def test_smtp_down_keeps_the_message_and_a_retry_sends_it(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore, smtp_server: Any
) -> None:
    server = smtp_server(mode="plain", start=False)  # its port is reserved, nothing listens
    account = account_for(dovecot, mail_user, server.table())
    uid = put_original(imap, mail_user)
    original = original_from_raw(imap.messages("INBOX")[uid][1], ref=MessageRef("INBOX", uid))
    draft = reply_draft(account, original)

    report = send_draft(account, draft, store=imap.store())

    assert not report.sent and report.queued and report.draft_saved
    assert isinstance(report.error, SmtpUnavailable)
    assert "kept in the outbox" in report.summary()
    outbox = Outbox.for_account(account.name)
    (entry,) = outbox.pending()
    assert entry.replied == MessageRef("INBOX", uid)
    ((draft_flags, draft_raw),) = imap.messages("Drafts").values()
    assert {"\\Draft", "\\Seen"} <= draft_flags
    assert draft_raw == outbox.raw(entry)
    assert "\\Answered" not in imap.messages("INBOX")[uid][0]
    assert imap.messages("Sent") == {}

    server.start()
    (report,) = retry_outbox(account, store=imap.store())

    assert report.sent and report.ok
    (got,) = server.messages
    assert parsed(got.content)["Message-ID"] == parsed(draft_raw)["Message-ID"]
    assert len(imap.messages("Sent")) == 1
    assert imap.messages("Drafts") == {}  # the stale copy is gone
    assert "\\Answered" in imap.messages("INBOX")[uid][0]
    assert outbox.pending() == []

    # Stopped again: the next message waits, and goes out once the server is back.
    server.stop()
    report = send_draft(
        account, new_draft(account, to=(Address("", "x@example.test"),)), store=imap.store()
    )
    assert not report.sent and len(outbox.pending()) == 1
    server.start()
    assert [r.sent for r in retry_outbox(account, store=imap.store())] == [True]
    assert len(server.messages) == 2 and outbox.pending() == []


def test_server_kept_copy_and_forward_flag(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore, smtp_server: Any
) -> None:
    server = smtp_server(mode="plain")
    account = account_for(dovecot, mail_user, server.table(), sent_copy=False)
    uid = put_original(imap, mail_user)
    raw_original = imap.messages("INBOX")[uid][1]
    original = original_from_raw(raw_original, ref=MessageRef("INBOX", uid))
    draft = forward_draft(account, original, as_attachment=True)
    draft = draft.__class__(**{**draft.__dict__, "to": (Address("", "fwd@example.test"),)})
    report = send_draft(account, draft, store=imap.store())
    assert report.sent and not report.sent_copy
    assert imap.messages("Sent") == {}
    assert "$Forwarded" in imap.messages("INBOX")[uid][0]
    (got,) = server.messages
    assert raw_original.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n") in got.content


def test_save_draft_to_drafts(dovecot: Dovecot, mail_user: MailUser, imap: ImapStore) -> None:
    account = account_for(dovecot, mail_user, {"host": "127.0.0.1", "security": "none"})
    draft = new_draft(account, subject="Half written", body="To be continued")
    uid = save_draft(account, draft, store=imap.store())
    ((flags, raw),) = imap.messages("Drafts").values()
    assert uid in imap.messages("Drafts")
    assert {"\\Draft", "\\Seen"} <= flags
    msg = parsed(raw)
    assert msg["Subject"] == "Half written" and msg["To"] is None
    assert msg.get_content().startswith("To be continued")


def test_mailtui_send_style_raw_message(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore, smtp_server: Any
) -> None:
    server = smtp_server(mode="plain")
    account = account_for(dovecot, mail_user, server.table())
    raw = b"To: a@example.test\nBcc: b@example.test\nSubject: from a script\n\nhello\n"
    report = send_raw(account, raw, store=imap.store())
    assert report.sent
    (got,) = server.messages
    assert got.rcpt_tos == ("a@example.test", "b@example.test")
    assert b"b@example.test" not in got.content
    assert got.content.endswith(b"Subject: from a script\r\n\r\nhello\r\n")
    ((_, sent_raw),) = imap.messages("Sent").values()
    assert parsed(sent_raw)["From"] == f"Mé Myself <{mail_user.address}>"


def test_end_to_end_through_the_sync_service(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore, smtp_server: Any, tmp_path: Path
) -> None:
    """What the app does: the service's journaled APPEND and STORE, and its folder roles."""
    server = smtp_server(mode="plain", start=False)
    uid = put_original(imap, mail_user)
    ctx = context_for(
        dovecot,
        mail_user,
        tmp_path / "cache",
        account={"name": "Mé Myself", "smtp": server.table()},
    )
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        account = ctx.account()
        store = service_store(service, account, timeout=30)
        assert (store.sent_folder, store.drafts_folder) == ("Sent", "Drafts")
        # The whole original, the way the app fetches it: BODY.PEEK[] (section "").
        raw = service.run(
            commands.FetchPart(folder="INBOX", uid=uid, section="", cache=False), timeout=30
        )
        assert raw == imap.messages("INBOX")[uid][1]
        draft = reply_draft(account, original_from_raw(raw, ref=MessageRef("INBOX", uid)))

        report = send_draft(account, draft, store=store)
        assert not report.sent and report.draft_saved
        assert len(imap.messages("Drafts")) == 1

        server.start()
        (report,) = retry_outbox(account, store=store)
        assert report.sent and report.ok
        assert len(server.messages) == 1
        ((flags, sent_raw),) = imap.messages("Sent").values()
        assert "\\Seen" in flags
        assert parsed(sent_raw)["In-Reply-To"] == "<orig-1@example.test>"
        assert "\\Answered" in imap.messages("INBOX")[uid][0]
        assert imap.messages("Drafts") == {}  # moved to Trash by the service
        assert Outbox.for_account(account.name).pending() == []
    finally:
        ctx.close()


def test_built_message_bytes_are_what_dovecot_stores(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore
) -> None:
    account = account_for(dovecot, mail_user, {"host": "127.0.0.1", "security": "none"})
    draft = new_draft(
        account, to=(Address("Ünïcödé", "u@example.test"),), subject="Ωμέγα", body="ç\n"
    )
    raw = message_bytes(build_message(draft, account))
    save_draft(account, raw, store=imap.store())
    ((_, stored),) = imap.messages("Drafts").values()
    assert stored == raw


def test_address_book_from_the_cache(
    dovecot: Dovecot, mail_user: MailUser, imap: ImapStore, tmp_path: Path
) -> None:
    me = mail_user.address
    for to in ("Ann <ann@example.test>", "ann@example.test, Bo <bo@example.test>"):
        raw = f"From: {me}\r\nTo: {to}\r\nCc: {me}\r\nSubject: s\r\n\r\nx\r\n".encode()
        imap.append("Sent", raw, frozenset({"\\Seen"}))
    for sender in ("=?utf-8?q?Zo=C3=AB?= <zoe@example.test>", "bo@example.test"):
        imap.append("INBOX", f"From: {sender}\r\nTo: {me}\r\n\r\nx\r\n".encode(), frozenset())
    ctx = context_for(dovecot, mail_user, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        book = address_book(service, ctx.account())
    finally:
        ctx.close()
    assert [book.match(p) for p in ("a", "b", "z", mail_user.name)] == [
        Address("Ann", "ann@example.test"),
        Address("Bo", "bo@example.test"),
        Address("Zoë", "zoe@example.test"),
        None,
    ]
    # Written to twice beats written to once plus a message received, beats received.
    assert [a.addr for a in book.addresses] == [
        "ann@example.test",
        "bo@example.test",
        "zoe@example.test",
    ]
