"""The outbox and the send flow (mailtui.compose.outbox / flow) with fake SMTP and IMAP."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mailtui.compose.build import message_bytes
from mailtui.compose.draft import Draft, DraftError
from mailtui.compose.flow import (
    FORWARDED,
    MailStore,
    deliver,
    resolve_folder,
    retry_outbox,
    save_draft,
    send_draft,
    send_raw,
)
from mailtui.compose.outbox import Outbox
from mailtui.compose.send import SendResult, SmtpRejected, SmtpUnavailable
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.errors import MailtuiError
from mailtui.model import ANSWERED, DRAFT, SEEN, Address, Folder, MessageRef, Role

RAW = (
    b"From: me@example.com\r\nTo: a@x.example\r\nSubject: hi\r\nMessage-ID: <id1@x>\r\n\r\nbody\r\n"
)


def account(**extra: object) -> AccountSettings:
    table: dict[str, object] = {
        "email": "me@example.com",
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
        "smtp": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
    }
    table.update(extra)
    return make_settings({"w": table}).account("w")


@dataclass
class FakeStore:
    """Records what the flow asks of IMAP; can be told to fail."""

    appended: list[tuple[str, bytes, frozenset[str]]] = field(default_factory=list)
    flagged: list[tuple[str, tuple[int, ...], frozenset[str]]] = field(default_factory=list)
    discarded: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    fail_append: set[str] = field(default_factory=set)
    next_uid: int = 100

    def append(self, folder: str, raw: bytes, flags: frozenset[str]) -> int:
        if folder in self.fail_append:
            raise MailtuiError(f"{folder} is offline")
        self.appended.append((folder, raw, flags))
        self.next_uid += 1
        return self.next_uid

    def set_flags(self, folder: str, uids: tuple[int, ...], add: frozenset[str]) -> None:
        self.flagged.append((folder, uids, add))

    def discard(self, folder: str, uids: tuple[int, ...]) -> None:
        self.discarded.append((folder, uids))

    def store(self, **kw: object) -> MailStore:
        return MailStore(
            append=self.append,
            set_flags=self.set_flags,
            discard=self.discard,
            sent_folder="Sent",
            drafts_folder="Drafts",
            **kw,  # type: ignore[arg-type]
        )


@dataclass
class FakeSmtp:
    down: bool = False
    reject: bool = False
    sent: list[bytes] = field(default_factory=list)

    def __call__(self, account: AccountSettings, raw: bytes) -> SendResult:
        if self.down:
            raise SmtpUnavailable("Cannot reach the SMTP server 127.0.0.1:2525: refused")
        if self.reject:
            raise SmtpRejected("The SMTP server refused every recipient", code=550)
        self.sent.append(raw)
        return SendResult(message_id="id1@x", sender="me@example.com", recipients=("a@x.example",))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- outbox -----------------------------------------------------------------------------


def test_outbox_files_are_private_and_atomic(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox" / "w")
    entry = box.enqueue(RAW, replied=MessageRef("INBOX", 5))
    assert mode(box.directory) == 0o700
    files = sorted(p.name for p in box.directory.iterdir())
    assert files == [f"{entry.id}.eml", f"{entry.id}.json"]  # no temp files left behind
    for p in box.directory.iterdir():
        assert mode(p) == 0o600
    assert box.raw(entry) == RAW
    (got,) = box.pending()
    assert got == entry
    assert (got.message_id, got.subject, got.replied) == ("id1@x", "hi", MessageRef("INBOX", 5))
    failed = box.record_failure(got, "down")
    assert box.get(entry.id) == failed
    assert (failed.attempts, failed.last_error) == (1, "down")
    box.remove(failed)
    assert box.pending() == []
    assert list(box.directory.iterdir()) == []


def test_outbox_orders_and_survives_damaged_metadata(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    first = box.enqueue(RAW)
    second = box.enqueue(RAW.replace(b"hi", b"second"))
    (tmp_path / f"{first.id}.json").write_text("{not json")
    assert [e.id for e in box.pending()] == [first.id, second.id]
    assert box.pending()[0].subject == "hi"  # read back from the message itself
    (tmp_path / f"{second.id}.json").unlink()
    assert box.count() == 2


def test_outbox_for_account_lives_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    box = Outbox.for_account("my account")
    assert box.directory.parent == tmp_path / "mailtui" / "outbox"
    assert box.directory.name != "my account"  # made file-name safe
    box.enqueue(RAW)
    assert mode(tmp_path / "mailtui" / "outbox") == 0o700


def test_claim_is_exclusive(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    entry = box.enqueue(RAW)
    with box.claim(entry) as held:
        assert held == entry
        with box.claim(entry) as again:
            assert again is None
    box.remove(entry)
    with box.claim(entry) as gone:
        assert gone is None


# --- flow --------------------------------------------------------------------------------


def test_deliver_sends_copies_flags_and_empties_the_outbox(tmp_path: Path) -> None:
    box, fake, smtp = Outbox(tmp_path), FakeStore(), FakeSmtp()
    report = deliver(
        account(),
        RAW,
        store=fake.store(),
        replied=MessageRef("INBOX", 7),
        forwarded=MessageRef("Archive", 9),
        outbox=box,
        send=smtp,
    )
    assert report.sent and report.ok and report.sent_copy and not report.queued
    assert report.summary() == "Sent."
    assert smtp.sent == [RAW]
    assert fake.appended == [("Sent", RAW, frozenset({SEEN}))]
    assert fake.flagged == [
        ("INBOX", (7,), frozenset({ANSWERED})),
        ("Archive", (9,), frozenset({FORWARDED})),
    ]
    assert box.pending() == []


def test_no_sent_copy_when_the_server_keeps_one(tmp_path: Path) -> None:
    fake = FakeStore()
    report = deliver(
        account(sent_copy=False), RAW, store=fake.store(), outbox=Outbox(tmp_path), send=FakeSmtp()
    )
    assert report.sent and not report.sent_copy
    assert fake.appended == []


def test_failed_send_keeps_the_message_and_puts_it_in_drafts(tmp_path: Path) -> None:
    box, fake, smtp = Outbox(tmp_path), FakeStore(), FakeSmtp(down=True)
    store = fake.store()
    report = deliver(
        account(), RAW, store=store, replied=MessageRef("INBOX", 7), outbox=box, send=smtp
    )
    assert not report.sent and report.queued and report.draft_saved
    assert isinstance(report.error, SmtpUnavailable)
    assert report.summary().startswith("Not sent: Cannot reach the SMTP server")
    assert "kept in the outbox and a copy is in Drafts" in report.summary()
    assert fake.appended == [("Drafts", RAW, frozenset({DRAFT, SEEN}))]
    assert fake.flagged == []
    (entry,) = box.pending()
    assert entry.state == "queued" and entry.attempts == 1
    assert entry.draft_copy == MessageRef("Drafts", 101)
    assert "Cannot reach" in entry.last_error

    # Still down: no second Drafts copy.
    retry_outbox(account(), store=store, outbox=box, send=smtp)
    assert len(fake.appended) == 1
    assert box.pending()[0].attempts == 2

    # Back up: sent once, Sent copy, \Answered, the stale draft removed.
    smtp.down = False
    (report,) = retry_outbox(account(), store=store, outbox=box, send=smtp)
    assert report.sent and report.ok
    assert smtp.sent == [RAW]
    assert fake.appended[-1] == ("Sent", RAW, frozenset({SEEN}))
    assert fake.flagged == [("INBOX", (7,), frozenset({ANSWERED}))]
    assert fake.discarded == [("Drafts", (101,))]
    assert box.pending() == []


def test_a_failed_sent_copy_is_retried_without_sending_again(tmp_path: Path) -> None:
    box, fake, smtp = Outbox(tmp_path), FakeStore(fail_append={"Sent"}), FakeSmtp()
    report = deliver(account(), RAW, store=fake.store(), outbox=box, send=smtp)
    assert report.sent and report.queued and not report.ok
    assert "The copy to Sent failed" in report.summary()
    (entry,) = box.pending()
    assert entry.state == "sent"
    fake.fail_append.clear()
    (report,) = retry_outbox(account(), store=fake.store(), outbox=box, send=smtp)
    assert report.sent and report.sent_copy and report.ok
    assert len(smtp.sent) == 1  # never sent twice
    assert [f for f, _, _ in fake.appended] == ["Sent"]
    assert box.pending() == []


def test_retry_stops_hammering_a_server_that_is_down(tmp_path: Path) -> None:
    box, fake, smtp = Outbox(tmp_path), FakeStore(), FakeSmtp(down=True)
    for _ in range(3):
        box.enqueue(RAW)
    reports = retry_outbox(account(), store=fake.store(), outbox=box, send=smtp)
    assert len(reports) == 1
    smtp.down, smtp.reject = False, True
    reports = retry_outbox(account(), store=fake.store(), outbox=box, send=smtp)
    assert len(reports) == 3  # a refusal is about one message: the others are tried
    assert all(isinstance(r.error, SmtpRejected) for r in reports)
    assert len(box.pending()) == 3


def test_an_entry_held_elsewhere_is_skipped(tmp_path: Path) -> None:
    box, smtp = Outbox(tmp_path), FakeSmtp()
    entry = box.enqueue(RAW)
    with box.claim(entry):
        (report,) = retry_outbox(account(), store=FakeStore().store(), outbox=box, send=smtp)
    assert not report.sent and report.queued
    assert smtp.sent == []


def test_send_draft_and_send_raw(tmp_path: Path) -> None:
    box, fake, smtp = Outbox(tmp_path), FakeStore(), FakeSmtp()
    draft = Draft(
        from_=Address("", "me@example.com"),
        to=(Address("", "a@x.example"),),
        subject="x",
        replied=MessageRef("INBOX", 3),
    )
    assert send_draft(account(), draft, store=fake.store(), outbox=box, send=smtp).sent
    assert fake.flagged == [("INBOX", (3,), frozenset({ANSWERED}))]
    report = send_raw(
        account(), b"To: a@x.example\n\nhi\n", store=fake.store(), outbox=box, send=smtp
    )
    assert report.sent
    assert smtp.sent[-1].startswith(b"From: me@example.com\r\nDate: ")
    with pytest.raises(DraftError):
        send_raw(account(), b"Subject: none\n\n", store=fake.store(), outbox=box, send=smtp)
    assert box.pending() == []


def test_save_draft(tmp_path: Path) -> None:
    fake = FakeStore()
    uid = save_draft(
        account(), Draft(from_=Address("", "me@example.com"), body="wip"), store=fake.store()
    )
    assert uid == 101
    ((folder, raw, flags),) = fake.appended
    assert (folder, flags) == ("Drafts", frozenset({DRAFT, SEEN}))
    assert b"wip" in raw
    with pytest.raises(DraftError, match="No Drafts folder"):
        save_draft(account(), RAW, store=MailStore(fake.append, fake.set_flags))


def test_resolve_folder() -> None:
    folders = [
        Folder("INBOX", "INBOX", role=Role.INBOX),
        Folder("Gesendet", "Gesendet", role=Role.SENT),
        Folder("Drafts", "Drafts"),
    ]
    assert resolve_folder(account(), Role.SENT, folders) == "Gesendet"
    assert resolve_folder(account(), Role.DRAFTS, folders) == "Drafts"  # by name
    assert resolve_folder(account(sent_folder="Mine"), Role.SENT, folders) == "Mine"
    assert resolve_folder(account(), Role.DRAFTS, []) is None


def test_message_bytes_are_crlf() -> None:
    assert message_bytes(b"a\nb\r\nc") == b"a\r\nb\r\nc"


def test_a_bug_while_sending_loses_nothing(tmp_path: Path) -> None:
    def broken(account: AccountSettings, raw: bytes) -> SendResult:
        raise RuntimeError("boom")

    box, fake = Outbox(tmp_path), FakeStore()
    report = deliver(account(), RAW, store=fake.store(), outbox=box, send=broken)
    assert not report.sent and report.queued and report.draft_saved
    assert "RuntimeError: boom" in report.summary()
    assert box.raw(box.pending()[0]) == RAW
