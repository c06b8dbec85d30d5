"""One folder of a million messages (issue 17, target 5). Takes many minutes.

    python bench/million.py [--messages 1000000] [--json PATH]

A private Dovecot (default_vsz_limit raised: its 256 MB default cannot serve 1M) holds
N generated messages in one INBOX. In order, each against a floor from the same run:
  socket   a bare socket's login, SELECT and UID FETCH 1:* of the headers mailtui asks
           for, read to the end without parsing (bench/sync.py's floor, run twice: the
           first warms Dovecot's own indexes);
  cold     `mailtui` in tmux with an empty cache until the newest subject is on screen
           (then q), against the empty Textual app (median of 5 runs of it);
  sync     `mailtui sync` from an empty cache to the end, against the socket floor;
  cache    the cache file's bytes per message;
  warm     `mailtui` with the cache present until the newest subject shows (median of
           3), its peak RSS (launch to 2 s after), against the same floor;
  keys     j / k in the folder under Pilot, drawing included (median of 50 each).
Programs run as installed ones start (bench/tui.py: as_installed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
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
from bench.tui import (  # noqa: E402
    FLOOR_APP,
    MARKER,
    Tmux,
    _keys,
    as_installed,
    empty_cache,
    fill,
    timed_start,
)
from mailtui.imap.session import ImapSession  # noqa: E402
from tests.support.accounts import write_config  # noqa: E402
from tests.support.dovecot import Dovecot  # noqa: E402
from tests.ui.helpers import make_app, wait_for  # noqa: E402

TARGETS = {"key_ms": 5.0, "bytes_per_message": 1024.0, "rss_mb": 60.0, "sync_ratio": 3.0}


async def keys(dc: Dovecot, user, cache_dir: Path, n: int) -> dict[str, float]:
    app = make_app(dc, user, cache_dir, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        await wait_for(pilot, lambda: len(main.messages.rows) == n, timeout=600)
        j = await _keys(pilot, app, "cursor_down", 50)
        k = await _keys(pilot, app, "cursor_up", 50)
    app.ctx.close()
    return {"j_ms": statistics.median(j) * 1000, "k_ms": statistics.median(k) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    add_json_option(parser, "million")
    args = parser.parse_args()
    load = os.getloadavg()
    n = args.messages
    mailtui = [sys.executable, "-m", "mailtui"]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="mailtui-bench-1m-") as tmp:
        work = Path(tmp)
        as_installed(work)
        dc = Dovecot(work / "dovecot", extra_config="default_vsz_limit = 4G\n")
        dc.start()
        tmux = Tmux(work)
        try:
            user = dc.add_user("big")
            start = time.perf_counter()
            fill(user, n)
            print(f"wrote {n + 1} messages in {time.perf_counter() - start:.0f} s", flush=True)
            items = ImapSession.header_items_for(condstore=True)
            floor_fetch(dc, user, items)  # Dovecot's indexes, as a server in use has them
            out["socket_s"] = floor_fetch(dc, user, items)
            print(f"socket floor {out['socket_s']:.1f} s", flush=True)
            config = write_config(work / "big.toml", dc, user)
            base = {
                "TERM": "xterm-256color",
                "PYTHONPATH": str(ROOT),
                "XDG_DATA_HOME": str(work / "data"),
                "XDG_CONFIG_HOME": str(work / "config"),
                "HOME": str(work),
                "PATH": os.environ.get("PATH", ""),
            }
            env = dict(base, MAILTUI_CONFIG=str(config), XDG_CACHE_HOME=str(work / "cache"))
            floors = [
                timed_start(tmux, [sys.executable, "-c", FLOOR_APP], base, "floor app ready")
                for _ in range(5)
            ]
            out["floor_s"] = statistics.median(f[0] for f in floors)
            colds = []
            for _ in range(3):
                empty_cache(work / "cache")
                colds.append(timed_start(tmux, mailtui, env, MARKER)[0])
            out["cold_s"] = statistics.median(colds)
            print(f"cold first screen {out['cold_s']:.2f} s", flush=True)
            empty_cache(work / "cache")
            start = time.perf_counter()
            done = subprocess.run([*mailtui, "sync"], env=env, capture_output=True, text=True)
            out["sync_s"] = time.perf_counter() - start
            if done.returncode:
                raise SystemExit(f"mailtui sync failed: {done.stderr.strip()}")
            print(f"full sync {out['sync_s']:.1f} s", flush=True)
            db = next((work / "cache" / "mailtui" / "accounts").glob("*.sqlite3"))
            subprocess.run([*mailtui, "sync"], env=env, capture_output=True)  # checkpoint
            out["bytes_per_message"] = db.stat().st_size / (n + 1)
            warm = [timed_start(tmux, mailtui, env, MARKER, settle=2.0) for _ in range(3)]
            out["warm_s"] = statistics.median(w[0] for w in warm)
            out["rss_mb"] = max(w[1] for w in warm)
            print(f"warm first screen {out['warm_s']:.2f} s, {out['rss_mb']:.0f} MB", flush=True)
            tmux.close()
            pilot_cache = work / "pilot-cache"
            pilot_cache.mkdir()
            shutil.copy(db, pilot_cache / "test.sqlite3")
            out.update(asyncio.run(keys(dc, user, pilot_cache, n + 1)))
        finally:
            tmux.close()
            dc.close()
    return finish("million", figures(out, n), args.json, {"messages": n}, load_at_start=load)


def figures(o: dict[str, float], n: int) -> list[Figure]:
    k = f"{(n + 1) // 1000}k" if n < 999_000 else f"{(n + 1) / 1e6:.0f}M"
    floor = o["floor_s"]
    return [
        Figure(
            "m_cold_s",
            f"app, empty cache, {k} INBOX: newest subject on screen (tmux, median of 3)",
            o["cold_s"],
            "s",
            floor=floor,
            floor_unit="s",
            detail=f"{o['cold_s'] / floor:.1f} × the empty Textual app's {floor:.2f} s",
        ),
        Figure(
            "m_warm_s",
            f"app, cache present, {k} INBOX (tmux, median of 3)",
            o["warm_s"],
            "s",
            floor=floor,
            floor_unit="s",
            detail=f"{o['warm_s'] / floor:.1f} × the empty Textual app",
        ),
        Figure(
            "m_key_ms",
            f"j/k in the {k} folder (Pilot, drawing included; the slower median)",
            max(o["j_ms"], o["k_ms"]),
            "ms",
            TARGETS["key_ms"],
            detail=f"j {o['j_ms']:.1f}, k {o['k_ms']:.1f}",
        ),
        Figure(
            "m_bytes_per_message",
            f"header cache file per message ({k})",
            o["bytes_per_message"],
            "B",
            TARGETS["bytes_per_message"],
        ),
        Figure("m_rss_mb", f"peak RSS with the {k} folder open", o["rss_mb"], "MB", 60.0),
        Figure(
            "m_sync_ratio",
            f"`mailtui sync` of {k} from an empty cache (floor: a bare socket reading"
            " `UID FETCH 1:*`)",
            o["sync_s"] / o["socket_s"],
            "× floor",
            TARGETS["sync_ratio"],
            floor=o["socket_s"],
            floor_unit="s",
            detail=f"{o['sync_s']:.1f} s; floor {o['socket_s']:.1f} s",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
