"""Messages into, between and out of Maildir folders: MOVE (rename), COPY (hard
link), UID EXPUNGE (unlink) and APPEND (delivery per the Maildir spec).

The destination's new UIDs are assigned under the UID map's write lock, in the
source's order, and reported like COPYUID. A part of MaildirSession
(maildir/session.py), kept apart by subject.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

from mailtui.backend import Outcome, UidSet
from mailtui.errors import ProtocolError
from mailtui.maildir import disk
from mailtui.maildir import folder as mfolder
from mailtui.maildir import keywords as dkeywords
from mailtui.maildir.base import MaildirBase, outcome, store_errors
from mailtui.maildir.flags import split_flags
from mailtui.maildir.folder import Msg, View
from mailtui.maildir.names import (
    apply_letters,
    size_from_name,
    split_name,
    unique_name,
    without_mbsync_uid,
)


class TransferCommands(MaildirBase):
    """MOVE, COPY, UID EXPUNGE and APPEND."""

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

    @store_errors("MOVE")
    def move(self, uids: str, dest_raw: str) -> Outcome:
        """UID MOVE: atomic renames into dest/cur; the mapping {old UID: new UID} like COPYUID."""
        mapping = self._transfer(uids, dest_raw, keep_source=False)
        return outcome(uids, list(mapping), mapping)

    @store_errors("COPY")
    def copy(self, uids: str, dest_raw: str) -> Outcome:
        """UID COPY: a hard link under a new unique name (a real copy across filesystems)."""
        mapping = self._transfer(uids, dest_raw, keep_source=True)
        return outcome(uids, list(mapping), mapping)

    @store_errors("EXPUNGE")
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
        out = outcome(uids, [u for u in UidSet.parse(uids) if u not in kept])
        out.failed = kept
        return out

    @store_errors("APPEND")
    def append(
        self, folder_raw: str, raw: bytes, flags: Iterable[str] = (), when: float | None = None
    ) -> int | None:
        """Deliver per the Maildir spec (tmp/, fsync, rename); returns the new UID."""
        name, path = self._dir(folder_raw)
        letters, kws = split_flags(flags)
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
