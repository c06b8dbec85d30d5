"""Several cache connections in one process and another process on the same file: no
write may vanish. Opening and closing any descriptor of the database file outside
SQLite drops every POSIX lock the process holds on it; the other process then thinks
it is the last user, checkpoints and deletes the WAL, and later writes are lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mailtui.cache.store import HeaderCache
from mailtui.model import Folder

OTHER_PROCESS = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA user_version")
db.close()
"""
READ_BACK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("PRAGMA integrity_check").fetchone()[0])
print(",".join(r[0] for r in db.execute("SELECT name FROM folders ORDER BY name")))
"""


def test_a_second_connection_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    path = tmp_path / "account.sqlite3"
    first = HeaderCache(path)
    second = HeaderCache(path)  # another thread's connection, as the sync workers have
    subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path)], check=True)
    assert Path(f"{path}-wal").exists(), "another process removed the WAL we still use"
    first.replace_folders([Folder(name="Work", raw_name="Work")])
    out = subprocess.run(
        [sys.executable, "-c", READ_BACK, str(path)], check=True, capture_output=True, text=True
    ).stdout.split("\n")
    assert out[0] == "ok"
    assert "Work" in out[1].split(",")
    first.close()
    second.close()
