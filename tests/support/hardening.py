"""Counters for the hardening figures the suite prints in one summary line at the end.

A figure is recorded only after the check it stands for has passed (a kill counts once
the cache it left was found consistent; a fault once it is known to have fired and the
state after it was checked), and the line is printed only on a green run — a red run's
counts would claim checks that did not hold.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

_counts: Counter[str] = Counter()
_lock = threading.Lock()

# What the summary line reports, in order, with its label.
FIGURES = (
    ("hostile", "hostile messages rendered"),
    ("hostile_ui", "of them shown in the app"),
    ("faults", "faults injected"),
    ("kills", "kills survived"),
    ("actions_checked", "actions checked"),
    ("actions_lost", "actions lost"),
)


def record(name: str, n: int = 1) -> None:
    with _lock:
        _counts[name] += n


def summary() -> str:
    with _lock:
        return ", ".join(f"{label}: {_counts.get(key, 0)}" for key, label in FIGURES)


def any_recorded() -> bool:
    with _lock:
        return bool(_counts)


def missing_and_doubled(expected: Iterable[str], actual: Iterable[str]) -> tuple[int, int]:
    """How many of `expected` (Message-IDs, say) are absent from `actual`, and how many of
    `actual` are extra — a copy made twice, or something never asked for. Both break the
    promise "each action applied exactly once"."""
    want, have = Counter(expected), Counter(actual)
    return sum((want - have).values()), sum((have - want).values())
