"""JWZ threading (mailtui.mime.threads)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.mime.threads import ThreadItem, ThreadNode, base_subject, flatten, thread_messages


def item(
    uid: int,
    mid: str,
    refs: tuple[str, ...] = (),
    irt: str = "",
    subject: str = "s",
    date: int | None = None,
) -> ThreadItem:
    return ThreadItem(uid, mid, irt, refs, subject, uid if date is None else date)


def shape(node: ThreadNode) -> object:
    """(uid, [children]) nested, for readable assertions."""
    return (node.uid, [shape(c) for c in node.children])


def test_simple_thread_with_brackets_or_without() -> None:
    roots = thread_messages(
        [
            item(1, "<a@x>"),
            item(2, "<b@x>", refs=("<a@x>",), irt="<a@x>"),
            item(3, "c@x", refs=("a@x", "b@x")),
            item(4, "<d@x>", irt="<a@x>"),
        ]
    )
    assert [shape(r) for r in roots] == [(1, [(2, [(3, [])]), (4, [])])]
    assert flatten(roots) == [(1, 0), (2, 1), (3, 2), (4, 1)]


def test_children_sorted_by_date_roots_by_latest_activity() -> None:
    roots = thread_messages(
        [
            item(1, "<a@x>", date=100),
            item(2, "<b@x>", date=50),
            item(3, "<c@x>", refs=("<a@x>",), date=300),
            item(4, "<d@x>", refs=("<a@x>",), date=200),
        ]
    )
    assert [r.uid for r in roots] == [2, 1]
    assert [c.uid for c in roots[1].children] == [4, 3]
    assert roots[1].latest == 300 and roots[1].date == 100


def test_missing_parent_is_a_dummy_and_is_pruned() -> None:
    # Two replies to a message we do not have: they stay siblings under a root dummy.
    roots = thread_messages([item(2, "<b@x>", refs=("<a@x>",)), item(3, "<c@x>", refs=("<a@x>",))])
    assert len(roots) == 1 and roots[0].is_dummy
    assert [c.uid for c in roots[0].children] == [2, 3]
    assert flatten(roots) == [(2, 0), (3, 0)]
    # One reply to a missing message: the dummy is dropped, the reply is the root.
    roots = thread_messages([item(2, "<b@x>", refs=("<a@x>",))])
    assert [shape(r) for r in roots] == [(2, [])]
    # A missing message in the middle of a chain is spliced out.
    roots = thread_messages([item(1, "<a@x>"), item(3, "<c@x>", refs=("<a@x>", "<b@x>"))])
    assert [shape(r) for r in roots] == [(1, [(3, [])])]


def test_duplicate_message_ids_keep_both_messages() -> None:
    roots = thread_messages([item(1, "<a@x>"), item(2, "<a@x>"), item(3, "<b@x>", refs=("<a@x>",))])
    uids = sorted(u for u, _ in flatten(roots))
    assert uids == [1, 2, 3]


def test_reference_loops_terminate() -> None:
    roots = thread_messages(
        [
            item(1, "<a@x>", refs=("<b@x>",)),
            item(2, "<b@x>", refs=("<a@x>",)),
            item(3, "<c@x>", refs=("<c@x>",), irt="<c@x>"),  # its own parent
            item(4, "<d@x>", refs=("<e@x>", "<d@x>", "<e@x>")),
        ]
    )
    assert sorted(u for u, _ in flatten(roots)) == [1, 2, 3, 4]


def test_messages_without_ids() -> None:
    roots = thread_messages([item(1, ""), item(2, ""), item(3, "<c@x>", refs=("",))])
    assert sorted(u for u, _ in flatten(roots)) == [1, 2, 3]


def test_collapsed_hides_replies() -> None:
    roots = thread_messages(
        [
            item(1, "<a@x>"),
            item(2, "<b@x>", refs=("<a@x>",)),
            item(3, "<c@x>", refs=("<a@x>", "<b@x>")),
        ]
    )
    assert flatten(roots, {1}) == [(1, 0)]
    assert flatten(roots, {2}) == [(1, 0), (2, 1)]


def test_subject_grouping_is_optional() -> None:
    items = [
        item(1, "<a@x>", subject="Plans"),
        item(2, "<b@x>", subject="Re: Plans"),  # no references at all
        item(3, "<c@x>", subject="Other"),
    ]
    assert len(thread_messages(items)) == 3
    roots = thread_messages(items, group_by_subject=True)
    assert [shape(r) for r in roots] == [(1, [(2, [])]), (3, [])]


def test_base_subject() -> None:
    assert base_subject("Re: [dev] AW: Fwd: Re[2]: Hello  World") == ("hello world", True)
    assert base_subject("[dev] Hello") == ("hello", False)
    assert base_subject("Re:" * 1000 + "x")[0].startswith("re:")


def test_hundred_thousand_messages_and_a_long_chain() -> None:
    items = []
    for i in range(100_000):
        if i % 3 == 0:
            items.append(item(i, f"<m{i}@x>"))
        else:
            parent = i - 1 - (i % 7 if i > 7 else 0)
            items.append(item(i, f"<m{i}@x>", refs=(f"<m{parent}@x>",), irt=f"<m{parent}@x>"))
    started = time.perf_counter()
    roots = thread_messages(items)
    rows = flatten(roots)
    elapsed = time.perf_counter() - started
    assert len(rows) == 100_000
    assert elapsed < 10  # the real budget (< 2 s) is measured in bench/, not asserted here
    chain = [item(i, f"<c{i}@x>", refs=(f"<c{i - 1}@x>",) if i else ()) for i in range(20_000)]
    rows = flatten(thread_messages(list(reversed(chain))))
    assert rows[-1] == (19_999, 19_999)


ids = st.sampled_from([f"<m{i}@x>" for i in range(12)] + ["", "<>", "bare@x", "<m1@x> junk"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            ids,
            st.lists(ids, max_size=5),
            ids,
            st.integers(0, 10),
            st.sampled_from(["a", "Re: a", "b"]),
        ),
        max_size=25,
    ),
    st.booleans(),
)
def test_random_reference_graphs(raw: list, group: bool) -> None:
    items = [
        ThreadItem(uid, mid, irt, tuple(refs), subject, date)
        for uid, (mid, refs, irt, date, subject) in enumerate(raw)
    ]
    roots = thread_messages(items, group_by_subject=group)
    seen = [n.uid for r in roots for n in r.walk() if n.uid is not None]
    assert sorted(seen) == list(range(len(items)))
    rows = flatten(roots)
    assert sorted(u for u, _ in rows) == list(range(len(items)))
    for root in roots:
        assert root.parent is None
        for node in root.walk():
            for child in node.children:
                assert child.parent is node
            dates = [(c.date) for c in node.children]
            assert dates == sorted(dates)


def test_base_subject_takes_any_blank_around_prefixes() -> None:
    assert base_subject("Re\u3000:\x1c [list]\u2003Fwd[3]：  Hello  World") == (
        "hello world",
        True,
    )
    assert base_subject("re" + " " * 100 + "x") == ("re" + " x", False)
    assert base_subject("[unclosed tag subject") == ("[unclosed tag subject", False)
