"""Resync of one big folder by each path a server leaves mailtui (issue 14):

    python bench/resync_modes.py                # 100k messages
    python bench/resync_modes.py --size 20000

QRESYNC (Dovecot, Fastmail), CONDSTORE only (Gmail, Yahoo before its CLIENTBUG, iCloud
with no-qresync: `ignore_capabilities = ["QRESYNC"]`) and plain (Microsoft 365, which
offers neither: `["QRESYNC", "CONDSTORE"]`), on the same private Dovecot and the same
cache, cold-synced once. For each path: a no-change resync, and a resync after another
client made 100 flag changes, 10 expunges and 100 new messages; the cache is compared
with the server after each. Medians of --repeat runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailtui.sync import commands  # noqa: E402
from tests.support import mailgen  # noqa: E402
from tests.support.accounts import context_for  # noqa: E402
from tests.support.consistency import assert_cache_matches_server  # noqa: E402
from tests.support.dovecot import Dovecot  # noqa: E402

PATHS = {"qresync": [], "condstore": ["QRESYNC"], "plain": ["QRESYNC", "CONDSTORE"]}


def churn(client, n: int, seed: int) -> None:
    """Another device: 100 flag changes, 10 expunges, 100 new messages."""
    client.select_folder("INBOX")
    uids = client.search(["ALL"])
    client.add_flags(uids[1:201:2], [b"$Bench%d" % seed])
    client.delete_messages(uids[-20:-10])
    client.expunge()
    mailgen.append_imap(client, "INBOX", mailgen.generate(100, seed=n + seed))


MODES: list[str] = []


def timed(ctx) -> float:
    start = time.perf_counter()
    stats = ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=600)
    elapsed = (time.perf_counter() - start) * 1000
    MODES.append(stats.mode)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mailtui-resync-"))
    dc = Dovecot(work / "dovecot")
    dc.start()
    try:
        user = dc.add_user()
        t = time.perf_counter()
        mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(args.size, seed=1))
        print(f"generated {args.size} messages in {time.perf_counter() - t:.1f} s", flush=True)
        cache = work / "cache"
        ctx = context_for(dc, user, cache)
        t = time.perf_counter()
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=1800)
        print(f"cold sync {time.perf_counter() - t:.1f} s", flush=True)
        ctx.close()
        other = dc.client(user)
        seed = 0
        for name, hidden in PATHS.items():
            ctx = context_for(dc, user, cache, imap={"ignore_capabilities": hidden})
            timed(ctx)  # this path's first look (and its connections) out of the figures
            quiet = statistics.median(timed(ctx) for _ in range(args.repeat))
            quiet_mode = MODES[-1]
            changed = []
            for _ in range(args.repeat):
                seed += 1
                churn(other, args.size, seed)
                changed.append(timed(ctx))
                assert_cache_matches_server(ctx, other, ["INBOX"])
            print(
                f"{name:9}: no change {quiet:8.0f} ms ({quiet_mode}); after 100 flags + "
                f"10 expunges + 100 new {statistics.median(changed):8.0f} ms ({MODES[-1]})",
                flush=True,
            )
            ctx.close()
        other.logout()
    finally:
        dc.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
