"""Replacing a small file so that a crash leaves the old one or the new one, whole.

One way for every file mailtui rewrites in place (the outbox's messages, Dovecot's
keyword list, OAuth2 refresh tokens, the UI's saved state): write a temporary file
beside it, fsync it, rename it over the old one, fsync the directory so the rename
itself is on disk. Before, four copies each did some of this (only the outbox synced
the directory, the UI state nothing). Bottom layer: the stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["NEW_FILE_FLAGS", "TMP_SUFFIX", "atomic_write", "fsync_dir"]

# Temporary files are ".<name>.<random>.tmp" beside their target: hidden, and easy to
# sweep after a crash (the outbox removes old ones).
TMP_SUFFIX = ".tmp"
# os.open flags for a file that must not exist yet: never over an existing file, never
# through a symlink planted at its name, not inherited by child processes.
NEW_FILE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


def fsync_dir(path: Path) -> None:
    """Make the entries of directory `path` (a rename, a new or removed file) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace `path` with `data`; after a crash it holds the old bytes or the new ones.

    The temporary file is created exclusively with `mode` (0600 by default: nothing
    mailtui rewrites is for other users), so there is no moment it is readable by
    others; on any failure it is removed and the old file is untouched.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")
    try:
        fd = os.open(tmp, NEW_FILE_FLAGS, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
