"""Process measurements shared by the benchmarks (Linux /proc)."""

from __future__ import annotations

from pathlib import Path


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, summed, in MB."""
    pids, total = [pid], 0
    while pids:
        p = pids.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            # Children are listed under the thread that started them.
            children = [
                c for task in Path(f"/proc/{p}/task").iterdir()
                for c in (task / "children").read_text().split()
            ]  # fmt: skip
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        pids.extend(int(c) for c in children)
    return total / 1024
