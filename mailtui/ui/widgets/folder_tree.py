"""The folder tree: accounts → folders nested by delimiter, special folders first.

Labels are rich Text built from cleaned folder names (folder names come from the
server, i.e. from strangers), so Tree never parses them as markup. Unread counts are
updated in place; a changed folder list rebuilds the tree keeping what was expanded
and where the cursor was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from mailtui.model import ROLE_ORDER, Folder, Role
from mailtui.text.safe import clean_line

ROLE_MARKS = {
    Role.INBOX: "▣",
    Role.DRAFTS: "✎",
    Role.SENT: "➤",
    Role.ARCHIVE: "▤",
    Role.JUNK: "✖",
    Role.TRASH: "✗",
    Role.ALL: "≡",
    Role.FLAGGED: "⚑",
    Role.IMPORTANT: "!",
}
_RANK = {role: i for i, role in enumerate(ROLE_ORDER)}


@dataclass(frozen=True)
class FolderRef:
    """What a tree node stands for: an account (folder None), one of its folders, or a
    saved search (a folder shown through the filter `query`)."""

    account: str
    folder: str | None = None
    selectable: bool = True
    query: str | None = None


@dataclass
class _Node:
    name: str  # full folder name ("" for implicit parents: not on the server)
    leaf: str
    folder: Folder | None
    children: dict[str, _Node]


def display_name(folder: Folder) -> str:
    """ "Inbox" for INBOX, else the leaf name, made safe to show."""
    if folder.role == Role.INBOX or folder.name.upper() == "INBOX":
        return "Inbox"
    return clean_line(folder.leaf) or "(unnamed)"


def role_note(folder: Folder) -> str:
    """The special-use role, when the name does not already say it ("sent" for "Gesendet")."""
    role = folder.role.value if folder.role != Role.NONE else ""
    return "" if role.casefold() == folder.leaf.casefold() else role


def _order(node: _Node) -> tuple[int, str]:
    role = node.folder.role if node.folder is not None else Role.NONE
    if node.folder is not None and node.name.upper() == "INBOX":
        role = Role.INBOX
    rank = _RANK.get(role, len(_RANK)) if role != Role.NONE else len(_RANK)
    return rank, node.leaf.casefold()


def _nest(folders: Sequence[Folder]) -> _Node:
    root = _Node("", "", None, {})
    for folder in folders:
        parts = folder.parts if folder.name.upper() != "INBOX" else (folder.name,)
        node = root
        path: list[str] = []
        for part in parts[:-1]:
            path.append(part)
            node = node.children.setdefault(part, _Node("", part, None, {}))
        leaf = parts[-1]
        existing = node.children.get(leaf)
        if existing is None:
            node.children[leaf] = _Node(folder.name, leaf, folder, {})
        else:  # an implicit parent listed after its child
            existing.name, existing.folder = folder.name, folder
    return root


class FolderTree(Tree[FolderRef]):
    """Accounts and their folders; selecting a folder opens it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("Accounts"), id=id)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self._folder_nodes: dict[tuple[str, str], TreeNode[FolderRef]] = {}
        self._accounts: dict[str, TreeNode[FolderRef]] = {}
        self._shape: dict[str, tuple[tuple[str, str, bool], ...]] = {}
        self._folders: dict[tuple[str, str], Folder] = {}
        self._saved: TreeNode[FolderRef] | None = None
        self._account_unread: dict[str, int] = {}
        self._listed: dict[str, list[Folder]] = {}
        self.subscribed_only = False  # hide folders not subscribed to (INBOX stays)

    def show_subscribed_only(self, on: bool) -> None:
        """Show only subscribed folders (True) or every folder; the lists are kept."""
        self.subscribed_only = on
        for account, folders in list(self._listed.items()):
            self.set_folders(account, folders)

    def set_saved_searches(self, searches: Sequence[tuple[str, FolderRef]]) -> None:
        """Pin (name, ref) saved searches above the accounts, as virtual folders."""
        if self._saved is not None:
            self._saved.remove()
            self._saved = None
        if not searches:
            return
        node = self.root.add(Text("Saved searches", style="bold"), None, before=0)
        for name, ref in searches:
            label = Text(end="", no_wrap=True, overflow="ellipsis")
            label.append("⌕ ", style="bold")
            label.append(clean_line(name))
            node.add_leaf(label, ref)
        node.expand()
        self._saved = node

    # --- building ------------------------------------------------------------------------

    def set_folders(self, account: str, folders: Sequence[Folder]) -> None:
        """Show `account`'s folders; only labels change when the list is the same."""
        self._listed[account] = list(folders)
        for key in [k for k in self._folders if k[0] == account]:
            del self._folders[key]
        for folder in folders:
            self._folders[(account, folder.name)] = folder
        if self.subscribed_only:
            folders = [f for f in folders if f.subscribed or f.name.upper() == "INBOX"]
        shape = tuple(sorted((f.name, f.role.value, f.selectable) for f in folders))
        if self._shape.get(account) == shape and account in self._accounts:
            for folder in folders:
                self._relabel(account, folder.name)
            return
        self._shape[account] = shape
        keep_cursor = self.cursor_node.data if self.cursor_node is not None else None
        node = self._accounts.get(account)
        collapsed = self._collapsed(account)
        if node is None:
            node = self.root.add(self._account_label(account), FolderRef(account, None, False))
            self._accounts[account] = node
        else:
            node.remove_children()
        for key in [k for k in self._folder_nodes if k[0] == account]:
            del self._folder_nodes[key]
        self._add_nodes(account, node, _nest(folders), collapsed)
        node.expand()
        if keep_cursor is not None:
            self.call_after_refresh(self.show_folder, keep_cursor.account, keep_cursor.folder)

    def _collapsed(self, account: str) -> set[str]:
        """Keys of the account's parent nodes the user has collapsed."""
        return {
            key
            for (acct, key), node in self._folder_nodes.items()
            if acct == account and node.children and not node.is_expanded
        }

    def _add_nodes(
        self,
        account: str,
        parent: TreeNode[FolderRef],
        nest: _Node,
        collapsed: set[str],
        prefix: str = "",
    ) -> None:
        for child in sorted(nest.children.values(), key=_order):
            key = child.name or f"{prefix}{child.leaf}/"
            folder = child.folder
            ref = FolderRef(
                account, folder.name if folder else None, bool(folder and folder.selectable)
            )
            label = self._label(folder, child.leaf)
            if child.children:
                node = parent.add(label, ref)
                self._folder_nodes[(account, key)] = node
                self._add_nodes(account, node, child, collapsed, key + "\0")
                # Expanded unless the user collapsed it.
                if key not in collapsed:
                    node.expand()
            else:
                node = parent.add_leaf(label, ref)
                self._folder_nodes[(account, key)] = node

    def _label(self, folder: Folder | None, leaf: str) -> Text:
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        if folder is None:
            text.append(clean_line(leaf), style="dim")
            return text
        role = Role.INBOX if folder.name.upper() == "INBOX" else folder.role
        mark = ROLE_MARKS.get(role)
        text.append(f"{mark} " if mark else "  ", style="bold" if mark else "")
        name_style = "" if folder.selectable else "dim"
        text.append(display_name(folder), style=name_style)
        if folder.unread:
            text.append(f" {folder.unread}", style="bold")
        return text

    def _relabel(self, account: str, name: str) -> None:
        node = self._folder_nodes.get((account, name))
        folder = self._folders.get((account, name))
        if node is not None and folder is not None:
            label = self._label(folder, folder.leaf)
            if node.label != label:
                node.set_label(label)

    def _account_label(self, account: str) -> Text:
        text = Text(clean_line(account), style="bold", end="", no_wrap=True, overflow="ellipsis")
        unread = self._account_unread.get(account)
        if unread:
            text.append(f" {unread}", style="bold")
        return text

    def set_account_unread(self, account: str, unread: int) -> None:
        """The account's unread total, each message once (cache.conversations.account_unread)."""
        if self._account_unread.get(account) == unread:
            return
        self._account_unread[account] = unread
        node = self._accounts.get(account)
        if node is not None:
            node.set_label(self._account_label(account))

    def update_counts(self, account: str, name: str, total: int, unread: int) -> None:
        """Keep a folder's unread count live."""
        folder = self._folders.get((account, name))
        if folder is None or (folder.unread, folder.total) == (unread, total):
            return
        from dataclasses import replace

        self._folders[(account, name)] = replace(folder, unread=unread, total=total)
        self._relabel(account, name)

    # --- queries -------------------------------------------------------------------------

    def folder(self, account: str, name: str) -> Folder | None:
        return self._folders.get((account, name))

    def folders(self, account: str) -> list[Folder]:
        return [f for (acct, _), f in self._folders.items() if acct == account]

    def show_folder(self, account: str, name: str | None) -> None:
        """Put the cursor on a folder (expanding its parents) without opening it."""
        node = self._folder_nodes.get((account, name)) if name else self._accounts.get(account)
        if node is None:
            return
        parent = node.parent
        while parent is not None:
            parent.expand()
            parent = parent.parent
        self.call_after_refresh(self.move_cursor, node)

    def all_refs(self) -> Iterable[FolderRef]:
        for node in self._folder_nodes.values():
            if node.data is not None and node.data.folder:
                yield node.data
