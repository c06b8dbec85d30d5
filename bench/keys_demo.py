"""Per-key cost in a 20k-message Maildir folder under Pilot: G, gg, j, k with drawing,
60 presses each, medians (used to compare two trees: run it from each).

    PYTHONPATH=. python bench/keys_demo.py
"""

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, ".")
from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.ui.app import MailApp
from tests.support import mailgen
from tests.ui.helpers import wait_for


async def run():
    tmp = Path(tempfile.mkdtemp())
    mailgen.write_maildir(tmp / "Mail", "INBOX", mailgen.generate(20000, seed=3))
    s = make_settings(
        {"local": {"email": "me@example.test", "maildir": str(tmp / "Mail")}},
        ui={"mark_read_delay": -1},
    )
    app = MailApp(AppContext(s, cache_dir=tmp / "cache"))
    async with app.run_test(size=(160, 48)) as pilot:
        main = app.main
        await wait_for(pilot, lambda: len(main.messages.rows) == 20000, timeout=300)
        res = {}
        for action in ("last", "first", "cursor_down", "cursor_up"):
            ts = []
            for _ in range(60):
                t = time.perf_counter()
                await app.run_action(action, main)
                app.screen._compositor.render_update(full=True)
                ts.append(time.perf_counter() - t)
                await pilot.pause()
            res[action] = statistics.median(ts) * 1000
        print({k: round(v, 2) for k, v in res.items()})


asyncio.run(run())
