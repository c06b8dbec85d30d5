"""Cache schema versions: an older cache is upgraded, keeping what can be kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mailtui.cache.schema import SCHEMA_VERSION
from mailtui.cache.store import HeaderCache
from mailtui.model import Folder, FolderState, HeaderRow


def test_a_v6_cache_gains_the_change_token_and_keeps_its_mail(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    cache = HeaderCache(path)
    cache.replace_folders([Folder(name="INBOX", raw_name="INBOX")])
    cache.set_folder_state("INBOX", FolderState(uidvalidity=7, uidnext=42, synced=True))
    cache.close()
    db = sqlite3.connect(path)  # what the previous release wrote
    db.execute("ALTER TABLE folders DROP COLUMN change_token")
    db.execute("ALTER TABLE messages DROP COLUMN message_key")
    db.execute("ALTER TABLE messages DROP COLUMN thread_key")
    db.execute("PRAGMA user_version=6")
    db.commit()
    db.close()
    cache = HeaderCache(path)
    state = cache.folder_state("INBOX")
    assert (state.uidvalidity, state.uidnext, state.synced, state.change_token) == (7, 42, True, 0)
    cache.set_folder_state("INBOX", FolderState(uidvalidity=7, uidnext=42, change_token=5))
    assert cache.folder_state("INBOX").change_token == 5
    assert cache.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    cache.close()


def test_a_v7_cache_gains_message_and_thread_keys_and_keeps_its_mail(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    cache = HeaderCache(path)
    cache.replace_folders([Folder(name="INBOX", raw_name="INBOX")])
    cache.store_batch("INBOX", [HeaderRow(5, "\\Seen", 1, 0, 10, 0, "kept", *[""] * 9, 0)])
    cache.close()
    db = sqlite3.connect(path)  # what the previous release wrote
    db.execute("ALTER TABLE messages DROP COLUMN message_key")
    db.execute("ALTER TABLE messages DROP COLUMN thread_key")
    db.execute("PRAGMA user_version=7")
    db.commit()
    db.close()
    cache = HeaderCache(path)
    (env,) = cache.envelopes("INBOX", [5]).values()
    assert (env.subject, env.message_key, env.thread_key) == ("kept", 0, 0)
    cache.store_batch("INBOX", [HeaderRow(6, "", 1, 0, 10, 0, "new", *[""] * 9, 0, 1234, 99)])
    (env,) = cache.envelopes("INBOX", [6]).values()
    assert (env.message_key, env.thread_key) == (1234, 99)
    cache.close()


def test_an_unknown_old_cache_is_rebuilt_empty(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    cache = HeaderCache(path)
    cache.replace_folders([Folder(name="INBOX", raw_name="INBOX")])
    cache.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    cache = HeaderCache(path)
    assert cache.folders() == []
    cache.close()
