"""Slow-link benchmark: `mailtui sync` of a 100k INBOX through bench/shaper.py.

    python bench/slowlink.py [--messages 100000] [--rtt-ms 100] [--mbit 10] [--json PATH]

A private Dovecot with its imap_zlib plugin (COMPRESS=DEFLATE offered) serves two users
with the same N messages: "plain" has the capability hidden, "deflate" sees it. Each
runs the real CLI (`python -m mailtui sync`, a fresh cache) through the shaper (100 ms
round trip, 10 Mbit/s each way), which counts the bytes it forwards. Figures, each
against a floor from the same run:
  bytes    what the server sent for the full header sync with COMPRESS, against the
           same sync without it (issue 17: ≤ 1/3);
  cold     the full header sync's wall time on the slow link, with and without;
  quiet    a no-change `mailtui sync` on the slow link and on loopback, against the
           process start-up (`mailtui list INBOX --limit 1`: same start, no network);
  quit     ctrl+c mid cold sync on the slow link until the process is gone, against a
           Python interrupted while idle.
Before measuring, one bare FETCH of every header warms Dovecot's indexes.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Figure, add_json_option, finish  # noqa: E402
from bench.shaper import Shaper  # noqa: E402
from bench.sync import floor_fetch  # noqa: E402
from mailtui.imap.session import ImapSession  # noqa: E402
from tests.support import mailgen  # noqa: E402
from tests.support.accounts import write_config  # noqa: E402
from tests.support.cacheprobe import cache_db, rows_stored  # noqa: E402
from tests.support.dovecot import Dovecot, MailUser  # noqa: E402

TARGET_BYTES_RATIO = 0.33  # issue 17: a third of the bytes or fewer
TARGET_QUIET_MS = 50.0


def env_for(work: Path, name: str, config: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(work / f"cache-{name}"),
        XDG_DATA_HOME=str(work / f"data-{name}"),
        XDG_CONFIG_HOME=str(work / "config"),
    )


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed


def interrupted(argv: list[str], env: dict[str, str], ready) -> float:
    """Seconds from SIGINT until the process (and its children) are gone."""
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        # A background shell starts its jobs with SIGINT ignored, which children inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    ready(proc)
    start = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    proc.wait()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    parser.add_argument("--mbit", type=float, default=10.0)
    add_json_option(parser, "slowlink")
    args = parser.parse_args()
    load = os.getloadavg()
    n = args.messages
    mailtui = [sys.executable, "-m", "mailtui"]
    with tempfile.TemporaryDirectory(prefix="mailtui-bench-slow-") as tmp:
        work = Path(tmp)
        dc = Dovecot(work / "dovecot", compress=True)
        dc.start()
        try:
            users: dict[str, MailUser] = {
                "plain": dc.add_user("plain", disable={"COMPRESS=DEFLATE"}),
                "deflate": dc.add_user("deflate"),
            }
            messages = list(mailgen.generate(n, seed=11))
            items = ImapSession.header_items_for(condstore=True)
            for user in users.values():
                mailgen.write_maildir(user.maildir, "INBOX", messages)
                floor_fetch(dc, user, items)
            shaper = Shaper(dc.host, dc.imap_port, rtt_ms=args.rtt_ms, mbit=args.mbit)
            out: dict[str, float] = {}
            for name, user in users.items():
                slow = write_config(work / f"{name}-slow.toml", dc, user, port=shaper.port)
                direct = write_config(work / f"{name}.toml", dc, user)
                env = env_for(work, name, slow)
                shaper.reset_counts()
                out[f"cold_{name}_s"] = timed([*mailtui, "sync"], env)
                out[f"bytes_{name}"] = shaper.down
                out[f"quiet_slow_{name}_s"] = statistics.median(
                    timed([*mailtui, "sync"], env) for _ in range(3)
                )
                print(f"{name}: {out[f'bytes_{name}']:,} B, {out[f'cold_{name}_s']:.1f} s")
            env = env_for(work, "deflate", direct)
            out["quiet_s"] = statistics.median(timed([*mailtui, "sync"], env) for _ in range(5))
            out["startup_s"] = statistics.median(
                timed([*mailtui, "list", "INBOX", "--limit", "1"], env) for _ in range(5)
            )
            # ctrl+c mid cold sync on the slow link (without COMPRESS: the longest batches).
            env = env_for(work, "quit", work / "plain-slow.toml")

            def mid_sync(proc: subprocess.Popen) -> None:
                db = cache_db(work / "cache-quit")
                while rows_stored(db) < 2_500:
                    time.sleep(0.02)  # polling the cache file, not synchronisation

            def idle(proc: subprocess.Popen) -> None:
                assert proc.stdout is not None
                proc.stdout.readline()

            out["quit_s"] = interrupted([*mailtui, "sync"], env, mid_sync)
            floor_cli = "import mailtui.cli, time; print('ready', flush=True); time.sleep(60)"
            out["quit_floor_s"] = min(
                interrupted([sys.executable, "-c", floor_cli], env, idle) for _ in range(3)
            )
            shaper.close()
        finally:
            dc.close()
    return finish("slowlink", figures(out, n, args), args.json, vars_of(args), load_at_start=load)


def vars_of(args: argparse.Namespace) -> dict:
    return {"messages": args.messages, "rtt_ms": args.rtt_ms, "mbit": args.mbit}


def figures(o: dict[str, float], n: int, args: argparse.Namespace) -> list[Figure]:
    k = f"{n // 1000}k" if n >= 1000 else str(n)
    link = f"{args.rtt_ms:g} ms RTT, {args.mbit:g} Mbit/s"
    mb = 1e6
    return [
        Figure(
            "bytes_ratio",
            f"bytes on the wire, full header sync of {k} (COMPRESS=DEFLATE, floor: the same sync without)",
            o["bytes_deflate"] / o["bytes_plain"],
            "× floor",
            TARGET_BYTES_RATIO,
            floor=o["bytes_plain"] / mb,
            floor_unit="MB",
            detail=f"{o['bytes_deflate'] / mb:.1f} MB against {o['bytes_plain'] / mb:.1f} MB",
        ),
        Figure(
            "slow_cold_s",
            f"`mailtui sync` of {k} from an empty cache on a slow link ({link})",
            o["cold_deflate_s"],
            "s",
            detail=f"{o['cold_plain_s']:.1f} s without COMPRESS",
        ),
        Figure(
            "quiet_ms",
            f"no-change `mailtui sync` ({k} INBOX, loopback) beyond the process start-up",
            (o["quiet_s"] - o["startup_s"]) * 1000,
            "ms",
            TARGET_QUIET_MS,
            floor=o["startup_s"],
            floor_unit="s",
            detail=f"{o['quiet_s']:.2f} s against `mailtui list` {o['startup_s']:.2f} s; "
            f"slow link {o['quiet_slow_deflate_s']:.2f} s",
        ),
        Figure(
            "slow_quit_s",
            "ctrl+c of `mailtui sync` mid cold sync on the slow link, until the process is gone",
            o["quit_s"],
            "s",
            0.3,
            floor=o["quit_floor_s"],
            floor_unit="s",
            detail=f"an idle Python interrupted: {o['quit_floor_s']:.2f} s",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
