"""The folder table as the server's LIST refreshes it: one statement inserts a new folder
or updates a known one, and counts the server did not report keep their last value."""

from __future__ import annotations

from pathlib import Path

from mailtui.cache.store import HeaderCache
from mailtui.model import Folder, FolderState, HeaderRow, Role


def row(uid: int, flags: str = "") -> HeaderRow:
    return HeaderRow(
        uid, flags, 0, 0, 10, 1000 + uid, f"s{uid}", "", "a@b", "", "", "", "", "", "", "", 0
    )


def test_a_known_folder_is_updated_in_place_and_keeps_unreported_counts(tmp_path: Path) -> None:
    cache = HeaderCache(tmp_path / "c.sqlite3")
    cache.replace_folders([Folder("Work", "Work", ".", Role.NONE, True, True, unread=3, total=9)])
    fid = cache.folder_id("Work")
    cache.replace_folders([Folder("Work", "Work-raw", "/", Role.ARCHIVE, False, False)])
    assert cache.folder_id("Work") == fid  # the same row: its messages stay its own
    assert cache.folder("Work") == Folder(
        "Work", "Work-raw", "/", Role.ARCHIVE, False, False, unread=3, total=9
    )
    cache.replace_folders([Folder("Work", "Work-raw", "/", Role.ARCHIVE, False, False, 1, 2)])
    assert (cache.folder("Work").unread, cache.folder("Work").total) == (1, 2)
    cache.close()


def test_a_folder_gone_from_the_list_is_dropped_with_its_mail(tmp_path: Path) -> None:
    cache = HeaderCache(tmp_path / "c.sqlite3")
    cache.replace_folders([Folder("INBOX", "INBOX"), Folder("Old", "Old")])
    cache.store_batch("Old", [row(1), row(2, "\\Seen")], FolderState(uidvalidity=1, synced=True))
    cache.put_part("Old", 1, "1", b"body")
    assert cache.replace_folders([Folder("INBOX", "INBOX")]) == ["Old"]
    assert [f.name for f in cache.folders()] == ["INBOX"]
    assert cache.uids("Old") == [] and cache.parts_size() == 0
    cache.close()


def test_a_folder_created_locally_starts_empty(tmp_path: Path) -> None:
    cache = HeaderCache(tmp_path / "c.sqlite3")
    cache.create_folder_local(Folder("New", "New", "/", Role.NONE, True, True, unread=5, total=5))
    assert cache.folder("New") == Folder("New", "New", "/", Role.NONE, True, True, 0, 0)
    cache.create_folder_local(Folder("New", "Other", "/"))  # already there: left alone
    assert cache.raw_name("New") == "New"
    cache.close()
