"""Flaky links and odd servers: a fault proxy between mailtui and Dovecot.

After every fault the cache must equal the server, no action may be lost or applied
twice (checked by the exact Message-IDs a folder holds), and a stalled server must hit
a timeout rather than hang. Every planned fault must have fired; the figure recorded
for the summary is the proxy's own count, taken after the test's checks passed.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtui.errors import ConnectionLost, TlsError
from mailtui.model import SEEN
from mailtui.sync import commands, events
from mailtui.sync.service import ActionQueued
from tests.support import mailgen, rawlog
from tests.support.accounts import context_for, wait_until
from tests.support.consistency import assert_cache_matches_server, message_ids, server_rows
from tests.support.dovecot import Dovecot, MailUser
from tests.support.faultproxy import DOWN, UP, Fault, FaultProxy
from tests.support.hardening import missing_and_doubled, record


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
    fractions = (0.001, 0.01, 0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 0.99)
    planned: list[Fault] = []
    other = dovecot.client(mail_user)
    try:
        for i, fraction in enumerate(fractions):
            cache = tmp_path / f"cache{i}"
            planned += proxy.arm(Fault("cut", DOWN, after=int(total_down * fraction)))
            ctx = _ctx(dovecot, mail_user, proxy, cache)
            try:
                with pytest.raises(ConnectionLost):
                    ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
                assert planned[-1].fired.is_set(), fraction
                assert ctx.service().cache().integrity_ok()
            finally:
                ctx.close()
            ctx = _ctx(dovecot, mail_user, proxy, cache)  # the next run resumes
            try:
                ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
                assert assert_cache_matches_server(ctx, other, ["INBOX"]) == 3000, fraction
            finally:
                ctx.close()
    finally:
        other.logout()
    assert not proxy.unfired(planned) and proxy.fired == len(fractions)
    record("faults", proxy.fired)


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
        assert proxy.fired == 1  # there were links to cut
        with pytest.raises(ConnectionLost):
            service.run(
                fetch(folder="INBOX", uid=uid, section=att.section, cache=False), timeout=30
            )
        # 2. It dies in the middle of the part's literal, on a fresh connection.
        before = proxy.connections
        (midway,) = proxy.arm(Fault("cut", DOWN, after=200_000))
        with pytest.raises(ConnectionLost):
            service.run(
                fetch(folder="INBOX", uid=uid, section=att.section, cache=False), timeout=30
            )
        assert proxy.connections == before + 1 and midway.fired.is_set()
        data = service.run(
            commands.FetchPart(folder="INBOX", uid=uid, section=att.section, cache=False),
            timeout=30,
        )
        from mailtui.mime.parse import transfer_decode

        assert transfer_decode(data, att.encoding) == payload
    finally:
        ctx.close()
    assert proxy.fired == 2
    record("faults", proxy.fired)


def test_a_stalled_server_hits_the_timeout(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(500, seed=51))
    (stall,) = proxy.arm(Fault("stall", DOWN, after=30_000))
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, timeout=1)
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionLost, match=r"(?i)answer|time"):
            ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert time.monotonic() - start < 10
        assert stall.fired.is_set() and proxy.fired == 1
    finally:
        ctx.close()
    record("faults", proxy.fired)


def _lost_copies(client, wanted: dict[str, list[str]]) -> list[str]:
    """Each folder must hold exactly the `wanted` Message-IDs, each once: what is missing
    and what is there twice (or was never asked for) are both broken promises."""
    broken = []
    for folder, ids in wanted.items():
        missing, doubled = missing_and_doubled(ids, message_ids(client, folder))
        if missing or doubled:
            broken.append(f"{folder}: {missing} missing, {doubled} extra")
    return broken


def test_copy_replayed_across_link_drops_lands_exactly_once(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    """Cut the writer's link at many points of a COPY; every replay must converge to one copy."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(40, seed=52))
    other = dovecot.client(mail_user)
    other.create_folder("Copies")
    source = {uid: row.message_id for uid, row in server_rows(other, "INBOX").items()}
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path)
    service = ctx.service()
    try:
        service.run(commands.SyncAll(), timeout=60)
        # One clean action to learn how long the writer's conversation is (it varies by a
        # few bytes: Dovecot's OK lines carry timings).
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
            (DOWN, 0.99),  # inside the last TLS record: the tagged OK of the COPY
        ]
        planned: list[Fault] = []
        for n, (direction, fraction) in enumerate(plan, start=2):
            service._writer.session.close()  # type: ignore[union-attr]  # next action opens a new link
            length = writer_up if direction == UP else writer_down
            planned += proxy.arm(Fault("cut", direction, after=int(length * fraction)))
            with contextlib.suppress(ActionQueued, ConnectionLost):
                service.run(
                    commands.CopyMessages(folder="INBOX", uids=(n,), dest="Copies"), timeout=30
                )
            assert planned[-1].fired.is_set(), (direction, fraction)
            proxy.clear()
            service.retry_now()
            assert service.wait_writer_idle(timeout=30)
        broken = _lost_copies(other, {"Copies": [source[u] for u in range(1, 9)]})
        assert not broken, broken
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()
    assert not proxy.unfired(planned) and proxy.fired == len(plan)
    record("faults", proxy.fired)
    record("actions_checked", 8)


