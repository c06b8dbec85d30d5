"""Gmail files what its SMTP server sends in Sent Mail itself, so mailtui keeps no copy
of its own there unless `sent_copy = true` says so (a second copy would show twice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailtui.compose.draft import Draft
from mailtui.compose.flow import send_draft
from mailtui.model import Address
from mailtui.sync import commands
from mailtui.usecase.store import service_store
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail
from tests.support.scripted_imap.gmail import SENT


def _send(factory, tmp_path: Path, smtp: Any, **account: Any) -> gmail.GmailStore:
    server = gmail.start(factory)
    ctx = scripted_context(server, tmp_path / "cache", account={"smtp": smtp.table(), **account})
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        acct = ctx.account()
        draft = Draft(
            from_=acct.address, to=(Address("", "carol@example.com"),), subject="Hi", body="x\n"
        )
        report = send_draft(acct, draft, store=service_store(service, acct))
        assert report.sent and not report.queued
        assert service.wait_writer_idle()
    finally:
        ctx.close()
    return server.store


def test_no_sent_copy_is_appended_on_gmail_by_default(
    scripted_imap_factory, smtp_server, tmp_path: Path
) -> None:
    store = _send(scripted_imap_factory, tmp_path, smtp_server(mode="plain"))
    assert store.messages(SENT) == []


def test_sent_copy_true_still_appends_one(scripted_imap_factory, smtp_server, tmp_path) -> None:
    store = _send(scripted_imap_factory, tmp_path, smtp_server(mode="plain"), sent_copy=True)
    assert len(store.messages(SENT)) == 1
