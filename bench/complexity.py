"""The complexity test's figures as a table: per function, its slowest shape at 10 KB and
100 KB of adversarial input (thread CPU time), and the ratio.

    PYTHONPATH=. python bench/complexity.py

Runs tests/unit/test_complexity.py with its assertion replaced by a recorder.
"""

import pytest

import tests.unit.test_complexity as tc

rows = {}
orig_growth = tc.growth


def assert_linear(what, fn, cases):
    worst = None
    for shape, small, large in cases:
        ts, tl = orig_growth(fn, small, large)
        r = tl / max(ts, 1e-9)
        if worst is None or tl > worst[2]:
            worst = (shape, ts, tl, r, len(cases) if hasattr(cases, "__len__") else 0)
    prev = rows.get(what)
    if prev is None or worst[2] > prev[2]:
        rows[what] = worst


tc.assert_linear = assert_linear
pytest.main(["-q", "-p", "no:cacheprovider", "tests/unit/test_complexity.py"])
print("| function | slowest shape | 10 KB | 100 KB | ratio |")
print("|---|---|---|---|---|")
for what, (shape, ts, tl, r, _n) in sorted(rows.items()):
    print(f"| {what} | {shape} | {ts * 1000:.2f} ms | {tl * 1000:.2f} ms | ×{r:.1f} |")
