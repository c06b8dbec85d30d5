"""Write-back and live-update benchmark, each figure against a floor from the same run.

    python bench/writeback.py

1. Flag 10k messages in one action: time from submit() to the server's confirmation,
   against a bare imapclient `UID STORE 1:10000 +FLAGS.SILENT` on a ready connection.
2. Another client's APPEND to the listener's NewMail event (median of 20), against a
   bare imapclient IDLE seeing the EXISTS. Dovecot 2.3 delays every IDLE notification
   by a fixed 500 ms (NOTIFY_DELAY_MSECS in src/lib-storage/mailbox-watch.c), so the
   floor, not mailtui, sets the absolute figure; the ratio shows what mailtui adds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailtui.model import FLAGGED  # noqa: E402
from mailtui.sync import commands, events  # noqa: E402
from tests.support import mailgen  # noqa: E402
from tests.support.accounts import context_for  # noqa: E402
from tests.support.dovecot import Dovecot  # noqa: E402

N = 10_000


def bare_store(dc: Dovecot, user, add: bool) -> float:
    client = dc.client(user, tls=False, starttls=True)
    client.select_folder("INBOX")
    start = time.perf_counter()
    client._imap.uid("STORE", f"1:{N}", "+FLAGS.SILENT" if add else "-FLAGS.SILENT", "(\\Flagged)")
    elapsed = time.perf_counter() - start
    client.logout()
    return elapsed


def flag_bench(dc: Dovecot, work: Path) -> tuple[float, float]:
    user = dc.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(N, seed=2, flagged_ratio=0.0))
    ctx = context_for(dc, user, work / "flags")
    service = ctx.service()
    service.run(commands.SyncFolder(folder="INBOX"), timeout=300)
    uids = tuple(range(1, N + 1))
    # Warm the writer's connection and selection, as in a running app.
    service.run(commands.SetFlags(folder="INBOX", uids=(1,), add=frozenset({"$Warm"})), timeout=60)
    ours, floor = [], []
    for i in range(5):
        add = i % 2 == 0
        change = {"add": frozenset({FLAGGED})} if add else {"remove": frozenset({FLAGGED})}
        start = time.perf_counter()
        service.run(commands.SetFlags(folder="INBOX", uids=uids, **change), timeout=120)
        ours.append(time.perf_counter() - start)
        floor.append(bare_store(dc, user, add=not add))
        bare_store(dc, user, add=add)  # put it back for the next round
    ctx.close()
    return statistics.median(ours), statistics.median(floor)


def bare_idle_latency(dc: Dovecot, user, rounds: int) -> float:
    watcher = dc.client(user, tls=False, starttls=True)
    watcher.select_folder("INBOX", readonly=True)
    other = dc.client(user, tls=False, starttls=True)
    times = []
    for i in range(rounds):
        watcher.idle()
        start = time.perf_counter()
        mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=1000 + i))
        while True:
            if any(r[1] == b"EXISTS" for r in watcher.idle_check(timeout=5) if len(r) > 1):
                break
        times.append(time.perf_counter() - start)
        watcher.idle_done()
    watcher.logout()
    other.logout()
    return statistics.median(times)


def idle_bench(dc: Dovecot, work: Path, rounds: int = 20) -> tuple[float, float]:
    user = dc.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(50, seed=3))
    floor = bare_idle_latency(dc, user, rounds)
    ctx = context_for(dc, user, work / "idle")
    service = ctx.service()
    service.run(commands.SyncAll(), timeout=60)
    arrived = threading.Event()
    service.subscribe(lambda e: arrived.set() if isinstance(e, events.NewMail) else None)
    service.watch("INBOX")
    watcher = service.watcher("INBOX")
    assert watcher is not None and watcher.ready.wait(10)
    other = dc.client(user, tls=False, starttls=True)
    times = []
    for i in range(rounds):
        arrived.clear()
        start = time.perf_counter()
        mailgen.append_imap(other, "INBOX", mailgen.generate(1, seed=2000 + i))
        assert arrived.wait(10), "no NewMail event"
        times.append(time.perf_counter() - start)
        # Let the watcher re-enter IDLE before the next round.
        watcher.ready.clear()
        watcher.ready.wait(5)
    other.logout()
    ctx.close()
    return statistics.median(times), floor


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="mailtui-bench-wb-"))
    dc = Dovecot(work / "dovecot")
    dc.start()
    try:
        ours, floor = flag_bench(dc, work)
        print(f"flag {N} messages, submit → server OK   {ours * 1000:.0f} ms")
        print(f"  floor: bare UID STORE of the same set  {floor * 1000:.0f} ms")
        print(f"  ratio                                  {ours / floor:.2f} x  (target <= 2.0 x)")
        ours, floor = idle_bench(dc, work)
        print(f"APPEND elsewhere → NewMail event (median of 20)  {ours * 1000:.0f} ms")
        print(f"  floor: bare IDLE sees EXISTS (median of 20)      {floor * 1000:.0f} ms")
        print(
            f"  mailtui's own share                              {(ours - floor) * 1000:.0f} ms"
            f"  ({ours / floor:.2f} x floor; issue target <= 200 ms absolute)"
        )
    finally:
        dc.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
