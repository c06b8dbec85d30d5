"""Maildir benchmark: a local account against a floor measured in the same run.

    python bench/maildir.py                  # 100k messages
    python bench/maildir.py --messages 20000

The floor reads what a sync must read at least: both directory listings and the
header block of every file (up to the blank line), discarding it. Then, through the
real SyncService: the cold sync, a resync after quiet (directories untouched for a
minute: proven unchanged without listing), and a resync after another program flags
100 messages and delivers 100 (a full listing and diff). Figures go to
bench/results/maildir.json (`--json PATH`); none has a target yet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Figure, add_json_option, finish  # noqa: E402
from mailtui.config.load import make_settings  # noqa: E402
from mailtui.context import AppContext  # noqa: E402
from mailtui.sync import commands  # noqa: E402
from tests.support import mailgen  # noqa: E402


def floor_read(folder: Path) -> float:
    """List new/ and cur/ and read every header block: what any Maildir reader pays."""
    start = time.perf_counter()
    for sub in ("new", "cur"):
        with os.scandir(folder / sub) as it:
            for entry in it:
                with open(entry.path, "rb") as f:
                    head = f.read(4096)
                    while b"\n\n" not in head and b"\r\n\r\n" not in head:
                        more = f.read(4096)
                        if not more:
                            break
                        head += more
    return time.perf_counter() - start


def quiet(folder: Path) -> None:
    """Backdate the folder's directories: what a minute without changes looks like."""
    when = time.time() - 60
    for path in (folder, folder / "new", folder / "cur"):
        os.utime(path, (when, when))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    add_json_option(parser, "maildir")
    args = parser.parse_args()
    n = args.messages
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mailtui-bench-md-") as tmp:
        work = Path(tmp)
        root = work / "Mail"
        start = time.perf_counter()
        mailgen.write_maildir(root, "INBOX", mailgen.generate(n, seed=5))
        print(f"wrote {n} messages in {time.perf_counter() - start:.1f} s")
        floor_read(root)  # warm the page cache, as a mailbox in use is
        floor = statistics.median(floor_read(root) for _ in range(3))
        settings = make_settings({"local": {"email": "me@example.test", "maildir": str(root)}})
        ctx = AppContext(settings, cache_dir=work / "cache")
        service = ctx.service()
        start = time.perf_counter()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=3600)
        cold = time.perf_counter() - start
        quiet(root)
        service.run(commands.SyncFolder(folder="INBOX"), timeout=600)  # records the proof
        times = []
        for _ in range(11):
            start = time.perf_counter()
            stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=600)
            times.append(time.perf_counter() - start)
        assert stats.mode == "status", stats
        nochange = statistics.median(times)
        cur = root / "cur"
        names = sorted(os.listdir(cur))[:100]
        for name in names:
            base, _sep, info = name.partition(":2,")
            os.rename(cur / name, cur / f"{base}:2,{''.join(sorted(set(info + 'F')))}")
        mailgen.write_maildir(root, "INBOX", mailgen.generate(100, seed=77))
        start = time.perf_counter()
        stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=600)
        changed = time.perf_counter() - start
        ctx.close()
    print(f"floor (list + read every header block)  {floor:.2f} s")
    print(f"cold sync                               {cold:.2f} s = {cold / floor:.2f} x floor")
    print(f"resync after quiet (median of 11)       {nochange * 1000:.1f} ms")
    print(
        f"resync after 100 flagged + 100 new      {changed * 1000:.0f} ms = "
        f"{changed / floor:.2f} x floor  ({stats.changed} changed, {stats.fetched} new)"
    )
    k = f"{n // 1000}k" if n >= 1000 else str(n)
    figures = [
        Figure(
            "cold_ratio",
            f"Maildir, {k}: cold sync (floor: list + read every header block)",
            cold / floor,
            "× floor",
            floor=floor,
            floor_unit="s",
            detail=f"{cold:.2f} s; floor {floor:.2f} s",
        ),
        Figure(
            "quiet_ms",
            f"Maildir, {k}: resync after quiet (median of 11)",
            nochange * 1000,
            "ms",
        ),
        Figure(
            "changed_ratio",
            f"Maildir, {k}: resync after 100 flagged + 100 new",
            changed / floor,
            "× floor",
            floor=floor,
            floor_unit="s",
            detail=f"{changed * 1000:.0f} ms",
        ),
    ]
    return finish("maildir", figures, args.json, {"messages": n}, load_at_start=load)


if __name__ == "__main__":
    raise SystemExit(main())
