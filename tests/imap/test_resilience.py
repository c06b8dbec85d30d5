"""Nothing lost: offline actions, crashes between cache and server, live updates, resumed syncs."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mailtui.cache.store import HeaderCache
from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands, events
from mailtui.sync.actionlog import ActionLog, Policy
from mailtui.sync.service import ActionQueued
from tests.support import mailgen, rawlog
from tests.support.accounts import cli_env, context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server, message_ids, server_rows
from tests.support.dovecot import Dovecot, MailUser


def _ids_of(client, folder: str, uids: list[int]) -> list[str]:
    """The Message-IDs of `uids` in `folder`, as the server holds them."""
    rows = server_rows(client, folder)
    return sorted(rows[u].message_id for u in uids)


def test_actions_taken_offline_are_applied_after_the_server_returns(
    private_dovecot: Dovecot, tmp_path: Path
) -> None:
    user = private_dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(10, seed=11, seen_ratio=0.0))
    ctx = context_for(private_dovecot, user, tmp_path)
    service = ctx.service()
    states: list[str] = []
    service.subscribe(
        lambda e: states.append(e.state) if isinstance(e, events.ConnectionChanged) else None
    )
    try:
        service.run(commands.SyncAll(), timeout=60)
        moving = service.envelope("INBOX", 3).message_id
        private_dovecot.stop()
        with pytest.raises(ActionQueued):
            service.run(
                commands.SetFlags(folder="INBOX", uids=(1, 2), add=frozenset({SEEN})), timeout=30
            )
        with pytest.raises(ActionQueued):
            service.run(
                commands.MoveMessages(folder="INBOX", uids=(3,), dest="Archive"), timeout=30
            )
        # The app keeps working from the cache meanwhile.
        assert SEEN in service.envelope("INBOX", 1).flags
        assert service.envelope("INBOX", 3) is None
        assert service.pending_actions() == 2
        assert "offline" in states
        private_dovecot.start()
        service.retry_now()
        assert service.wait_writer_idle(timeout=30)
        other = private_dovecot.client(user)
        flags = server_flags(other, "INBOX")
        assert SEEN in flags[1] and SEEN in flags[2] and 3 not in flags
        assert message_ids(other, "Archive") == [moving]  # that message, once
        assert states[-1] == "online"
        assert_cache_matches_server(ctx, other, ["INBOX"])
        other.logout()
    finally:
        ctx.close()


def _journal_only(ctx, command) -> None:
    """Commit an action to cache+journal the way submit() does, with no writer running:
    the state a process killed right after the commit leaves behind."""
    service = ctx.service()
    cache = HeaderCache(service.cache_path)
    try:
        ActionLog(Policy()).apply(cache, command)
    finally:
        cache.close()


def test_killed_after_commit_before_send_applies_once(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(6, seed=12))
    ctx = context_for(dovecot, mail_user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    ctx.close()
    ctx = context_for(dovecot, mail_user, tmp_path)  # "restart": a new service, same cache
    cache_path = ctx.service().cache_path
    ctx.close()
    stale = context_for(dovecot, mail_user, tmp_path)
    stale.service().cache()  # opened, never started: nothing is sent
    _journal_only(stale, commands.CopyMessages(folder="INBOX", uids=(1, 2), dest="Archive"))
    _journal_only(stale, commands.SetFlags(folder="INBOX", uids=(4,), add=frozenset({FLAGGED})))
    assert HeaderCache(cache_path).journal_count() == 2
    ctx = context_for(dovecot, mail_user, tmp_path)
    other = dovecot.client(mail_user)
    try:
        wanted = _ids_of(other, "INBOX", [1, 2])
        ctx.service().start()
        assert ctx.service().wait_writer_idle(timeout=30)
        assert message_ids(other, "Archive") == wanted  # those two, each once
        assert FLAGGED in server_flags(other, "INBOX")[4]
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()


def test_killed_after_send_before_journal_removal_does_not_duplicate(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    """COPY and APPEND are not idempotent: a replayed 'sending' row must check first."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(4, seed=13))
    ctx = context_for(dovecot, mail_user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    ctx.close()
    other = dovecot.client(mail_user)
    stale = context_for(dovecot, mail_user, tmp_path)
    raw = mailgen.make_message(subject="Sent copy", message_id="<sent-1@example.test>")
    _journal_only(stale, commands.CopyMessages(folder="INBOX", uids=(2,), dest="Archive"))
    _journal_only(stale, commands.AppendMessage(folder="Sent", raw=raw, flags=frozenset({SEEN})))
    # The server executed both before the crash; the rows still say 'sending'.
    cache = HeaderCache(stale.service().cache_path)
    for row in cache.journal():
        with cache.transaction():
            cache.journal_update(row.id, state="sending")
    cache.close()
    other.select_folder("INBOX")
    other.copy([2], "Archive")
    other.append("Sent", raw, flags=[SEEN.encode()])
    ctx = context_for(dovecot, mail_user, tmp_path)
    try:
        wanted = _ids_of(other, "INBOX", [2])
        ctx.service().start()
        assert ctx.service().wait_writer_idle(timeout=30)
        assert message_ids(other, "Archive") == wanted  # once, not twice
        assert message_ids(other, "Sent") == ["sent-1@example.test"]
    finally:
        other.logout()
        ctx.close()


def test_cli_action_while_server_down_is_replayed_by_the_next_command(
    private_dovecot: Dovecot, tmp_path: Path
) -> None:
    user = private_dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(5, seed=14))
    env = cli_env(tmp_path, private_dovecot, user)
    assert _mailtui(env, "sync").returncode == 0
    private_dovecot.stop()
    down = _mailtui(env, "mark", "INBOX", "2", "--flagged")
    assert down.returncode == 75, down.stderr
    assert "saved" in down.stderr and "\n" not in down.stderr.strip()
    private_dovecot.start()
    assert _mailtui(env, "sync").returncode == 0
    other = private_dovecot.client(user)
    assert FLAGGED in server_flags(other, "INBOX")[2]
    other.logout()


