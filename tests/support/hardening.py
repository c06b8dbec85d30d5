"""Counters for the hardening figures the suite prints in one summary line at the end."""

from __future__ import annotations

import threading
from collections import Counter

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
