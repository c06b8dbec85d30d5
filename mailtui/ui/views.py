"""A folder's rows for the list: a sorted UID list, or conversations threaded (JWZ).

Runs on the bridge's reader thread: a 100k `view()` is ~60 ms and threading a big
folder longer, and the UI keeps drawing meanwhile.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailtui.backend import query
from mailtui.mime.threads import ThreadItem, ThreadNode, flatten, thread_messages
from mailtui.ui.widgets.message_list import Rows

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

SORT_KEYS = ("date", "from", "subject", "size")
_NO_LIMIT = 2**62


@dataclass(frozen=True)
class ViewSpec:
    """How to order a folder."""

    sort: str = "date"
    reverse: bool = True
    threaded: bool = False
    collapsed: frozenset[int] = frozenset()
    query: str = ""  # the filter (limit): only messages matching it are rows
    only: frozenset[int] | None = None  # the filter's matches, when the server found them


@dataclass
class FolderView:
    """Rows to show plus, when threaded, who belongs to which conversation."""

    rows: Rows
    members: dict[int, list[int]] = field(default_factory=dict)  # root uid → thread uids
    root_of: dict[int, int] = field(default_factory=dict)  # uid → its root's uid
    synced: bool = False  # the folder has been synced at least once


def _threads(items: list[tuple[int, str, str, str, str, int]]) -> list[ThreadNode]:
    return thread_messages(
        [
            ThreadItem(
                uid, mid or "", irt or "", tuple((refs or "").split()), subj or "", date or 0
            )
            for uid, mid, irt, refs, subj, date in items
        ]
    )


def _membership(roots: list[ThreadNode]) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Thread members by root (roots without replies left out), and each uid's root."""
    members: dict[int, list[int]] = {}
    root_of: dict[int, int] = {}
    for top in roots:
        # A dummy root stands for a missing message: each real child heads its own row.
        heads = [top] if top.item is not None else top.children
        for head in heads:
            if head.item is None or not head.children:
                continue
            uids = [n.item.uid for n in head.walk() if n.item is not None]
            members[head.item.uid] = uids
            for uid in uids:
                root_of[uid] = head.item.uid
    return members, root_of


def matching(service: SyncService, folder: str, text: str) -> list[int]:
    """The folder's UIDs matching the query `text` in the cache, newest first (no limit:
    a filter shows every match). Raises QueryError for a query that cannot be read."""
    return service.cache().search(folder, query.parse(text), limit=_NO_LIMIT)


def needs_server(text: str) -> bool:
    """Whether the query looks into bodies, which only the server can search (the cache
    holds headers; body: and free words match its subject, sender and recipients), or is
    in the server's own language (`gmail:`: backend.query.Raw)."""
    return _has_body_term(query.parse(text))


def _has_body_term(node: query.Query) -> bool:
    if isinstance(node, query.Body | query.Text | query.Raw):
        return True
    if isinstance(node, query.And | query.Or):
        return any(_has_body_term(item) for item in node.items)
    if isinstance(node, query.Not):
        return _has_body_term(node.item)
    return False


def _filtered(service: SyncService, folder: str, spec: ViewSpec) -> list[int] | None:
    """The filter's matches, newest first (None without a filter)."""
    if spec.only is not None:
        return sorted(spec.only, reverse=True)
    if not spec.query:
        return None
    return matching(service, folder, spec.query)


def compute_view(service: SyncService, folder: str, spec: ViewSpec, first: int = 0) -> FolderView:
    """The folder's rows in display order, from the cache (no network).

    `first`: only that many rows from the top, when that is cheaper than the whole
    order (a flat, unfiltered list): what a folder's first screen shows at once,
    whatever its size; the whole order follows (Listing.show)."""
    synced = service.folder_state(folder).synced
    if first and partial_first(spec):
        return FolderView(
            Rows(service.order(folder, spec.sort, spec.reverse, first)), synced=synced
        )
    only = _filtered(service, folder, spec)
    keep = set(only) if only is not None else None
    if not spec.threaded:
        if only is not None and spec.only is None and spec.sort == "date":
            # The cache's search answers in the date order already: no 100k view to walk.
            return FolderView(Rows(only if spec.reverse else only[::-1]), synced=synced)
        uids = service.order(folder, spec.sort, spec.reverse)
        if keep is not None:
            uids = [uid for uid in uids if uid in keep]
        return FolderView(Rows(uids), synced=synced)
    items = service.thread_items(folder)
    if keep is not None:
        # Threads of the matches only, as mutt's limit shows them.
        items = [item for item in items if item[0] in keep]
    roots = _threads(items)
    if spec.sort == "date":
        if spec.reverse:
            roots.reverse()  # the most recently active conversation first
    else:
        # Conversations in the order of their first message by the chosen key (its
        # sender, subject or size), as the flat list would place it.
        ordered = service.view(folder, spec.sort, spec.reverse)
        order = {uid: i for i, uid in enumerate(ordered) if keep is None or uid in keep}
        last = len(order)

        def rank(node: ThreadNode) -> int:
            if node.item is not None:
                return order.get(node.item.uid, last)
            return min((order.get(n.item.uid, last) for n in node.walk() if n.item), default=last)

        roots.sort(key=rank)
    members, root_of = _membership(roots)
    flat = flatten(roots, set(spec.collapsed))
    hidden = {uid: len(members[uid]) - 1 for uid in spec.collapsed if uid in members}
    rows = Rows([u for u, _ in flat], [d for _, d in flat], hidden)
    return FolderView(rows, members, root_of, synced)


def partial_first(spec: ViewSpec) -> bool:
    """Whether the top rows of this view can be read without reading them all."""
    return not spec.threaded and not spec.query and spec.only is None


def toggle(collapsed: Set[int], root: int) -> frozenset[int]:
    return frozenset(set(collapsed) ^ {root})
