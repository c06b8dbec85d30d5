"""kill -9 at many points of a cold sync and of a journal replay: nothing lost, nothing twice.

Kill points are chosen by watching the cache file from outside (rows stored, journal
rows left), so each kill lands inside the work, at a different place every round.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from mailtui.cache.store import HeaderCache
from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands
from mailtui.sync.actions import ActionLog, Policy
from tests.support import mailgen
from tests.support.accounts import cli_env, context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot
from tests.support.hardening import record


def _db(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "mailtui" / "accounts" / "test.sqlite3"


def _query(db: Path, sql: str) -> list[tuple]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def _kill_when(proc: subprocess.Popen, condition, timeout: float = 60) -> bool:
    """SIGKILL `proc` as soon as `condition()` holds; False if it finished first."""
    try:
        wait_until(
            lambda: proc.poll() is not None or condition(), timeout=timeout, what="kill point"
        )
    finally:
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    return killed


def _check_consistent(db: Path, *, contiguous: bool = False) -> None:
    """integrity_check ok; with contiguous UIDs on the server, the recorded cold floor never
    claims a row the cache lacks (every UID in [cold_floor, uidnext) is present)."""
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        row = con.execute(
            "SELECT id, cold_floor, uidnext FROM folders WHERE name='INBOX'"
        ).fetchone()
        if contiguous and row and row[2]:
            fid, floor, uidnext = row
            cached = {r[0] for r in con.execute("SELECT uid FROM messages WHERE folder=?", (fid,))}
            assert set(range(max(floor, 1), uidnext)) <= cached
    finally:
        con.close()


def test_cold_sync_killed_again_and_again_converges(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    n = 20_000
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(n, seed=60))
    env = cli_env(tmp_path, dovecot, user)
    db = _db(tmp_path)
    rng = random.Random(60)
    kills = 0
    for _round in range(12):
        have = (_query(db, "SELECT count(*) FROM messages") or [(0,)])[0][0]
        if have >= n:
            break
        target = have + rng.randint(1, max((n - have) // 3, 1))
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailtui", "sync", "--folder", "INBOX"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _kill_when(
            proc,
            lambda t=target: (_query(db, "SELECT count(*) FROM messages") or [(0,)])[0][0] >= t,
        ):
            kills += 1
            record("kills")
        _check_consistent(db, contiguous=True)
    assert kills >= 3
    final = subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, text=True
    )
    assert final.returncode == 0, final.stderr
    _check_consistent(db, contiguous=True)
    ctx = context_for(dovecot, user, db.parent)
    other = dovecot.client(user)
    try:
        assert_cache_matches_server(ctx, other, ["INBOX"])
    finally:
        other.logout()
        ctx.close()


def _message_ids(client, folder: str) -> list[str]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return [v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().strip() for v in data.values()]


def test_journal_replay_killed_again_and_again_applies_each_action_once(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(
        user.maildir, "INBOX", mailgen.generate(240, seed=61, seen_ratio=0.0, flagged_ratio=0.0)
    )
    other = dovecot.client(user)
    other.create_folder("Copies")
    other.create_folder("Moved")
    env = cli_env(tmp_path, dovecot, user)
    assert subprocess.run([sys.executable, "-m", "mailtui", "sync"], env=env).returncode == 0
    db = _db(tmp_path)
    # 120 actions saved while "offline": nothing sent yet.
    cache = HeaderCache(db)
    log = ActionLog(Policy())
    for i in range(40):
        base = 1 + i * 6
        log.apply(
            cache, commands.SetFlags(folder="INBOX", uids=(base,), add=frozenset({SEEN, FLAGGED}))
        )
        log.apply(
            cache, commands.CopyMessages(folder="INBOX", uids=(base + 1, base + 2), dest="Copies")
        )
        log.apply(cache, commands.MoveMessages(folder="INBOX", uids=(base + 3,), dest="Moved"))
    assert cache.journal_count() == 120
    cache.close()
    rng = random.Random(61)
    kills = 0
    for _round in range(60):
        left = (_query(db, "SELECT count(*) FROM journal") or [(0,)])[0][0]
        if left == 0:
            break
        target = left - rng.randint(1, 4)
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailtui", "sync", "--folder", "INBOX"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if _kill_when(
            proc,
            lambda t=target: (_query(db, "SELECT count(*) FROM journal") or [(99,)])[0][0] <= t,
        ):
            kills += 1
            record("kills")
        _check_consistent(db)
    final = subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, text=True
    )
    assert final.returncode == 0, final.stderr
    assert (_query(db, "SELECT count(*) FROM journal") or [(1,)])[0][0] == 0
    assert kills >= 5
    # Each action exactly once on the server.
    copies = _message_ids(other, "Copies")
    moved = _message_ids(other, "Moved")
    inbox = server_flags(other, "INBOX")
    lost = 0
    lost += 80 - len(set(copies))
    lost += 40 - len(set(moved))
    lost += sum(1 for i in range(40) if not {SEEN, FLAGGED} <= inbox.get(1 + i * 6, frozenset()))
    record("actions_checked", 120)
    record("actions_lost", lost)
    assert len(copies) == len(set(copies)) == 80  # no copy twice, none missing
    assert len(moved) == len(set(moved)) == 40
    assert all(1 + i * 6 + 3 not in inbox for i in range(40))
    assert lost == 0
    other.logout()
