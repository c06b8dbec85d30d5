"""Microsoft 365, Yahoo, iCloud and Gmail's connection limit against scripted servers
that answer as those providers document (tests/support/scripted_imap/providers.py and
gmail.py). Each test asserts what the server then holds (or that the cache equals it),
never the commands sent."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mailtui.imap.ext import quirks
from mailtui.sync import commands
from tests.support import mailgen
from tests.support.accounts import wait_until
from tests.support.scripted_fixture import assert_cache_matches_store, scripted_context
from tests.support.scripted_imap import gmail, hooks, providers


@pytest.fixture(autouse=True)
def _forget_learnt_quirks():
    """What sessions learnt is per run; each test starts from nothing."""
    quirks._learnt.clear()
    yield
    quirks._learnt.clear()


def _synced(server, tmp_path: Path, count: int = 12, **kwargs):
    server.store.add_messages("INBOX", mailgen.generate(count, seed=3))
    ctx = scripted_context(server, tmp_path, **kwargs)
    ctx.service().run(commands.SyncAll(), timeout=60)
    return ctx


def test_m365_special_folders_come_from_list_without_special_use(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = providers.m365(scripted_imap_factory)
    ctx = _synced(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.DeleteMessages(folder="INBOX", uids=(1, 2)), timeout=30)
        service.run(commands.ArchiveMessages(folder="INBOX", uids=(3,)), timeout=30)
        assert service.wait_writer_idle()
        assert len(server.store.messages("Deleted Items")) == 2
        assert len(server.store.messages("Archive")) == 1
        assert sorted(server.store.flags("INBOX")) == list(range(4, 13))
    finally:
        ctx.close()


def test_m365_throttling_is_waited_out_and_the_move_lands(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = providers.m365(scripted_imap_factory)
    ctx = _synced(server, tmp_path)
    try:
        server.on("UID MOVE", hooks.throttle(times=2, backoff_ms=50))
        service = ctx.service()
        service.run(commands.MoveMessages(folder="INBOX", uids=(5, 6), dest="Archive"), timeout=30)
        assert service.wait_writer_idle()
        assert len(server.store.messages("Archive")) == 2
        assert 5 not in server.store.flags("INBOX")
    finally:
        ctx.close()


def test_m365_authenticated_but_not_connected_reconnects_and_nothing_is_lost(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = providers.m365(scripted_imap_factory)
    ctx = _synced(server, tmp_path)
    try:
        server.on("UID STORE", providers.not_connected(times=1))
        service = ctx.service()
        # The writer meets the BAD, reconnects with backoff and sends the row again.
        service.submit(commands.SetFlags(folder="INBOX", uids=(7,), add=frozenset({"\\Flagged"})))
        assert service.wait_writer_idle(timeout=60)
        assert "\\Flagged" in server.store.flags("INBOX")[7]
    finally:
        ctx.close()


def test_yahoo_clientbug_on_changedsince_falls_back_to_the_plain_resync(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = providers.yahoo(scripted_imap_factory)
    ctx = _synced(server, tmp_path, count=20)
    try:
        # Another client changes flags and expunges; the next resync must see it all.
        server.store.store("INBOX", [2, 3], "+", ["\\Seen", "\\Flagged"])
        server.store.expunge("INBOX", [4], only_deleted=False)
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 19
        # Remembered: the next change is found without meeting the CLIENTBUG again.
        assert "no-condstore" in quirks.switches_for(ctx.account().imap)
        server.store.store("INBOX", [5], "+", ["\\Answered"])
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 19
    finally:
        ctx.close()


def test_icloud_gets_no_qresync_by_host_and_any_server_by_hand(
    scripted_imap, tmp_path: Path
) -> None:
    class ICloud:
        host, port, username, quirks = "imap.mail.me.com", 993, "a", ()

    assert "QRESYNC" in quirks.withheld(ICloud())
    ctx = _synced(scripted_imap, tmp_path, imap={"quirks": ["no-qresync"]})
    try:
        scripted_imap.store.store("INBOX", [1], "+", ["\\Seen"])
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert assert_cache_matches_store(ctx, scripted_imap, ["INBOX"]) == 12
        assert not any("QRESYNC" in s.enabled for s in list(scripted_imap.sessions))
    finally:
        ctx.close()


def test_gmail_too_many_connections_is_waited_out_not_a_wrong_password(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    server.store.add_mail(b"Subject: hi\r\nMessage-ID: <hi@x>\r\n\r\nhi\r\n", labels={"\\Inbox"})
    refuse = hooks.reply("NO", "Too many simultaneous connections. (Failure)", "ALERT", times=1)
    server.on("LOGIN", refuse)
    server.on("AUTHENTICATE", refuse)
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.start()
        service.submit(commands.SyncAll())
        wait_until(lambda: service.folder_state("INBOX").synced, timeout=30, what="INBOX synced")
        assert len(service.view("INBOX")) == 1
    finally:
        ctx.close()


def test_connections_per_account_stay_within_max_connections(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    server.store.create("Work")
    peak = [0]
    lock = threading.Lock()

    def count(_session) -> None:
        with lock:
            peak[0] = max(peak[0], len(server.sessions))

    server.on_session(count)
    server.store.add_mail(b"Subject: a\r\nMessage-ID: <a@x>\r\n\r\nbody\r\n", labels={"\\Inbox"})
    ctx = scripted_context(server, tmp_path, account={"max_connections": 4})
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        service.watch("Work")
        # The folder on screen gets the one watcher left; INBOX is polled meanwhile.
        wait_until(lambda: service.watcher("Work") is not None, what="the Work watcher")
        watcher = service.watcher("Work")
        wait_until(watcher.ready.is_set, what="the Work watcher's first sync")
        # Every connection busy at once: a sync, a part fetch, a write, the watcher.
        (uid,) = service.view("INBOX")
        service.run(commands.FetchPart(folder="INBOX", uid=uid, section="1"), timeout=30)
        service.run(
            commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({"\\Seen"})), timeout=30
        )
        assert service.wait_writer_idle()
        assert service.watcher("INBOX") is None  # no connection left for it: polled instead
        assert "\\Seen" in server.store.flags("INBOX")[uid]
        assert 1 <= peak[0] <= 4
    finally:
        ctx.close()


def test_every_quirk_the_config_takes_is_one_the_session_knows() -> None:
    from mailtui.config.model import QUIRKS

    assert set(QUIRKS) == set(quirks.SWITCHES)


def test_an_unknown_quirk_is_refused_naming_the_key(tmp_path: Path) -> None:
    from mailtui.config.load import make_settings
    from mailtui.errors import MailtuiError as ConfigProblem

    table = {"host": "127.0.0.1", "port": 993, "quirks": ["no-qresync", "make-it-fast"]}
    with pytest.raises(ConfigProblem, match=r"quirks\[1\].*not a known quirk"):
        make_settings({"a": {"email": "a@example.test", "imap": table}})
    good = make_settings(
        {"a": {"email": "a@example.test", "imap": {**table, "quirks": ["NO-QRESYNC"]}}}
    )
    assert good.accounts["a"].imap.quirks == ("no-qresync",)
