"""mailtui/warmstart.py: dataclass methods compiled once and reused by the next starts.

Each case runs a fresh interpreter (the table is installed when `mailtui` is first
imported) with its own XDG_CACHE_HOME, and reads what it reports on stdout.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from dataclasses import dataclass, field
import mailtui
from mailtui import warmstart

loaded = len(warmstart._table)

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: tuple = field(default_factory=tuple)

import mailtui.sync.events  # a module full of dataclasses
p = Point(1)
warmstart.save()
print(json.dumps({"loaded": loaded, "new": warmstart._new, "point": [p.x, p.y, repr(p)],
                  "equal": Point(1) == p, "hash": hash(p) == hash(Point(1))}))
"""


def _run(cache: Path) -> dict:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _table(cache: Path) -> Path:
    [path] = (cache / "mailtui").glob("dataclasses-*.marshal")
    return path


def test_the_second_start_compiles_nothing_and_behaves_the_same(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first["loaded"] == 0
    table = _table(tmp_path)
    assert stat.S_IMODE(table.stat().st_mode) == 0o600
    second = _run(tmp_path)
    assert second["loaded"] > 50  # Point's methods and every event's
    assert second["point"] == first["point"] == [1, 2, "Point(x=1, y=2, tags=())"]
    assert second["equal"] and second["hash"]


def test_a_damaged_or_writable_table_is_ignored_and_rewritten(tmp_path: Path) -> None:
    _run(tmp_path)
    table = _table(tmp_path)
    table.write_bytes(b"not marshal data")
    assert _run(tmp_path)["loaded"] == 0  # ignored, and rewritten by that run
    assert _run(tmp_path)["loaded"] > 50
    table.chmod(0o666)  # anyone may write it: its code is not run
    assert _run(tmp_path)["loaded"] == 0
