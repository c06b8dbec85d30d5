"""kill -9 at many points of a cold sync and of a journal replay: nothing lost, nothing twice.

Kill points are chosen by watching from outside: the cache file (rows stored, journal
rows left, a row in state 'sending'), the process table (the cold sync's storing
child), and a fault proxy that holds the link at the riskiest moments (the write
command not yet delivered; the server's OK not yet read). Every round ends with the
cache checked; a kill is counted only after that check passed.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mailtui.cache.store import HeaderCache
from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands
from mailtui.sync.actionlog import ActionLog, Policy
from mailtui.sync.coldstore import PROCESS_THRESHOLD
from tests.support import mailgen, procs
from tests.support.accounts import cli_env, context_for, server_flags, wait_until
from tests.support.cacheprobe import (
    cache_db,
    check_consistent,
    journal_left,
    rows_stored,
    sending,
    synced,
)
from tests.support.consistency import assert_cache_matches_server, message_ids, server_rows
from tests.support.dovecot import Dovecot
from tests.support.faultproxy import DOWN, UP, Fault, FaultProxy
from tests.support.hardening import missing_and_doubled, record


def _db(tmp_path: Path) -> Path:
    return cache_db(tmp_path / "cache")


def _mailtui_sync(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """`mailtui sync` in a process group of its own, so the group can be killed whole."""
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "mailtui", "sync", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )


# --- cold sync: parent, storing child, or both --------------------------------------


def test_cold_sync_killed_in_parent_child_or_group_converges(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """kill -9 of the parent, of the storing child alone, or of the whole group, at random
    points, with enough left each round that the child process stores the batches."""
    user = dovecot.add_user()
    n = PROCESS_THRESHOLD + 15_000
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(n, seed=60))
    env = cli_env(tmp_path, dovecot, user)
    db = _db(tmp_path)
    log = tmp_path / "sync.log"
    rng = random.Random(60)
    kills: Counter[str] = Counter()
    for round_ in range(9):
        have = rows_stored(db)
        if n - have < PROCESS_THRESHOLD:
            break  # the next run would store on a thread: no child left to kill
        mode = procs.KILL_MODES[round_ % len(procs.KILL_MODES)]
        target = have + rng.randint(1, 2_500)
        proc = _mailtui_sync(env, log, "--folder", "INBOX")
        procs.kill_cold_sync(
            proc, mode, lambda t=target: rows_stored(db) >= t, rng.uniform(0, 0.25)
        )
        check_consistent(db, contiguous=True)
        assert not synced(db), f"round {round_} ({mode}): a killed sync claims it finished"
        kills[mode] += 1
    assert kills["child"] >= 2 and kills["group"] >= 2 and kills["parent"] >= 1, kills
    final = subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, text=True
    )
    assert final.returncode == 0, final.stderr
    check_consistent(db, contiguous=True)
    ctx = context_for(dovecot, user, db.parent)
    other = dovecot.client(user)
    try:
        assert assert_cache_matches_server(ctx, other, ["INBOX"]) == n
    finally:
        other.logout()
        ctx.close()
    record("kills", sum(kills.values()))


# --- journal replay -----------------------------------------------------------------

# Kill points of a replay: after a random number of rows; while a row is 'sending';
# with the write command held before the server got it; with the server's answer held
# after it acted (the riskiest: done on the server, unknown to the journal).
REPLAY_MODES = ("count", "sending", "unsent", "done")
WRITE_COMMAND = re.compile(rb"UID (?:STORE|COPY|MOVE) ")
WRITE_DONE = re.compile(rb"OK \[COPYUID |OK Store completed")


def _replay_round(
    env: dict[str, str], log: Path, db: Path, proxy: FaultProxy, mode: str, rng: random.Random
) -> tuple[bool, Fault | None]:
    """One `mailtui sync` killed (process group) at a `mode` kill point. Returns whether it
    was killed (False: it finished first) and the planned proxy fault, if any."""
    left = journal_left(db)
    fault: Fault | None = None
    if mode == "unsent":
        fault = Fault("stall", UP, when=WRITE_COMMAND)
    elif mode == "done":
        fault = Fault("stall", DOWN, when=WRITE_DONE)
    target = left - rng.randint(1, 4) if mode == "count" else left - rng.randint(0, 2)

    def point() -> bool:
        if fault is not None:
            return fault.fired.is_set() and sending(db)
        if mode == "sending":
            return journal_left(db) <= target and sending(db)
        return journal_left(db) <= target

    if fault is not None:
        proxy.always(fault)
    proc = _mailtui_sync(env, log, "--folder", "INBOX")
    try:
        wait_until(lambda: proc.poll() is not None or point(), timeout=60, what=mode)
        killed = proc.poll() is None
    finally:
        procs.kill(proc.pid, group=True)
        proc.wait()
        proxy.clear()
    return killed, fault


def test_journal_replay_killed_at_its_risky_moments_applies_each_action_once(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    groups = 16
    mailgen.write_maildir(
        user.maildir,
        "INBOX",
        mailgen.generate(groups * 6, seed=61, seen_ratio=0.0, flagged_ratio=0.0),
    )
    other = dovecot.client(user)
    other.create_folder("Copies")
    other.create_folder("Moved")
    source = {uid: row.message_id for uid, row in server_rows(other, "INBOX").items()}
    assert len(set(source.values())) == len(source)  # Message-IDs identify the messages
    # Plaintext through the proxy, so that it can see the commands and answers.
    proxy = FaultProxy(dovecot.host, dovecot.imap_port)
    env = cli_env(tmp_path, dovecot, user, port=proxy.port, security="none")
    db = _db(tmp_path)
    log = tmp_path / "sync.log"
    try:
        assert subprocess.run([sys.executable, "-m", "mailtui", "sync"], env=env).returncode == 0
        # 3 actions per group saved while "offline": nothing sent yet.
        cache = HeaderCache(db)
        policy = ActionLog(Policy())
        flagged, copied, moved = [], [], []
        for i in range(groups):
            base = 1 + i * 6
            policy.apply(
                cache,
                commands.SetFlags(folder="INBOX", uids=(base,), add=frozenset({SEEN, FLAGGED})),
            )
            policy.apply(
                cache,
                commands.CopyMessages(folder="INBOX", uids=(base + 1, base + 2), dest="Copies"),
            )
            policy.apply(
                cache, commands.MoveMessages(folder="INBOX", uids=(base + 3,), dest="Moved")
            )
            flagged.append(base)
            copied.append((base + 1, base + 2))
            moved.append(base + 3)
        assert cache.journal_count() == 3 * groups
        cache.close()

        rng = random.Random(61)
        kills: Counter[str] = Counter()
        planned: list[Fault] = []
        for round_ in range(24):
            left = journal_left(db)
            if left == 0:
                break
            mode = REPLAY_MODES[round_ % len(REPLAY_MODES)]
            killed, fault = _replay_round(env, log, db, proxy, mode, rng)
            check_consistent(db)
            if fault is not None and fault.fired.is_set():
                planned.append(fault)
            if killed:
                kills[mode] += 1
        # Every risky kill point was reached, and each held link was a fault that fired.
        assert kills["unsent"] >= 4 and kills["done"] >= 4 and kills["sending"] >= 4, kills
        assert kills["count"] >= 3, kills
        assert len(planned) >= kills["unsent"] + kills["done"]
        assert proxy.fired == len(planned)  # no fault fired that the test did not plan

        final = subprocess.run(
            [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, text=True
        )
        assert final.returncode == 0, final.stderr
        assert journal_left(db) == 0
        # Each action exactly once on the server, Message-ID by Message-ID.
        copies, moved_ids = message_ids(other, "Copies"), message_ids(other, "Moved")
        inbox = server_flags(other, "INBOX")
        inbox_ids = set(message_ids(other, "INBOX"))
        lost = [f"flags on {u}" for u in flagged if not {SEEN, FLAGGED} <= inbox.get(u, set())]
        for pair in copied:
            want = [source[u] for u in pair]
            if missing_and_doubled(want, [m for m in copies if m in want]) != (0, 0):
                lost.append(f"copy of {pair}: {Counter(m for m in copies if m in want)}")
        for uid in moved:
            if moved_ids.count(source[uid]) != 1 or source[uid] in inbox_ids:
                lost.append(f"move of {uid}")
        assert not lost, lost
        assert missing_and_doubled([source[u] for p in copied for u in p], copies) == (0, 0)
        assert missing_and_doubled([source[u] for u in moved], moved_ids) == (0, 0)
        # The last run replayed copies/moves queued by killed ones: their destinations
        # are in its cache too (the rows are resynced, not only placed from memory).
        ctx = context_for(dovecot, user, db.parent)
        try:
            assert_cache_matches_server(ctx, other, ["INBOX", "Copies", "Moved"])
        finally:
            ctx.close()
    finally:
        other.logout()
        proxy.close()
    record("kills", sum(kills.values()))
    record("faults", proxy.fired)
    record("actions_checked", 3 * groups)
    record("actions_lost", len(lost))
