"""How long opening and scrolling a 100k-message folder takes, next to a 100-message one.

    python -m tests.ui.bench_open [--messages 100000]

Builds a Maildir with a "Big" and a "Small" folder in a temp dir, serves it from a
private Dovecot and cold-syncs it into a cache; then runs the app headless
(the same factory as the tests) and times, through Pilot: opening each folder until
its rows are on screen, paging, and jumping to the end. Prints figures, and the
envelope rows read from the cache, which must stay near a screenful whatever the size.
Not a test: timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from mailtui.sync import commands
from tests.support import mailgen
from tests.support.accounts import context_for
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, wait_for

SMALL = 100


def _build(work: Path, n: int) -> tuple[Dovecot, MailUser]:
    server = Dovecot(work / "dovecot")
    server.start()
    user = server.add_user("bench")
    t = time.perf_counter()
    mailgen.write_maildir(user.maildir, "Big", mailgen.generate(n, seed=11))
    mailgen.write_maildir(user.maildir, "Small", mailgen.generate(SMALL, seed=12))
    print(f"wrote {n} + {SMALL} messages in {time.perf_counter() - t:.1f} s")
    ctx = context_for(server, user, work / "cache")
    t = time.perf_counter()
    ctx.service().run(commands.SyncAll(), timeout=3600)
    print(f"cold sync of {n + SMALL} messages: {time.perf_counter() - t:.1f} s")
    ctx.close()
    return server, user


def _draw(app) -> None:
    """Draw the list's visible lines, as the compositor does for a frame."""
    rows = app.main.messages
    for y in range(rows.scrollable_content_region.height):
        rows.render_line(y)


async def _open(pilot, app, folder: str, expected: int) -> float:
    """From the open request until the rows are in and drawn."""
    main = app.main
    t = time.perf_counter()
    main.open_folder("test", folder)
    while len(main.messages.rows) != expected:
        await asyncio.sleep(0.001)
    _draw(app)
    elapsed = time.perf_counter() - t
    await pilot.pause()
    return elapsed


async def _keys(pilot, app, action: str, times: int) -> list[float]:
    """The app's work per key: run the action, read what is missing, draw the list."""
    out = []
    for _ in range(times):
        t = time.perf_counter()
        await app.run_action(action, app.main)
        _draw(app)
        out.append(time.perf_counter() - t)
        await pilot.pause()
    return out


async def run(work: Path, n: int) -> None:
    server, user = _build(work, n)
    try:
        app = make_app(server, user, work / "cache", ui={"mark_read_delay": -1})
        async with app.run_test(size=(120, 40)) as pilot:
            main = app.main
            # Measure once the start-up resync of every folder is over.
            await wait_for(pilot, lambda: main.folder and main.status.status.state == "online")
            await wait_for(pilot, lambda: not main.status.status.syncing, timeout=120)
            await pilot.pause(1)
            service = main.service
            t = time.perf_counter()
            service.view("Big")
            view_ms = (time.perf_counter() - t) * 1000
            first: dict[str, list[float]] = {"Small": [], "Big": []}
            again: dict[str, list[float]] = {"Small": [], "Big": []}
            read: dict[str, int] = {}
            for _ in range(3):
                for folder, count in (("Small", SMALL), ("Big", n)):
                    main._recent.clear()  # the first opening of a folder this session
                    before = main.messages.rows_fetched
                    first[folder].append(await _open(pilot, app, folder, count))
                    read[folder] = main.messages.rows_fetched - before
                    await pilot.pause(0.3)
            for _ in range(3):
                for folder, count in (("Small", SMALL), ("Big", n)):
                    again[folder].append(await _open(pilot, app, folder, count))
                    await pilot.pause(0.3)
            before = main.messages.rows_fetched
            pages = await _keys(pilot, app, "page_down", 20)
            downs = await _keys(pilot, app, "cursor_down", 50)
            end = await _keys(pilot, app, "last", 1)
            scrolled = main.messages.rows_fetched - before
        app.ctx.close()
    finally:
        server.close()

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.0f} ms"

    print(f"service.view('Big'), {n} UIDs: {view_ms:.0f} ms")
    for folder, count in (("Small", SMALL), ("Big", n)):
        print(
            f"open {folder} ({count} messages): first {ms(first[folder])}, "
            f"again {ms(again[folder])} (median of 3); envelopes read: {read[folder]}"
        )
    print(
        f"in Big: page down {statistics.median(pages) * 1000:.1f} ms, "
        f"j {statistics.median(downs) * 1000:.1f} ms, G {end[0] * 1000:.1f} ms "
        f"(median per key, action + drawing the list); envelopes read for 71 keys: {scrolled}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailtui-bench-") as work:
        asyncio.run(run(Path(work), args.messages))


if __name__ == "__main__":
    main()
