"""Conversation threads from Message-ID / In-Reply-To / References (JWZ's algorithm).

Follows https://www.jwz.org/doc/threading.html step by step (steps numbered below).
Everything is iterative — a 100k-message reply chain must not hit the recursion limit —
and every link is checked for loops, because References headers are written by
strangers and can say anything (including that a message is its own grandparent).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailtui.text.msgids import normalize_msgid

__all__ = ["ThreadItem", "ThreadNode", "base_subject", "flatten", "thread_messages"]


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """What threading needs of one message (ids with or without angle brackets)."""

    uid: int
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    subject: str
    date: int


class ThreadNode:
    """A message in a thread tree, or a dummy standing for one we do not have (uid None)."""

    __slots__ = ("children", "date", "item", "latest", "message_id", "parent")

    def __init__(self, item: ThreadItem | None = None, message_id: str = "") -> None:
        self.item = item
        self.message_id = message_id
        self.parent: ThreadNode | None = None
        self.children: list[ThreadNode] = []
        self.date = 0  # own date; a dummy's is its earliest child's
        self.latest = 0  # newest date in this subtree: sort threads by activity

    @property
    def uid(self) -> int | None:
        return self.item.uid if self.item is not None else None

    @property
    def is_dummy(self) -> bool:
        return self.item is None

    @property
    def subject(self) -> str:
        if self.item is not None:
            return self.item.subject
        return self.children[0].subject if self.children else ""

    def sort_key(self) -> tuple[int, int]:
        """(latest, uid): sorting roots by this puts the most recently active thread last."""
        node = self
        while node.item is None and node.children:
            node = node.children[0]
        return (self.latest, node.item.uid if node.item is not None else 0)

    def walk(self) -> Iterable[ThreadNode]:
        """Depth-first, self first, without recursion."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def __repr__(self) -> str:
        return f"ThreadNode(uid={self.uid!r}, children={len(self.children)})"


_SPECIAL = re.compile(r"[<> ]")


def _norm(value: str) -> str:
    """normalize_msgid with a fast path for the usual "<id@host>" and "id@host"."""
    if not value:
        return ""
    if value[0] == "<" and value[-1] == ">":
        inner = value[1:-1]
        if inner and inner.isprintable() and not _SPECIAL.search(inner):
            return inner
    elif value.isprintable() and not _SPECIAL.search(value):
        return value
    return normalize_msgid(value)


def _is_ancestor(candidate: ThreadNode, node: ThreadNode) -> bool:
    """True if `candidate` is `node` or one of its ancestors (linking would make a loop)."""
    if not candidate.children:  # a leaf is nobody's ancestor: the common, O(1) case
        return candidate is node
    cur: ThreadNode | None = node
    while cur is not None:
        if cur is candidate:
            return True
        cur = cur.parent
    return False


def _link(parent: ThreadNode, child: ThreadNode) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def _build(items: Sequence[ThreadItem]) -> list[ThreadNode]:
    """Steps 1–2: containers for every id seen, linked by References; return all of them."""
    table: dict[str, ThreadNode] = {}
    nodes: list[ThreadNode] = []
    for item in items:
        mid = _norm(item.message_id)
        node = table.get(mid) if mid else None
        if node is not None and node.item is None:
            node.item = item  # 1A: a dummy made from a reference now has its message
        else:
            # No id, or a duplicate id: this message gets a container of its own.
            node = ThreadNode(item, mid)
            nodes.append(node)
            if mid and mid not in table:
                table[mid] = node
        refs = [r for r in map(_norm, item.references) if r and r != mid]
        irt = _norm(item.in_reply_to)
        if irt and irt != mid and irt not in refs:
            refs.append(irt)
        # 1B: link each reference to the next, unless already linked or it would loop.
        prev: ThreadNode | None = None
        for ref in refs:
            ref_node = table.get(ref)
            if ref_node is None:
                ref_node = table[ref] = ThreadNode(None, ref)
                nodes.append(ref_node)
            if prev is not None and ref_node.parent is None and not _is_ancestor(ref_node, prev):
                _link(prev, ref_node)
            prev = ref_node
        # 1C: the last reference is this message's parent; it overrides a guessed one.
        # With no references at all, a parent guessed from another message stays.
        if (
            prev is not None
            and node.parent is not prev
            and prev is not node
            and not _is_ancestor(node, prev)
        ):
            _link(prev, node)
    return nodes


def _prune(roots: list[ThreadNode]) -> list[ThreadNode]:
    """Step 4: drop empty dummies; splice dummies out, except a root holding several."""
    result: list[ThreadNode] = []
    for root in roots:
        # Post-order without recursion: children's replacements are known before ours.
        order: list[ThreadNode] = []
        stack = [root]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(node.children)
        replacement: dict[int, list[ThreadNode]] = {}
        for node in reversed(order):
            kids: list[ThreadNode] = []
            for child in node.children:
                kids.extend(replacement.pop(id(child)))
            node.children = kids
            for kid in kids:
                kid.parent = node
            if node.item is None and node is not root:
                replacement[id(node)] = kids  # 4B: promote the children one level
            else:
                replacement[id(node)] = [node]
        if root.item is None:
            if not root.children:
                continue  # 4A: nothing under it
            if len(root.children) == 1:
                only = root.children[0]
                only.parent = None
                result.append(only)
                continue
        result.append(root)
    return result