def _mailtui(
    env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- live updates ---------------------------------------------------------------------


def _watch_inbox(ctx) -> None:
    service = ctx.service()
    service.run(commands.SyncAll(), timeout=60)
    service.watch("INBOX")
    watcher = service.watcher("INBOX")
    assert watcher is not None and watcher.ready.wait(10)


class _Events:
    """The service's events of some kinds, collected, with a wait for the first match."""

    def __init__(self, ctx, *kinds: type) -> None:
        self.got: list[events.Event] = []
        self.cond = threading.Condition()
        self.kinds = kinds
        ctx.service().subscribe(self._on)

    def _on(self, event: events.Event) -> None:
        if isinstance(event, self.kinds):
            with self.cond:
                self.got.append(event)
                self.cond.notify_all()

    def wait(self, kind: type, timeout: float, match=lambda e: True) -> events.Event:
        with self.cond:
            found = self.cond.wait_for(
                lambda: next((e for e in self.got if isinstance(e, kind) and match(e)), None),
                timeout,
            )
        assert found is not None, f"no {kind.__name__} within {timeout} s; got {self.got}"
        return found


def test_changes_by_another_client_reach_listeners_within_two_seconds(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    """Each event names the right UIDs, and what it announces is what the server holds."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(5, seed=16))
    ctx = context_for(dovecot, mail_user, tmp_path)
    seen = _Events(ctx, events.NewMail, events.FlagsChanged, events.MessagesVanished)
    service = ctx.service()
    other = dovecot.client(mail_user)
    try:
        _watch_inbox(ctx)
        (new_uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=17))
        seen.wait(events.NewMail, 2, lambda e: new_uid in e.uids)
        assert service.envelope("INBOX", new_uid) is not None
        other.select_folder("INBOX")
        other.add_flags([1], [b"$Checked"])  # a keyword no message has yet: a real change
        seen.wait(events.FlagsChanged, 2, lambda e: 1 in e.uids)
        assert "$Checked" in service.envelope("INBOX", 1).flags
        assert server_flags(other, "INBOX")[1] == service.envelope("INBOX", 1).flags
        other.select_folder("INBOX")  # read-write again after the read-only check
        other.delete_messages([2])
        other.expunge()
        seen.wait(events.MessagesVanished, 2, lambda e: 2 in e.uids)
        assert service.envelope("INBOX", 2) is None
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()


def test_without_idle_the_folder_is_polled(dovecot: Dovecot, tmp_path: Path) -> None:
    """No IDLE advertised: polling finds new mail, and the watcher's NOOP poll sees it.

    Two polls run every `poll_interval`: the folder list's (LIST … STATUS, then a resync
    of a folder whose counts moved) and the watcher's NOOP on its selected folder;
    either may announce the mail first. The rawlog proves no IDLE was ever sent and that
    a NOOP sent after the delivery was answered with the new EXISTS.
    """
    user = dovecot.add_user(disable=("IDLE",), rawlog=True)
    ctx = context_for(dovecot, user, tmp_path, account={"poll_interval": 1})
    seen = _Events(ctx, events.NewMail)
    service = ctx.service()
    try:
        _watch_inbox(ctx)
        # Delivered behind the server's back (into its Maildir, flagged), so no IMAP
        # session of the test's own is involved: only a poll can bring it.
        raw = mailgen.make_message(subject="Polled in", message_id="<polled@example.test>")
        delivered = time.time()
        mailgen.write_maildir(
            user.maildir, "INBOX", [mailgen.from_bytes(raw, flags=frozenset({FLAGGED}))]
        )
        (uid,) = seen.wait(events.NewMail, 5).uids
        wait_until(
            lambda: rawlog.noop_saw_exists(user, delivered), timeout=5, what="a NOOP poll's EXISTS"
        )
        assert not [c for s in rawlog.sessions(user) for c in s.commands if c.verb == "IDLE"]
        other = dovecot.client(user)
        try:
            row = server_rows(other, "INBOX")[uid]
            assert row.message_id == "polled@example.test"
            env = service.envelope("INBOX", uid)
            assert env is not None and env.flags == row.flags and FLAGGED in env.flags
            assert_cache_matches_server(ctx, other, ["INBOX"])
        finally:
            other.logout()
    finally:
        ctx.close()


def test_watcher_reconnects_after_the_server_restarts(
    private_dovecot: Dovecot, tmp_path: Path
) -> None:
    user = private_dovecot.add_user()
    ctx = context_for(private_dovecot, user, tmp_path)
    seen_states: list[str] = []
    seen = _Events(ctx, events.NewMail)
    ctx.service().subscribe(
        lambda e: seen_states.append(e.state) if isinstance(e, events.ConnectionChanged) else None
    )
    try:
        _watch_inbox(ctx)
        private_dovecot.restart()
        wait_until(lambda: "offline" in seen_states, timeout=10, what="offline state")
        other = private_dovecot.client(user)
        (uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=19))
        seen.wait(events.NewMail, 20, lambda e: uid in e.uids)
        assert seen_states[-1] == "online"
        assert_cache_matches_server(ctx, other, ["INBOX"])
        other.logout()
    finally:
        ctx.close()


def test_watch_command_prints_one_line_per_event(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(2, seed=20))
    env = cli_env(tmp_path, dovecot, user)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailtui", "watch"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True
    )
    reader.start()
    other = dovecot.client(user)
    try:
        wait_until(
            lambda: any("connection online" in ln for ln in lines), timeout=20, what="watch online"
        )
        # Wait until the INBOX watcher is idling: the cache then holds the 2 existing messages.
        db = tmp_path / "cache" / "mailtui" / "accounts" / "test.sqlite3"
        wait_until(lambda: db.exists() and _count(db) == 2, timeout=20, what="initial sync")
        raw = mailgen.make_message(subject="Ping \x1b[31mred", sender="Zoë <zoe@example.test>")
        other.append("INBOX", raw)
        wait_until(
            lambda: any(" new INBOX " in ln for ln in lines), timeout=10, what="new-mail line"
        )
        line = next(ln for ln in lines if " new INBOX " in ln)
        assert "Zoë" in line and "Ping" in line and "\x1b" not in line
    finally:
        other.logout()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        n = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        con.close()
        return n
    except sqlite3.Error:
        return -1


def test_sync_survives_a_second_run_in_parallel(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    """Two services on one cache (two mailtui processes) converge to the server's state."""
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(3000, seed=21))
    a = context_for(dovecot, mail_user, tmp_path)
    b = context_for(dovecot, mail_user, tmp_path)
    try:
        done = []
        threads = [
            threading.Thread(
                target=lambda c=c: done.append(
                    c.service().run(commands.SyncFolder(folder="INBOX"), timeout=120)
                )
            )
            for c in (a, b)
        ]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(done) == 2 and time.monotonic() - start < 120
        other = dovecot.client(mail_user)
        assert_cache_matches_server(a, other, ["INBOX"])
        other.logout()
    finally:
        a.close()
        b.close()


def test_idle_is_renewed_and_keeps_delivering(
    dovecot: Dovecot, tmp_path: Path, monkeypatch
) -> None:
    """RFC 2177: re-issue IDLE before the server's 30-minute cut (here: every second)."""
    import mailtui.sync.idle as idle

    monkeypatch.setattr(idle, "IDLE_RENEW", 1.0)
    user = dovecot.add_user(rawlog=True)
    ctx = context_for(dovecot, user, tmp_path)
    seen = _Events(ctx, events.NewMail)
    other = dovecot.client(user)
    try:
        _watch_inbox(ctx)
        wait_until(
            lambda: sum(1 for c in dovecot.commands_sent(user) if c == "IDLE") >= 3,
            timeout=15,
            what="IDLE re-issued",
        )
        (uid,) = mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=22))
        seen.wait(events.NewMail, 3, lambda e: uid in e.uids)
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()
