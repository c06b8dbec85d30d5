"""COMPRESS=DEFLATE (RFC 4978) against a real Dovecot with its imap_zlib plugin (issue 17).

Bytes on the wire are counted by bench/shaper.py's proxy (no delay, no cap): a header
sync with COMPRESS moves under a third of the bytes the same sync moves without it
(the same server; the other user has the capability hidden), and everything else a
session does still works through the compressed stream, on every transport: the cold
sync lands exactly what the server holds, a body part arrives, IDLE hears another
client's APPEND, and a stop shuts the link at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.shaper import Shaper
from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import context_for, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot

MESSAGES = 3_000


@pytest.fixture(scope="module")
def zlib_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    server = Dovecot(tmp_path_factory.mktemp("dovecot-zlib"), compress=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


def _sync_bytes(dovecot: Dovecot, tmp_path: Path, *, hide: bool) -> int:
    """Bytes the server sent for a cold sync of a MESSAGES INBOX (checked == server)."""
    user = dovecot.add_user(disable={"COMPRESS=DEFLATE"} if hide else ())
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(MESSAGES, seed=4978))
    counter = Shaper(dovecot.host, dovecot.imap_port, rtt_ms=0, mbit=100_000)
    ctx = context_for(
        dovecot, user, tmp_path / ("plain" if hide else "deflate"), imap={"port": counter.port}
    )
    client = dovecot.client(user)
    try:
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=120)
        assert assert_cache_matches_server(ctx, client, ["INBOX"]) == MESSAGES
        return counter.down
    finally:
        client.logout()
        ctx.close()
        counter.close()


def test_a_header_sync_with_compress_moves_under_a_third_of_the_bytes(
    zlib_dovecot: Dovecot, tmp_path: Path
) -> None:
    plain = _sync_bytes(zlib_dovecot, tmp_path, hide=True)
    deflated = _sync_bytes(zlib_dovecot, tmp_path, hide=False)
    print(f"{MESSAGES} headers: {plain:,} B plain, {deflated:,} B with COMPRESS=DEFLATE")
    assert deflated * 3 < plain, (plain, deflated)


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_parts_idle_and_stop_work_through_the_compressed_stream(
    zlib_dovecot: Dovecot, tmp_path: Path, security: str
) -> None:
    user = zlib_dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(20, seed=7))
    ctx = context_for(zlib_dovecot, user, tmp_path, imap={"security": security})
    service = ctx.service()
    heard: list[int] = []
    service.subscribe(lambda e: heard.extend(e.uids) if isinstance(e, events.NewMail) else None)
    other = zlib_dovecot.client(user)
    try:
        service.run(commands.SyncAll(), timeout=60)
        uid = service.view("INBOX")[0]
        part = service.run(commands.FetchPart(folder="INBOX", uid=uid, section="TEXT"), 30)
        other.select_folder("INBOX", readonly=True)
        on_server = other.fetch([uid], ["BODY.PEEK[TEXT]"])[uid][b"BODY[TEXT]"]
        assert part == on_server and len(part) > 0
        service.watch("INBOX")
        wait_until(lambda: service.watcher("INBOX").ready.is_set(), what="watcher in IDLE")
        (new,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=8))
        wait_until(lambda: new in heard, timeout=10, what=f"UID {new} heard in IDLE")
        assert service.online
        assert_cache_matches_server(ctx, other, ["INBOX"])
        watcher = service.watcher("INBOX")
        service.stop(timeout=5)
        assert watcher is not None and not watcher.is_alive()
    finally:
        other.logout()
        ctx.close()
