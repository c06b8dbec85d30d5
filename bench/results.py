"""Bench figures as JSON files, and the exit status a missed target gives.

Each bench script ends with `finish(name, figures, path, args)`: it writes
`bench/results/<name>.json` (or `--json PATH`) with every figure — its value and unit,
the floor it is a ratio to (measured in the same run), the target — and the host it
ran on (CPUs, Python, date, load average: these machines are shared, so a slow figure
under load says so), prints the targets missed, and returns 1 if any was. The README's
performance table is generated from these files by `bench/report.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Figure:
    key: str  # stable id: "cold_ratio"
    label: str  # the README row: what was measured, and against which floor
    value: float
    unit: str  # "× floor", "s", "ms", "MB"
    target: float | None = None  # an upper bound; None: reported, not judged
    target_unit: str = ""  # when it differs from `unit`
    floor: float | None = None  # the floor's own value, when `value` is a ratio to it
    floor_unit: str = ""
    detail: str = ""  # shown after the value: the absolute figure, what changed, …
    readme: bool = True  # a row of the README table

    @property
    def ok(self) -> bool:
        return self.target is None or self.value <= self.target


def add_json_option(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS / f"{name}.json",
        help=f"where to write the figures (default: bench/results/{name}.json)",
    )


def host() -> dict:
    """What the figures depend on besides mailtui: the machine and how busy it was."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    # A bench run from an exported tree (git archive) names its commit this way.
    commit = commit or os.environ.get("MAILTUI_COMMIT", "")
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "commit": commit,
    }


def finish(name: str, figures: list[Figure], path: Path, args: dict, load_at_start=None) -> int:
    """Write the JSON, say which targets were missed; 0 if none, else 1."""
    info = host()
    if load_at_start is not None:
        info["loadavg_at_start"] = [round(x, 2) for x in load_at_start]
    argv = sys.argv[1:]
    if "--json" in argv:  # where the figures went is no part of how they were taken
        i = argv.index("--json")
        argv = argv[:i] + argv[i + 2 :]
    data = {
        "bench": name,
        "command": " ".join([f"python bench/{name}.py", *argv]),
        "args": args,
        "host": info,
        "figures": [dict(asdict(f), ok=f.ok) for f in figures],
        "ok": all(f.ok for f in figures),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    missed = [f for f in figures if not f.ok]
    for f in missed:
        print(
            f"TARGET MISSED: {f.label}: {f.value:.3g} {f.unit} > {f.target:g} "
            f"{f.target_unit or f.unit}",
            file=sys.stderr,
        )
    print(f"figures written to {path} (load average {info['loadavg'][0]})")
    return 1 if missed else 0
