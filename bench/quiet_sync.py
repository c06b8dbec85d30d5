"""No-change `mailtui sync` against the process start-up, on loopback (issue 17, target 2).

    python bench/quiet_sync.py [--messages 100000] [--runs 9] [--json PATH]

A private Dovecot serves a 100k INBOX (and the standard special-use folders); the cache
is synced once, then these run interleaved, `--runs` times each (medians):
  sync     `mailtui sync` with nothing changed on the server;
  startup  `mailtui list INBOX --limit 1`: the same process start, config and cache,
           no network (the floor the target is measured against: ≤ 50 ms beyond it);
  server   a bare client's new connection, login and one `STATUS INBOX (MESSAGES)`:
           what the server needs to say anything about a 100k folder (Dovecot opens its
           index; no client can prove "nothing changed" for less).
Also printed: the commands `mailtui sync` sent (its --log), to show the round trips.
Programs run as installed ones start, with bytecode (bench/tui.py: as_installed).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Figure, add_json_option, finish  # noqa: E402
from bench.sync import floor_fetch  # noqa: E402
from bench.tui import as_installed  # noqa: E402
from mailtui.imap.session import ImapSession  # noqa: E402
from tests.support import mailgen  # noqa: E402
from tests.support.accounts import write_config  # noqa: E402
from tests.support.dovecot import Dovecot, MailUser  # noqa: E402

TARGET_MS = 50.0


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed


def server_floor(dc: Dovecot, user: MailUser) -> float:
    """A new connection's login and first STATUS of INBOX (the STATUS alone timed)."""
    client = dc.client(user)
    try:
        start = time.perf_counter()
        client.folder_status("INBOX", [b"MESSAGES"])
        return time.perf_counter() - start
    finally:
        client.logout()


def commands_sent(log: Path) -> list[str]:
    """The IMAP commands in a --log file, tags dropped."""
    out = []
    for line in log.read_text("utf-8", "replace").splitlines():
        found = re.search(r"DEBUG > b'[A-Z0-9]+ (.*?)\\r\\n'", line)
        if found:
            out.append(found.group(1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    add_json_option(parser, "quiet_sync")
    args = parser.parse_args()
    load = os.getloadavg()
    mailtui = [sys.executable, "-m", "mailtui"]
    with tempfile.TemporaryDirectory(prefix="mailtui-bench-quiet-") as tmp:
        work = Path(tmp)
        as_installed(work)
        dc = Dovecot(work / "dovecot")
        dc.start()
        try:
            user = dc.add_user("quiet")
            mailgen.populate_standard(user, inbox=0)
            mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(args.messages, seed=11))
            floor_fetch(dc, user, ImapSession.header_items_for(condstore=True))
            config = write_config(work / "quiet.toml", dc, user)
            env = dict(
                os.environ,
                PYTHONPATH=str(ROOT),
                MAILTUI_CONFIG=str(config),
                XDG_CACHE_HOME=str(work / "cache"),
                XDG_DATA_HOME=str(work / "data"),
                XDG_CONFIG_HOME=str(work / "config"),
            )
            print(f"cold sync: {timed([*mailtui, 'sync'], env):.1f} s")
            timed([*mailtui, "sync"], env)  # the first quiet run settles the cache file
            out: dict[str, list[float]] = {"sync": [], "startup": [], "server": []}
            for _ in range(args.runs):
                out["sync"].append(timed([*mailtui, "sync"], env))
                out["startup"].append(timed([*mailtui, "list", "INBOX", "--limit", "1"], env))
                out["server"].append(server_floor(dc, user))
            log = work / "sync.log"
            timed([*mailtui, "--log", str(log), "sync"], env)
            sent = commands_sent(log)
        finally:
            dc.close()
    o = {k: statistics.median(v) for k, v in out.items()}
    print(f"commands sent by a no-change sync ({len(sent)}):")
    for line in sent:
        print(f"  {line}")
    for name, values in out.items():
        print(
            f"  {name:8} median {o[name] * 1000:7.1f} ms  [{' '.join(f'{v * 1000:.0f}' for v in values)}]"
        )
    beyond = (o["sync"] - o["startup"]) * 1000
    print(f"  beyond the start-up: {beyond:.0f} ms (target <= {TARGET_MS:.0f}); the server's")
    print(f"  own first STATUS of the {args.messages // 1000}k INBOX: {o['server'] * 1000:.0f} ms")
    k = f"{args.messages // 1000}k"
    figures = [
        Figure(
            "quiet_beyond_ms",
            f"no-change `mailtui sync` ({k} INBOX, loopback) beyond the process start-up"
            f" (median of {args.runs}, interleaved)",
            beyond,
            "ms",
            TARGET_MS,
            floor=o["startup"],
            floor_unit="s",
            detail=f"{o['sync']:.2f} s against `mailtui list` {o['startup']:.2f} s; the server's"
            f" first STATUS of that INBOX on a new connection {o['server'] * 1000:.0f} ms;"
            f" {len(sent)} commands",
        )
    ]
    return finish("quiet_sync", figures, args.json, {"messages": args.messages}, load_at_start=load)


if __name__ == "__main__":
    raise SystemExit(main())
