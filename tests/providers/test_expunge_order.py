"""EXPUNGE responses in any order (issue 14: a multi-message delete broke other clients
on Office 365, which sends them in other orders than Dovecot's highest-first) and
untagged STATUS with a trailing space, on the scripted Microsoft 365
(tests/support/scripted_imap/providers.py; `expunge_order` in server.py, each number
valid for RFC 9051 §7.5.1). After a multi-message delete by mailtui, and after another
client's expunges heard over IDLE, the cache holds exactly what the server holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.sync import commands
from tests.support import mailgen
from tests.support.accounts import wait_until
from tests.support.scripted_fixture import (
    assert_cache_matches_store,
    scripted_context,
    store_rows,
)
from tests.support.scripted_imap import hooks, providers


def _matches(ctx, server, folders) -> bool:
    try:
        assert_cache_matches_store(ctx, server, folders)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("order", ["ascending", "shuffled"])
@pytest.mark.parametrize("policy", ["trash", "expunge"])
def test_multi_message_delete_with_expunges_in_any_order_leaves_cache_equal_to_server(
    scripted_imap_factory, tmp_path: Path, order: str, policy: str
) -> None:
    server = providers.m365(scripted_imap_factory)
    server.expunge_order = order
    server.rewrite(hooks.status_trailing_space)
    server.store.add_messages("INBOX", mailgen.generate(30, seed=9))
    ctx = scripted_context(server, tmp_path, account={"delete": policy})
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        service.watch("INBOX")
        wait_until(lambda: service.watcher("INBOX") is not None, what="the INBOX watcher")
        wait_until(service.watcher("INBOX").ready.is_set, what="the watcher's first sync")
        doomed = (2, 3, 5, 8, 13, 21, 22, 23)
        service.run(commands.DeleteMessages(folder="INBOX", uids=doomed), timeout=30)
        assert service.wait_writer_idle()
        assert not set(doomed) & set(store_rows(server, "INBOX"))
        # Another client expunges a scattered handful while mailtui idles on INBOX.
        server.store.expunge("INBOX", [1, 9, 10, 17, 30], only_deleted=False)
        wait_until(lambda: _matches(ctx, server, ["INBOX"]), timeout=30, what="cache == server")
        assert len(service.view("INBOX")) == 17
        # The folder counts, from STATUS lines ending in a space (no LIST-STATUS here).
        service.run(commands.RefreshFolders(), timeout=30)
        inbox = next(f for f in service.cache().folders() if f.name == "INBOX")
        assert inbox.total == 17
        if policy == "trash":
            assert len(server.store.messages("Deleted Items")) == len(doomed)
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("order", "expected"),
    [("descending", [5, 3, 2]), ("ascending", [2, 2, 3]), ("shuffled", None)],
)
def test_the_scripted_server_numbers_each_expunge_after_the_earlier_ones(
    scripted_imap, order: str, expected: list[int] | None
) -> None:
    """The orders above are valid IMAP: each number counts the expunges before it."""
    scripted_imap.expunge_order = order
    scripted_imap.store.add_messages("INBOX", mailgen.generate(6, seed=2))
    client = scripted_imap.client()
    client.select_folder("INBOX")
    client.add_flags([2, 3, 5], ["\\Deleted"])
    _msg, lines = client.expunge()
    numbers = [n for n, what in lines if what == b"EXPUNGE"]
    if expected is not None:
        assert numbers == expected
    # Replaying the numbers on the list of UIDs removes exactly 2, 3 and 5.
    uids = [1, 2, 3, 4, 5, 6]
    for n in numbers:
        del uids[n - 1]
    assert uids == [1, 4, 6]
    client.logout()
