"""Soak: faults and kill -9 against the real Dovecot until the promises break or hold.

    python bench/soak.py                       # 100 faults, 50 kills
    python bench/soak.py --faults 20 --kills 10 --seed 7 --verbose

Not part of the test suite (it runs for many minutes). A private Dovecot serves two
users. On the first, an actor process (bench/soak_actor.py: a SyncService, built by
the CLI's app factory) takes steps — flag, move, copy, delete, each sometimes followed
by undo — on messages no earlier step touched, through a fault proxy, while another
client (bench/soak_churn.py) delivers, reads, moves and expunges its own mail and
toggles a keyword on the actor's. Each round is one of:

  fault   one fault armed on the proxy (cut or stall; after a random byte count, or at
          the moment the bytes carry a write command, `OK [COPYUID`, a STORE's OK or
          an EXPUNGE); counted if it fired;
  kill    the actor SIGKILLed (the process, or its process group) while a journal row
          is 'sending', with its write command held by the proxy, with the server's
          answer held after it acted, or at a random moment;
  cold    a `mailtui sync` of the second user's 30k INBOX SIGKILLed — the parent, the
          storing child alone, or the group — at a random point; the cache must be
          intact and resume; when it is complete it must equal the server.

After every round the churn is paused, a clean service on the actor's cache replays
what the journal holds and resyncs, and the cache is compared with a fresh FETCH
(uid, flags, size, date, Message-ID, subject, counts) of INBOX, Moved, Copies and
Trash; then every step's messages are looked up by Message-ID on the server (ledger:
bench/soak_ledger.py). A fault or kill is counted only once that check passed. The
last line:

  soak: faults injected N, kills survived M, actions checked A, actions lost L,
  doubled D, cache == server every time: yes/no

and the exit status is non-zero if anything was lost, doubled or different.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.soak_churn import Churn  # noqa: E402
from bench.soak_ledger import FOLDERS, KINDS, Ledger, Step, Verdict  # noqa: E402
from mailtui.sync import commands  # noqa: E402
from mailtui.sync.coldstore import PROCESS_THRESHOLD  # noqa: E402
from tests.support import mailgen, procs  # noqa: E402
from tests.support.accounts import cli_env, context_for, wait_until, write_config  # noqa: E402
from tests.support.cacheprobe import (  # noqa: E402
    cache_db,
    check_consistent,
    rows_stored,
    sending,
    synced,
)
from tests.support.consistency import assert_cache_matches_server, server_rows  # noqa: E402
from tests.support.dovecot import Dovecot  # noqa: E402
from tests.support.faultproxy import DOWN, UP, Fault, FaultProxy  # noqa: E402

WRITE_COMMAND = re.compile(rb"UID (?:STORE|COPY|MOVE|EXPUNGE) ")
PATTERNS = {
    "copyuid": re.compile(rb"OK \[COPYUID "),
    "store-ok": re.compile(rb"OK Store completed"),
    "expunge": re.compile(rb"\* \d+ EXPUNGE\r\n"),
}


class PoolExhausted(Exception):
    """Every pool message has been used by a step."""


class Soak:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.rng = random.Random(args.seed)
        self.faults = self.kills = 0
        self.mismatches: list[str] = []  # cache != server, broken caches, hangs
        self.lost: dict[str, str] = {}  # every broken promise seen in any round
        self.doubled: dict[str, str] = {}
        self.verdict = Verdict()
        self.rounds = 0
        self.kill_kinds: dict[str, int] = {}
        self.dc = Dovecot(work / "dovecot")

    # --- set-up -------------------------------------------------------------------

    def setup(self) -> None:
        self.dc.start()
        self.user = self.dc.add_user("soak")
        pool = mailgen.generate(self.args.pool, seed=self.args.seed, flagged_ratio=0.0)
        mailgen.write_maildir(self.user.maildir, "INBOX", pool)
        self.client = self.dc.client(self.user)
        for name in ("Moved", "Copies"):
            self.client.create_folder(name)
        inbox = {uid: row.message_id for uid, row in server_rows(self.client, "INBOX").items()}
        assert len(set(inbox.values())) == len(inbox), "pool Message-IDs must be unique"
        self.ledger = Ledger(inbox)
        self.proxy = FaultProxy(self.dc.host, self.dc.imap_port)
        home = self.work / "actor"
        home.mkdir()
        self.env = cli_env(home, self.dc, self.user)
        self.configs = {
            sec: str(
                write_config(
                    home / f"{sec}.toml",
                    self.dc,
                    self.user,
                    security=sec,
                    port=self.proxy.port,
                    timeout=3,
                )
            )
            for sec in ("none", "starttls")
        }
        self.db = cache_db(home / "cache")
        first = subprocess.run(
            [sys.executable, "-m", "mailtui", "sync"], env=self.env, capture_output=True
        )
        assert first.returncode == 0, first.stderr.decode()
        self.big = self.dc.add_user("big")
        mailgen.write_maildir(
            self.big.maildir, "INBOX", mailgen.generate(self.args.big, seed=self.args.seed + 1)
        )
        self.cold_home = self.work / "cold"
        self.cold_home.mkdir()
        self.cold_env = cli_env(self.cold_home, self.dc, self.big)
        self.cold_db = cache_db(self.cold_home / "cache")
        self.churn = Churn(self.dc, self.user, self.ledger.pool, self.args.seed)
        self.churn.start()

    def close(self) -> None:
        stops = [
            lambda: self.churn.stop(),
            lambda: self.client.logout(),
            lambda: self.proxy.close(),
        ]
        for stop in stops:
            try:
                stop()
            except Exception:  # not set up, or already gone
                pass
        self.dc.close()

    # --- the actor ----------------------------------------------------------------

    def plan_steps(self) -> list[Step]:
        steps = []
        for _ in range(self.rng.randint(2, 4)):
            kind = self.rng.choice(KINDS)
            step = self.ledger.plan(kind, self.rng.randint(1, 3), undo=self.rng.random() < 0.35)
            if step is None:
                raise PoolExhausted
            steps.append(step)
        return steps

    def start_actor(self, steps: list[Step], security: str) -> tuple[subprocess.Popen, Path]:
        self.rounds += 1
        log = self.work / f"actor-{self.rounds}.log"
        spec = self.work / f"actor-{self.rounds}.json"
        spec.write_text(
            json.dumps(
                {
                    "config": self.configs[security],
                    "log": str(log),
                    "steps": [s.spec() for s in steps],
                }
            )
        )
        log.touch()
        with (self.work / "actor.stderr").open("ab") as err:
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "soak_actor.py"), str(spec)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        return proc, log

    def finish_actor(self, proc: subprocess.Popen, log: Path) -> list[str]:
        try:
            proc.wait(300)
        except subprocess.TimeoutExpired:
            self.mismatches.append(f"round {self.rounds}: the actor hung for 5 minutes")
            procs.kill(proc.pid, group=True)
            proc.wait()
        lines = log.read_text().splitlines()
        self.ledger.read_log(lines)
        return lines

    # --- rounds -------------------------------------------------------------------

    def random_fault(self) -> tuple[Fault, str, str]:
        """A fault, the security it needs (patterns need plaintext) and a label."""
        r = self.rng.random()
        sec = self.rng.choice(("none", "starttls"))
        if r < 0.2:
            n = self.rng.randint(0, 6000)
            return Fault("cut", DOWN, after=n), sec, f"cut down@{n}"
        if r < 0.35:
            n = self.rng.randint(0, 1200)  # a round's links send about that much each
            return Fault("cut", UP, after=n), sec, f"cut up@{n}"
        if r < 0.45:
            n = self.rng.randint(0, 6000)
            return Fault("stall", DOWN, after=n), sec, f"stall down@{n}"
        if r < 0.8:
            name = self.rng.choice(sorted(PATTERNS))
            kind = "cut" if self.rng.random() < 0.75 else "stall"
            return Fault(kind, DOWN, when=PATTERNS[name]), "none", f"{kind} at {name}"
        kind = "cut" if self.rng.random() < 0.75 else "stall"
        return Fault(kind, UP, when=WRITE_COMMAND), "none", f"{kind} at the write command"

    def fault_round(self) -> None:
        fault, security, label = self.random_fault()
        steps = self.plan_steps()
        self.proxy.always(fault)
        try:
            proc, log = self.start_actor(steps, security)
            self.finish_actor(proc, log)
        finally:
            self.proxy.clear()
        ok = self.check(f"fault {label}")
        if ok and fault.fired.is_set():
            self.faults += 1
        self.say(f"fault {label} ({security}): fired {fault.fired.is_set()}", ok)

    def kill_round(self) -> None:
        mode = ("sending", "unsent", "done", "random")[self.kills % 4]
        group = self.rng.random() < 0.5
        fault = None
        if mode == "unsent":
            fault = Fault("stall", UP, when=WRITE_COMMAND)
        elif mode == "done":
            fault = Fault("stall", DOWN, when=re.compile(rb"OK \[COPYUID |OK Store completed"))
        steps = self.plan_steps()
        if fault is not None:
            self.proxy.always(fault)
        delay = self.rng.uniform(0.2, 2.0)
        start = time.monotonic()

        def point() -> bool:
            if fault is not None:
                return fault.fired.is_set() and sending(self.db)
            if mode == "sending":
                return sending(self.db)
            return time.monotonic() - start >= delay

        proc, log = self.start_actor(steps, "none")
        try:
            wait_until(lambda: proc.poll() is not None or point(), timeout=120, what=mode)
            killed = proc.poll() is None
            procs.kill(proc.pid, group=group)
        finally:
            procs.kill(proc.pid, group=True)
            proc.wait()
            self.proxy.clear()
        self.finish_actor(proc, log)
        try:
            check_consistent(self.db)
            intact = True
        except AssertionError as exc:
            intact = False
            self.mismatches.append(f"round {self.rounds}: killed cache broken: {exc}")
        ok = self.check(f"kill {mode}") and intact
        target = "group" if group else "parent"
        if ok and killed:
            self.kills += 1
            self.kill_kinds[f"actor {target}"] = self.kill_kinds.get(f"actor {target}", 0) + 1
        self.say(f"kill {target} at {mode}: killed {killed}", ok)

    def cold_round(self, index: int) -> None:
        n = self.args.big
        if n - rows_stored(self.cold_db) < PROCESS_THRESHOLD:
            self.finish_cold()
        mode = procs.KILL_MODES[index % len(procs.KILL_MODES)]
        have = rows_stored(self.cold_db)
        target = have + self.rng.randint(1, 2500)
        with (self.work / "cold.stderr").open("ab") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mailtui", "sync", "--folder", "INBOX"],
                env=self.cold_env,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        ok = True
        try:
            procs.kill_cold_sync(
                proc, mode, lambda: rows_stored(self.cold_db) >= target, self.rng.uniform(0, 0.3)
            )
            check_consistent(self.cold_db, contiguous=True)
            assert not synced(self.cold_db), "a killed cold sync claims it finished"
        except AssertionError as exc:
            ok = False
            self.mismatches.append(f"round {self.rounds}: cold {mode}: {exc}")
        if ok:
            self.kills += 1
            self.kill_kinds[f"cold {mode}"] = self.kill_kinds.get(f"cold {mode}", 0) + 1
        self.say(f"cold sync, kill {mode} at {target - have} rows in", ok)

    def finish_cold(self) -> None:
        """Resume the cold sync to the end, compare it with the server, start over."""
        done = subprocess.run(
            [sys.executable, "-m", "mailtui", "sync"], env=self.cold_env, capture_output=True
        )
        ok = done.returncode == 0
        if ok:
            ctx = context_for(self.dc, self.big, self.cold_db.parent)
            client = self.dc.client(self.big)
            try:
                ok = assert_cache_matches_server(ctx, client, ["INBOX"]) == self.args.big
            except AssertionError as exc:
                ok = False
                self.mismatches.append(f"cold cache != server: {exc}")
            finally:
                client.logout()
                ctx.close()
        else:
            self.mismatches.append(f"cold resume failed: {done.stderr.decode()[-300:]}")
        self.say("cold sync resumed to the end: cache == server", ok)
        shutil.rmtree(self.cold_home / "cache", ignore_errors=True)

    # --- the check after every round ----------------------------------------------

    def check(self, what: str) -> bool:
        """Churn paused: replay, resync, cache == server, every step's messages in place."""
        self.churn.pause()
        try:
            ctx = context_for(self.dc, self.user, self.db.parent)
            try:
                service = ctx.service()
                service.run(commands.SyncAll(), timeout=180)
                drained = service.wait_writer_idle(timeout=180)
                # Twice: copies a journal replay made land in their folder by a sync.
                service.run(commands.SyncAll(), timeout=180)
                assert_cache_matches_server(ctx, self.client, list(FOLDERS))
                same = drained and service.pending_actions() == 0
                if not same:
                    self.mismatches.append(f"round {self.rounds} ({what}): journal not drained")
            except AssertionError as exc:
                same = False
                self.mismatches.append(f"round {self.rounds} ({what}): {exc}")
            finally:
                ctx.close()
            seen: dict[str, list[tuple[str, frozenset[str]]]] = {}
            for folder in FOLDERS:
                for row in server_rows(self.client, folder).values():
                    seen.setdefault(row.message_id, []).append((folder, row.flags))
            verdict = self.ledger.check(seen)
        finally:
            self.churn.resume()
        if self.churn.error is not None:
            raise RuntimeError(f"the churn client failed: {self.churn.error!r}")
        fresh = 0  # promises found broken in this round (earlier ones stay broken)
        for seen_before, now in ((self.lost, verdict.lost), (self.doubled, verdict.doubled)):
            for key, text in now.items():
                if key not in seen_before:
                    fresh += 1
                    seen_before[key] = f"round {self.rounds} ({what}): {text}"
                    print(f"  broken: {seen_before[key]}", file=sys.stderr, flush=True)
        self.verdict = verdict
        return same and not fresh

    def say(self, text: str, ok: bool) -> None:
        if self.args.verbose or not ok:
            print(
                f"  round {self.rounds:4d}  {text}  {'ok' if ok else 'FAILED'}"
                f"  [faults {self.faults}, kills {self.kills}, churn ops {self.churn.ops}]",
                file=sys.stderr,
                flush=True,
            )

    # --- the whole run ------------------------------------------------------------

    def run(self) -> int:
        started = time.monotonic()
        limit = 6 * (self.args.faults + self.args.kills) + 20
        cold_index = 0
        while self.faults < self.args.faults or self.kills < self.args.kills:
            if self.rounds > limit:
                self.mismatches.append(f"gave up after {self.rounds} rounds")
                break
            want_fault = self.faults < self.args.faults
            want_kill = self.kills < self.args.kills
            try:
                if want_fault and (not want_kill or self.rng.random() < 0.6):
                    self.fault_round()
                elif self.kills % 5 in (0, 2):
                    self.rounds += 1
                    self.cold_round(cold_index)
                    cold_index += 1
                else:
                    self.kill_round()
            except PoolExhausted:
                self.mismatches.append("the pool of untouched messages ran out (see --pool)")
                break
        v = self.verdict
        line = (
            f"soak: faults injected {self.faults}, kills survived {self.kills}, "
            f"actions checked {v.checked}, actions lost {len(self.lost)}, "
            f"doubled {len(self.doubled)}, cache == server every time: "
            f"{'yes' if not self.mismatches else 'no'}"
        )
        for problem in self.mismatches[:40]:
            print(f"  problem: {problem}", file=sys.stderr)
        for note in v.refused[:10]:
            print(f"  refused: {note}", file=sys.stderr)
        print(
            f"  ({self.rounds} rounds in {time.monotonic() - started:.0f} s; kills by kind "
            f"{dict(sorted(self.kill_kinds.items()))}; proxy faults fired in all "
            f"{self.proxy.fired}; churn ops {self.churn.ops})",
            file=sys.stderr,
        )
        print(line, flush=True)
        if self.args.json:
            self.args.json.parent.mkdir(parents=True, exist_ok=True)
            self.args.json.write_text(
                json.dumps(
                    {
                        "line": line,
                        "faults": self.faults,
                        "kills": self.kills,
                        "kills_by_kind": self.kill_kinds,
                        "actions_checked": v.checked,
                        "lost": sorted(self.lost.values()),
                        "doubled": sorted(self.doubled.values()),
                        "problems": self.mismatches,
                        "rounds": self.rounds,
                        "seconds": round(time.monotonic() - started),
                        "seed": self.args.seed,
                    },
                    indent=2,
                )
                + "\n"
            )
        reached = self.faults >= self.args.faults and self.kills >= self.args.kills
        return 0 if reached and not self.mismatches and not self.lost and not self.doubled else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faults", type=int, default=100, help="faults that must fire")
    parser.add_argument("--kills", type=int, default=50, help="kill -9s that must be survived")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool", type=int, default=3000, help="messages the actor may use")
    parser.add_argument("--big", type=int, default=PROCESS_THRESHOLD + 10_000)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--verbose", "-v", action="store_true", help="a line per round")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mailtui-soak-"))
    soak = Soak(args, work)
    try:
        soak.setup()
        return soak.run()
    finally:
        soak.close()
        if args.keep:
            print(f"  work dir kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
