"""Flaky links and odd servers: a fault proxy between mailtui and Dovecot.

After every fault the cache must equal the server, no action may be lost or applied
twice, and a stalled server must hit a timeout rather than hang.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtui.errors import ConnectionLost, TlsError
from mailtui.model import SEEN
from mailtui.sync import commands
from mailtui.sync.service import ActionQueued
from tests.support import mailgen
from tests.support.accounts import context_for, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser
from tests.support.faultproxy import DOWN, UP, Fault, FaultProxy
from tests.support.hardening import record


@pytest.fixture
def proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    p = FaultProxy(dovecot.host, dovecot.imap_port)
    yield p
    p.close()


def _ctx(dovecot: Dovecot, user: MailUser, proxy: FaultProxy, cache: Path, **imap):
    table = {"port": proxy.port, "timeout": imap.pop("timeout", 3), **imap}
    return context_for(dovecot, user, cache, imap=table)


def test_cold_sync_cut_anywhere_resumes_to_the_server_state(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(3000, seed=50))
    # Measure one clean conversation to spread the cuts over its whole length.
    # (Twice: the first session that sees new mail also gets \Recent on every message.)
    for name in ("probe1", "probe2"):
        probe = _ctx(dovecot, mail_user, proxy, tmp_path / name)
        probe.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        probe.close()
    total_down = proxy.traffic[-1][1]
    other = dovecot.client(mail_user)
    try:
        for i, fraction in enumerate((0.001, 0.01, 0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.99)):
            cache = tmp_path / f"cache{i}"
            proxy.arm(Fault("cut", DOWN, after=int(total_down * fraction)))
            ctx = _ctx(dovecot, mail_user, proxy, cache)
            try:
                with pytest.raises(ConnectionLost):
                    ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
                record("faults")
                assert ctx.service().cache().integrity_ok()
            finally:
                ctx.close()
            ctx = _ctx(dovecot, mail_user, proxy, cache)  # the next run resumes
            try:
                ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
                assert assert_cache_matches_server(ctx, other, ["INBOX"]) > 0, fraction
            finally:
                ctx.close()
    finally:
        other.logout()


def test_part_fetch_cut_midway_is_an_error_then_a_clean_retry(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 4000  # ~1 MB attachment
    raw = mailgen.make_message(
        subject="big", attachments=[("big.bin", "application/octet-stream", payload)]
    )
    client = dovecot.client(mail_user)
    (uid,) = mailgen.append_imap(client, "INBOX", [mailgen.from_bytes(raw)])
    client.logout()
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path)
    service = ctx.service()
    try:
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        structure = service.run(commands.FetchStructure(folder="INBOX", uid=uid), timeout=30)
        (att,) = [p for p in structure.walk() if p.filename == "big.bin"]
        fetch = commands.FetchPart  # the interactive connection is already up
        # 1. The link dies while idle: the next request notices and says so.
        proxy.cut_all()
        record("faults")
        with pytest.raises(ConnectionLost):
            service.run(
                fetch(folder="INBOX", uid=uid, section=att.section, cache=False), timeout=30
            )
        # 2. It dies in the middle of the part's literal, on a fresh connection.
        before = proxy.connections
        proxy.arm(Fault("cut", DOWN, after=200_000))
        with pytest.raises(ConnectionLost):
            service.run(
                fetch(folder="INBOX", uid=uid, section=att.section, cache=False), timeout=30
            )
        assert proxy.connections == before + 1
        record("faults")
        data = service.run(
            commands.FetchPart(folder="INBOX", uid=uid, section=att.section, cache=False),
            timeout=30,
        )
        from mailtui.mime.parse import transfer_decode

        assert transfer_decode(data, att.encoding) == payload
    finally:
        ctx.close()


def test_a_stalled_server_hits_the_timeout(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(500, seed=51))
    proxy.arm(Fault("stall", DOWN, after=30_000))
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, timeout=1)
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionLost, match=r"(?i)answer|time"):
            ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert time.monotonic() - start < 10
        record("faults")
    finally:
        ctx.close()


def _message_ids(client, folder: str) -> list[str]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return sorted(v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().strip() for v in data.values())


def test_copy_replayed_across_link_drops_lands_exactly_once(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    """Cut the writer's link at many points of a COPY; every replay must converge to one copy."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(40, seed=52))
    other = dovecot.client(mail_user)
    other.create_folder("Copies")
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path)
    service = ctx.service()
    try:
        service.run(commands.SyncAll(), timeout=60)
        # One clean action to learn how long the writer's conversation is.
        start = len(proxy.traffic)
        service.run(commands.CopyMessages(folder="INBOX", uids=(1,), dest="Copies"), timeout=30)
        writer_up = max(up for up, _down in proxy.traffic[start:])
        writer_down = max(down for _up, down in proxy.traffic[start:])
        plan = [
            (DOWN, 0.05),
            (UP, 0.3),
            (DOWN, 0.6),
            (UP, 0.8),
            (DOWN, 0.9),
            (UP, 0.97),
            (DOWN, 0.999),
        ]
        for n, (direction, fraction) in enumerate(plan, start=2):
            service._writer.session.close()  # type: ignore[union-attr]  # next action opens a new link
            length = writer_up if direction == UP else writer_down
            proxy.arm(Fault("cut", direction, after=int(length * fraction)))
            try:
                service.run(
                    commands.CopyMessages(folder="INBOX", uids=(n,), dest="Copies"), timeout=30
                )
            except (ActionQueued, ConnectionLost):
                record("faults")
            proxy.clear()
            service.retry_now()
            assert service.wait_writer_idle(timeout=30)
        ids = _message_ids(other, "Copies")
        record("actions_checked", 8)
        record("actions_lost", 8 - len(set(ids)))
        assert len(ids) == 8 and len(set(ids)) == 8, ids  # each copied once, none twice
    finally:
        other.logout()
        ctx.close()


