"""Folders in the TUI: create, rename, delete, subscribe, unsubscribe, mark read.

A component of the main screen (see ui/host.py). Each is the journaled operation the
CLI's `mailtui folder …` sends (sync/ops/folders.py, sync/ops/mark_read.py): the
cache changes at once (the tree shows it), then the server's answer decides — the
user is told when the server refused, and when the change waits for the connection.
Deleting asks first, naming the messages it holds. Which folder: the one under the
tree's cursor when the tree has focus, else the open one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from mailtui.sync import commands
from mailtui.text.safe import clean_line
from mailtui.ui.bridge import ServiceCancelled, ServiceFailed
from mailtui.ui.commandline import FOLDER_OPS, CommandError
from mailtui.ui.screens.editor import ConfirmScreen
from mailtui.ui.screens.picker import Prompt
from mailtui.ui.widgets.folder_tree import FolderTree

if TYPE_CHECKING:
    from mailtui.ui.host import ScreenHost


def _messages(n: int) -> str:
    return f"{n} message{'s' if n != 1 else ''}"


class Folders:
    """The folder operations (see the module docstring)."""

    def __init__(self, host: ScreenHost) -> None:
        self._host = host

    def target(self) -> str | None:
        """The folder an operation acts on: the tree's cursor when focused, else the open one."""
        host = self._host
        if isinstance(host.focused, FolderTree):
            node = host.folder_tree.cursor_node
            ref = node.data if node is not None else None
            if ref is not None and ref.folder is not None and ref.query is None:
                return ref.folder
        return host.folder

    # --- keys and palette ----------------------------------------------------------------

    def ask_create(self) -> None:
        parent = self.target() or ""
        info = self._host.folder_tree.folder(self._host.account, parent)
        prefix = (
            f"{parent}{info.delimiter}" if info and info.delimiter and parent != "INBOX" else ""
        )
        self._prompt("New folder", prefix, lambda name: self.create(name))

    def ask_rename(self) -> None:
        old = self.target()
        if old is not None:
            self._prompt(f"Rename {clean_line(old)} to", old, lambda new: self.rename(old, new))

    def ask_delete(self) -> None:
        name = self.target()
        if name is not None:
            self.delete(name)

    def toggle_subscription(self) -> None:
        name = self.target()
        info = self._host.folder_tree.folder(self._host.account, name or "")
        if name is not None and info is not None:
            self.subscribe(name, not info.subscribed)

    def mark_read(self) -> None:
        """Every message of the folder read (undo makes them unread again)."""
        host = self._host
        name = self.target()
        if name is None:
            return
        service = host.mail.services[host.account]
        _total, unread = service.counts(name)
        if not unread:
            host.notify(f"Nothing unread in {clean_line(name)}", timeout=2, markup=False)
            return
        host.mail.bridge.submit(service, commands.MarkFolderRead(folder=name))
        host.notify(
            f"Marked {_messages(unread)} read in {clean_line(name)} — u undoes",
            timeout=3,
            markup=False,
        )

    def _prompt(self, title: str, value: str, then: object) -> None:
        def submitted(text: str | None) -> None:
            text = (text or "").strip()
            if text and callable(then):
                then(text)

        self._host.mail.push_screen(Prompt(title, value), submitted)

    # --- the command line: :folder OP NAME [NEW] --------------------------------------------

    def run(self, args: Sequence[str]) -> None:
        if not args or args[0] not in FOLDER_OPS:
            raise CommandError(f"Usage: :folder {'|'.join(FOLDER_OPS)} NAME [NEW]")
        op, rest = args[0], list(args[1:])
        if op == "rename":
            if len(rest) == 1:
                old = self.target()
                rest = [old, rest[0]] if old else rest
            if len(rest) != 2:
                raise CommandError("Usage: :folder rename OLD NEW")
            self.rename(rest[0], rest[1])
            return
        if not rest and op != "create":
            target = self.target()
            rest = [target] if target else []
        if len(rest) != 1:
            raise CommandError(f"Usage: :folder {op} NAME")
        name = rest[0]
        if op == "create":
            self.create(name)
        elif op == "delete":
            self.delete(name)
        else:
            self.subscribe(name, op == "subscribe")

    # --- the operations --------------------------------------------------------------------

    def _known(self, name: str) -> bool:
        if self._host.folder_tree.folder(self._host.account, name) is None:
            self._host.notify(f"No folder {name!r}", severity="error", markup=False)
            return False
        return True

    def create(self, name: str) -> None:
        self._send(commands.CreateFolder(name=name), f"Created {name}")

    def rename(self, old: str, new: str) -> None:
        if self._known(old) and old != new:
            self._send(commands.RenameFolder(old=old, new=new), f"Renamed {old} to {new}")

    def subscribe(self, name: str, subscribed: bool) -> None:
        if self._known(name):
            done = f"{'Subscribed to' if subscribed else 'Unsubscribed from'} {name}"
            self._send(commands.SubscribeFolder(name=name, subscribed=subscribed), done)

    def delete(self, name: str) -> None:
        """Ask first, naming what it holds (the cache's count, else the server's)."""
        host = self._host
        if not self._known(name):
            return
        service = host.mail.services[host.account]
        total, _unread = service.counts(name)
        info = host.folder_tree.folder(host.account, name)
        if not total and info is not None and info.total:
            total = info.total
        held = f"its {_messages(total)}" if total else "it (it is empty)"
        question = f"Delete the folder {clean_line(name)} and {held} for good?"

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(commands.DeleteFolder(name=name), f"Deleted the folder {name}")

        host.mail.push_screen(ConfirmScreen(question, yes="Delete"), answered)

    def _send(self, command: commands.Command, done: str) -> None:
        self._host.run_worker(partial(self._call, command, done), group="folders")

    async def _call(self, command: commands.Command, done: str) -> None:
        host = self._host
        account = host.account
        service = host.mail.services[account]
        try:
            result = await host.mail.bridge.call(service, command)
        except ServiceFailed as exc:
            host.notify(exc.sentence(), severity="error", markup=False)
            self._relist(account)
            return
        except ServiceCancelled:
            return
        self._relist(account)
        if result is None and service.online is False:
            host.notify(f"{done} here; the server gets it when back online", markup=False)
        else:
            host.notify(done, timeout=3, markup=False)
        if isinstance(command, commands.DeleteFolder) and command.name == host.folder:
            host.open_folder(account, "INBOX")
        elif isinstance(command, commands.RenameFolder) and command.old == host.folder:
            host.open_folder(account, command.new)

    def _relist(self, account: str) -> None:
        host = self._host
        if host.is_attached:
            host.folder_tree.set_folders(account, host.mail.services[account].folders())
