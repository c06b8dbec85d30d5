"""The state every part of MaildirSession shares, and the rules they all follow.

A MaildirSession is one "connection" to a Maildir tree: the tree and its layout, the
UID map in mailtui's data dir, the selected folder's View. This module holds that state
with connecting, finding folders' directories, selecting and the UID-set helpers; the
commands are in `folders`, `flags`, `transfer` and `idle`, composed in `session`.
Every command goes through `store_errors`: what the filesystem and SQLite raise
becomes the store errors the sync layer knows.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from mailtui.backend import Outcome, UidSet
from mailtui.backend.uidset import uid_ranges
from mailtui.errors import (
    ConfigError,
    ConnectionLost,
    FolderGone,
    MalformedResponse,
    ProtocolError,
    StoreError,
)
from mailtui.maildir import folder as mfolder
from mailtui.maildir import layout
from mailtui.maildir.folder import View
from mailtui.maildir.uidmap import UidMap, default_path
from mailtui.maildir.watch import DirWatch
from mailtui.model import Capabilities
from mailtui.text import utf7

log = logging.getLogger("mailtui.maildir")

CAPABILITIES = frozenset({"IMAP4REV1", "MOVE", "UIDPLUS", "UNSELECT", "SPECIAL-USE", "IDLE"})
T = TypeVar("T")


def store_errors(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Turn what the filesystem and SQLite raise into the store errors the sync layer knows.

    The journal writer drops an action refused with a store error (and tells the user),
    retries after ConnectionLost, and would die on a bare OSError: nothing else escapes.
    """

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def run(self: MaildirBase, *args: Any, **kwargs: Any) -> T:
            try:
                return fn(self, *args, **kwargs)
            except (StoreError, ValueError):
                raise
            except FileNotFoundError as exc:
                raise FolderGone(f"{what}: {exc.filename or exc} is gone") from exc
            except PermissionError as exc:
                raise ProtocolError(
                    f"{what} failed: permission denied for {exc.filename}",
                    "check the owner and permissions of the Maildir",
                ) from exc
            except OSError as exc:
                raise ProtocolError(
                    f"{what} failed: {exc.strerror or exc}"
                    + (f" ({exc.filename})" if exc.filename else "")
                ) from exc
            except sqlite3.OperationalError as exc:
                self.close()
                raise ConnectionLost(
                    f"mailtui's UID map ({self._db_path()}) cannot be used: {exc}",
                    "another mailtui may be holding it; it is retried",
                ) from exc
            except sqlite3.DatabaseError as exc:
                raise StoreError(
                    f"mailtui's UID map ({self._db_path()}) is damaged: {exc}",
                    "delete that file; the messages are numbered anew",
                ) from exc

        return run

    return wrap


