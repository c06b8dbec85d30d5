"""Throttling and "not now" on every command, imapclient's included (issue 14: LOGIN,
AUTHENTICATE, APPEND, SEARCH, FETCH BODYSTRUCTURE, STATUS, LIST…), against the scripted
Microsoft 365 (tests/support/scripted_imap/providers.py: `NO Request is throttled.
Suggested Backoff Time: N milliseconds`, documented by Microsoft for Exchange Online's
IMAP throttling and seen by imapsync users). Each test asserts what the user then has or
what the server holds: the wait is taken, the same command sent again, nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.imap.ext import quirks
from mailtui.sync import commands
from tests.support import mailgen
from tests.support.scripted_fixture import assert_cache_matches_store, scripted_context
from tests.support.scripted_imap import hooks, providers


@pytest.fixture(autouse=True)
def _forget_learnt_quirks():
    quirks._learnt.clear()
    yield
    quirks._learnt.clear()


@pytest.fixture
def m365(scripted_imap_factory):
    server = providers.m365(scripted_imap_factory)
    server.store.add_messages("INBOX", mailgen.generate(8, seed=5))
    return server


def _context(server, tmp_path: Path):
    return scripted_context(server, tmp_path)


def test_a_throttled_login_is_waited_out_then_the_sync_completes(m365, tmp_path: Path) -> None:
    m365.on("LOGIN", hooks.throttle(times=2, backoff_ms=50))
    ctx = _context(m365, tmp_path)
    try:
        ctx.service().run(commands.SyncAll(), timeout=60)
        assert assert_cache_matches_store(ctx, m365, ["INBOX"]) == 8
    finally:
        ctx.close()


@pytest.mark.parametrize("name", ["STATUS", "LIST", "LSUB"])
def test_throttled_folder_commands_are_sent_again(m365, tmp_path: Path, name: str) -> None:
    """Microsoft 365 has no LIST-STATUS: the folder counts come from one STATUS each."""
    ctx = _context(m365, tmp_path)
    try:
        service = ctx.service()
        m365.on(name, hooks.throttle(times=2, backoff_ms=50))
        service.run(commands.RefreshFolders(), timeout=60)
        inbox = next(f for f in service.cache().folders() if f.name == "INBOX")
        assert inbox.total == 8
    finally:
        ctx.close()


def test_a_throttled_append_is_sent_again_and_stored_once(m365, tmp_path: Path) -> None:
    ctx = _context(m365, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        m365.on("APPEND", hooks.throttle(times=2, backoff_ms=50))
        raw = b"From: a@example.test\r\nSubject: draft\r\nMessage-ID: <d@x>\r\n\r\nhi\r\n"
        service.run(commands.AppendMessage(folder="Drafts", raw=raw), timeout=60)
        assert service.wait_writer_idle()
        assert [m.raw for m in m365.store.messages("Drafts")] == [raw]
    finally:
        ctx.close()


def test_a_throttled_search_and_bodystructure_fetch_answer_the_user(m365, tmp_path: Path) -> None:
    ctx = _context(m365, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        envs = service.envelopes("INBOX", service.view("INBOX"))
        uid, env = next(iter(envs.items()))
        m365.on("UID SEARCH", hooks.throttle(times=2, backoff_ms=50))
        m365.on("SEARCH", hooks.throttle(times=2, backoff_ms=50))
        found = service.run(
            commands.Search(folder="INBOX", query=f'subject:"{env.subject}"'), timeout=60
        )
        assert uid in found
        m365.on("UID FETCH", hooks.throttle(times=2, backoff_ms=50))
        part = service.run(commands.FetchStructure(folder="INBOX", uid=uid), timeout=60)
        assert part is not None and part.mime_type.startswith(("text/", "multipart/"))
    finally:
        ctx.close()


def test_a_throttle_said_with_bad_reconnects_and_the_write_lands(m365, tmp_path: Path) -> None:
    """Microsoft 365 also throttles with a BAD before it hangs up: the session is
    given up and the write sent again on a new one, not refused and rolled back."""
    ctx = _context(m365, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        text = "Request is throttled. Suggested Backoff Time: 50 milliseconds"
        m365.on("UID STORE", hooks.reply("BAD", text, times=1))
        service.submit(commands.SetFlags(folder="INBOX", uids=(3,), add=frozenset({"\\Flagged"})))
        assert service.wait_writer_idle(timeout=60)
        assert "\\Flagged" in m365.store.flags("INBOX")[3]
        assert "\\Flagged" in service.envelopes("INBOX", [3])[3].flags
    finally:
        ctx.close()


def test_throttling_that_outlasts_the_retries_keeps_the_write_queued_until_it_lands(
    m365, tmp_path: Path
) -> None:
    """More refusals than one session waits out: the writer backs off, reconnects and
    sends the row again; the action is never dropped as refused."""
    ctx = _context(m365, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        m365.on("UID MOVE", hooks.throttle(times=quirks.RETRIES + 2, backoff_ms=20))
        service.submit(commands.MoveMessages(folder="INBOX", uids=(1, 2), dest="Archive"))
        assert service.wait_writer_idle(timeout=60)
        assert len(m365.store.messages("Archive")) == 2
        assert sorted(m365.store.flags("INBOX")) == [3, 4, 5, 6, 7, 8]
    finally:
        ctx.close()


def test_too_many_connections_makes_the_account_share_and_nothing_waits_for_long(
    scripted_imap_factory, tmp_path: Path
) -> None:
    """Gmail allows a number of connections per account across all clients and refuses
    a login beyond it with `NO [ALERT] Too many simultaneous connections` (scripted
    here with a limit of 3 logged-in sessions). mailtui backs off and shares: its IDLE
    watchers step back (the folder poll keeps the cache current), so the writer and the
    reader get connections; the flag lands, new mail still arrives, and the server
    never holds more than the limit."""
    from mailtui.sync.service import SyncService
    from tests.support.accounts import wait_until
    from tests.support.scripted_imap import gmail
    from tests.support.scripted_imap.registry import NOT_AUTHENTICATED

    limit = 3
    server = gmail.start(scripted_imap_factory)
    server.store.create("Work")
    server.store.add_mail(b"Subject: a\r\nMessage-ID: <a@x>\r\n\r\nbody\r\n", labels={"\\Inbox"})
    peak = [0]

    def logged_in() -> int:
        return sum(1 for s in list(server.sessions) if s.state != NOT_AUTHENTICATED)

    def gate(session, cmd, next_) -> None:
        if logged_in() >= limit:
            session.respond(cmd, "NO", "Too many simultaneous connections. (Failure)", "ALERT")
            return
        next_(cmd)
        peak[0] = max(peak[0], logged_in())

    server.on("LOGIN", gate)
    ctx = scripted_context(server, tmp_path, account={"max_connections": 6, "poll_interval": 1})
    try:
        service: SyncService = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        service.watch("Work")  # INBOX and Work wanted: two IDLE watchers of the budget of 3
        wait_until(lambda: service.watcher("INBOX") is not None, what="a watcher")
        (uid,) = service.view("INBOX")
        service.run(commands.FetchPart(folder="INBOX", uid=uid, section="1"), timeout=60)
        service.submit(commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({"\\Seen"})))
        assert service.wait_writer_idle(timeout=60)
        assert "\\Seen" in server.store.find("a").flags
        assert service.watcher("INBOX") is None or service.watcher("Work") is None
        server.store.add_mail(
            b"Subject: b\r\nMessage-ID: <b@x>\r\n\r\nbody\r\n", labels={"\\Inbox"}
        )
        wait_until(lambda: len(service.view("INBOX")) == 2, timeout=30, what="new mail polled")
        assert peak[0] <= limit
    finally:
        ctx.close()
