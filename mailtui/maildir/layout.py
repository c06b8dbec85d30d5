"""Which directories of a Maildir tree are folders, and what the user calls them.

Two layouts exist in the wild:

- Maildir++ (Courier, Dovecot's default, mbsync `SubFolders Maildir++`): the root is
  INBOX; every other folder is a ".A.B" directory beside cur/new/tmp, "." being the
  hierarchy separator. Dovecot/Courier write the parts in modified UTF-7, mbsync may
  write UTF-8: both are read; mailtui writes modified UTF-7.
- nested (mbsync `SubFolders Verbatim`, Dovecot LAYOUT=fs): every directory holding
  cur/ is a folder named by its path, "Work/Projects"; INBOX is the root or "INBOX/".

Names shown to the user always use "/" (Folder.delimiter), whatever the layout.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mailtui.model import Role
from mailtui.text import utf7

log = logging.getLogger("mailtui.maildir")

MAILDIRPP = "maildir++"
NESTED = "nested"
DELIMITER = "/"
SUBDIRS = ("cur", "new", "tmp")
DIR_MODE = 0o700
MAX_DEPTH = 32

# Well-known top-level folder names → role; the first name listed wins a role when
# several folders could claim it ("Trash" over "Deleted Items").
ROLE_NAMES: tuple[tuple[str, Role], ...] = (
    ("sent", Role.SENT),
    ("sent items", Role.SENT),
    ("sent mail", Role.SENT),
    ("sent messages", Role.SENT),
    ("drafts", Role.DRAFTS),
    ("draft", Role.DRAFTS),
    ("trash", Role.TRASH),
    ("deleted", Role.TRASH),
    ("deleted items", Role.TRASH),
    ("deleted messages", Role.TRASH),
    ("bin", Role.TRASH),
    ("archive", Role.ARCHIVE),
    ("archives", Role.ARCHIVE),
    ("junk", Role.JUNK),
    ("spam", Role.JUNK),
    ("junk e-mail", Role.JUNK),
)


@dataclass(frozen=True, slots=True)
class FolderDir:
    """One folder: its decoded "/"-separated name and the directory holding cur/new/tmp."""

    name: str
    path: Path


def is_maildir(path: Path) -> bool:
    """A directory is a mail folder when it has cur/ (new/ and tmp/ are created on need)."""
    return os.path.isdir(os.path.join(path, "cur"))


def decode_part(part: str) -> str:
    """One on-disk name part: modified UTF-7 when it is canonical mUTF-7, else UTF-8.

    Bytes that are not UTF-8 (surrogate escapes in `part`) become U+FFFD: a folder name
    must be text everywhere (cache, UI); the directory is still found by its path.
    """
    if "&" in part and part.isascii() and utf7.is_canonical(part):
        return utf7.decode(part)
    if not part.isascii() and any("\udc80" <= c <= "\udcff" for c in part):
        return os.fsencode(part).decode("utf-8", "replace")
    return part


def detect(root: Path) -> str | None:
    """The layout of `root`, or None when it holds no Maildir at all (an empty root is Maildir++)."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return None
    plain: list[Path] = []
    for entry in entries:
        if not _is_dir(entry):
            continue
        name = entry.name
        if name.startswith("."):
            if not name.startswith("..") and is_maildir(Path(entry.path)):
                return MAILDIRPP
        elif name not in SUBDIRS:
            plain.append(Path(entry.path))
    # A folder below the root (one or two levels down) makes it a nested tree.
    for sub in plain:
        if is_maildir(sub):
            return NESTED
        try:
            if any(_is_dir(e) and is_maildir(Path(e.path)) for e in os.scandir(sub)):
                return NESTED
        except OSError:
            continue
    if is_maildir(root):
        return MAILDIRPP
    if not entries:
        return MAILDIRPP
    return None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover(root: Path, kind: str) -> list[FolderDir]:
    """Every folder of the tree, INBOX first, then by name."""
    found = _discover_pp(root) if kind == MAILDIRPP else _discover_nested(root)
    seen: dict[str, FolderDir] = {}
    for folder in found:
        key = folder.name.upper() if folder.name.upper() == "INBOX" else folder.name
        if key in seen:
            log.warning(
                "%s and %s both mean folder %r; using the first", seen[key].path, folder.path, key
            )
            continue
        seen[key] = folder
    return sorted(seen.values(), key=lambda f: (f.name != "INBOX", f.name))