class MaildirBase:
    """A Maildir tree opened by one thread (like an ImapSession): what the commands share."""

    def __init__(
        self,
        root: Path | str,
        account: str = "",
        uid_db_path: Path | None = None,
        *,
        use_inotify: bool = True,
    ) -> None:
        self.root = Path(root).expanduser()
        self.account = account
        self.uid_db_path = uid_db_path
        self.label = account or str(self.root)
        self.caps = Capabilities(CAPABILITIES)
        self.selected: str | None = None
        self.qresync_enabled = False
        self.condstore_enabled = False
        self.changes_pending = False  # (IMAP notion; Maildir resyncs by scanning)
        self.enable_condstore = True  # nothing to enable: kept for the Session interface
        self.kind: str = layout.MAILDIRPP
        self._use_inotify = use_inotify
        self._db: UidMap | None = None
        self._dirs: dict[str, Path] = {}
        self._view: View | None = None
        self._snapshot: tuple[frozenset[str], frozenset[str]] | None = None
        self._watch: DirWatch | None = None
        self._flag_memo: dict[tuple[str | None, int], tuple[object, tuple[str, ...]]] = {}

    # --- connection -------------------------------------------------------------------

    def _where(self) -> str:
        return f"accounts.{self.account}.maildir" if self.account else "the maildir setting"

    def connect(self) -> None:
        """Check the tree, detect its layout and open the UID map; ConfigError says what is wrong."""
        root = self.root
        if not root.exists():
            raise ConfigError(
                f"The Maildir {root} does not exist ({self._where()})",
                "check the path in the config file, or create the directory",
            )
        if not root.is_dir():
            raise ConfigError(
                f"The Maildir {root} is not a directory ({self._where()})",
                "point it at the directory that holds cur/, new/ and tmp/ (or the folders)",
            )
        if not os.access(root, os.R_OK | os.X_OK):
            raise ConfigError(
                f"The Maildir {root} cannot be read ({self._where()})",
                "check the directory's owner and permissions",
            )
        kind = layout.detect(root)
        if kind is None:
            raise ConfigError(
                f"{root} holds no Maildir: no cur/, new/ and tmp/ directories ({self._where()})",
                "point it at the Maildir root (mbsync's Path, Dovecot's mail_location)",
            )
        self.kind = kind
        if kind == layout.MAILDIRPP and not layout.is_maildir(root):
            layout.make_maildir(root, folder_marker=False)  # an empty directory: start INBOX
        try:
            path = self.uid_db_path or default_path(self.account or "maildir")
            self._db = UidMap(path)
            if self._db.claim_root(str(root.resolve())):
                log.info("%s: UID map was for another Maildir; numbering anew", path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"Cannot open mailtui's UID map for {root}: {exc}",
                "check the permissions of mailtui's data directory",
            ) from exc
        self._refresh_dirs()

    def abort(self) -> None:
        """Nothing blocks on a Maildir for long: the owner stops at its next step."""

    def close(self) -> None:
        """Forget everything; never raises."""
        self._stop_watch()
        db, self._db = self._db, None
        self.selected = None
        self._view = None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    @property
    def connected(self) -> bool:
        return self._db is not None

    def _db_path(self) -> Path:
        return self._db.path if self._db is not None else (self.uid_db_path or Path("?"))

    @property
    def db(self) -> UidMap:
        if self._db is None:
            raise StoreError(f"The Maildir {self.root} is not open")
        return self._db

    # --- names and directories ----------------------------------------------------------

    def _refresh_dirs(self) -> list[layout.FolderDir]:
        if not self.root.is_dir():
            # Unmounted or gone: "offline", not "every folder was deleted". Closed like
            # a dropped IMAP connection, so the next use reconnects (and re-detects).
            self.close()
            raise ConnectionLost(
                f"The Maildir {self.root} cannot be reached ({self._where()})",
                "mount or restore it; mailtui keeps your changes until then",
            )
        found = layout.discover(self.root, self.kind)
        self._dirs = {f.name: f.path for f in found}
        return found

    @staticmethod
    def name_of(raw: str) -> str:
        """The decoded folder name for a raw (modified UTF-7) name."""
        if raw.upper() == "INBOX":
            return "INBOX"
        try:
            return utf7.decode(raw)
        except ValueError:
            return raw

    @staticmethod
    def raw_of(name: str) -> str:
        return "INBOX" if name == "INBOX" else utf7.encode(name)

    def _dir(self, raw: str) -> tuple[str, Path]:
        name = self.name_of(raw)
        path = self._dirs.get(name)
        if path is None or not layout.is_maildir(path):
            self._refresh_dirs()
            path = self._dirs.get(name)
        if path is None:
            raise FolderGone(f"There is no folder {name!r} in the Maildir {self.root}")
        return name, path

    @contextlib.contextmanager
    def _gone_as_error(self, name: str) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError as exc:
            self._dirs.pop(name, None)
            raise FolderGone(
                f"The folder {name!r} is no longer in the Maildir {self.root}"
            ) from exc
        except PermissionError as exc:
            raise ProtocolError(f"Permission denied in folder {name!r}: {exc.filename}") from exc

    def _scan(self, name: str, path: Path) -> View:
        previous = self._view if self._view is not None and self._view.name == name else None
        with self._gone_as_error(name):
            return mfolder.scan(self.db, name, path, previous)

    # --- the selected folder ----------------------------------------------------------

    def unselect(self) -> None:
        self._stop_watch()
        self.selected = None
        self._view = None
        self._snapshot = None

    def _current_name(self) -> str:
        return self._view.name if self._view is not None else "this folder"

    def _current(self) -> View:
        if self.selected is None or self._view is None:
            raise ProtocolError("No folder is selected")
        return self._view

    def _rescan(self) -> View:
        view = self._current()
        try:
            self._view = self._scan(view.name, view.path)
        except FolderGone:
            self.selected = None
            self._view = None
            raise
        return self._view

    def _targets(self, uids: str, view: View) -> list[int]:
        return expand_uid_set(uids, view.uids)

    def _stop_watch(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None


def expand_uid_set(text: str, existing: list[int]) -> list[int]:
    """The existing UIDs an IMAP UID set names; "*" is the highest UID in use (RFC 9051 §9)."""
    if not existing:
        return []
    try:
        wanted = UidSet.parse(text.replace(" ", ""), star=existing[-1])
    except MalformedResponse as exc:
        raise ProtocolError(f"Bad UID set {text!r:.80}") from exc
    return wanted.within(existing)


def mentions_unknown(text: str, view: View) -> bool:
    """Does the set name UIDs this view has not seen (assigned since, by another session)?

    Only a UID written out counts: a range ending in "*" ("uidnext:*", how a sync asks
    for new mail) names the highest UID the view knows, and a set that is not one names
    nothing (expand_uid_set refuses it)."""
    try:
        for first, last in uid_ranges(text.replace(" ", ""), star=0):
            if last and max(first, last) >= view.uidnext:
                return True
    except MalformedResponse:
        return False
    return False


def outcome(uids: str, done: list[int], mapping: dict[int, int] | None = None) -> Outcome:
    """Requested UIDs the operation did not reach were not in the folder any more."""
    reached = set(done)
    wanted = UidSet.parse(uids)
    return Outcome(
        done=[u for u in wanted if u in reached],
        gone=[u for u in wanted if u not in reached],
        mapping=mapping or {},
    )
