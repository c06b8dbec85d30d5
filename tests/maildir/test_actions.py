"""Every triage action reaches the files on disk (renamed, moved, linked, unlinked) and the cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailtui.context import AppContext
from mailtui.model import DELETED, FLAGGED, SEEN
from mailtui.sync import commands
from tests.maildir.helpers import files, folder_dir, message_ids

Ctx = AppContext


def _run(ctx: Ctx, command: commands.Command):
    result = ctx.service().run(command, timeout=30)
    assert ctx.service().wait_writer_idle()
    return result


def _mid(ctx: Ctx, folder: str, uid: int) -> str:
    env = ctx.service().envelope(folder, uid)
    assert env is not None
    return f"<{env.message_id}>"


def _letters(name: str) -> str:
    return name.partition(":2,")[2]


def test_flags_and_labels_rename_the_files(ctx: Ctx, tree: Path) -> None:
    mid1, mid3 = _mid(ctx, "INBOX", 1), _mid(ctx, "INBOX", 3)
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(1, 2), add=frozenset({FLAGGED, "Work"})))
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(3,), add=frozenset({SEEN})))
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(3,), remove=frozenset({SEEN})))
    on_disk = message_ids(tree, "INBOX")
    assert "F" in _letters(on_disk[mid1])
    assert "S" not in _letters(on_disk[mid3])
    # No dovecot-keywords file in this folder: the label lives in mailtui's UID map.
    assert not (tree / "dovecot-keywords").exists()
    env = ctx.service().envelope("INBOX", 1)
    assert env is not None and {FLAGGED, "Work"} <= env.flags
    # A fresh sync (new cache) reads the same flags back from disk and the map.
    stats = ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=30)
    assert stats.changed == 0
    assert {FLAGGED, "Work"} <= ctx.service().envelope("INBOX", 2).flags


def test_flagging_a_new_message_moves_it_to_cur(ctx: Ctx, tree: Path) -> None:
    new = [u for u, (sub, _n) in files(tree, "INBOX").items() if sub == "new"]
    assert new, "the fixture has unread mail in new/"
    uids = [
        uid
        for uid in ctx.service().view("INBOX")
        if SEEN not in ctx.service().envelope("INBOX", uid).flags
    ]
    _run(ctx, commands.SetFlags(folder="INBOX", uids=tuple(uids), add=frozenset({FLAGGED})))
    listing = files(tree, "INBOX")
    assert all(listing[u][0] == "cur" and "F" in _letters(listing[u][1]) for u in new)


def test_keyword_letters_where_dovecot_keywords_exist(ctx: Ctx, tree: Path) -> None:
    (tree / "dovecot-keywords").write_text("0 Existing\n")
    mid = _mid(ctx, "INBOX", 4)
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(4,), add=frozenset({"Urgent", "Existing"})))
    assert (tree / "dovecot-keywords").read_text() == "0 Existing\n1 Urgent\n"
    assert {"a", "b"} <= set(_letters(message_ids(tree, "INBOX")[mid]))
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(4,), remove=frozenset({"Urgent"})))
    letters = _letters(message_ids(tree, "INBOX")[mid])
    assert "a" in letters and "b" not in letters
    assert ctx.service().envelope("INBOX", 4).keywords == {"Existing"}


def test_move_copy_archive_delete(ctx: Ctx, tree: Path) -> None:
    inbox_before = message_ids(tree, "INBOX")
    moved = [_mid(ctx, "INBOX", u) for u in (1, 2)]
    copied, archived, deleted = (_mid(ctx, "INBOX", u) for u in (3, 4, 5))
    result = _run(ctx, commands.MoveMessages(folder="INBOX", uids=(1, 2), dest="Work"))
    assert sorted(result["mapping"]) == [1, 2]
    _run(ctx, commands.CopyMessages(folder="INBOX", uids=(3,), dest="Work"))
    _run(ctx, commands.ArchiveMessages(folder="INBOX", uids=(4,)))
    _run(ctx, commands.DeleteMessages(folder="INBOX", uids=(5,)))
    inbox, work = message_ids(tree, "INBOX"), message_ids(tree, "Work")
    assert set(inbox) == set(inbox_before) - {*moved, archived, deleted}
    assert set(work) == {*moved, copied}
    assert set(message_ids(tree, "Archive")) == {archived}
    assert set(message_ids(tree, "Trash")) == {deleted}
    # A move keeps the file's unique name (a rename); a copy is a hard link.
    assert work[moved[0]].split(":")[0] == inbox_before[moved[0]].split(":")[0]
    src = folder_dir(tree, "INBOX") / "cur" / inbox[copied]
    dst = folder_dir(tree, "Work") / "cur" / work[copied]
    assert src.stat().st_ino == dst.stat().st_ino
    # The cache agrees without a resync: moved rows are in the destination already.
    service = ctx.service()
    assert len(service.view("INBOX")) == 26
    assert {
        f"<{e.message_id}>" for e in service.envelopes("Work", service.view("Work")).values()
    } >= set(moved)


def test_delete_in_trash_unlinks_only_those_files(ctx: Ctx, tree: Path) -> None:
    _run(ctx, commands.MoveMessages(folder="INBOX", uids=(1, 2, 3), dest="Trash"))
    service = ctx.service()
    service.run(commands.SyncFolder(folder="Trash"), timeout=30)
    trash = sorted(service.view("Trash"))
    assert len(trash) == 3
    # Another program marked one \Deleted (T) without removing it: it must survive us.
    other = files(tree, "Trash")
    base = folder_dir(tree, "Trash")
    keep_mid = _mid(ctx, "Trash", trash[0])
    name = message_ids(tree, "Trash")[keep_mid]
    os.rename(base / "cur" / name, base / "cur" / (name.split(":")[0] + ":2,ST"))
    _run(ctx, commands.DeleteMessages(folder="Trash", uids=(trash[1],)))
    left = message_ids(tree, "Trash")
    assert len(left) == 2 and keep_mid in left
    assert len(other) == 3
    assert DELETED not in {
        f for e in service.envelopes("Trash", trash[2:]).values() for f in e.flags
    }


def test_undo_of_a_move_puts_the_files_back(ctx: Ctx, tree: Path) -> None:
    before = message_ids(tree, "INBOX")
    _run(ctx, commands.MoveMessages(folder="INBOX", uids=(7, 8), dest="Work"))
    assert len(message_ids(tree, "Work")) == 2
    assert ctx.service().run(commands.Undo(), timeout=30) == "reversed"
    assert ctx.service().wait_writer_idle()
    assert set(message_ids(tree, "INBOX")) == set(before)
    assert message_ids(tree, "Work") == {}
    service = ctx.service()
    service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
    assert len(service.view("INBOX")) == 30
    # Flags survived the round trip.
    envs = service.envelopes("INBOX", service.view("INBOX"))
    assert sum(SEEN in e.flags for e in envs.values()) == sum(
        "S" in _letters(n) for n in before.values()
    )


def test_undo_of_flags(ctx: Ctx, tree: Path) -> None:
    mid = _mid(ctx, "INBOX", 9)
    _run(ctx, commands.SetFlags(folder="INBOX", uids=(9,), add=frozenset({FLAGGED})))
    assert "F" in _letters(message_ids(tree, "INBOX")[mid])
    ctx.service().run(commands.Undo(), timeout=30)
    assert ctx.service().wait_writer_idle()
    assert "F" not in _letters(message_ids(tree, "INBOX")[mid])


def test_append_writes_through_tmp_into_cur(ctx: Ctx, tree: Path) -> None:
    raw = b"From: me@example.test\r\nSubject: kept\r\nMessage-ID: <kept@x>\r\n\r\nbody\r\n"
    result = _run(ctx, commands.AppendMessage(folder="Work", raw=raw, flags=frozenset({SEEN})))
    assert result["uid"] == 1
    (name,) = message_ids(tree, "Work").values()
    assert _letters(name) == "S"
    data = (folder_dir(tree, "Work") / "cur" / name).read_bytes()
    assert data == raw.replace(b"\r\n", b"\n")
    assert os.listdir(folder_dir(tree, "Work") / "tmp") == []


def test_folder_create_rename_delete_on_disk(ctx: Ctx, tree: Path) -> None:
    _run(ctx, commands.CreateFolder(name="Projects"))
    _run(ctx, commands.CreateFolder(name="Projects/Zeta"))
    _run(ctx, commands.MoveMessages(folder="INBOX", uids=(1,), dest="Projects/Zeta"))
    assert (tree / ".Projects.Zeta" / "maildirfolder").exists()
    _run(ctx, commands.RenameFolder(old="Projects", new="Entwürfe"))
    assert not (tree / ".Projects").exists() and not (tree / ".Projects.Zeta").exists()
    assert (tree / ".Entw&APw-rfe").is_dir()
    assert len(os.listdir(tree / ".Entw&APw-rfe.Zeta" / "cur")) == 1
    service = ctx.service()
    names = {f.name for f in service.run(commands.RefreshFolders(), timeout=10)}
    assert {"Entwürfe", "Entwürfe/Zeta"} <= names and "Projects" not in names
    # The moved message kept its UID across the rename (same files, same UID map).
    stats = service.run(commands.SyncFolder(folder="Entwürfe/Zeta"), timeout=10)
    assert stats.vanished == 0 and len(service.view("Entwürfe/Zeta")) == 1
    with pytest.raises(Exception, match="sub-folders"):
        _run(ctx, commands.DeleteFolder(name="Entwürfe"))
    _run(ctx, commands.DeleteFolder(name="Entwürfe/Zeta"))
    _run(ctx, commands.DeleteFolder(name="Entwürfe"))
    assert sorted(p for p in os.listdir(tree) if p.startswith(".")) == [
        ".Archive",
        ".Trash",
        ".Work",
    ]


def test_refusals_are_reported_not_crashes(ctx: Ctx, tree: Path) -> None:
    with pytest.raises(Exception, match=r"'\.'"):
        _run(ctx, commands.CreateFolder(name="v1.2"))
    with pytest.raises(Exception, match="INBOX"):
        _run(ctx, commands.RenameFolder(old="INBOX", new="Old"))
    assert ctx.service().pending_actions() == 0