def test_cut_as_the_server_confirms_a_copy_or_move_applies_it_once(
    dovecot: Dovecot, mail_user: MailUser, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The riskiest moment: the server has copied or moved, and the link dies exactly as
    its `OK [COPYUID …]` is on the way. The replay must find the work done — no second
    copy, nothing lost — and the cache must end equal to the server, Message-ID by
    Message-ID. (Plaintext to loopback, so that the proxy can see the answer.)"""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(30, seed=55))
    other = dovecot.client(mail_user)
    other.create_folder("Copies")
    other.create_folder("Moved")
    source = {uid: row.message_id for uid, row in server_rows(other, "INBOX").items()}
    ctx = _ctx(dovecot, mail_user, proxy, tmp_path, security="none")
    service = ctx.service()
    actions = [
        commands.CopyMessages(folder="INBOX", uids=(1,), dest="Copies"),
        commands.MoveMessages(folder="INBOX", uids=(2,), dest="Moved"),
        commands.CopyMessages(folder="INBOX", uids=(3, 4, 5), dest="Copies"),
        commands.MoveMessages(folder="INBOX", uids=(6, 7), dest="Moved"),
        commands.CopyMessages(folder="INBOX", uids=(8,), dest="Copies"),
        commands.MoveMessages(folder="INBOX", uids=(9,), dest="Moved"),
    ]
    planned: list[Fault] = []
    try:
        service.run(commands.SyncAll(), timeout=60)
        for action in actions:
            planned += proxy.arm(Fault("cut", DOWN, when=b"OK [COPYUID "))
            if service._writer.session is not None:  # type: ignore[union-attr]
                service._writer.session.close()  # type: ignore[union-attr]  # a new, armed link
            with contextlib.suppress(ActionQueued, ConnectionLost):
                service.run(action, timeout=30)
            assert planned[-1].fired.is_set(), action
            proxy.clear()
            service.retry_now()
            assert service.wait_writer_idle(timeout=30)
        copied = [u for a in actions if isinstance(a, commands.CopyMessages) for u in a.uids]
        moved = [u for a in actions if isinstance(a, commands.MoveMessages) for u in a.uids]
        broken = _lost_copies(
            other,
            {
                "Copies": [source[u] for u in copied],
                "Moved": [source[u] for u in moved],
                "INBOX": [source[u] for u in source if u not in moved],
            },
        )
        assert not broken, broken
        for folder in ("INBOX", "Copies", "Moved"):
            service.run(commands.SyncFolder(folder=folder), timeout=30)
        assert_cache_matches_server(ctx, other, ["INBOX", "Copies", "Moved"])
    finally:
        other.logout()
        ctx.close()
    assert not proxy.unfired(planned) and proxy.fired == len(actions)
    record("faults", proxy.fired)
    record("actions_checked", len(actions))


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
    finally:
        ctx.close()
    record("faults", proxy.fired)


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
        proxy.clear()
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()
    assert proxy.fired == 1
    record("faults", proxy.fired)


# What IMAP4rev1 (RFC 3501 §6) offers, and ID, the one extension left advertised that a
# client may use without enabling anything.
BASE_VERBS = frozenset(
    [
        "CAPABILITY",
        "NOOP",
        "LOGOUT",
        "STARTTLS",
        "AUTHENTICATE",
        "LOGIN",
        "SELECT",
        "EXAMINE",
        "CREATE",
        "DELETE",
        "RENAME",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "LIST",
        "LSUB",
        "STATUS",
        "APPEND",
        "CHECK",
        "CLOSE",
        "EXPUNGE",
        "SEARCH",
        "FETCH",
        "STORE",
        "COPY",
        "ID",
    ]
) | {"UID FETCH", "UID STORE", "UID COPY", "UID SEARCH"}
# Words that mean something only with an extension (ESEARCH/LIST-EXTENDED RETURN,
# CONDSTORE, QRESYNC, BINARY, SPECIAL-USE, PREVIEW, SAVEDATE, Gmail's X-GM-*).
EXTENSION_WORDS = re.compile(
    r"(?i)(?<![\w.])(RETURN|CONDSTORE|QRESYNC|CHANGEDSINCE|UNCHANGEDSINCE|MODSEQ|HIGHESTMODSEQ"
    r"|VANISHED|BINARY(\.PEEK|\.SIZE)?|SPECIAL-USE|PREVIEW|SNIPPET|SAVEDATE|X-GM-[A-Z]+)(?![\w.])"
)
BASE_STATUS_ITEMS = frozenset({"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"})


def _extension_uses(sent: list[rawlog.Command]) -> list[str]:
    """Every command that used something beyond IMAP4rev1 (+ ID), with the reason."""
    found = []
    for c in sent:
        words = c.text.split()
        if c.verb not in BASE_VERBS:
            found.append(f"{c.verb}: {c.text[:100]}")
        elif m := EXTENSION_WORDS.search(c.text):
            found.append(f"{m.group(1)}: {c.text[:100]}")
        elif "$" in words or "$)" in words:  # SEARCHRES: the saved result
            found.append(f"$: {c.text[:100]}")
        elif c.verb == "STATUS":
            items = set(re.sub(r"[()]", " ", c.text.rpartition("(")[2]).upper().split())
            if items - BASE_STATUS_ITEMS:
                found.append(f"STATUS {sorted(items - BASE_STATUS_ITEMS)}: {c.text[:100]}")
    return found


def test_a_server_with_no_extensions_at_all(dovecot: Dovecot, tmp_path: Path) -> None:
    """IMAP4rev1 only: plain resync, COPY+EXPUNGE moves, SEARCH without ESEARCH, NOOP
    polling — and the user's rawlog proves mailtui used nothing the server did not offer
    (Dovecot would answer a hidden extension anyway, so only the log can tell)."""
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
    caps = {c.upper() for c in dovecot.default_capabilities()} - keep
    user = dovecot.add_user(disable=caps, rawlog=True)
    mailgen.populate_standard(user, inbox=30)
    ctx = context_for(dovecot, user, tmp_path, account={"poll_interval": 1})
    service = ctx.service()
    arrived: list[tuple[int, ...]] = []
    service.subscribe(lambda e: arrived.append(e.uids) if isinstance(e, events.NewMail) else None)
    try:
        stats = service.run(commands.SyncAll(), timeout=60)
        assert {s.mode for s in stats} == {"cold"}
        moving = service.envelope("INBOX", 3).message_id
        service.run(
            commands.SetFlags(folder="INBOX", uids=(1, 2), add=frozenset({SEEN})), timeout=30
        )
        service.run(commands.MoveMessages(folder="INBOX", uids=(3,), dest="Archive"), timeout=30)
        assert service.run(commands.Search(folder="INBOX", query="seen"), timeout=30)
        service.watch("INBOX")
        watcher = service.watcher("INBOX")
        assert watcher is not None
        wait_until(lambda: watcher.ready.is_set(), what="polling watcher")
        # New mail behind the server's back: no IMAP session of the test's own in the log.
        raw = mailgen.make_message(subject="Plain news", message_id="<plain-news@example.test>")
        delivered = time.time()
        mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw)])
        wait_until(lambda: bool(arrived), timeout=10, what="new mail found by polling")
        wait_until(lambda: rawlog.noop_saw_exists(user, delivered), timeout=10, what="NOOP poll")
        assert service.run(commands.SyncFolder(folder="INBOX"), timeout=30).mode == "plain"
        sent = [c for s in rawlog.sessions(user) for c in s.commands]
        used = {c.verb for c in sent}
        assert {"UID COPY", "EXPUNGE", "NOOP"} <= used, used  # the fallbacks really ran
        assert not _extension_uses(sent), _extension_uses(sent)

        other = dovecot.client(user)
        try:
            flags = server_rows(other, "INBOX")
            assert SEEN in flags[1].flags and SEEN in flags[2].flags and 3 not in flags
            (uid,) = arrived[0]
            assert flags[uid].message_id == "plain-news@example.test"
            archive = message_ids(other, "Archive")
            assert archive.count(moving) == 1 and len(set(archive)) == len(archive) == 26
            assert_cache_matches_server(ctx, other, ["INBOX", "Archive"])
        finally:
            other.logout()
    finally:
        ctx.close()
