"""Muted conversations (issue 19 item 8, second half) against the real Dovecot: a reply
that another client delivers to INBOX while mailtui runs is archived and marked read by
the sync (journaled: Dovecot then holds it in Archive, \\Seen); `muted` lists the
conversation (the query language of `/`, `&` and `mailtui search`); unmuting lets the
next reply stay. And on the scripted Gmail a reply joined only by X-GM-THRID loses its
\\Inbox label."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.backend.query import parse
from mailtui.sync import commands
from mailtui.usecase.mute import set_muted, toggle_mute
from tests.support import mailgen
from tests.support.accounts import cli_env, context_for, subjects_and_flags, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail


def _mail(subject: str, mid: str, *, reply_to: str = "", refs: str = "", hour: int = 9) -> bytes:
    head = (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}>\r\nDate: Mon, 2 Mar 2026 {hour:02d}:00:00 +0000\r\n"
    )
    if reply_to:
        head += f"In-Reply-To: <{reply_to}>\r\n"
    if refs:
        head += f"References: {refs}\r\n"
    return (head + "\r\nhello\r\n").encode()


@pytest.fixture
def account(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path):
    other = dovecot.client(mail_user)
    mailgen.append_imap(
        other,
        "INBOX",
        [
            mailgen.from_bytes(_mail("Party plan", "p@x", hour=8)),
            mailgen.from_bytes(_mail("Re: Party plan", "r1@x", reply_to="p@x", refs="<p@x>")),
            mailgen.from_bytes(_mail("Invoice", "i@x", hour=10)),
        ],
    )
    ctx = context_for(dovecot, mail_user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    try:
        yield ctx, other
    finally:
        other.logout()
        ctx.close()


def _uid(service, folder: str, subject: str) -> int:
    envs = service.envelopes(folder, service.view(folder))
    return next(u for u, e in envs.items() if e.subject == subject)


def test_a_reply_to_a_muted_conversation_arriving_live_is_archived_and_read(account) -> None:
    ctx, other = account
    service = ctx.service()
    result = toggle_mute(service, "INBOX", [_uid(service, "INBOX", "Party plan")])
    assert result.muted and result.conversations == 1
    service.watch("INBOX")
    wait_until(lambda: service.watcher("INBOX") is not None, what="the INBOX watcher")
    wait_until(service.watcher("INBOX").ready.is_set, what="the watcher's first sync")
    # Another client delivers a reply (to the reply) and an unrelated message.
    mailgen.append_imap(
        other,
        "INBOX",
        [
            mailgen.from_bytes(
                _mail("Re: Re: Party plan", "r2@x", reply_to="r1@x", refs="<p@x> <r1@x>", hour=11)
            ),
            mailgen.from_bytes(_mail("Lunch?", "l@x", hour=12)),
        ],
    )
    wait_until(
        lambda: "Re: Re: Party plan" in subjects_and_flags(other, "Archive"),
        timeout=30,
        what="the muted reply archived on the server",
    )
    assert "\\Seen" in subjects_and_flags(other, "Archive")["Re: Re: Party plan"]
    inbox = subjects_and_flags(other, "INBOX")
    assert set(inbox) == {"Party plan", "Re: Party plan", "Invoice", "Lunch?"}
    assert "\\Seen" not in inbox["Lunch?"]
    assert service.wait_writer_idle()
    service.run(commands.SyncAll(), timeout=60)
    assert_cache_matches_server(ctx, other, ["INBOX", "Archive"])


def test_muted_lists_the_conversation_and_unmute_lets_the_next_reply_stay(account) -> None:
    ctx, other = account
    service = ctx.service()
    uid = _uid(service, "INBOX", "Re: Party plan")
    set_muted(service, "INBOX", [uid], True)
    found = service.cache().search("INBOX", parse("muted"))
    envs = service.envelopes("INBOX", found)
    assert {e.subject for e in envs.values()} == {"Party plan", "Re: Party plan"}
    # The same through the Search command (`/` and `mailtui search`): from the cache.
    assert set(service.run(commands.Search(folder="INBOX", query="muted"), timeout=30)) == set(
        found
    )
    assert set(service.cache().search("INBOX", parse("-muted"))) == {
        _uid(service, "INBOX", "Invoice")
    }
    result = toggle_mute(service, "INBOX", [uid])
    assert not result.muted
    assert service.cache().search("INBOX", parse("muted")) == []
    mailgen.append_imap(
        other, "INBOX", [mailgen.from_bytes(_mail("Re: Party plan again", "r3@x", reply_to="p@x"))]
    )
    service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
    assert service.wait_writer_idle()
    assert "Re: Party plan again" in subjects_and_flags(other, "INBOX")
    assert "Re: Party plan again" not in subjects_and_flags(other, "Archive")


def test_mailtui_mute_and_search_muted_on_the_command_line(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    other = dovecot.client(mail_user)
    try:
        uid, _reply = mailgen.append_imap(
            other,
            "INBOX",
            [
                mailgen.from_bytes(_mail("Party plan", "p@x", hour=8)),
                mailgen.from_bytes(_mail("Re: Party plan", "r1@x", reply_to="p@x")),
            ],
        )
        env = cli_env(tmp_path, dovecot, mail_user)

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            out = subprocess.run(
                [sys.executable, "-m", "mailtui", *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert out.returncode == 0, out.stderr
            return out

        cli("sync")
        assert "Muted 1 conversation" in cli("mute", "INBOX", str(uid)).stdout
        listed = cli("search", "INBOX", "muted").stdout
        assert "Party plan" in listed and "Re: Party plan" in listed
        assert "Unmuted 1 conversation" in cli("mute", "--unmute", "INBOX", str(uid)).stdout
        assert "Party plan" not in cli("search", "INBOX", "muted").stdout
    finally:
        other.logout()


def test_on_gmail_a_reply_joined_by_thread_id_alone_leaves_the_inbox(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store = server.store
    plan = store.add_mail(_mail("plan", "plan@x"), labels={"\\Inbox"})
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        set_muted(service, "INBOX", [_uid(service, "INBOX", "plan")], True)
        # Gmail threads it with "plan" though no header says so (X-GM-THRID).
        reply = store.add_mail(_mail("news", "news@x", hour=12), labels={"\\Inbox"}, thread_of=plan)
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert service.wait_writer_idle()
        assert "\\Inbox" not in reply.labels and "\\Seen" in reply.flags
        assert "\\Inbox" in plan.labels  # the muted message itself stays where it was
    finally:
        ctx.close()
