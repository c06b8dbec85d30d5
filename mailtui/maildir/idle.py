"""Live updates of a Maildir folder: IDLE as inotify (or polling) on its new/ and cur/,
NOOP as a comparison of listings, and the change token that lets a resync skip a
folder nothing touched.

A part of MaildirSession (maildir/session.py), kept apart by subject.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

from mailtui.errors import FolderGone, ProtocolError
from mailtui.maildir import folder as mfolder
from mailtui.maildir.base import MaildirBase, store_errors
from mailtui.maildir.watch import DirWatch
from mailtui.readable import readable

# A directory mtime younger than this may be shared by a change still to come.
RACY_NS = 2_000_000_000


class LiveUpdates(MaildirBase):
    """IDLE, NOOP and change tokens."""

    def _differs(self) -> bool:
        view = self._view
        if view is None or self._snapshot is None:
            return False
        try:
            now = mfolder.snapshot(view.path)
        except FileNotFoundError:
            return True
        return now != self._snapshot

    @store_errors("IDLE")
    def idle_start(self) -> bool:
        """Watch the selected folder; True when it already changed since it was selected."""
        self._stop_watch()
        view = self._view
        if view is None:
            return False
        self._watch = DirWatch(
            [view.path / "new", view.path / "cur"], use_inotify=self._use_inotify
        )
        return self._differs()

    @store_errors("IDLE")
    def idle_wait(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        if self._watch is None:
            ready = readable([wake_fd] if wake_fd is not None else [], timeout)
            return False, bool(ready)
        return self._watch.wait(wake_fd, timeout)

    def idle_done(self) -> None:
        self._stop_watch()

    def watch_folders(self, also: Sequence[str] = ()) -> bool:
        """(A Maildir is watched folder by folder.)"""
        return False

    def changed_folders(self) -> frozenset[str]:
        return frozenset()

    def change_token(self, raw: str) -> int:
        try:
            name, path = self._dir(raw)
        except (FolderGone, ProtocolError):
            return 0
        return self._token(name, path)

    def _token(self, name: str, path: Path) -> int:
        """The folder's directories' mtimes and its UID map's version, hashed: any file
        added, removed or renamed (a flag change) changes a directory's mtime, and any
        UID or keyword written changes the version. Taken before a scan, so whatever the
        scan missed changes it again. Timestamps are coarse (a kernel tick): one less
        than RACY_NS old could still be shared by a change to come, so it gives 0."""
        try:
            stamps = [os.stat(p).st_mtime_ns for p in (path, path / "new", path / "cur")]
        except OSError:
            return 0
        if max(stamps) > time.time_ns() - RACY_NS:
            return 0
        row = self.db.folder(name)
        if row is None:
            return 0
        key = repr((*stamps, row.uidvalidity, row.version)).encode()
        return int.from_bytes(hashlib.blake2b(key, digest_size=7).digest(), "big") or 1

    def noop_changes(self) -> None:
        """(An IMAP QRESYNC shortcut; a Maildir resyncs by scanning.)"""
        return None

    @store_errors("NOOP")
    def poll(self) -> bool:
        """Without IDLE: True when the selected folder's files changed since the last look."""
        changed = self._differs()
        if changed and self._view is not None:
            with contextlib.suppress(FileNotFoundError):
                self._snapshot = mfolder.snapshot(self._view.path)
        return changed
