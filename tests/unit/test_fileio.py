"""fileio.atomic_write: the one way mailtui rewrites a file in place (issue 13)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mailtui.fileio import atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_private_and_whole(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, b'{"a": 1}')
    assert target.read_bytes() == b'{"a": 1}'
    assert _mode(target) == 0o600
    assert os.listdir(tmp_path) == ["state.json"]  # no temporary file left


def test_replacing_swaps_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "dovecot-keywords"
    target.write_bytes(b"0 old\n" * 1000)
    before = target.stat().st_ino
    atomic_write(target, b"0 new\n", mode=0o644)
    assert target.read_bytes() == b"0 new\n"
    assert target.stat().st_ino != before  # renamed over, never rewritten in place
    assert _mode(target) == 0o644 & ~_umask()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "token"
    target.write_bytes(b"old\n")
    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["token"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
