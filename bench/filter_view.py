"""The filter's cache work alone: compute_view with a query on a synced 100k cache.

    python bench/filter_view.py CACHE.sqlite3     # e.g. a cache left by a bench/tui.py run

Prints the median of 5 for `unseen` and `from:alice` (the part of `&` that runs on the
bridge's reader thread; bench/tui.py times the whole key, drawing included).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailtui.cache.store import HeaderCache
from mailtui.ui.views import ViewSpec, compute_view


class _Service:
    """The few reads compute_view asks of a SyncService, on one cache."""

    def __init__(self, cache: HeaderCache) -> None:
        self._cache = cache

    def cache(self) -> HeaderCache:
        return self._cache

    def folder_state(self, folder: str):
        return self._cache.folder_state(folder)

    def view(self, folder: str, sort: str = "date", reverse: bool = True) -> list[int]:
        return self._cache.view(folder, sort, reverse)

    def order(self, folder: str, sort: str = "date", reverse: bool = True, limit: int = -1):
        return self._cache.order(folder, sort, reverse, limit)

    def thread_items(self, folder: str):
        return self._cache.thread_items(folder)


def main() -> int:
    service = _Service(HeaderCache(Path(sys.argv[1])))
    for text in ("unseen", "from:alice"):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            view = compute_view(service, "INBOX", ViewSpec(query=text))  # type: ignore[arg-type]
            times.append((time.perf_counter() - start) * 1000)
        print(f"{text}: {statistics.median(times):.1f} ms, {len(view.rows.uids)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
