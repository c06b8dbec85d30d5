"""The folder commands of a Maildir tree: LIST, STATUS, CREATE, RENAME, DELETE, SUBSCRIBE.

(`folder` lists one folder's files; this module works on the tree of folders.)
A part of MaildirSession (maildir/session.py), kept apart by subject.
"""

from __future__ import annotations

from pathlib import Path

from mailtui.errors import FolderGone, ProtocolError
from mailtui.maildir import disk, layout
from mailtui.maildir import folder as mfolder
from mailtui.maildir.base import MaildirBase, store_errors
from mailtui.model import Folder, Role


class FolderCommands(MaildirBase):
    """Folders as directories; subscriptions and UIDVALIDITY in the UID map."""

    @store_errors("LIST")
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

    @store_errors("LIST")
    def folder_exists(self, raw: str, *, subscribed: bool = False) -> bool:
        """Is the folder there (and, with `subscribed`, subscribed)?"""
        name = self.name_of(raw)
        self._refresh_dirs()
        if name not in self._dirs:
            return False
        return not subscribed or name not in self.db.unsubscribed()

    @store_errors("STATUS")
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

    def _free_path(self, name: str, refusal: str) -> Path:
        """Where a new folder `name` goes (dirs just refreshed); ProtocolError when a
        folder of that name exists or the name cannot be a directory (`refusal`: …)."""
        if name in self._dirs:
            raise ProtocolError(f"The folder {name!r} already exists")
        try:
            return layout.folder_path(self.root, self.kind, name)
        except ValueError as exc:
            raise ProtocolError(f"{refusal}: {exc}") from exc

    @store_errors("CREATE")
    def create_folder(self, raw: str) -> None:
        name = self.name_of(raw)
        self._refresh_dirs()
        path = self._free_path(name, "Cannot create that folder")
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

    @store_errors("RENAME")
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
        new_path = self._free_path(new, "Cannot rename to that name")
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

    @store_errors("DELETE")
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

    @store_errors("SUBSCRIBE")
    def subscribe(self, raw: str, subscribed: bool = True) -> None:
        self.db.set_subscribed(self.name_of(raw), subscribed)
