"""One message, one entry, however many labels (issue 14: X-GM-MSGID as the message's
identity across folders), on the scripted Gmail: a message filed under three labels is
in INBOX, in each label's folder and in All Mail, yet the account's unread total, a
search across folders (the app's saved searches, `mailtui search '*'`) and the
conversation view show it once. A message without a Message-ID (Gmail keeps those too)
is told apart from its copies by X-GM-MSGID alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.cache.conversations import account_unread
from mailtui.sync import commands
from mailtui.ui.app import MailApp
from mailtui.usecase.conversation import find_conversation
from mailtui.usecase.search_all import search_everywhere
from tests.support.accounts import cli_env
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail
from tests.support.scripted_imap.gmail import ALL_MAIL, GmailStore
from tests.ui.helpers import NOW, fixed_clock, ready, screen_text, wait_for


def _raw(subject: str, day: int, *, message_id: bool = True) -> bytes:
    mid = f"Message-ID: <{subject}@example.test>\r\n" if message_id else ""
    return (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"{mid}Date: Mon, {day} Mar 2026 10:00:00 +0000\r\n\r\nhello\r\n"
    ).encode()


def _gmail(factory) -> tuple[object, GmailStore]:
    server = gmail.start(factory)
    store: GmailStore = server.store
    store.create("Work")
    store.create("Travel")
    plans = store.add_mail(_raw("plans", 2), labels={"\\Inbox", "Work", "Travel"})
    store.add_mail(_raw("no-id", 3, message_id=False), labels={"\\Inbox", "Work"}, thread_of=plans)
    store.add_mail(_raw("re-plans", 4), labels={"\\Sent"}, flags={"\\Seen"}, thread_of=plans)
    store.add_mail(_raw("read-one", 5), labels={"\\Inbox"}, flags={"\\Seen"})
    store.add_mail(_raw("binned", 6), labels={"Work"}, place="trash")
    return server, store


@pytest.fixture
def account(scripted_imap_factory, tmp_path: Path):
    server, store = _gmail(scripted_imap_factory)
    ctx = scripted_context(server, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    yield ctx, server, store
    ctx.close()


def _uid(service, folder: str, subject: str) -> int:
    envs = service.envelopes(folder, service.view(folder))
    return next(u for u, e in envs.items() if e.subject == subject)


def test_the_accounts_unread_total_counts_each_message_once(account) -> None:
    ctx, _server, _store = account
    service = ctx.service()
    # plans: INBOX, Work, Travel, All Mail; no-id: INBOX, Work, All Mail; binned: Trash.
    assert service.counts("Work")[1] == 2 and service.counts(ALL_MAIL)[1] == 2
    assert account_unread(service.cache()) == 2


def test_a_search_across_folders_shows_each_message_once(account) -> None:
    ctx, _server, _store = account
    service = ctx.service()
    hits = search_everywhere({"test": service}, "unseen")
    assert sorted(h.subject for h in hits) == ["binned", "no-id", "plans"]
    plans = next(h for h in hits if h.subject == "plans")
    assert plans.folder == "INBOX"  # the inbox copy, the labels beside it
    assert set(plans.also_in) == {"Work", "Travel", ALL_MAIL}
    no_id = next(h for h in hits if h.subject == "no-id")
    assert no_id.folder == "INBOX" and set(no_id.also_in) == {"Work", ALL_MAIL}


def test_the_conversation_shows_a_message_without_message_id_once(account) -> None:
    ctx, _server, _store = account
    service = ctx.service()
    messages = find_conversation(service, "Work", _uid(service, "Work", "plans"))
    assert [m.envelope.subject for m in messages] == ["plans", "no-id", "re-plans"]
    assert messages[1].folder == "Work" and set(messages[1].also_in) == {"INBOX", ALL_MAIL}


def test_mailtui_search_every_folder_lists_each_message_once(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server, _store = _gmail(scripted_imap_factory)
    env = cli_env(tmp_path, server, server.user)  # type: ignore[arg-type]
    out = subprocess.run(
        [sys.executable, "-m", "mailtui", "search", "*", "unseen", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert sorted(r["subject"] for r in rows) == ["binned", "no-id", "plans"]
    plans = next(r for r in rows if r["subject"] == "plans")
    assert plans["folder"] == "INBOX" and set(plans["also_in"]) == {"Work", "Travel", ALL_MAIL}


async def test_the_folder_tree_shows_the_accounts_unread_total_once_per_message(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server, _store = _gmail(scripted_imap_factory)
    ui = {"download_dir": str(tmp_path / "dl"), "themes_dir": str(tmp_path / "themes")}
    app = MailApp(scripted_context(server, tmp_path / "cache", ui=ui), clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(
            pilot,
            lambda: any(
                line.lstrip("▼ ").startswith("test 2 ") for line in screen_text(app).splitlines()
            ),
            what="'test 2' beside the account",
        )


def test_the_thread_views_elsewhere_count_counts_each_message_once(
    scripted_imap_factory, tmp_path: Path
) -> None:
    """In threads (t) a conversation's first row counts what other folders hold: on Gmail
    a reply with no Message-ID, kept in Work and All Mail, is one more message (it was
    not counted at all), and "plans" itself, in All Mail too, is none."""
    from mailtui.cache.conversations import elsewhere_counts

    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.create("Work")
    plans = store.add_mail(_raw("plans", 2), labels={"\\Inbox", "Work"})
    store.add_mail(_raw("no-id", 3, message_id=False), labels={"Work"}, thread_of=plans)
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        uid = _uid(service, "INBOX", "plans")
        assert elsewhere_counts(service.cache(), "INBOX", {uid: [uid]}) == {uid: 1}
    finally:
        ctx.close()
