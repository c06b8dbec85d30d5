"""Changes made by other programs: live updates, files that vanish, the folder tree changing."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from mailtui.context import AppContext
from mailtui.errors import FolderGone
from mailtui.maildir.session import MaildirSession
from mailtui.sync import commands, events
from tests.maildir.helpers import deliver, files, folder_dir, message_ids, wait_until
from tests.support import mailgen


def _collect(ctx: AppContext, kind: type) -> list:
    got: list = []
    ctx.service().subscribe(lambda e: got.append(e) if isinstance(e, kind) else None)
    return got


def _watching(ctx: AppContext, folder: str = "INBOX") -> None:
    service = ctx.service()
    service.watch(folder)
    watcher = service.watcher(folder)
    assert watcher is not None
    wait_until(watcher.ready.is_set, what="the watcher's first sync")


def test_delivery_by_another_program_appears_within_two_seconds(
    ctx: AppContext, tree: Path
) -> None:
    _watching(ctx)
    new_mail = _collect(ctx, events.NewMail)
    raw = mailgen.make_message(subject="Hot off the press", message_id="<hot@example.test>")
    delivered = time.monotonic()
    deliver(tree, "INBOX", raw, "1900000000.M1P1Q1.otherhost")
    wait_until(lambda: bool(new_mail), timeout=2.0, what="NewMail from the watcher")
    assert time.monotonic() - delivered < 2.0
    (event,) = new_mail
    env = ctx.service().envelope("INBOX", event.uids[0])
    assert env is not None and env.subject == "Hot off the press"


def test_flag_change_by_another_program_is_seen_live(ctx: AppContext, tree: Path) -> None:
    _watching(ctx)
    changed = _collect(ctx, events.FlagsChanged)
    base = folder_dir(tree, "INBOX")
    sub, name = next(v for v in files(tree, "INBOX").values() if "F" not in v[1])
    mid = next(m for m, n in message_ids(tree, "INBOX").items() if n == name)
    os.rename(base / sub / name, base / "cur" / (name.split(":")[0] + ":2,FS"))
    wait_until(lambda: bool(changed), timeout=2.0, what="FlagsChanged")
    # The event names that message, and the cache now holds the file's flags.
    (uid,) = changed[0].uids
    env = ctx.service().envelope("INBOX", uid)
    assert f"<{env.message_id}>" == mid and {"\\Flagged", "\\Seen"} <= env.flags


def test_removed_file_disappears_after_resync(ctx: AppContext, tree: Path) -> None:
    service = ctx.service()
    vanished = _collect(ctx, events.MessagesVanished)
    envelope = service.envelope("INBOX", 5)
    assert envelope is not None
    base = folder_dir(tree, "INBOX")
    for sub, name in files(tree, "INBOX").values():
        if envelope.message_id.encode() in (base / sub / name).read_bytes():
            os.unlink(base / sub / name)
            break
    else:
        raise AssertionError("message 5 not found on disk")
    stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
    assert stats.vanished == 1 and service.envelope("INBOX", 5) is None
    assert vanished and vanished[0].uids == (5,)


def test_vanished_file_gives_a_clear_error_when_opened(ctx: AppContext, tree: Path) -> None:
    service = ctx.service()
    envelope = service.envelope("INBOX", 6)
    assert envelope is not None
    base = folder_dir(tree, "INBOX")
    for sub, name in files(tree, "INBOX").values():
        if envelope.message_id.encode() in (base / sub / name).read_bytes():
            os.unlink(base / sub / name)
    with pytest.raises(FolderGone, match="no longer there"):
        service.run(commands.FetchStructure(folder="INBOX", uid=6), timeout=10)
    with pytest.raises(FolderGone, match="no longer there"):
        service.run(commands.FetchPart(folder="INBOX", uid=6, section="1"), timeout=10)
    # The service is still fine: other messages open.
    assert service.run(commands.FetchPart(folder="INBOX", uid=7, section=""), timeout=10)


def test_renamed_file_is_still_found(ctx: AppContext, tree: Path) -> None:
    """Someone changes the flags (renames the file) between our scan and the fetch."""
    service = ctx.service()
    service.run(commands.FetchPart(folder="INBOX", uid=1, section=""), timeout=10)  # selects
    base = folder_dir(tree, "INBOX")
    for sub, name in list(files(tree, "INBOX").values()):
        os.rename(base / sub / name, base / "cur" / (name.split(":")[0] + ":2,RS"))
    data = service.run(
        commands.FetchPart(folder="INBOX", uid=2, section="", cache=False), timeout=10
    )
    assert b"Message-ID" in data or b"Message-Id" in data


def test_watch_without_inotify_polls(tree: Path, tmp_path: Path) -> None:
    session = MaildirSession(tree, "poll", tmp_path / "uids.sqlite3", use_inotify=False)
    session.connect()
    try:
        session.select("INBOX")
        assert session.idle_start() is False
        r, w = os.pipe()
        deliver(tree, "INBOX", mailgen.make_message(subject="polled"), "1900000001.M2P2Q2.h")
        changed, woken = session.idle_wait(r, 5.0)
        assert changed and not woken
        session.idle_done()
        assert session.poll() is True  # changed since select; poll then remembers
        assert session.poll() is False
        os.close(r)
        os.close(w)
    finally:
        session.close()


def test_idle_wait_returns_promptly_when_woken(tree: Path, tmp_path: Path) -> None:
    session = MaildirSession(tree, "wake", tmp_path / "uids.sqlite3")
    session.connect()
    r, w = os.pipe()
    try:
        session.select("INBOX")
        assert session.idle_start() is False
        threading.Timer(0.1, os.write, (w, b"x")).start()
        started = time.monotonic()
        changed, woken = session.idle_wait(r, 30)
        assert woken and not changed and time.monotonic() - started < 5
        session.idle_done()
    finally:
        os.close(r)
        os.close(w)
        session.close()


def test_change_between_select_and_idle_is_not_lost(tree: Path, tmp_path: Path) -> None:
    session = MaildirSession(tree, "race", tmp_path / "uids.sqlite3")
    session.connect()
    try:
        session.select("INBOX")
        deliver(tree, "INBOX", mailgen.make_message(subject="in between"), "1900000002.M3P3Q3.h")
        assert session.idle_start() is True
        session.idle_done()
    finally:
        session.close()


def test_unreachable_maildir_is_offline_not_empty(ctx: AppContext, tree: Path) -> None:
    """An unmounted Maildir must not read as "every folder was deleted"."""
    service = ctx.service()
    states = _collect(ctx, events.ConnectionChanged)
    aside = tree.with_name("Mail-unmounted")
    os.rename(tree, aside)
    with pytest.raises(Exception, match=r"cannot be reached|does not exist"):
        service.run(commands.SyncAll(), timeout=30)
    assert len(service.view("INBOX")) == 30 and {f.name for f in service.folders()} >= {"Work"}
    # A change made meanwhile waits in the journal and reaches the disk once it is back.
    service.submit(commands.SetFlags(folder="INBOX", uids=(1,), add=frozenset({"\\Flagged"})))
    wait_until(lambda: any(e.state == "offline" for e in states), what="offline state")
    os.rename(aside, tree)
    service.retry_now()
    assert service.wait_writer_idle(30)
    service.run(commands.SyncAll(), timeout=30)
    assert len(service.view("INBOX")) == 30
    env = service.envelope("INBOX", 1)
    assert env is not None and "\\Flagged" in env.flags


def test_polling_sees_a_change_within_the_same_clock_tick(tree: Path) -> None:
    """Directory mtimes are coarse: a delivery in the tick of our last look leaves the
    mtime as it was. A recent mtime is not trusted, so the listing decides."""
    from mailtui.maildir.watch import DirWatch

    new = folder_dir(tree, "INBOX") / "new"
    os.utime(new)  # "just now", as after any delivery
    watch = DirWatch([new], use_inotify=False)
    before = os.stat(new)
    deliver(tree, "INBOX", mailgen.make_message(subject="same tick"), "1900000003.M4P4Q4.h")
    os.utime(new, ns=(before.st_atime_ns, before.st_mtime_ns))  # the tick did not advance
    assert watch.changed()
    assert not watch.changed()
    watch.close()


def test_inotify_is_used_on_linux(tree: Path) -> None:
    from mailtui.maildir.watch import DirWatch, inotify_available

    assert inotify_available()
    base = folder_dir(tree, "INBOX")
    watch = DirWatch([base / "new", base / "cur"])
    try:
        assert watch.uses_inotify
        assert watch.wait(None, 0.05) == (False, False)
        # A burst of 50 deliveries wakes the waiter once, not 50 times.
        for i in range(50):
            deliver(tree, "INBOX", b"Subject: burst\n\nx\n", f"1900000100.M{i}P5Q{i}.h")
        assert watch.wait(None, 5) == (True, False)
        assert watch.wait(None, 0.05) == (False, False)
    finally:
        watch.close()