def _discover_pp(root: Path) -> list[FolderDir]:
    out: list[FolderDir] = []
    if is_maildir(root):
        out.append(FolderDir("INBOX", root))
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return out
    for entry in entries:
        name = entry.name
        # ".." prefixes are Dovecot's (and our) half-deleted folders.
        if not name.startswith(".") or name.startswith("..") or len(name) < 2:
            continue
        path = Path(entry.path)
        if not _is_dir(entry) or not is_maildir(path):
            continue
        parts = [decode_part(p) for p in name[1:].split(".")]
        if any(not p or DELIMITER in p for p in parts):
            log.info("skipping %s: its name cannot be shown as a folder path", path)
            continue
        decoded = DELIMITER.join(parts)
        if decoded.upper() == "INBOX":
            decoded = "INBOX"
        out.append(FolderDir(decoded, path))
    return out


def _discover_nested(root: Path) -> list[FolderDir]:
    out: list[FolderDir] = []
    visited: set[tuple[int, int]] = set()
    if is_maildir(root):
        out.append(FolderDir("INBOX", root))

    def first_visit(path: Path) -> bool:
        """False for a directory seen before (symlink loops, two links to one folder)."""
        try:
            st = path.stat()
        except OSError:
            return False
        key = (st.st_dev, st.st_ino)
        if key in visited:
            return False
        visited.add(key)
        return True

    def walk(path: Path, parts: list[str], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return
        here_is_folder = is_maildir(path)
        for entry in entries:
            name = entry.name
            if name.startswith(".") or not _is_dir(entry):
                continue
            if here_is_folder and name in SUBDIRS:
                continue
            part = decode_part(name)
            sub = Path(entry.path)
            if DELIMITER in part or not first_visit(sub):
                continue
            child = [*parts, part]
            if is_maildir(sub):
                decoded = DELIMITER.join(child)
                if depth == 0 and decoded.upper() == "INBOX":
                    decoded = "INBOX"
                out.append(FolderDir(decoded, sub))
            walk(sub, child, depth + 1)

    first_visit(root)
    walk(root, [], 0)
    return out


def folder_path(root: Path, kind: str, name: str) -> Path:
    """Where a new folder called `name` goes; ValueError for names the layout cannot hold."""
    if name.upper() == "INBOX":
        return root if kind == MAILDIRPP else root / "INBOX"
    parts = name.split(DELIMITER)
    for part in parts:
        if not part or part in (".", ".."):
            raise ValueError(f"{name!r} has an empty part")
        if "\0" in part:
            raise ValueError(f"{name!r} contains a NUL character")
        if kind == MAILDIRPP and "." in part:
            raise ValueError(
                f"{name!r} contains '.', the folder separator of a Maildir++ tree on disk"
            )
        if kind == NESTED and (part.startswith(".") or part in SUBDIRS):
            raise ValueError(f"{name!r}: a folder part cannot be {part!r} in a nested Maildir")
    if kind == MAILDIRPP:
        return root / ("." + ".".join(utf7.encode(p) for p in parts))
    return root.joinpath(*parts)


def make_maildir(path: Path, *, folder_marker: bool) -> None:
    """Create cur/new/tmp (0700); Maildir++ subfolders also get the `maildirfolder` marker."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for sub in SUBDIRS:
        (path / sub).mkdir(mode=DIR_MODE, exist_ok=True)
    if folder_marker:
        marker = path / "maildirfolder"
        if not marker.exists():
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)


def roles(names: list[str]) -> dict[str, Role]:
    """Role per folder name: INBOX, and well-known top-level names (one folder per role)."""
    out: dict[str, Role] = {}
    taken: set[Role] = set()
    by_lower: dict[str, str] = {}
    for name in names:
        if name.upper() == "INBOX":
            out[name] = Role.INBOX
        elif DELIMITER not in name:
            by_lower.setdefault(name.lower(), name)
    for lowered, role in ROLE_NAMES:
        name = by_lower.get(lowered)
        if name is not None and role not in taken and name not in out:
            out[name] = role
            taken.add(role)
    return out
