"""Changes to the tree on disk: folder directories and message files.

Each step is one rename where the filesystem allows it, so other programs reading the
Maildir never see half a change; multi-step operations (renaming a Maildir++ folder
with its sub-folders, deleting a folder) undo the steps done when a later one fails.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from mailtui.maildir import layout
from mailtui.maildir.names import unique_name
from mailtui.text import utf7

Move = tuple[Path, Path]


def ensure_subdirs(path: Path) -> None:
    """cur/ makes a folder; new/ and tmp/ may have been pruned (empty dirs in backups, git)."""
    for sub in ("new", "tmp"):
        if not (path / sub).is_dir():
            (path / sub).mkdir(mode=layout.DIR_MODE, exist_ok=True)


def is_folder_metadata(name: str) -> bool:
    """Files a folder directory holds besides cur/new/tmp that go when the folder goes."""
    return name in (
        "maildirfolder",
        "dovecot-keywords",
        "dovecot-uidlist",
        "dovecot-uidvalidity",
    ) or name.startswith(("dovecot.", "dovecot-", ".mbsyncstate", ".uidvalidity", ".isyncuidmap"))


def rename_moves(
    root: Path,
    kind: str,
    found: list[layout.FolderDir],
    old: str,
    new: str,
    new_path: Path,
) -> list[Move]:
    """The directory renames that rename folder `old` (and its sub-folders) to `new`.

    Maildir++ keeps sub-folders beside their parent (".Old.Sub"), so each is renamed;
    in a nested tree they live inside it and move along.
    """
    if kind != layout.MAILDIRPP:
        source = next(f.path for f in found if f.name == old)
        return [(source, new_path)]
    depth = len(old.split(layout.DELIMITER))
    prefix = "." + ".".join(utf7.encode(p) for p in new.split(layout.DELIMITER))
    moves = []
    for f in found:
        if f.name == old or f.name.startswith(old + layout.DELIMITER):
            # Sub-folder parts keep their on-disk spelling (mUTF-7 or UTF-8).
            rest = f.path.name[1:].split(".")[depth:]
            moves.append((f.path, root / ".".join([prefix, *rest])))
    return moves


def apply_moves(moves: list[Move]) -> None:
    """Rename each; on failure rename back what was done and raise (FileExistsError too)."""
    done: list[Move] = []
    try:
        for src, dst in moves:
            if dst.exists():
                raise FileExistsError(errno.EEXIST, "already exists", str(dst))
            dst.parent.mkdir(mode=layout.DIR_MODE, parents=True, exist_ok=True)
            os.rename(src, dst)
            done.append((src, dst))
    except OSError:
        for src, dst in reversed(done):
            with contextlib.suppress(OSError):
                os.rename(dst, src)
        raise


def delete_folder(root: Path, path: Path) -> None:
    """Remove a folder's mail and metadata; its cur/ goes first, so it vanishes at once.

    Everything is moved into a "..mailtui-deleted-*" directory of the root (ignored by
    every layout) and removed from there. Unknown files keep the directory, which then
    simply is no folder any more.
    """
    trash = root / f"..mailtui-deleted-{unique_name()}"
    moved: list[Move] = []
    try:
        trash.mkdir(mode=layout.DIR_MODE)
        for sub in ("cur", "new", "tmp"):
            if (path / sub).exists():
                os.rename(path / sub, trash / sub)
                moved.append((path / sub, trash / sub))
        for entry in list(os.scandir(path)):
            if entry.is_file(follow_symlinks=False) and is_folder_metadata(entry.name):
                os.rename(entry.path, trash / entry.name)
                moved.append((Path(entry.path), trash / entry.name))
    except OSError:
        for src, dst in reversed(moved):
            with contextlib.suppress(OSError):
                os.rename(dst, src)
        with contextlib.suppress(OSError):
            trash.rmdir()
        raise
    with contextlib.suppress(OSError):
        path.rmdir()
    shutil.rmtree(trash, ignore_errors=True)


def rename_or_copy(src: Path, dst: Path, tmp: Path) -> None:
    """Move a message file; across filesystems (a symlinked folder), copy then unlink."""
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        copy_into(src, dst, tmp)
        os.unlink(src)


def link_or_copy(src: Path, dst: Path, tmp: Path) -> None:
    """Copy a message file as a hard link (Maildir files never change), else for real."""
    try:
        os.link(src, dst)
    except FileNotFoundError:
        raise
    except OSError:
        copy_into(src, dst, tmp)


def copy_into(src: Path, dst: Path, tmp: Path) -> None:
    """A real copy by the delivery rules: write to tmp/, fsync, rename into place."""
    shutil.copy2(src, tmp)
    try:
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.rename(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
