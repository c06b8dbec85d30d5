"""Folder operations: create, rename, delete, (un)subscribe — each confirmed by a LIST."""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.backend import Session
from mailtui.cache.store import HeaderCache
from mailtui.errors import ProtocolError, StoreError
from mailtui.model import Folder
from mailtui.sync.names import encode_name, raw_name
from mailtui.sync.ops.base import (
    ActionError,
    Applied,
    Applying,
    Entry,
    Operation,
    Sending,
    check_folder,
    folder_known,
)
from mailtui.sync.request import Command


@dataclass(frozen=True, kw_only=True)
class CreateFolder(Command):
    name: str
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class RenameFolder(Command):
    old: str
    new: str
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class DeleteFolder(Command):
    name: str
    interactive: bool = True


@dataclass(frozen=True, kw_only=True)
class SubscribeFolder(Command):
    name: str
    subscribed: bool = True
    interactive: bool = True


def _delimiter(cache: HeaderCache) -> str | None:
    for folder in cache.folders():
        if folder.delimiter:
            return folder.delimiter
    return "/"


class FolderOperation(Operation):
    """A change to the folder list: a refused one is put right by listing again."""

    changes_folders = True


class Create(FolderOperation):
    kind = "create"
    commands = (CreateFolder,)

    def apply(self, log: Applying, cache: HeaderCache, c: CreateFolder) -> tuple[Applied, None]:
        if cache.raw_name(c.name) is not None:
            raise ActionError(f"A folder named {c.name!r} already exists")
        delimiter = _delimiter(cache)
        cache.create_folder_local(
            Folder(name=c.name, raw_name=encode_name(c.name), delimiter=delimiter)
        )
        jid = cache.journal_add("create", c.name, "", {})
        return Applied(jid, "create", c.name, ()), None

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        raw = encode_name(entry.folder)
        try:
            session.create_folder(raw)
        except StoreError as exc:
            if not (replay and "exist" in str(exc).lower()):
                raise
        check_folder(session, raw, exists=True, what=f"create {entry.folder!r}")
        return {}


class Rename(FolderOperation):
    kind = "rename"
    commands = (RenameFolder,)

    def apply(self, log: Applying, cache: HeaderCache, c: RenameFolder) -> tuple[Applied, None]:
        folder_known(cache, c.old)
        if c.old.upper() == "INBOX":
            raise ActionError("INBOX cannot be renamed")
        if cache.raw_name(c.new) is not None:
            raise ActionError(f"A folder named {c.new!r} already exists")
        old_raw = cache.raw_name(c.old)
        cache.rename_folder_local(c.old, c.new, _delimiter(cache), encode_name)
        args = {"new": c.new, "old_raw": old_raw, "new_raw": encode_name(c.new)}
        jid = cache.journal_add("rename", c.old, "", args)
        return Applied(jid, "rename", c.old, (), c.new), None

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        old_raw, new_raw = entry.args["old_raw"], entry.args["new_raw"]
        if session.selected == old_raw:
            session.unselect()
        try:
            session.rename_folder(old_raw, new_raw)
        except StoreError:
            if not replay:
                raise
        check_folder(session, new_raw, exists=True, what=f"rename {entry.folder!r}")
        return {}


class Remove(FolderOperation):
    kind = "delete_folder"
    commands = (DeleteFolder,)

    def apply(self, log: Applying, cache: HeaderCache, c: DeleteFolder) -> tuple[Applied, None]:
        folder_known(cache, c.name)
        if c.name.upper() == "INBOX":
            raise ActionError("INBOX cannot be deleted")
        raw = cache.raw_name(c.name)
        cache.delete_folder_local(c.name)
        jid = cache.journal_add("delete_folder", c.name, "", {"raw": raw})
        return Applied(jid, "delete_folder", c.name, ()), None

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        raw = entry.args.get("raw") or encode_name(entry.folder)
        try:
            session.delete_folder(raw)
        except StoreError:
            if not replay:
                raise
        check_folder(session, raw, exists=False, what=f"delete {entry.folder!r}")
        return {}


class Subscribe(FolderOperation):
    kind = "subscribe"
    commands = (SubscribeFolder,)

    def apply(self, log: Applying, cache: HeaderCache, c: SubscribeFolder) -> tuple[Applied, None]:
        folder_known(cache, c.name)
        cache.set_subscribed(c.name, c.subscribed)
        jid = cache.journal_add("subscribe", c.name, "", {"subscribed": c.subscribed})
        return Applied(jid, "subscribe", c.name, ()), None

    def send(self, writer: Sending, session: Session, entry: Entry, replay: bool) -> dict:
        raw, wanted = raw_name(writer.cache, entry.folder), entry.args.get("subscribed", True)
        session.subscribe(raw, wanted)
        if session.folder_exists(raw, subscribed=True) != wanted:
            raise ProtocolError(
                f"The server answered OK but did not {'' if wanted else 'un'}subscribe "
                f"{entry.folder!r}"
            )
        return {}


OPS = (Create(), Rename(), Remove(), Subscribe())
