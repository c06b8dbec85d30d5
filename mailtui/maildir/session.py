"""MaildirSession: a local Maildir tree behind the same `backend.Session` interface as IMAP.

The sync layer's resync, journal writer, undo and watchers drive this exactly as they
drive an IMAP server: folders have UIDs, UIDVALIDITY and UIDNEXT (from the UID map in
mailtui's data dir), flags live in the ":2," info of the file names, writes are atomic
renames, and IDLE is inotify on the selected folder. Without CONDSTORE the sync layer
uses its plain path (new UIDs from UIDNEXT, all flags, expunges by difference).

Files come and go under us (mbsync, a mail filter, another mailtui): a message that
vanished is left out of flag fetches (so it reads as expunged) and a fetch of its
content raises FolderGone; nothing here assumes the tree holds still.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from mailtui.backend import Fetched, Outcome, SelectResult, UidSet
from mailtui.errors import (
    ConfigError,
    ConnectionLost,
    FolderGone,
    MalformedResponse,
    ProtocolError,
    StoreError,
)
from mailtui.maildir import disk, layout, sections
from mailtui.maildir import folder as mfolder
from mailtui.maildir import keywords as dkeywords
from mailtui.maildir.folder import Msg, View
from mailtui.maildir.names import (
    apply_letters,
    flags_of,
    letter_for_flag,
    size_from_name,
    split_name,
    unique_name,
    without_mbsync_uid,
)
from mailtui.maildir.search import Candidate, compile_criteria
from mailtui.maildir.uidmap import UidMap, default_path
from mailtui.maildir.watch import DirWatch
from mailtui.mime.parse import parse_message
from mailtui.model import BodyPart, Capabilities, Folder, Role
from mailtui.text import utf7

log = logging.getLogger("mailtui.maildir")

CAPABILITIES = frozenset({"IMAP4REV1", "MOVE", "UIDPLUS", "UNSELECT", "SPECIAL-USE", "IDLE"})
PERMANENT_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\*")
HEADER_KEY = "HEADER"
T = TypeVar("T")
# A directory mtime younger than this may be shared by a change still to come.
RACY_NS = 2_000_000_000
MAX_RESCANS = 50  # per fetch: files renamed under us are looked up again, up to this often


def _errors(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Turn what the filesystem and SQLite raise into the store errors the sync layer knows.

    The journal writer drops an action refused with a store error (and tells the user),
    retries after ConnectionLost, and would die on a bare OSError: nothing else escapes.
    """

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def run(self: MaildirSession, *args: Any, **kwargs: Any) -> T:
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


