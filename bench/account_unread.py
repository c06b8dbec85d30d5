"""The account's unread total beside its name (cache/conversations.account_unread): one
message counted once however many folders hold it (Gmail's labels and All Mail), Trash
and Junk left out. Timed on a synthetic cache shaped like a Gmail account — INBOX and
All Mail holding the same 100k messages, a 20k label — against a floor measured in the
same run: the unread count of one folder, which the tree already shows per folder.
The UI counts it in a thread after folder counts change, so it never blocks a frame.

    PYTHONPATH=. python bench/account_unread.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from mailtui.cache.conversations import account_unread
from mailtui.cache.store import HeaderCache
from mailtui.model import Folder, HeaderRow, Role


def _rows(count: int) -> Iterator[HeaderRow]:
    for i in range(count):
        yield HeaderRow(
            uid=i + 1,
            flags="\\Seen" if i % 2 else "",
            modseq=0,
            internaldate=i,
            size=1,
            date=i,
            subject="s",
            from_name="",
            from_addr="",
            to="",
            cc="",
            reply_to="",
            message_id=f"m{i}@example.test",
            in_reply_to="",
            references="",
            list_id="",
            has_attachments=0,
            message_key=i + 1,
            thread_key=i + 1,
        )


def _median_ms(fn, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    n = parser.parse_args().messages
    with tempfile.TemporaryDirectory() as tmp:
        cache = HeaderCache(Path(tmp) / "bench.db")
        cache.replace_folders(
            [
                Folder(name="INBOX", raw_name="INBOX", role=Role.INBOX),
                Folder(name="[Gmail]/All Mail", raw_name="[Gmail]/All Mail", role=Role.ALL),
                Folder(name="Work", raw_name="Work"),
            ]
        )
        with cache.transaction():
            cache.store_batch("INBOX", list(_rows(n)))
            cache.store_batch("[Gmail]/All Mail", list(_rows(n)))
            cache.store_batch("Work", list(_rows(n // 5)))
        total = account_unread(cache)
        ms = _median_ms(lambda: account_unread(cache))
        floor = _median_ms(lambda: cache.counts("INBOX"))
        load = (
            Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
        )
        print(f"rows {2 * n + n // 5}, unread once each {total}")
        print(
            f"account_unread {ms:.1f} ms; floor (one folder's counts) {floor:.1f} ms; "
            f"ratio {ms / floor:.1f}x; load {load}"
        )


if __name__ == "__main__":
    main()
