"""The cache's conversation lookup against links written by strangers: loops, a
References header naming thousands of ids, one bogus id shared by the whole folder."""

from __future__ import annotations

from pathlib import Path

from mailtui.cache.conversations import MAX_MEMBERS, conversation_members
from mailtui.cache.store import HeaderCache
from mailtui.model import Folder, HeaderRow, Role


def _row(uid: int, mid: str, irt: str = "", refs: str = "") -> HeaderRow:
    values = dict(
        uid=uid, flags="", modseq=0, internaldate=uid, size=1, date=uid, subject=f"s{uid}",
        from_name="", from_addr="a@example.test", to="", cc="", reply_to="", message_id=mid,
        in_reply_to=irt, references=refs, list_id="", has_attachments=0,
    )  # fmt: skip
    return HeaderRow(*[values.get(name, 0) for name in HeaderRow._fields])


def _cache(tmp_path: Path, rows: list[HeaderRow]) -> HeaderCache:
    cache = HeaderCache(tmp_path / "c.sqlite3")
    cache.replace_folders([Folder("INBOX", "INBOX", "/", Role.INBOX)])
    cache.store_batch("INBOX", rows, index=False)
    return cache


def test_loops_end_and_a_huge_references_header_is_bounded(tmp_path: Path) -> None:
    many = " ".join(f"x{i}@example.test" for i in range(5000))
    rows = [
        _row(1, "a@example.test", "b@example.test", "b@example.test"),  # a ↔ b: a loop
        _row(2, "b@example.test", "a@example.test", "a@example.test"),
        _row(3, "c@example.test", "", f"{many} a@example.test"),
        _row(4, "d@example.test"),
    ]
    cache = _cache(tmp_path, rows)
    got = {(m.folder, m.uid) for m in conversation_members(cache, "INBOX", 1)}
    assert got == {("INBOX", 1), ("INBOX", 2), ("INBOX", 3)}


def test_one_bogus_id_shared_by_everything_is_capped(tmp_path: Path) -> None:
    rows = [_row(i, f"m{i}@example.test", "", "0") for i in range(1, 20_001)]
    cache = _cache(tmp_path, rows)
    got = conversation_members(cache, "INBOX", 10)
    assert len(got) == MAX_MEMBERS  # a capped answer, not the folder
    assert ("INBOX", 10) in {(m.folder, m.uid) for m in got}
