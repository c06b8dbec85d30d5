"""Sync-core benchmark: mailtui against a bare-socket floor measured in the same run.

    python bench/sync.py                 # 10k and 100k messages
    python bench/sync.py --sizes 20000   # other sizes

For each size it generates the messages straight into a private Dovecot's Maildir, then
prints, as ratios to the floor (a socket that logs in, SELECTs and reads `UID FETCH 1:*`
of the same items to the end, discarding the bytes): cold sync (all headers cached),
first batch committed after login, a no-change resync, a resync after 100 flag changes
+ 100 new + 10 expunged by another client, and the peak RSS of a `mailtui sync` process.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.proc import tree_rss_mb  # noqa: E402
from mailtui.imap.client import ImapSession  # noqa: E402
from mailtui.sync import commands, events  # noqa: E402
from tests.support import mailgen  # noqa: E402
from tests.support.accounts import context_for, write_config  # noqa: E402
from tests.support.dovecot import Dovecot, MailUser  # noqa: E402

TARGETS = {"cold": 3.0, "first_batch_s": 0.3, "nochange_ms": 50.0, "rss_mb": 200.0}


def floor_fetch(dc: Dovecot, user: MailUser, items: bytes) -> float:
    """Login, SELECT and read the whole UID FETCH 1:* reply; no parsing at all."""
    raw = socket.create_connection((dc.host, dc.imap_port))
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"a STARTTLS\r\n")
    while not f.readline().startswith(b"a "):
        pass
    ctx = ssl.create_default_context(cafile=str(dc.ca_file))
    s = ctx.wrap_socket(raw, server_hostname=dc.host)
    f = s.makefile("rb")
    start = time.perf_counter()
    s.sendall(
        f"b LOGIN {user.name} {user.password}\r\nc ENABLE QRESYNC\r\nd SELECT INBOX\r\n".encode()
    )
    while not f.readline().startswith(b"d "):
        pass
    s.sendall(b"e UID FETCH 1:* (" + items + b")\r\n")
    tail = b""
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        tail = (tail + chunk)[-64:]
        if b"\r\ne OK" in tail:
            break
    elapsed = time.perf_counter() - start
    s.close()
    return elapsed


def cold_sync(dc: Dovecot, user: MailUser, cache_dir: Path):
    """In-process cold sync: (seconds from connect to done, first batch after login, ctx)."""
    ctx = context_for(dc, user, cache_dir)
    service = ctx.service()
    marks: dict[str, float] = {}

    def on_event(e: events.Event) -> None:
        now = time.perf_counter()
        if isinstance(e, events.ConnectionChanged) and e.state == "online":
            marks.setdefault("login", now)
        elif isinstance(e, events.HeadersSynced) and e.total:
            marks.setdefault("first", now)

    service.subscribe(on_event)
    start = time.perf_counter()
    service.run(commands.SyncFolder(folder="INBOX"), timeout=600)
    total = time.perf_counter() - start
    return total, marks["first"] - marks["login"], ctx


def cli_sync(dc: Dovecot, user: MailUser, work: Path) -> tuple[float, float]:
    """`mailtui sync` as its own process: wall seconds and the peak RSS, in MB, of it and
    the parser child it starts for big folders, sampled together every 10 ms."""
    config = write_config(work / "config.toml", dc, user)
    env = dict(os.environ, MAILTUI_CONFIG=str(config), XDG_CACHE_HOME=str(work / "cli-cache"))
    env["PYTHONPATH"] = str(ROOT)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mailtui", "sync", "--folder", "INBOX"], env=env)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.01)  # a sampling period, not synchronisation
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"mailtui sync failed with exit code {proc.returncode}")
    own = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, max(peak, own)


def change_elsewhere(dc: Dovecot, user: MailUser, n: int) -> None:
    """Another device: 100 flag changes, 10 expunges, 100 new messages."""
    client = dc.client(user)
    client.select_folder("INBOX")
    client.add_flags(list(range(1, 201, 2)), [b"$Bench"])
    client.delete_messages(list(range(n - 20, n - 10)))
    client.expunge()
    mailgen.append_imap(client, "INBOX", mailgen.generate(100, seed=n + 1))
    client.logout()


def run(n: int, repeat: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="mailtui-bench-"))
    dc = Dovecot(work / "dovecot")
    dc.start()
    try:
        user = dc.add_user()
        t = time.perf_counter()
        mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(n, seed=1))
        print(f"  generated {n} messages in {time.perf_counter() - t:.1f} s", flush=True)
        items = ImapSession.header_items_for(condstore=True)
        floor_fetch(dc, user, items)  # warm the server's caches, as a running server has them
        floor = statistics.median(floor_fetch(dc, user, items) for _ in range(repeat))
        colds, firsts, ctx = [], [], None
        for i in range(repeat):
            if ctx is not None:
                ctx.close()
            total, first, ctx = cold_sync(dc, user, work / f"cache{i}")
            colds.append(total)
            firsts.append(first)
        service = ctx.service()
        nochange = []
        for _ in range(21):
            t = time.perf_counter()
            service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
            nochange.append(time.perf_counter() - t)
        change_elsewhere(dc, user, n)
        t = time.perf_counter()
        stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        changed = time.perf_counter() - t
        ctx.close()
        wall, rss = cli_sync(dc, user, work)
        cold = statistics.median(colds)
        return {
            "n": n,
            "floor_s": floor,
            "cold_s": cold,
            "cold_ratio": cold / floor,
            "first_batch_s": statistics.median(firsts),
            "nochange_ms": statistics.median(nochange) * 1000,
            "changed_ms": changed * 1000,
            "changed_ratio": changed / floor,
            "changed_stats": f"{stats.fetched} new, {stats.changed} flags, {stats.vanished} gone",
            "cli_wall_s": wall,
            "rss_mb": rss,
        }
    finally:
        dc.close()


def report(r: dict) -> str:
    return (
        f"  floor (bare socket UID FETCH 1:*)  {r['floor_s']:.2f} s\n"
        f"  cold sync                          {r['cold_s']:.2f} s = {r['cold_ratio']:.2f} x floor"
        f"  (target <= {TARGETS['cold']} x)\n"
        f"  first batch committed after login  {r['first_batch_s']:.3f} s"
        f"  (target <= {TARGETS['first_batch_s']} s)\n"
        f"  no-change resync (median of 21)    {r['nochange_ms']:.1f} ms"
        f"  (target <= {TARGETS['nochange_ms']:.0f} ms)\n"
        f"  resync after changes elsewhere     {r['changed_ms']:.1f} ms = {r['changed_ratio']:.3f} x floor"
        f"  ({r['changed_stats']})\n"
        f"  `mailtui sync` process             {r['cli_wall_s']:.2f} s wall, peak RSS {r['rss_mb']:.0f} MB"
        f"  (target <= {TARGETS['rss_mb']:.0f} MB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        print(f"== {n} messages", flush=True)
        results.append(run(n, args.repeat))
        print(report(results[-1]), flush=True)
    if len(results) > 1:
        a, b = results[0], results[-1]
        print(
            f"no-change resync {a['n']} -> {b['n']} messages: {a['nochange_ms']:.1f} -> "
            f"{b['nochange_ms']:.1f} ms ({b['nochange_ms'] / a['nochange_ms']:.2f} x for "
            f"{b['n'] / a['n']:.0f} x the messages)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
