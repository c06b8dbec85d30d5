"""Which directories of a Maildir tree are folders, and their names and roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.maildir import layout
from mailtui.model import Role


def _mk(root: Path, *dirs: str) -> None:
    for d in dirs:
        for sub in ("cur", "new", "tmp"):
            (root / d / sub).mkdir(parents=True, exist_ok=True)


def test_maildirpp_with_mutf7_and_utf8_names(tmp_path: Path) -> None:
    _mk(tmp_path, ".", ".Sent", ".Entw&APw-rfe", ".Archive.2025", ".Reçus", "..DOVECOT-TRASHED")
    (tmp_path / ".notes").mkdir()  # a dot-dir without cur/ is not a folder
    assert layout.detect(tmp_path) == layout.MAILDIRPP
    found = layout.discover(tmp_path, layout.MAILDIRPP)
    assert [f.name for f in found] == ["INBOX", "Archive/2025", "Entwürfe", "Reçus", "Sent"]
    assert found[0].path == tmp_path


def test_nested_with_inbox_dir(tmp_path: Path) -> None:
    _mk(tmp_path, "INBOX", "Work", "Work/Projects", "Lists/python", "Entwürfe")
    (tmp_path / ".mbsyncstate").write_text("")
    (tmp_path / "Work" / ".uidvalidity").write_text("1")
    assert layout.detect(tmp_path) == layout.NESTED
    names = [f.name for f in layout.discover(tmp_path, layout.NESTED)]
    assert names == ["INBOX", "Entwürfe", "Lists/python", "Work", "Work/Projects"]


def test_nested_with_root_as_inbox(tmp_path: Path) -> None:
    _mk(tmp_path, ".", "Archive", "Archive/Old")
    assert layout.detect(tmp_path) == layout.NESTED
    found = layout.discover(tmp_path, layout.NESTED)
    assert [(f.name, f.path) for f in found] == [
        ("INBOX", tmp_path),
        ("Archive", tmp_path / "Archive"),
        ("Archive/Old", tmp_path / "Archive" / "Old"),
    ]


def test_single_maildir_and_empty_dir_are_maildirpp(tmp_path: Path) -> None:
    single = tmp_path / "single"
    _mk(single, ".")
    assert layout.detect(single) == layout.MAILDIRPP
    empty = tmp_path / "empty"
    empty.mkdir()
    assert layout.detect(empty) == layout.MAILDIRPP


def test_no_maildir_at_all(tmp_path: Path) -> None:
    (tmp_path / "mbox").write_text("From nobody\n")
    (tmp_path / "photos").mkdir()
    assert layout.detect(tmp_path) is None


def test_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    _mk(tmp_path, "INBOX", "A")
    (tmp_path / "A" / "loop").symlink_to(tmp_path / "A")
    names = [f.name for f in layout.discover(tmp_path, layout.NESTED)]
    assert names == ["INBOX", "A"]


def test_new_folder_paths(tmp_path: Path) -> None:
    assert layout.folder_path(tmp_path, layout.MAILDIRPP, "Projects/Über") == (
        tmp_path / ".Projects.&ANw-ber"
    )
    assert layout.folder_path(tmp_path, layout.NESTED, "Projects/Über") == (
        tmp_path / "Projects" / "Über"
    )
    with pytest.raises(ValueError, match=r"'\.'"):
        layout.folder_path(tmp_path, layout.MAILDIRPP, "v1.2")
    for bad in ("a//b", "cur", "../x", "a/.hidden"):
        with pytest.raises(ValueError):
            layout.folder_path(tmp_path, layout.NESTED, bad)


def test_roles_from_well_known_names() -> None:
    roles = layout.roles(
        [
            "INBOX",
            "Sent",
            "Sent Items",
            "Drafts",
            "Deleted Items",
            "Trash",
            "Archive",
            "Spam",
            "Work/Sent",
        ]
    )
    assert roles == {
        "INBOX": Role.INBOX,
        "Sent": Role.SENT,
        "Drafts": Role.DRAFTS,
        "Trash": Role.TRASH,
        "Archive": Role.ARCHIVE,
        "Spam": Role.JUNK,
    }
