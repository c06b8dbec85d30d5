"""Cold and incremental sync of a Maildir through the real SyncService."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mailtui.model import FLAGGED, SEEN, Role
from mailtui.sync import commands
from tests.maildir.helpers import files, folder_dir, maildir_context, make_tree
from tests.support import mailgen


def test_cold_sync_lists_every_message_with_decoded_subjects(tmp_path: Path) -> None:
    messages = mailgen.generate(200, seed=3, non_ascii_ratio=0.5)
    root = make_tree(tmp_path / "Mail", {"INBOX": messages, "Sent": [], "Trash": []})
    ctx = maildir_context(root, tmp_path / "cache")
    try:
        stats = ctx.service().run(commands.SyncAll(), timeout=60)
        assert {s.folder: s.mode for s in stats}["INBOX"] == "cold"
        service = ctx.service()
        uids = service.view("INBOX")
        assert len(uids) == 200
        envelopes = service.envelopes("INBOX", uids)
        by_id = {e.message_id: e for e in envelopes.values()}
        for msg in messages:
            env = by_id[msg.message_id.strip("<>")]
            assert env.subject == msg.subject
            assert (SEEN in env.flags) == (SEEN in msg.flags)
            assert (FLAGGED in env.flags) == (FLAGGED in msg.flags)
            assert env.internaldate == int(msg.internaldate.timestamp())
        # UIDs follow delivery order (mtime, then name), as Dovecot would number them.
        ordered = sorted(envelopes.values(), key=lambda e: e.uid)
        assert [e.internaldate for e in ordered] == sorted(e.internaldate for e in ordered)
        roles = {f.name: f.role for f in service.folders()}
        assert roles == {"INBOX": Role.INBOX, "Sent": Role.SENT, "Trash": Role.TRASH}
    finally:
        ctx.close()


def test_second_sync_is_incremental_and_sees_other_programs(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "Mail", {"INBOX": mailgen.generate(20, seed=4)})
    ctx = maildir_context(root, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        before = service.folder_state("INBOX")
        # Another program: one new message, one flag change, one deletion.
        listing = sorted(v for v in files(root, "INBOX").values() if "F" not in v[1])
        mailgen.write_maildir(root, "INBOX", mailgen.generate(1, seed=99))
        base = folder_dir(root, "INBOX")
        sub, name = listing[0]
        os.rename(base / sub / name, base / "cur" / (name.split(":")[0] + ":2,FS"))
        sub, name = listing[-1]
        os.unlink(base / sub / name)
        stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert (stats.mode, stats.fetched, stats.changed, stats.vanished) == ("plain", 1, 1, 1)
        after = service.folder_state("INBOX")
        assert after.uidvalidity == before.uidvalidity and after.uidnext == before.uidnext + 1
        assert len(service.view("INBOX")) == 20
    finally:
        ctx.close()


def _age(root: Path, folder: str, seconds: float = 60) -> None:
    """Backdate the folder's directories, as minutes of quiet would."""
    base = folder_dir(root, folder)
    when = time.time() - seconds
    for path in (base, base / "new", base / "cur"):
        os.utime(path, (when, when))


def test_a_quiet_folder_resyncs_without_listing_and_any_change_is_seen(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "Mail", {"INBOX": mailgen.generate(30, seed=6)})
    ctx = maildir_context(root, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        # Directories touched just now: no proof yet, the resync lists the files.
        assert service.run(commands.SyncFolder(folder="INBOX"), timeout=30).mode == "plain"
        _age(root, "INBOX")
        assert service.run(commands.SyncFolder(folder="INBOX"), timeout=30).mode == "plain"
        # Quiet since the last sync: proven unchanged from the directories alone.
        assert service.run(commands.SyncFolder(folder="INBOX"), timeout=30).mode == "status"
        # Another program flags a message: the rename changes cur/, the resync sees it.
        base = folder_dir(root, "INBOX")
        sub, name = sorted(v for v in files(root, "INBOX").values() if "F" not in v[1])[0]
        os.rename(base / sub / name, base / "cur" / (name.split(":")[0] + ":2,FS"))
        stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert (stats.mode, stats.changed) == ("plain", 1)
        envelopes = service.envelopes("INBOX", service.view("INBOX")).values()
        on_disk = sum("F" in n.partition(":2,")[2] for _s, n in files(root, "INBOX").values())
        assert sum(FLAGGED in e.flags for e in envelopes) == on_disk
        # A label set by another mailtui (the UID map, no rename) is seen too.
        _age(root, "INBOX")
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert service.run(commands.SyncFolder(folder="INBOX"), timeout=30).mode == "status"
        other = maildir_context(root, tmp_path / "other-cache")
        try:
            uid = service.view("INBOX")[0]
            other.service().run(commands.SyncFolder(folder="INBOX"), timeout=30)
            other.service().run(
                commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({"Work"})),
                timeout=30,
            )
            assert other.service().wait_writer_idle(30)
        finally:
            other.close()
        _age(root, "INBOX")
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        assert "Work" in service.envelope("INBOX", uid).keywords
    finally:
        ctx.close()