# Reply/forward markers in several languages ("Re[2]:", "AW:", "SV:"), and "[list]" tags,
# each optionally followed by a counter "[2]" / "(2)" and then ":" or a full-width "：".
_MARKERS = ("re", "fwd", "fw", "aw", "sv", "vs", "antw", "wg", "rif", "tr", "odp", "ynt")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SPACE = re.compile(r"\s*")
_COUNTER = re.compile(r"\[\d+\]|\(\d+\)")
_MAX_PREFIXES = 20  # "Re: Re: [x] Fwd: ..." — bounded, never a pathological loop


def _prefix_end(s: str, pos: int) -> tuple[int, bool] | None:
    """(end, is_reply) of one "Re:"/"[tag]" prefix at `pos` (blanks around it taken), or None.

    A scanner, not a regex: `\\s*` runs on both sides of an optional counter made the
    old pattern backtrack quadratically over "re" followed by many blanks.
    """
    i = _SPACE.match(s, pos).end()
    if s.startswith("[", i):
        close = s.find("]", i + 1)
        if close < 0:
            return None
        return _SPACE.match(s, close + 1).end(), False
    head = s[i : i + 4].translate(_ASCII_LOWER)
    for marker in _MARKERS:
        if not head.startswith(marker):
            continue
        j = _SPACE.match(s, i + len(marker)).end()
        m = _COUNTER.match(s, j)
        if m:
            j = _SPACE.match(s, m.end()).end()
        if s.startswith((":", "："), j):
            return _SPACE.match(s, j + 1).end(), True
    return None


def base_subject(subject: str) -> tuple[str, bool]:
    """(subject without Re:/Fwd:/[list] prefixes, lower-cased; whether it was a reply)."""
    pos = 0
    reply = False
    for _ in range(_MAX_PREFIXES):
        found = _prefix_end(subject, pos)
        if found is None:
            break
        pos, is_reply = found
        reply = reply or is_reply
    return " ".join(subject[pos:].split()).lower(), reply


def _group_by_subject(roots: list[ThreadNode]) -> list[ThreadNode]:
    """Step 5: gather root threads that share a base subject under one root."""
    table: dict[str, ThreadNode] = {}
    info: dict[int, tuple[str, bool]] = {}
    for root in roots:
        subj, reply = base_subject(root.subject)
        info[id(root)] = (subj, reply)
        if not subj:
            continue
        old = table.get(subj)
        if (
            old is None
            or (root.item is None and old.item is not None)
            or (old.item is not None and root.item is not None and info[id(old)][1] and not reply)
        ):
            table[subj] = root
    removed: set[int] = set()
    added: list[ThreadNode] = []
    for root in roots:
        subj, reply = info[id(root)]
        target = table.get(subj) if subj else None
        if target is None or target is root:
            continue
        if target.item is None and root.item is None:  # both dummies: merge children
            for child in list(root.children):
                _link(target, child)
        elif target.item is None or (not info[id(target)][1] and reply):
            _link(target, root)  # a reply joins the original thread
        else:  # two unrelated-looking starts: hold both under a new dummy
            dummy = ThreadNode(None, "")
            added.append(dummy)
            removed.add(id(target))
            _link(dummy, target)
            _link(dummy, root)
            table[subj] = dummy
            info[id(dummy)] = (subj, False)
        removed.add(id(root))
    return [r for r in roots + added if id(r) not in removed and r.parent is None]


def _date_and_sort(roots: list[ThreadNode]) -> None:
    """Step 6: children by date; dummies take their earliest child's date."""
    order: list[ThreadNode] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    for node in reversed(order):
        if node.children:
            node.children.sort(key=lambda n: (n.date, n.item.uid if n.item is not None else 0))
        own = node.item.date if node.item is not None else None
        child_dates = [c.date for c in node.children]
        node.date = own if own is not None else min(child_dates, default=0)
        node.latest = max([node.date, *(c.latest for c in node.children)])


def thread_messages(
    items: Sequence[ThreadItem], *, group_by_subject: bool = False
) -> list[ThreadNode]:
    """Thread roots, each tree's children by date, roots by latest activity (oldest first).

    Dummies (uid None) remain only at the root, holding siblings whose parent we lack.
    """
    nodes = _build(items)
    roots = [n for n in nodes if n.parent is None]  # step 2; step 3 drops the table
    roots = _prune(roots)
    if group_by_subject:
        roots = _group_by_subject(roots)
    _date_and_sort(roots)
    roots.sort(key=ThreadNode.sort_key)
    return roots


def flatten(
    roots: Sequence[ThreadNode], collapsed: set[int] | None = None
) -> list[tuple[int, int]]:
    """(uid, depth) rows for the list view; a collapsed uid hides its replies.

    Dummies have no row: their children are shown at the dummy's own depth.
    """
    collapsed = collapsed or set()
    rows: list[tuple[int, int]] = []
    stack: list[tuple[ThreadNode, int]] = [(r, 0) for r in reversed(roots)]
    push = stack.append
    while stack:
        node, depth = stack.pop()
        item = node.item
        if item is None:
            for child in reversed(node.children):
                push((child, depth))
            continue
        rows.append((item.uid, depth))
        if node.children and item.uid not in collapsed:
            for child in reversed(node.children):
                push((child, depth + 1))
    return rows
