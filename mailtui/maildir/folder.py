"""One folder's messages as UIDs: list new/ and cur/, reconcile with the UID map.

A scan is two directory listings (new/ first, then cur/: a file moving new → cur
between the two is seen at least once) and one look at the UID map. Only when they
disagree does it take the map's write lock, list again under the lock, give new files
UIDs in (mtime, name) order and forget the names that are gone. A name that seems gone
is looked for once more before its UID is dropped, because readdir() may miss a file
another program renames (a flag change) at that very moment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mailtui.maildir.names import split_name
from mailtui.maildir.uidmap import FolderRow, UidMap

# unique name → (subdir, file name)
Listing = dict[str, tuple[str, str]]


@dataclass(slots=True)
class Msg:
    """Where one message's file is, as of the last look."""

    uid: int
    sub: str  # "new" or "cur"
    filename: str

    @property
    def unique(self) -> str:
        # Derived, not stored: a 100k-message view is tens of MB less per session.
        return self.filename.partition(":")[0]

    @property
    def letters(self) -> str | None:
        _unique, sep, info = self.filename.partition(":")
        return info[2:] if sep and info.startswith("2,") else None


@dataclass(slots=True)
class View:
    """A folder as of one scan: UIDs in order and where each message's file is."""

    name: str
    path: Path
    uidvalidity: int
    uidnext: int
    by_uid: dict[int, Msg]
    uids: list[int]
    # File names in new/ and cur/ at the scan, for "did anything change" checks.
    listing: tuple[frozenset[str], frozenset[str]]
    keywords: dict[str, str] = field(default_factory=dict)  # unique → stored keywords
    version: int = -1  # of the UID map when scanned

    def seq(self, uid: int) -> int:
        from bisect import bisect_left

        return bisect_left(self.uids, uid) + 1


def _names(directory: Path) -> list[str]:
    """Message file names in one of new/ or cur/ (dot files are other programs' temporaries)."""
    try:
        with os.scandir(directory) as it:
            out = []
            for entry in it:
                name = entry.name
                if name.startswith("."):
                    continue
                try:
                    if entry.is_dir():
                        continue
                except OSError:
                    continue
                out.append(name)
            return out
    except FileNotFoundError:
        if not directory.parent.is_dir():
            raise
        return []


def list_folder(path: Path) -> tuple[Listing, tuple[frozenset[str], frozenset[str]]]:
    """unique → (sub, file) for new/ then cur/ (cur/ wins a name found in both)."""
    new = _names(path / "new")
    cur = _names(path / "cur")
    # The unique name is everything before the first ":" (split_name, inlined: hot loop).
    listing: Listing = {name.partition(":")[0]: ("new", name) for name in new}
    listing.update({name.partition(":")[0]: ("cur", name) for name in cur})
    return listing, (frozenset(new), frozenset(cur))


def snapshot(path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The file names of new/ and cur/ only (change detection)."""
    return frozenset(_names(path / "new")), frozenset(_names(path / "cur"))


def _mtime(path: Path, sub: str, name: str) -> float | None:
    try:
        return os.stat(path / sub / name).st_mtime
    except FileNotFoundError:
        return None


def scan(db: UidMap, name: str, path: Path, previous: View | None = None) -> View:
    """The folder's current messages with UIDs, assigning UIDs to files new to us.

    `previous` (an earlier scan of the same folder) is returned as it is when neither
    the files nor the map changed since: the common case of a resync.
    """
    row = db.ensure_folder(name)
    listing, names = list_folder(path)
    mapping = db.mapping(row)
    if (
        previous is not None
        and previous.listing == names
        and previous.version == mapping.version
        and previous.uidvalidity == row.uidvalidity
        and previous.path == path
    ):
        return previous
    if listing.keys() != mapping.uids.keys():
        with db.write():
            row = db.ensure_folder(name)
            listing, names = list_folder(path)
            mapping = db.mapping(row)
            gone = mapping.uids.keys() - listing.keys()
            if gone:
                again, names = list_folder(path)
                for unique, where in again.items():
                    listing[unique] = where
                gone -= again.keys()
                for unique in list(listing):
                    if unique not in again and unique not in mapping.uids:
                        del listing[unique]  # seen once, then vanished: nothing to number
            fresh: list[tuple[float, str]] = []
            for unique in listing.keys() - mapping.uids.keys():
                sub, fname = listing[unique]
                mtime = _mtime(path, sub, fname)
                if mtime is None:
                    del listing[unique]
                    continue
                fresh.append((mtime, unique))
            fresh.sort()
            db.forget(row.id, gone)
            db.assign(row.id, [u for _t, u in fresh])
            mapping = db.mapping(row.id)
            row = db.folder(name) or row
    return _view(name, path, row, listing, names, mapping.uids, mapping.keywords, mapping.version)


def _view(
    name: str,
    path: Path,
    row: FolderRow,
    listing: Listing,
    names: tuple[frozenset[str], frozenset[str]],
    uids: dict[str, int],
    keywords: dict[str, str],
    version: int,
) -> View:
    by_uid: dict[int, Msg] = {}
    for unique, (sub, fname) in listing.items():
        uid = uids.get(unique)
        if uid is not None:
            by_uid[uid] = Msg(uid, sub, fname)
    return View(
        name=name,
        path=path,
        uidvalidity=row.uidvalidity,
        uidnext=row.uidnext,
        by_uid=by_uid,
        uids=sorted(by_uid),
        listing=names,
        keywords={u: k for u, k in keywords.items() if u in listing},
        version=version,
    )


def locate(path: Path, unique: str) -> tuple[str, str] | None:
    """Where the message with this unique name is now (after someone renamed it)."""
    listing, _ = list_folder(path)
    return listing.get(unique)


def counts(path: Path) -> tuple[int, int]:
    """(messages, unseen) from the file names alone: cheap enough for every folder."""
    listing, _ = list_folder(path)
    unseen = 0
    for sub, name in listing.values():
        letters = split_name(name).letters if sub == "cur" else None
        if letters is None or "S" not in letters:
            unseen += 1
    return len(listing), unseen
