"""Saving attachments (mailtui.mime.attachments)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mailtui.errors import MailtuiError
from mailtui.mime.attachments import save_attachment


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_saves_with_private_modes(tmp_path: Path) -> None:
    target = tmp_path / "new" / "downloads"
    path = save_attachment(b"%PDF", "report.pdf", target)
    assert path == target.resolve() / "report.pdf"
    assert path.read_bytes() == b"%PDF"
    assert mode(path) == 0o600
    assert mode(target) == 0o700


def test_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(b"mine")
    first = save_attachment(b"1", "x.pdf", tmp_path)
    second = save_attachment(b"2", "x.pdf", tmp_path)
    assert (first.name, second.name) == ("x (1).pdf", "x (2).pdf")
    assert (tmp_path / "x.pdf").read_bytes() == b"mine"
    assert save_attachment(b"3", "noext", tmp_path).name == "noext"
    assert save_attachment(b"4", "noext", tmp_path).name == "noext (1)"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../escape.txt", "escape.txt"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        (".bashrc", "bashrc"),
        ("", "attachment"),
        ("..", "attachment"),
        ("\x1b[31mred.txt", "_[31mred.txt"),
        ("CON.txt", "_CON.txt"),
    ],
)
def test_names_stay_inside_the_directory(tmp_path: Path, name: str, expected: str) -> None:
    path = save_attachment(b"data", name, tmp_path)
    assert path.parent == tmp_path.resolve()
    assert path.name == expected


def test_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    downloads = tmp_path / "dl"
    downloads.mkdir()
    os.symlink(outside, downloads / "note.txt")
    path = save_attachment(b"evil", "note.txt", downloads)
    assert path.name == "note (1).txt"
    assert outside.read_bytes() == b"precious"


def test_long_names_with_counter_fit_the_limit(tmp_path: Path) -> None:
    name = "é" * 200 + ".pdf"
    first = save_attachment(b"1", name, tmp_path)
    second = save_attachment(b"2", name, tmp_path)
    assert first != second
    for p in (first, second):
        assert len(p.name.encode()) <= 255 and p.name.endswith(".pdf")
    assert second.name.endswith(" (1).pdf")


def test_download_dir_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(MailtuiError):
        save_attachment(b"x", "a.txt", blocker)


def test_existing_directory_mode_is_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    save_attachment(b"x", "a.txt", tmp_path)
    assert mode(tmp_path) == 0o755