class MaildirSession:
    """One "connection" to a Maildir tree, owned by one thread (like an ImapSession)."""

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

    # --- folders ------------------------------------------------------------------------

    @_errors("LIST")
    def list_folders(self) -> list[Folder]:
        """Every folder with counts from the file names; roles from well-known names."""
        found = self._refresh_dirs()
        unsubscribed = self.db.unsubscribed()
        roles = layout.roles([f.name for f in found])
        out = []
        for f in found:
            try:
                total, unread = mfolder.counts(f.path)
            except OSError:
                continue
            out.append(
                Folder(
                    name=f.name,
                    raw_name=self.raw_of(f.name),
                    delimiter=layout.DELIMITER,
                    role=roles.get(f.name, Role.NONE),
                    subscribed=f.name not in unsubscribed,
                    selectable=True,
                    unread=unread,
                    total=total,
                )
            )
        return out

    @_errors("LIST")
    def folder_exists(self, raw: str, *, subscribed: bool = False) -> bool:
        """Is the folder there (and, with `subscribed`, subscribed)?"""
        name = self.name_of(raw)
        self._refresh_dirs()
        if name not in self._dirs:
            return False
        return not subscribed or name not in self.db.unsubscribed()

    @_errors("STATUS")
    def status(self, raw: str, *, unseen: bool = True) -> dict[str, int]:
        name, path = self._dir(raw)
        view = self._scan(name, path)
        unseen = sum(1 for m in view.by_uid.values() if "S" not in (m.letters or ""))
        return {
            "MESSAGES": len(view.uids),
            "UNSEEN": unseen,
            "UIDNEXT": view.uidnext,
            "UIDVALIDITY": view.uidvalidity,
        }

    @_errors("CREATE")
    def create_folder(self, raw: str) -> None:
        name = self.name_of(raw)
        self._refresh_dirs()
        if name in self._dirs:
            raise ProtocolError(f"The folder {name!r} already exists")
        try:
            path = layout.folder_path(self.root, self.kind, name)
        except ValueError as exc:
            raise ProtocolError(f"Cannot create that folder: {exc}") from exc
        if layout.is_maildir(path):
            raise ProtocolError(f"The folder {name!r} already exists")
        with self.db.write():
            try:
                layout.make_maildir(path, folder_marker=self.kind == layout.MAILDIRPP)
            except OSError as exc:
                raise ProtocolError(f"Cannot create the folder {name!r}: {exc}") from exc
            # A map row left by a folder of that name that vanished must not lend its UIDs.
            self.db.drop_folder(name)
            self.db.ensure_folder(name)
            self.db.set_subscribed(name, True)
        self._dirs[name] = path

    @_errors("RENAME")
    def rename_folder(self, old_raw: str, new_raw: str) -> None:
        """Rename a folder with its sub-folders; UIDs and UIDVALIDITY survive (the files do)."""
        old, new = self.name_of(old_raw), self.name_of(new_raw)
        if "INBOX" in (old, new):
            raise ProtocolError("INBOX cannot be renamed, and no folder can become INBOX")
        if new == old or new.startswith(old + layout.DELIMITER):
            raise ProtocolError(
                f"Cannot rename {old!r} to {new!r}: a folder cannot move into itself"
            )
        found = self._refresh_dirs()
        if old not in self._dirs:
            raise FolderGone(f"There is no folder {old!r} in the Maildir {self.root}")
        if new in self._dirs:
            raise ProtocolError(f"The folder {new!r} already exists")
        try:
            new_path = layout.folder_path(self.root, self.kind, new)
        except ValueError as exc:
            raise ProtocolError(f"Cannot rename to that name: {exc}") from exc
        if new_path.exists():
            raise ProtocolError(f"{new_path} already exists")
        if self.selected is not None:
            selected = self.name_of(self.selected)
            if selected == old or selected.startswith(old + layout.DELIMITER):
                self.unselect()
        moves = disk.rename_moves(self.root, self.kind, found, old, new, new_path)
        # Under the map's lock: no other session numbers the new name as a new folder
        # between the directory rename and the map's.
        with self.db.write():
            try:
                disk.apply_moves(moves)
            except OSError as exc:
                raise ProtocolError(f"Cannot rename {old!r} to {new!r}: {exc}") from exc
            self.db.rename_folder(old, new, layout.DELIMITER)
        self._refresh_dirs()

    @_errors("DELETE")
    def delete_folder(self, raw: str) -> None:
        """Delete a folder without sub-folders: its mail first disappears atomically (cur/ goes)."""
        name = self.name_of(raw)
        if name == "INBOX":
            raise ProtocolError("INBOX cannot be deleted")
        found = self._refresh_dirs()
        if name not in self._dirs:
            raise FolderGone(f"There is no folder {name!r} in the Maildir {self.root}")
        children = [f.name for f in found if f.name.startswith(name + layout.DELIMITER)]
        if children:
            raise ProtocolError(
                f"The folder {name!r} has sub-folders ({children[0]}…)",
                "delete or move its sub-folders first",
            )
        if self.selected is not None and self.name_of(self.selected) == name:
            self.unselect()
        with self.db.write():
            try:
                disk.delete_folder(self.root, self._dirs[name])
            except OSError as exc:
                raise ProtocolError(f"Cannot delete the folder {name!r}: {exc}") from exc
            self.db.drop_folder(name)
            self.db.set_subscribed(name, True)
        self._dirs.pop(name, None)

    @_errors("SUBSCRIBE")
    def subscribe(self, raw: str, subscribed: bool = True) -> None:
        self.db.set_subscribed(self.name_of(raw), subscribed)

    # --- selecting ----------------------------------------------------------------------

    @_errors("SELECT")
    def select(
        self,
        raw: str,
        *,
        readonly: bool = False,
        qresync: tuple[int, int, str | None] | None = None,
    ) -> SelectResult:
        """Scan the folder (numbering new files) and make it the one later calls act on."""
        self._stop_watch()
        name, path = self._dir(raw)
        token = self._token(name, path)  # before reading: see _token
        try:
            view = self._scan(name, path)
        except FolderGone:
            self.selected = None
            self._view = None
            raise
        self.selected = raw
        self._view = view
        # What IDLE compares against: the state the caller's sync is based on.
        self._snapshot = view.listing
        return SelectResult(
            exists=len(view.uids),
            uidvalidity=view.uidvalidity,
            uidnext=view.uidnext,
            nomodseq=True,
            readonly=readonly,
            permanent_flags=PERMANENT_FLAGS,
            change_token=token,
        )

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

    # --- fetching -----------------------------------------------------------------------

    def _targets(self, uids: str, view: View) -> list[int]:
        return expand_uid_set(uids, view.uids)

    def _flags(self, view: View, msg: Msg, dovecot: dict[str, str] | None) -> tuple[str, ...]:
        letters = msg.letters if msg.sub == "cur" else None
        stored = view.keywords.get(msg.unique) if view.keywords else None
        if not stored:
            # Most messages share a handful of letter combinations: decode each once.
            key = (letters, id(dovecot))
            hit = self._flag_memo.get(key)
            if hit is None or hit[0] is not dovecot:
                hit = (dovecot, tuple(sorted(flags_of(letters, dovecot))))
                if len(self._flag_memo) > 4096:
                    self._flag_memo.clear()
                self._flag_memo[key] = hit
            return hit[1]
        flags = flags_of(letters, dovecot)
        flags.update(stored.split())
        return tuple(sorted(flags))

    @_errors("FETCH")
    def fetch_headers(
        self, uids: str, on_fetch: Callable[[Fetched], None] | None = None
    ) -> list[Fetched]:
        """UID, flags, internal date, size and the header block (read alone) of each message.

        Records go to `on_fetch` as they are read (like the IMAP reader's), else are returned.
        """
        view = self._current()
        if _mentions_unknown(uids, view):
            view = self._rescan()
        dovecot = dkeywords.load(view.path)
        out: list[Fetched] = []
        rescans = 0
        pending = self._targets(uids, view)
        i = 0
        while i < len(pending):
            uid = pending[i]
            i += 1
            msg = view.by_uid.get(uid)
            if msg is None:
                continue
            try:
                fd = os.open(view.path / msg.sub / msg.filename, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                if rescans < MAX_RESCANS:
                    # Renamed (a flag change) or moved by someone else: look again.
                    rescans += 1
                    view = self._rescan()
                    if uid in view.by_uid:
                        i -= 1
                continue
            except OSError as exc:
                # One unreadable file (another user's, a bad sector) must not stop the sync.
                log.warning("cannot read %s: %s", msg.filename, exc)
                continue
            try:
                st = os.fstat(fd)
                header = sections.read_header(fd)
            except OSError as exc:
                log.warning("cannot read %s: %s", msg.filename, exc)
                continue
            finally:
                os.close(fd)
            size = size_from_name(msg.unique)
            rec = Fetched(
                seq=view.seq(uid),
                uid=uid,
                flags=self._flags(view, msg, dovecot),
                internaldate=int(st.st_mtime),
                size=size if size is not None else st.st_size,
                sections={HEADER_KEY: header},
            )
            if on_fetch is not None:
                on_fetch(rec)  # streamed: a 10k batch is never held twice
            else:
                out.append(rec)
        return out

    @_errors("FETCH FLAGS")
    def fetch_flags(self, uids: str, changedsince: int | None = None) -> list[Fetched]:
        """Flags of the messages that exist now; vanished files are simply not listed."""
        view = self._rescan()
        dovecot = dkeywords.load(view.path)
        wanted = set(self._targets(uids, view))
        by_uid, flags = view.by_uid, self._flags
        return [
            Fetched(seq=seq, uid=uid, flags=flags(view, by_uid[uid], dovecot))
            for seq, uid in enumerate(view.uids, 1)
            if uid in wanted
        ]

    def _message_path(self, uid: int) -> tuple[View, Msg]:
        view = self._current()
        msg = view.by_uid.get(uid)
        if msg is None or not os.path.exists(view.path / msg.sub / msg.filename):
            view = self._rescan()
            msg = view.by_uid.get(uid)
        if msg is None:
            raise FolderGone(
                f"Message {uid} of {self._current_name()} is no longer there: another program moved or deleted it",
                "the list catches up on the next sync",
            )
        return view, msg

    def _read(self, uid: int, *, header_only: bool = False) -> bytes:
        for attempt in (0, 1):
            view, msg = self._message_path(uid)
            try:
                fd = os.open(view.path / msg.sub / msg.filename, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                if attempt == 0:
                    self._rescan()
                    continue
                break
            try:
                if header_only:
                    return sections.read_header(fd)
                with os.fdopen(fd, "rb", closefd=False) as f:
                    return f.read()
            finally:
                os.close(fd)
        raise FolderGone(
            f"Message {uid} of {self._current_name()} is no longer there: another program moved or deleted it",
            "the list catches up on the next sync",
        )

    @_errors("FETCH BODYSTRUCTURE")
    def fetch_bodystructure(self, uid: int) -> BodyPart:
        return parse_message(self._read(uid)).structure

    @_errors("FETCH")
    def fetch_section(self, uid: int, section: str, *, max_bytes: int | None = None) -> bytes:
        """BODY.PEEK[section]: never touches flags; leaf parts stay transfer-encoded."""
        if section.strip().upper() == "HEADER":
            data = self._read(uid, header_only=True)
        else:
            data = sections.extract(self._read(uid), section)
        return data[:max_bytes] if max_bytes else data

    # --- searching ----------------------------------------------------------------------

    def _candidates(self, view: View) -> Iterator[Candidate]:
        dovecot = dkeywords.load(view.path)
        for seq, uid in enumerate(view.uids, 1):
            msg = view.by_uid[uid]
            path = view.path / msg.sub / msg.filename
            yield Candidate(
                uid,
                seq,
                set(self._flags(view, msg, dovecot)),
                _lazy_size(path, msg.unique),
                _lazy_mtime(path),
                _lazy_read(path, header_only=True),
                _lazy_read(path, header_only=False),
            )

    @_errors("SEARCH")
    def search_uids(self, criteria: bytes = b"ALL", *, charset: str | None = None) -> UidSet:
        """UID SEARCH with criteria as IMAP text (b"ALL", b"UID 1:50", b"DELETED")."""
        words = criteria.split()
        if words in ([b"ALL"], [b"all"]) or (len(words) == 2 and words[0].upper() == b"UID"):
            # What every sync asks: answered from the listing, without opening a file.
            view = self._rescan()
            if len(words) == 1:
                return UidSet(view.uids)
            return UidSet(expand_uid_set(words[1].decode("ascii", "replace"), view.uids))
        return UidSet(self._search(compile_criteria(criteria)))

    @_errors("SEARCH")
    def search(self, criteria: list[str | bytes], charset: str | None = None) -> list[int]:
        """UID SEARCH with imapclient-style criteria (one list item per token)."""
        if isinstance(criteria, str | bytes):
            return self._search(compile_criteria(criteria))
        return self._search(compile_criteria(list(criteria)))

    def _search(self, test: Callable[[Candidate], bool]) -> list[int]:
        """Matching UIDs of the selected folder; files that vanish meanwhile do not match."""
        view = self._rescan()
        out = []
        for cand in self._candidates(view):
            try:
                if test(cand):
                    out.append(cand.uid)
            except FileNotFoundError:
                continue
        return out

    @_errors("SEARCH")
    def search_message_ids(self, message_ids: Iterable[str]) -> dict[str, int]:
        """Which of these Message-IDs the selected folder holds (journal replays)."""
        from mailtui.mime.headers import parse_msgids

        wanted = {m.strip("<>") for m in message_ids if m}
        found: dict[str, int] = {}
        if not wanted:
            return found
        view = self._rescan()
        for cand in self._candidates(view):
            try:
                values = cand.fields().get("message-id", [])
            except FileNotFoundError:
                continue
            for value in values:
                for mid in parse_msgids(value):
                    if mid in wanted:
                        found[mid] = cand.uid
        return found

    # --- writing ------------------------------------------------------------------------

    def _split_flags(self, flags: Iterable[str]) -> tuple[set[str], set[str]]:
        """(info letters, keywords); \\Recent and unknown system flags are dropped."""
        letters: set[str] = set()
        kws: set[str] = set()
        for flag in flags:
            letter = letter_for_flag(flag)
            if letter is not None:
                letters.add(letter)
            elif flag and not flag.startswith("\\"):
                if any(c.isspace() or c in '(){%*"]\\' for c in flag) or not flag.isprintable():
                    raise ValueError(f"not a valid keyword: {flag!r}")
                kws.add(flag)
        return letters, kws

    @_errors("STORE")
    def ensure_visible(self, top_uid: int) -> None:
        """(Every operation rescans the folder: nothing here can be stale.)"""

    def store_flags(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome:
        """Rename each file to its new info (new/ → cur/); keywords as letters or in the map."""
        view = self._rescan()
        add_letters, add_kws = self._split_flags(add)
        del_letters, del_kws = self._split_flags(remove)
        with self._gone_as_error(view.name):
            add_map = dkeywords.letters_for(view.path, add_kws, allocate=True)
            del_map = dkeywords.letters_for(view.path, del_kws, allocate=False)
        add_letters |= set(add_map.values())
        del_letters |= set(del_map.values())
        db_add = {k for k in add_kws if k not in add_map}
        targets = self._targets(uids, view)
        if add_letters or del_letters:
            for uid in targets:
                msg = view.by_uid.get(uid)
                if msg is not None:
                    self._rename_info(view, msg, add_letters, del_letters)
        if db_add or del_kws:
            self._store_keywords(view, targets, db_add, del_kws)
        return _outcome(uids, targets)

    def _rename_info(self, view: View, msg: Msg, add: set[str], remove: set[str]) -> None:
        for attempt in (0, 1):
            letters = apply_letters(msg.letters if msg.sub == "cur" else "", add, remove)
            fname = split_name(msg.filename).with_letters(letters)
            if msg.sub == "cur" and fname == msg.filename:
                return
            try:
                os.rename(view.path / msg.sub / msg.filename, view.path / "cur" / fname)
            except FileNotFoundError:
                if attempt:
                    return
                where = mfolder.locate(view.path, msg.unique)
                if where is None:
                    return  # gone: like STORE on an expunged UID, nothing to do
                msg.sub, msg.filename = where
                continue
            msg.sub, msg.filename = "cur", fname
            return

    def _store_keywords(
        self, view: View, targets: list[int], add: set[str], remove: set[str]
    ) -> None:
        row = self.db.ensure_folder(view.name)
        lowered = {k.lower() for k in remove}
        with self.db.write():
            mapping = self.db.mapping(row.id)
            changes: dict[str, str] = {}
            for uid in targets:
                msg = view.by_uid.get(uid)
                if msg is None or msg.unique not in mapping.uids:
                    continue
                current = set(mapping.keywords.get(msg.unique, "").split())
                updated = {k for k in current if k.lower() not in lowered}
                have = {k.lower() for k in updated}
                updated |= {k for k in add if k.lower() not in have}
                if updated != current:
                    changes[msg.unique] = " ".join(sorted(updated))
            self.db.set_keywords(row.id, changes)
        view.keywords.update(changes)

    def _transfer(self, uids: str, dest_raw: str, *, keep_source: bool) -> dict[int, int]:
        """Move (rename) or copy (hard link) messages into dest's cur/; {old UID: new UID}."""
        view = self._rescan()
        dest_name, dest_path = self._dir(dest_raw)
        if dest_path == view.path:
            raise ProtocolError("The source and destination folder are the same")
        targets = self._targets(uids, view)
        if not targets:
            return {}
        src_dovecot = dkeywords.load(view.path)
        dest_row = self.db.ensure_folder(dest_name)
        src_row = self.db.ensure_folder(view.name)
        placed: list[tuple[int, str, str, Msg]] = []  # (old uid, new unique, db keywords, msg)
        with self._gone_as_error(dest_name):
            disk.ensure_subdirs(dest_path)
        with self._gone_as_error(dest_name), self.db.write():
            # Under the map's write lock: the destination's new UIDs follow the source order.
            dest_listing, _ = mfolder.list_folder(dest_path)
            taken = set(dest_listing)
            for uid in targets:
                msg = view.by_uid.get(uid)
                if msg is None:
                    continue
                result = self._place(view, msg, dest_path, taken, src_dovecot, keep_source)
                if result is not None:
                    unique, kws = result
                    taken.add(unique)
                    placed.append((uid, unique, kws, msg))
            assigned = self.db.assign(
                dest_row.id, [p[1] for p in placed], {p[1]: p[2] for p in placed if p[2]}
            )
            if not keep_source:
                self.db.forget(src_row.id, [p[3].unique for p in placed])
        if not keep_source:
            for uid, _u, _k, _m in placed:
                view.by_uid.pop(uid, None)
            view.uids = sorted(view.by_uid)
        return {uid: assigned[unique] for uid, unique, _k, _m in placed}

    def _place(
        self,
        view: View,
        msg: Msg,
        dest_path: Path,
        taken: set[str],
        src_dovecot: dict[str, str] | None,
        keep_source: bool,
    ) -> tuple[str, str] | None:
        """Put one message into dest; (its unique name there, keywords for the map) or None."""
        dest_has_map = dkeywords.load(dest_path) is not None
        for attempt in (0, 1):
            fn = split_name(msg.filename)
            letters = fn.letters if msg.sub == "cur" and fn.letters else ""
            kws = {src_dovecot[c] for c in letters if src_dovecot and c in src_dovecot}
            # Other letters travel as they are, except lower-case ones no keyword file
            # explains: in a destination with one they would name someone else's keyword.
            system = {
                c
                for c in letters
                if not (src_dovecot and c in src_dovecot) and not (c.islower() and dest_has_map)
            }
            stored = view.keywords.get(msg.unique)
            if stored:
                kws.update(stored.split())
            dest_letters = dkeywords.letters_for(dest_path, kws, allocate=True)
            db_kws = " ".join(sorted(k for k in kws if k not in dest_letters))
            info = apply_letters("", system | set(dest_letters.values()))
            src = view.path / msg.sub / msg.filename
            if keep_source:
                unique = unique_name(size_from_name(msg.unique))
            else:
                unique = without_mbsync_uid(fn.unique)
                if unique in taken:
                    unique = unique_name(size_from_name(msg.unique))
            dst = dest_path / "cur" / f"{unique}:2,{info}"
            try:
                if keep_source:
                    disk.link_or_copy(src, dst, dest_path / "tmp" / unique)
                else:
                    disk.rename_or_copy(src, dst, dest_path / "tmp" / unique)
            except FileNotFoundError:
                if attempt or not src.parent.parent.is_dir():
                    return None
                where = mfolder.locate(view.path, msg.unique)
                if where is None:
                    return None
                msg.sub, msg.filename = where
                continue
            return unique, db_kws
        return None

    @_errors("MOVE")
    def move(self, uids: str, dest_raw: str) -> Outcome:
        """UID MOVE: atomic renames into dest/cur; the mapping {old UID: new UID} like COPYUID."""
        mapping = self._transfer(uids, dest_raw, keep_source=False)
        return _outcome(uids, list(mapping), mapping)

    @_errors("COPY")
    def copy(self, uids: str, dest_raw: str) -> Outcome:
        """UID COPY: a hard link under a new unique name (a real copy across filesystems)."""
        mapping = self._transfer(uids, dest_raw, keep_source=True)
        return _outcome(uids, list(mapping), mapping)

    @_errors("EXPUNGE")
    def expunge_uids(self, uids: str) -> Outcome:
        """Unlink exactly these messages, and only those that carry \\Deleted (T)."""
        view = self._rescan()
        removed: list[str] = []
        kept: list[int] = []
        for uid in self._targets(uids, view):
            msg = view.by_uid.get(uid)
            if msg is None:
                continue
            for attempt in (0, 1):
                if msg.sub != "cur" or "T" not in (msg.letters or ""):
                    kept.append(uid)  # not \\Deleted: like UID EXPUNGE, left in place
                    break
                try:
                    os.unlink(view.path / msg.sub / msg.filename)
                    removed.append(msg.unique)
                    break
                except FileNotFoundError:
                    where = mfolder.locate(view.path, msg.unique) if not attempt else None
                    if where is None:
                        removed.append(msg.unique)
                        break
                    msg.sub, msg.filename = where
        if removed:
            row = self.db.ensure_folder(view.name)
            with self.db.write():
                self.db.forget(row.id, removed)
            gone = set(removed)
            view.by_uid = {u: m for u, m in view.by_uid.items() if m.unique not in gone}
            view.uids = sorted(view.by_uid)
        out = _outcome(uids, [u for u in UidSet.parse(uids) if u not in kept])
        out.failed = kept
        return out

    @_errors("APPEND")
    def append(
        self, folder_raw: str, raw: bytes, flags: Iterable[str] = (), when: float | None = None
    ) -> int | None:
        """Deliver per the Maildir spec (tmp/, fsync, rename); returns the new UID."""
        name, path = self._dir(folder_raw)
        letters, kws = self._split_flags(flags)
        # Maildir files use the local newline convention (Dovecot stores LF too).
        data = raw.replace(b"\r\n", b"\n")
        with self._gone_as_error(name):
            kw_letters = dkeywords.letters_for(path, kws, allocate=True)
            info = apply_letters("", letters | set(kw_letters.values()))
            db_kws = " ".join(sorted(k for k in kws if k not in kw_letters))
            unique = unique_name(len(data))
            disk.ensure_subdirs(path)
            tmp = path / "tmp" / unique
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                if when is not None:
                    os.utime(fd, (when, when))
            except BaseException:
                os.close(fd)
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            os.close(fd)
            final = path / "cur" / f"{unique}:2,{info}" if info or db_kws else path / "new" / unique
            row = self.db.ensure_folder(name)
            with self.db.write():
                os.rename(tmp, final)
                uid = self.db.assign(row.id, [unique], {unique: db_kws} if db_kws else None)[unique]
        return uid

    # --- live updates -------------------------------------------------------------------

    def _stop_watch(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def _differs(self) -> bool:
        view = self._view
        if view is None or self._snapshot is None:
            return False
        try:
            now = mfolder.snapshot(view.path)
        except FileNotFoundError:
            return True
        return now != self._snapshot

    @_errors("IDLE")
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

    @_errors("IDLE")
    def idle_wait(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        if self._watch is None:
            import select

            ready, _, _ = select.select([wake_fd] if wake_fd is not None else [], [], [], timeout)
            return False, bool(ready)
        return self._watch.wait(wake_fd, timeout)

    def idle_done(self) -> None:
        self._stop_watch()

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

    @_errors("NOOP")
    def poll(self) -> bool:
        """Without IDLE: True when the selected folder's files changed since the last look."""
        changed = self._differs()
        if changed and self._view is not None:
            with contextlib.suppress(FileNotFoundError):
                self._snapshot = mfolder.snapshot(self._view.path)
        return changed


# --- helpers -----------------------------------------------------------------------------


def expand_uid_set(text: str, existing: list[int]) -> list[int]:
    """The existing UIDs an IMAP UID set names; "*" is the highest UID in use (RFC 9051 §9)."""
    if not existing:
        return []
    try:
        wanted = UidSet.parse(text.replace(" ", ""), star=existing[-1])
    except MalformedResponse as exc:
        raise ProtocolError(f"Bad UID set {text!r:.80}") from exc
    return wanted.within(existing)


def _mentions_unknown(text: str, view: View) -> bool:
    """Does the set name UIDs this view has not seen (assigned since, by another session)?"""
    for part in text.split(","):
        lo, sep, hi = part.partition(":")
        if sep and hi == "*":
            continue
        for bound in (lo, hi) if sep else (lo,):
            if bound.isdigit() and int(bound) >= view.uidnext:
                return True
    return False


def _lazy_size(path: Path, unique: str) -> Callable[[], int]:
    def size() -> int:
        known = size_from_name(unique)
        return known if known is not None else os.stat(path).st_size

    return size


def _lazy_mtime(path: Path) -> Callable[[], int]:
    return lambda: int(os.stat(path).st_mtime)


def _lazy_read(path: Path, *, header_only: bool) -> Callable[[], bytes]:
    def read() -> bytes:
        if not header_only:
            return path.read_bytes()
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            return sections.read_header(fd)
        finally:
            os.close(fd)

    return read


__all__ = ["CAPABILITIES", "MaildirSession", "expand_uid_set"]


def _outcome(uids: str, done: list[int], mapping: dict[int, int] | None = None) -> Outcome:
    """Requested UIDs the operation did not reach were not in the folder any more."""
    reached = set(done)
    wanted = UidSet.parse(uids)
    return Outcome(
        done=[u for u in wanted if u in reached],
        gone=[u for u in wanted if u not in reached],
        mapping=mapping or {},
    )
