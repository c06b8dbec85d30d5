"""Copies and moves replayed for an earlier run reach the destination's cache (found by
bench/soak.py): the rows the writer places there lived only in the memory of the process
that queued the action, so `mailtui sync` exited 0 with the copies missing from the cache.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.cache.store import HeaderCache
from mailtui.sync import commands
from mailtui.sync.actionlog import ActionLog, Policy
from tests.support import mailgen
from tests.support.accounts import cli_env, context_for
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot


@pytest.mark.parametrize("kind", ["copy", "move"])
def test_a_replayed_copy_or_move_is_in_the_destination_after_one_sync(
    dovecot: Dovecot, tmp_path: Path, kind: str
) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(10, seed=1))
    other = dovecot.client(user)
    other.create_folder("Copies")
    env = cli_env(tmp_path, dovecot, user)

    def sync() -> None:
        out = subprocess.run(
            [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr

    sync()
    db = tmp_path / "cache" / "mailtui" / "accounts" / "test.sqlite3"
    cache = HeaderCache(db)  # an action saved by an earlier process that then went away
    make = commands.CopyMessages if kind == "copy" else commands.MoveMessages
    ActionLog(Policy()).apply(cache, make(folder="INBOX", uids=(1, 2, 3), dest="Copies"))
    cache.close()
    sync()
    ctx = context_for(dovecot, user, db.parent)
    try:
        assert assert_cache_matches_server(ctx, other, ["INBOX", "Copies"]) > 0
        assert len(ctx.service().cache().uids("Copies")) == 3
    finally:
        ctx.close()
        other.logout()
