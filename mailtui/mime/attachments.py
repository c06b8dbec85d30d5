"""Saving attachments: a safe name, inside the download dir, never over an existing file."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

from mailtui.errors import MailtuiError
from mailtui.fileio import NEW_FILE_FLAGS
from mailtui.text.safe import fit_filename, safe_filename, split_ext

__all__ = ["save_attachment"]

_MAX_TRIES = 10_000


def _candidates(name: str) -> Iterator[str]:
    """The name, then "x (1).pdf", "x (2).pdf", …, each within the 255-byte name limit."""
    yield name
    stem, ext = split_ext(name)
    for n in range(1, _MAX_TRIES):
        suffix = f" ({n})"
        yield fit_filename(stem, suffix + ext) if stem else f"attachment{suffix}{ext}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def save_attachment(data: bytes, filename: str, download_dir: Path) -> Path:
    """Write `data` as a new file named after `filename` in `download_dir`; return its path.

    The name is reduced to a safe basename, the file is created with O_EXCL (mode 0600) so
    an existing file — or one appearing concurrently — is never overwritten, and the
    result is checked to be inside the directory.
    """
    directory = Path(download_dir).expanduser()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        root = directory.resolve(strict=True)
    except OSError as exc:
        raise MailtuiError(
            f"Cannot use the download directory {str(directory)!r}: {exc.strerror or exc}",
            hint="check the download_dir setting and its permissions",
        ) from exc
    if not root.is_dir():
        raise MailtuiError(f"The download path {str(directory)!r} is not a directory")
    name = safe_filename(filename)
    for candidate in _candidates(name):
        path = root / candidate
        if path.parent != root:  # cannot happen with a safe basename; checked anyway
            continue
        try:
            fd = os.open(path, NEW_FILE_FLAGS, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symlink planted under this name
                continue
            raise MailtuiError(
                f"Cannot save {candidate!r}: {exc.strerror or exc}",
                hint="check free space and permissions of the download directory",
            ) from exc
        try:
            os.fchmod(fd, 0o600)
            _write_all(fd, data)
        except OSError as exc:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise MailtuiError(
                f"Cannot save {candidate!r}: {exc.strerror or exc}",
                hint="check free space in the download directory",
            ) from exc
        os.close(fd)
        if path.resolve().parent != root:
            path.unlink(missing_ok=True)
            raise MailtuiError(f"Refused to save {candidate!r} outside the download directory")
        return path
    raise MailtuiError(
        f"Too many files named like {name!r} in the download directory",
        hint="clean up the download directory",
    )