def test_nested_layout_with_utf8_names(tmp_path: Path) -> None:
    """mbsync `SubFolders Verbatim`: INBOX/, Work/Projects/, UTF-8 directory names."""
    root = tmp_path / "Mail"
    msgs = iter(mailgen.generate(6, seed=5))
    for folder in ("INBOX", "Work", "Work/Projects", "Entwürfe", "Archiv/2024"):
        base = root.joinpath(*folder.split("/"))
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        msg = next(msgs)
        (base / "cur" / f"{int(msg.internaldate.timestamp())}.1_1.host,U=7:2,S").write_bytes(
            msg.raw
        )
    ctx = maildir_context(root, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=30)
        names = {f.name: f.raw_name for f in service.folders()}
        assert names == {
            "INBOX": "INBOX",
            "Work": "Work",
            "Work/Projects": "Work/Projects",
            "Entwürfe": "Entw&APw-rfe",
            "Archiv/2024": "Archiv/2024",
        }
        assert all(len(service.view(name)) == 1 for name in names)
        # A new nested folder is a directory with UTF-8 name on disk.
        service.run(commands.CreateFolder(name="Work/Ünterlagen"), timeout=10)
        assert service.wait_writer_idle()
        assert (root / "Work" / "Ünterlagen" / "cur").is_dir()
        # Moving out of an mbsync folder drops mbsync's ",U=" from the name.
        service.run(commands.MoveMessages(folder="Work", uids=(1,), dest="INBOX"), timeout=10)
        moved = [n for n in os.listdir(root / "INBOX" / "cur")]
        assert len(moved) == 2 and sum(",U=" in n for n in moved) == 1
    finally:
        ctx.close()


def test_dovecot_keyword_letters_are_labels(tmp_path: Path) -> None:
    messages = mailgen.generate(10, seed=6, keywords=("Work", "$Important"), keyword_ratio=1.0)
    root = make_tree(tmp_path / "Mail", {"INBOX": messages})
    ctx = maildir_context(root, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
        envs = service.envelopes("INBOX", service.view("INBOX"))
        by_id = {e.message_id: e for e in envs.values()}
        for msg in messages:
            kws = {f for f in msg.flags if not f.startswith("\\")}
            assert by_id[msg.message_id.strip("<>")].keywords == kws
    finally:
        ctx.close()


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    ctx = maildir_context(tmp_path / "nowhere", tmp_path / "cache")
    try:
        try:
            ctx.service().run(commands.SyncAll(), timeout=10)
        except Exception as exc:  # the service re-raises the typed error it got
            text = str(exc)
            assert "nowhere" in text and "accounts.local.maildir" in text
            assert type(exc).__name__ == "ConfigError"
        else:
            raise AssertionError("syncing a missing Maildir must fail")
    finally:
        ctx.close()


def test_names_that_are_not_utf8(tmp_path: Path) -> None:
    """File and directory names are bytes on Linux; not every tool writes UTF-8."""
    root = make_tree(tmp_path / "Mail", {"INBOX": mailgen.generate(2, seed=8)})
    raw = mailgen.make_message(subject="latin-1 file name", message_id="<l1@x>")
    inbox_cur = os.fsencode(root / "cur")
    with open(inbox_cur + b"/1700000000.M1P1Q1.h\xf6st:2,S", "wb") as f:
        f.write(raw)
    folder = os.fsencode(root) + b"/.Gel\xf6scht"
    for sub in (b"cur", b"new", b"tmp"):
        os.makedirs(folder + b"/" + sub)
    with open(folder + b"/cur/1700000001.M2P1Q2.host:2,", "wb") as f:
        f.write(mailgen.make_message(subject="in an oddly named folder"))
    ctx = maildir_context(root, tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=30)
        names = {f.name for f in service.folders()}
        assert names == {"INBOX", "Gel\ufffdscht"}
        subjects = {e.subject for e in service.envelopes("INBOX", service.view("INBOX")).values()}
        assert "latin-1 file name" in subjects
        (uid,) = [
            u
            for u, e in service.envelopes("INBOX", service.view("INBOX")).items()
            if e.subject == "latin-1 file name"
        ]
        service.run(
            commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({FLAGGED})), timeout=10
        )
        assert service.wait_writer_idle()
        assert os.path.exists(inbox_cur + b"/1700000000.M1P1Q1.h\xf6st:2,FS")
        assert len(service.view("Gel\ufffdscht")) == 1
        service.run(
            commands.MoveMessages(folder="Gel\ufffdscht", uids=(1,), dest="INBOX"), timeout=10
        )
        assert service.wait_writer_idle()
        assert len(os.listdir(inbox_cur)) == 4
    finally:
        ctx.close()
