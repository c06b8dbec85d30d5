"""Prefetch for offline reading against the real Dovecot: what is kept, read with the
link down, the size cap, resuming, and a message the user opens not waiting behind it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailtui.cache import offline
from mailtui.errors import ConnectionLost
from mailtui.sync import commands, events
from mailtui.sync.prefetch import PrefetchStats
from mailtui.usecase.reading import read_body
from tests.support import mailgen
from tests.support.accounts import cli_env, context_for, wait_until
from tests.support.dovecot import Dovecot, MailUser
from tests.support.faultproxy import UP, Fault, FaultProxy


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    p = FaultProxy(dovecot.host, dovecot.imap_port)
    yield p
    p.close()


def _ctx(dovecot: Dovecot, user: MailUser, proxy: FaultProxy, cache: Path, **account):
    # Plain text on loopback, so the proxy can see the commands (a stall by pattern).
    imap = {"port": proxy.port, "timeout": 3, "security": "none"}
    return context_for(dovecot, user, cache, imap=imap, account={"prefetch_days": 0, **account})


def _day(n: int):
    return mailgen.DEFAULT_START + timedelta(days=n)


def _fill(user: MailUser, n: int, seed: int) -> None:
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(n, seed=seed))


def test_text_prefetch_reads_the_newest_bodies_with_the_link_down(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    _fill(mail_user, 80, seed=160)
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, prefetch="text", prefetch_messages=50)
    service = ctx.service()
    service.prefetcher.auto = False
    try:
        service.run(commands.SyncAll(), timeout=60)
        stats: PrefetchStats = service.run(commands.Prefetch(), timeout=60)
        assert (stats.messages, stats.readable, stats.wanted) == (50, 50, 50)
        newest = service.view("INBOX")  # newest first
        # What the reader would show, read through the server while it is there.
        expected = {uid: read_body(service, "INBOX", uid).text for uid in newest[:3]}
        # A second pass fetches nothing: what is kept is never fetched again.
        again = service.run(commands.Prefetch(), timeout=60)
        assert (again.messages, again.readable) == (0, 50)
        proxy.go_down()  # the link is gone: nothing reaches the server any more
        for uid, text in expected.items():
            assert text and read_body(service, "INBOX", uid).text == text
        oldest = newest[-1]  # outside the window: never prefetched
        with pytest.raises(ConnectionLost):
            read_body(service, "INBOX", oldest)
    finally:
        ctx.close()


def test_all_keeps_whole_messages_and_attachments_open_offline(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 40
    raw = mailgen.make_message(
        subject="with file",
        body="see the file",
        attachments=[("f.bin", "application/x-b", payload)],
    )
    client = dovecot.client(mail_user)
    (uid,) = mailgen.append_imap(client, "INBOX", [mailgen.from_bytes(raw)])
    client.logout()
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, prefetch="all")
    service = ctx.service()
    service.prefetcher.auto = False
    try:
        service.run(commands.SyncAll(), timeout=60)
        stats = service.run(commands.Prefetch(), timeout=60)
        assert stats.messages == 1
        proxy.go_down()
        structure = service.run(commands.FetchStructure(folder="INBOX", uid=uid), timeout=10)
        (att,) = [p for p in structure.walk() if p.filename == "f.bin"]
        from mailtui.usecase.reading import read_attachment

        assert read_attachment(service, "INBOX", uid, structure, att.section) == payload
        whole = service.run(
            commands.FetchPart(folder="INBOX", uid=uid, section="", cache=False), timeout=10
        )
        assert b"Subject: with file" in whole
        assert "see the file" in read_body(service, "INBOX", uid).text
    finally:
        ctx.close()


def test_the_cap_keeps_the_newest_and_new_mail_evicts_the_oldest(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    big = "x" * 300_000  # about 0.3 MB of text each: 3 fit under 1 MB
    client = dovecot.client(mail_user)
    msgs = [
        mailgen.from_bytes(mailgen.make_message(subject=f"big {i}", body=big, date=_day(i)))
        for i in range(6)
    ]
    uids = mailgen.append_imap(client, "INBOX", msgs)
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, prefetch="text", prefetch_max_mb=1)
    service = ctx.service()
    service.prefetcher.auto = False
    try:
        service.run(commands.SyncAll(), timeout=60)
        stats = service.run(commands.Prefetch(), timeout=60)
        assert stats.full and stats.messages == 3
        cache = service.cache()
        kept = offline.prefetched(cache, "INBOX", uids)
        assert kept == set(uids[-3:])  # the newest three
        assert offline.prefetched_bytes(cache) <= 1024 * 1024
        # A message the user opened is not the budget's: it stays through evictions.
        opened = uids[0]
        read_body(service, "INBOX", opened)
        (newer,) = mailgen.append_imap(
            client,
            "INBOX",
            [mailgen.from_bytes(mailgen.make_message(subject="newest", body=big, date=_day(9)))],
        )
        service.run(commands.SyncAll(), timeout=60)
        stats = service.run(commands.Prefetch(), timeout=60)
        assert stats.messages == 1 and stats.evicted == 1
        assert offline.prefetched(cache, "INBOX", [*uids, newer]) == {*uids[-2:], newer}
        assert offline.prefetched_bytes(cache) <= 1024 * 1024
        proxy.go_down()
        assert "xxxx" in read_body(service, "INBOX", opened).text
    finally:
        client.logout()
        ctx.close()


def test_a_user_open_is_served_while_prefetch_is_stuck_then_prefetch_resumes(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    _fill(mail_user, 120, seed=161)
    # The first FETCH of bodies for a set of messages (prefetch's, never a user's single
    # message) stalls: the background link hangs mid-prefetch until its timeout.
    (stall,) = [Fault("stall", UP, when=re.compile(rb"UID FETCH \d+[:,][\d:,]* \(UID BODY\.PEEK"))]
    proxy.always(stall)
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, prefetch="text", prefetch_messages=100)
    service = ctx.service()
    try:
        service.run(commands.SyncAll(), timeout=60)  # the pass is queued after it
        assert stall.fired.wait(30)
        oldest = service.view("INBOX")[-1]  # outside the window
        text = read_body(service, "INBOX", oldest).text
        assert text  # served on its own connection...
        cache = service.cache()
        window = offline.Window(limit=100)
        assert offline.readable(cache, "INBOX", window)[0] == 0  # ...while prefetch is stuck
        # The stalled link times out; the next pass resumes and completes.
        proxy.clear()
        service.submit(commands.SyncFolder(folder="INBOX"))
        wait_until(
            lambda: offline.readable(service.cache(), "INBOX", window) == (100, 100),
            timeout=60,
            what="prefetch to resume and finish",
        )
    finally:
        ctx.close()


def test_mailtui_sync_prefetch_reports_what_it_kept(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    recent = [
        mailgen.from_bytes(mailgen.make_message(subject=f"new {i}", date=now - timedelta(days=i)))
        for i in range(5)
    ]
    old = [mailgen.from_bytes(mailgen.make_message(subject="old", date=now - timedelta(days=90)))]
    client = dovecot.client(mail_user)
    mailgen.append_imap(client, "INBOX", [*old, *recent])
    client.logout()
    env = cli_env(tmp_path, dovecot, mail_user)

    def sync(*args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "mailtui", "sync", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    # The account says prefetch = "none" (the default): a plain sync fetches no bodies.
    assert "Prefetched" not in sync()
    # --prefetch: the newest within prefetch_days (30 by default), the 90-day-old left out.
    first = sync("--prefetch", "text")
    assert re.search(r"Prefetched 5 messages \([^)]*, text\); 5 of 5 readable offline\.", first)
    again = sync("--prefetch", "all")  # the whole messages now: the text is not refetched
    assert "Prefetched 5 messages" in again and "5 of 5 readable offline" in again
    assert "Prefetched 0 messages" in sync("--prefetch", "all")


def test_a_pass_gives_way_to_a_queued_command_between_batches(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    _fill(mail_user, 250, seed=162)
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, prefetch="text", prefetch_messages=250)
    service = ctx.service()
    service.prefetcher.auto = False
    endings: list[tuple[str, int]] = []
    sync = commands.SyncFolder(folder="INBOX")
    prefetch = commands.Prefetch()

    def listen(event: events.Event) -> None:
        # After the first batch (this runs in the worker, between batches): a command
        # the user caused is queued behind the pass.
        if isinstance(event, events.OfflineReadable) and event.fetched and not endings:
            endings.append(("queued", 0))
            service.submit(sync)
        if isinstance(event, events.Done) and event.request_id == sync.request_id:
            endings.append(("sync", 0))
        if isinstance(event, events.Done) and event.request_id == prefetch.request_id:
            endings.append(("prefetch", event.result.messages))  # in the worker: in order

    try:
        service.run(commands.SyncAll(), timeout=60)
        service.subscribe(listen)
        first: PrefetchStats = service.run(prefetch, timeout=60)
        wait_until(lambda: ("sync", 0) in endings, what="the folder sync")
        # The pass stopped after its first batch (100), before the sync ran.
        assert first.yielded and first.messages == 100
        assert endings == [("queued", 0), ("prefetch", 100), ("sync", 0)]
        rest = service.run(commands.Prefetch(), timeout=60)  # and resumes where it was
        assert (rest.messages, rest.readable, rest.wanted) == (150, 250, 250)
    finally:
        ctx.close()