def test_stripped_starttls_is_refused(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    strip = Fault("rewrite", DOWN, rewrite=lambda data: re.sub(rb" STARTTLS", b"", data))
    proxy.always(strip)
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path)
    try:
        with pytest.raises(TlsError, match="STARTTLS"):
            ctx.service().run(commands.SyncAll(), timeout=30)
        assert strip.fired.is_set()
        record("faults")
    finally:
        ctx.close()


def test_untagged_surprises_in_the_middle_of_a_fetch(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    """EXPUNGE/EXISTS/ALERT/unsolicited FETCH between FETCH responses (plaintext to loopback)."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(800, seed=53))
    surprise = b"* 3 EXPUNGE\r\n* 900 EXISTS\r\n* OK [ALERT] maintenance soon\r\n* 7 FETCH (FLAGS (\\Seen))\r\n"
    state = {"done": False}

    def inject(data: bytes) -> bytes:
        if state["done"]:
            return data
        m = re.search(rb"\)\r\n\* \d+ FETCH \(UID 4\d\d ", data)
        if not m:
            return data
        state["done"] = True
        return data[: m.start() + 3] + surprise + data[m.start() + 3 :]

    fault = Fault("rewrite", DOWN, rewrite=inject)
    proxy.always(fault)
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, security="none")
    other = dovecot.client(mail_user)
    try:
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert fault.fired.is_set()
        record("faults")
        proxy.clear()
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()


def test_a_server_with_no_extensions_at_all(dovecot: Dovecot, tmp_path: Path) -> None:
    """IMAP4rev1 only: plain resync, COPY+EXPUNGE moves, SEARCH without ESEARCH, NOOP polling."""
    keep = {
        "IMAP4REV1",
        "SASL-IR",
        "LOGIN-REFERRALS",
        "AUTH=PLAIN",
        "AUTH=LOGIN",
        "LITERAL+",
        "ID",
        "ENABLE",
    }
    caps = {c.upper() for c in dovecot.default_capabilities()} - keep - {"ENABLE"}
    user = dovecot.add_user(disable=caps)
    mailgen.populate_standard(user, inbox=30)
    ctx = context_for(dovecot, user, tmp_path, account={"poll_interval": 1})
    service = ctx.service()
    other = dovecot.client(user)
    try:
        stats = service.run(commands.SyncAll(), timeout=60)
        assert {s.mode for s in stats} == {"cold"}
        service.run(
            commands.SetFlags(folder="INBOX", uids=(1, 2), add=frozenset({SEEN})), timeout=30
        )
        service.run(commands.MoveMessages(folder="INBOX", uids=(3,), dest="Archive"), timeout=30)
        assert service.run(commands.Search(folder="INBOX", query="seen"), timeout=30)
        mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=54))
        assert service.run(commands.SyncFolder(folder="INBOX"), timeout=30).mode == "plain"
        assert_cache_matches_server(ctx, other, ["INBOX"])
        service.watch("INBOX")
        watcher = service.watcher("INBOX")
        assert watcher is not None
        wait_until(lambda: watcher.ready.is_set(), what="polling watcher")
    finally:
        other.logout()
        ctx.close()
