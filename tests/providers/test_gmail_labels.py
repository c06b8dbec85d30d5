"""Gmail labels (X-GM-EXT-1) against the scripted Gmail (tests/support/scripted_imap/
gmail.py, written from developers.google.com/workspace/gmail/imap/imap-extensions):
fetched with the list, cached, shown, written with STORE X-GM-LABELS, searched. Each test
asserts what Gmail then holds (its messages' labels), never the commands sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.errors import MailtuiError
from mailtui.sync import commands
from mailtui.ui.format import labels as shown_labels
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail
from tests.support.scripted_imap.gmail import ALL_MAIL, GmailStore


def _raw(subject: str, body: str = "hello") -> bytes:
    return (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\n"
        f"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture
def gmail_account(scripted_imap_factory, tmp_path: Path):
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.create("Work")
    store.create("Muy Importante")
    store.add_mail(_raw("one"), labels={"\\Inbox", "Work"})
    store.add_mail(_raw("two"), labels={"\\Inbox", "Muy Importante", "\\Important"})
    store.add_mail(_raw("three"), labels={"Work"})  # archived: All Mail and Work only
    ctx = scripted_context(server, tmp_path)
    service = ctx.service()
    service.run(commands.SyncAll(), timeout=60)
    yield ctx, server, store
    ctx.close()


def _by_subject(service, folder: str) -> dict[str, object]:
    envs = service.envelopes(folder, service.view(folder))
    return {e.subject: e for e in envs.values()}


def test_gmail_is_told_who_the_client_is(gmail_account) -> None:
    _ctx, server, _store = gmail_account
    assert server.client_ids and server.client_ids[0]["name"] == "mailtui"


def test_labels_are_fetched_cached_and_shown_like_keywords(gmail_account) -> None:
    ctx, _server, _store = gmail_account
    inbox = _by_subject(ctx.service(), "INBOX")
    assert shown_labels(inbox["one"]) == ["Work"]
    # A label with a space is shown as Gmail spells it; system labels are not listed.
    assert shown_labels(inbox["two"]) == ["Muy Importante"]
    assert set(_by_subject(ctx.service(), "Work")) == {"one", "three"}
    assert set(_by_subject(ctx.service(), ALL_MAIL)) == {"one", "two", "three"}


def test_label_and_unlabel_write_gmail_labels_not_keywords(gmail_account) -> None:
    ctx, _server, store = gmail_account
    service = ctx.service()
    inbox = {e.subject: u for u, e in service.envelopes("INBOX", service.view("INBOX")).items()}
    service.run(
        commands.SetFlags(folder="INBOX", uids=(inbox["one"],), add=frozenset({"Travel"})),
        timeout=30,
    )
    service.run(
        commands.SetFlags(folder="INBOX", uids=(inbox["one"],), remove=frozenset({"Work"})),
        timeout=30,
    )
    assert service.wait_writer_idle()
    one = store.find("one")
    assert store.user_labels(one) == {"Travel"}
    assert "Travel" not in {f.lower() for f in one.flags}  # a label, not an IMAP keyword
    # Gmail filed it under the new label's folder and took it out of Work's.
    service.run(commands.SyncAll(), timeout=60)
    assert "one" not in _by_subject(service, "Work")
    assert shown_labels(_by_subject(service, "INBOX")["one"]) == ["Travel"]


def test_a_label_with_a_space_is_removed_by_its_gmail_name(gmail_account) -> None:
    ctx, _server, store = gmail_account
    service = ctx.service()
    env = _by_subject(service, "INBOX")["two"]
    token = next(k for k in env.keywords if "%" in k)
    service.run(
        commands.SetFlags(folder="INBOX", uids=(env.uid,), remove=frozenset({token})), timeout=30
    )
    assert service.wait_writer_idle()
    assert store.user_labels(store.find("two")) == set()
    assert "\\Important" in store.find("two").labels


def test_flags_are_shared_by_every_folder_showing_the_message(gmail_account) -> None:
    ctx, _server, store = gmail_account
    service = ctx.service()
    env = _by_subject(service, "Work")["one"]
    service.run(
        commands.SetFlags(folder="Work", uids=(env.uid,), add=frozenset({"\\Seen"})), timeout=30
    )
    assert service.wait_writer_idle()
    assert "\\Seen" in store.find("one").flags
    service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
    assert _by_subject(service, "INBOX")["one"].seen


def test_label_search_finds_gmail_labels_on_the_server_and_in_the_cache(gmail_account) -> None:
    ctx, _server, _store = gmail_account
    service = ctx.service()
    subjects = {
        u: e.subject for u, e in service.envelopes(ALL_MAIL, service.view(ALL_MAIL)).items()
    }
    remote = service.run(commands.Search(folder=ALL_MAIL, query="label:Work"), timeout=30)
    local = service.run(
        commands.Search(folder=ALL_MAIL, query="label:Work", local=True), timeout=30
    )
    assert {subjects[u] for u in remote} == {"one", "three"}
    assert {subjects[u] for u in local} == {"one", "three"}
    spaced = service.run(
        commands.Search(folder=ALL_MAIL, query='label:"Muy Importante"', local=True), timeout=30
    )
    assert {subjects[u] for u in spaced} == {"two"}


def test_gmail_prefix_sends_gmails_own_search_syntax(gmail_account) -> None:
    ctx, _server, store = gmail_account
    service = ctx.service()
    subjects = {
        u: e.subject for u, e in service.envelopes(ALL_MAIL, service.view(ALL_MAIL)).items()
    }
    store.mail[store.find("three").msgid].flags.add("\\Seen")
    store.refresh()
    found = service.run(
        commands.Search(folder=ALL_MAIL, query="gmail:label:work is:unread"), timeout=30
    )
    assert {subjects[u] for u in found} == {"one"}


def test_gmail_prefix_elsewhere_is_refused_with_a_sentence(scripted_imap, tmp_path: Path) -> None:
    ctx = scripted_context(scripted_imap, tmp_path)
    try:
        with pytest.raises(MailtuiError, match="no search language of its own"):
            ctx.service().run(
                commands.Search(folder="INBOX", query="gmail:has:attachment"), timeout=30
            )
        with pytest.raises(MailtuiError, match="runs on the server"):
            ctx.service().run(
                commands.Search(folder="INBOX", query="gmail:x", local=True), timeout=30
            )
    finally:
        ctx.close()


def test_gmail_conversations_are_the_threads_and_each_message_is_cached_once(
    scripted_imap_factory, tmp_path: Path
) -> None:
    from mailtui.mime.threads import ThreadItem, thread_messages

    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.create("Work")
    plan = store.add_mail(_raw("plan"), labels={"\\Inbox", "Work"})
    # Gmail put this one in the plan's conversation though no header links them.
    store.add_mail(_raw("budget"), labels={"\\Inbox", "Work"}, thread_of=plan)
    store.add_mail(_raw("other"), labels={"\\Inbox"})
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        envs = service.envelopes("INBOX", service.view("INBOX"))
        assert {e.message_key for e in envs.values()} == {m.msgid for m in store.mail.values()}
        roots = thread_messages(
            [
                ThreadItem(uid, mid, irt, tuple(refs.split()), subj, date)
                for uid, mid, irt, refs, subj, date in service.thread_items("INBOX")
            ]
        )
        threads = sorted(sorted(envs[n.item.uid].subject for n in r.walk()) for r in roots)
        assert threads == [["budget", "plan"], ["other"]]
        # Filed under two labels, each message is one row per folder, once in All Mail.
        assert service.counts(ALL_MAIL) == (3, 3)
        assert service.counts("Work") == (2, 2)
    finally:
        ctx.close()


def test_a_cache_synced_without_labels_is_refetched_once_labels_are_offered(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.create("Work")
    store.add_mail(_raw("old"), labels={"\\Inbox", "Work"})
    before = scripted_context(server, tmp_path, imap={"quirks": ["no-gmail-extensions"]})
    before.service().run(commands.SyncAll(), timeout=60)
    assert shown_labels(_by_subject(before.service(), "INBOX")["old"]) == []
    before.close()
    ctx = scripted_context(server, tmp_path)  # the same cache, labels now fetched
    try:
        ctx.service().run(commands.SyncAll(), timeout=60)
        assert shown_labels(_by_subject(ctx.service(), "INBOX")["old"]) == ["Work"]
    finally:
        ctx.close()


def test_gmail_system_folders_get_their_roles_from_list(gmail_account) -> None:
    from mailtui.model import Role

    ctx, _server, _store = gmail_account
    roles = {f.name: f.role for f in ctx.service().folders()}
    assert roles["INBOX"] == Role.INBOX
    assert roles[ALL_MAIL] == Role.ALL
    assert roles[gmail.TRASH] == Role.TRASH and gmail.TRASH == "[Gmail]/Bin"
    assert roles[gmail.SPAM] == Role.JUNK
    assert roles[gmail.SENT] == Role.SENT and roles[gmail.DRAFTS] == Role.DRAFTS
    assert roles[gmail.STARRED] == Role.FLAGGED and roles[gmail.IMPORTANT] == Role.IMPORTANT
    assert roles["Work"] == Role.NONE


@pytest.mark.parametrize(
    "label", ["Big Project", 'Say "hi"', "back\\slash", "Café ☕", "R&D", "50% off"]
)
def test_labels_with_spaces_quotes_backslashes_and_non_ascii_reach_gmail_intact(
    gmail_account, label: str
) -> None:
    """Typed as the user spells them (as `mail --label` and `:label` pass them), sent
    quoted and in modified UTF-7, and removed again by the same name. ("R&D" went out
    as a bare "&" before, which Gmail reads as the start of a base64 run: BAD.)"""
    ctx, _server, store = gmail_account
    service = ctx.service()
    uid = _by_subject(service, "INBOX")["one"].uid
    service.run(commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({label})), timeout=30)
    assert service.wait_writer_idle()
    assert store.user_labels(store.find("one")) == {"Work", label}
    env = _by_subject(service, "INBOX")["one"]
    assert label in shown_labels(env)  # the list shows it as Gmail spells it
    service.run(
        commands.SetFlags(folder="INBOX", uids=(uid,), remove=frozenset({label})), timeout=30
    )
    assert service.wait_writer_idle()
    assert store.user_labels(store.find("one")) == {"Work"}
