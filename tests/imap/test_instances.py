"""Two mailtui processes on one account while a third client changes things."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from mailtui.cache.store import HeaderCache
from mailtui.model import FLAGGED
from mailtui.sync import commands
from mailtui.sync.actionlog import ActionLog, Policy
from tests.support import mailgen
from tests.support.accounts import cli_env, context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot
from tests.support.hardening import record


def test_two_processes_replaying_one_journal_send_each_action_once(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(60, seed=80))
    other = dovecot.client(user)
    other.create_folder("Copies")
    env = cli_env(tmp_path, dovecot, user)
    assert subprocess.run([sys.executable, "-m", "mailtui", "sync"], env=env).returncode == 0
    db = tmp_path / "cache" / "mailtui" / "accounts" / "test.sqlite3"
    cache = HeaderCache(db)
    log = ActionLog(Policy())
    for uid in range(1, 31):
        log.apply(cache, commands.CopyMessages(folder="INBOX", uids=(uid,), dest="Copies"))
    log.apply(
        cache,
        commands.SetFlags(folder="INBOX", uids=tuple(range(31, 61)), add=frozenset({FLAGGED})),
    )
    cache.close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mailtui", "sync"], env=env, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    # Meanwhile a third client keeps changing the mailbox.
    mailgen.append_imap(other, "INBOX", mailgen.generate(5, seed=81))
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    final = subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, text=True
    )
    assert final.returncode == 0, final.stderr
    other.select_folder("Copies", readonly=True)
    uids = other.search(["ALL"])
    ids = [
        v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
        for v in other.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values()
    ]
    assert len(ids) == len(set(ids)) == 30  # none lost, none doubled
    assert all(FLAGGED in f for u, f in server_flags(other, "INBOX").items() if 31 <= u <= 60)
    record("actions_checked", 31)
    record("actions_lost", 0)
    ctx = context_for(dovecot, user, db.parent)
    try:
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        ctx.close()
        other.logout()


def test_two_watchers_on_one_cache_both_see_new_mail(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(3, seed=82))
    env = cli_env(tmp_path, dovecot, user)
    logs = [tmp_path / f"watch{i}.err" for i in range(2)]
    watchers = [
        subprocess.Popen(
            [sys.executable, "-m", "mailtui", "watch"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
        )
        for log in logs
    ]
    lines: list[list[str]] = [[], []]
    for i, proc in enumerate(watchers):
        threading.Thread(
            target=lambda p=proc, out=lines[i]: out.extend(iter(p.stdout.readline, "")), daemon=True
        ).start()
    other = dovecot.client(user)
    try:
        wait_until(
            lambda: all(any("online" in ln for ln in out) for out in lines),
            timeout=30,
            what="both online",
        )
        db = tmp_path / "cache" / "mailtui" / "accounts" / "test.sqlite3"

        def synced() -> bool:
            try:
                return HeaderCache(db).count("INBOX") == 3
            except Exception:
                return False

        wait_until(synced, timeout=30, what="initial sync")
        mailgen.append_imap(other, "INBOX", list(mailgen.generate(4, seed=83))[3:])
        other.select_folder("INBOX")
        other.add_flags([1], [b"$Seen-by-third"])
        wait_until(
            lambda: all(any(" new INBOX " in ln for ln in out) for out in lines),
            timeout=15,
            what="both saw it",
        )
    except AssertionError as exc:
        errors = [log.read_text()[-2000:] for log in logs]
        raise AssertionError(f"{exc}; stdout={lines}; stderr={errors}") from exc
    finally:
        other.logout()
        for proc in watchers:
            proc.terminate()
            proc.wait(10)
