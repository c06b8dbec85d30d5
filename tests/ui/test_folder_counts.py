"""Other folders' counts and folders made elsewhere stay current (issue 11, item 6).

Once a folder was synced the tree counted its cached rows and ignored the server's
fresher LIST-STATUS answer: another device read a message in Projects/Alpha/Specs and
the tree kept showing it unread, even after ctrl+r; a second account's counts went
stale the same way, and folders created elsewhere appeared only after ctrl+r.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.sync import commands
from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from tests.support import mailgen
from tests.support.accounts import context_for, imap_table
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot
from tests.ui.helpers import NOW, ready, wait_for

SPECS = "Projects/Alpha/Specs"


def _unseen(client, folder: str) -> list[int]:
    client.select_folder(folder)
    return client.search(["UNSEEN"])


def test_refresh_resyncs_a_folder_changed_elsewhere(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=10)
    ctx = context_for(dovecot, user, tmp_path)
    service = ctx.service()
    other = dovecot.client(user)
    try:
        service.run(commands.SyncAll(), timeout=60)
        unseen = _unseen(other, SPECS)
        assert unseen, "the fixture needs unread mail there"
        other.add_flags(unseen[:1], [b"\\Seen"])
        # What ctrl+r sends: the folder list with counts, then the open folder (INBOX).
        service.run(commands.RefreshFolders(), timeout=30)

        def specs_unread() -> int | None:
            return {f.name: f.unread for f in service.folders()}[SPECS]

        from tests.support.accounts import wait_until

        wait_until(lambda: specs_unread() == len(unseen) - 1, what="Specs count updated")
        assert_cache_matches_server(ctx, other, [SPECS])
    finally:
        other.logout()
        ctx.close()


@pytest.mark.parametrize("notify", [True, False], ids=["notify", "polled"])
async def test_the_tree_follows_counts_and_new_folders_of_every_account(
    dovecot: Dovecot, tmp_path: Path, notify: bool
) -> None:
    """With NOTIFY one connection hears it all (issue 19 item 4); without, the periodic
    LIST with counts finds it."""
    hidden = () if notify else ("NOTIFY",)
    first, second = dovecot.add_user(disable=hidden), dovecot.add_user(disable=hidden)
    mailgen.populate_standard(first, inbox=10)
    mailgen.populate_standard(second, inbox=10, seed=1)
    settings = make_settings(
        {
            name: {
                "email": f"{user.name}@example.test",
                "poll_interval": 1,
                "imap": imap_table(dovecot, user),
            }
            for name, user in (("one", first), ("two", second))
        },
        ui={"mark_read_delay": -1},
    )
    ctx = AppContext(settings, cache_dir=tmp_path)
    app = MailApp(ctx, clock=fixed_clock(NOW))
    a, b = dovecot.client(first), dovecot.client(second)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            tree = app.main.folder_tree
            for account in ("one", "two"):
                service = ctx.service(account)
                await wait_for(
                    pilot,
                    lambda s=service: s.folder_state(SPECS).synced,
                    timeout=30,
                    what=f"{account} synced",
                )
            before = {acct: tree.folder(acct, SPECS).unread for acct in ("one", "two")}
            # Another device reads one message in each account, and makes a folder.
            for client in (a, b):
                client.add_flags(_unseen(client, SPECS)[:1], [b"\\Seen"])
            a.create_folder("Made elsewhere")
            for acct in ("one", "two"):
                await wait_for(
                    pilot,
                    lambda acct=acct: tree.folder(acct, SPECS).unread == before[acct] - 1,
                    timeout=10,
                    what=f"{acct}'s count without ctrl+r",
                )
            await wait_for(
                pilot,
                lambda: tree.folder("one", "Made elsewhere") is not None,
                timeout=10,
                what="the new folder without ctrl+r",
            )
    finally:
        a.logout()
        b.logout()
        ctx.close()
