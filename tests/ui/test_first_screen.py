"""The first screen comes from the cache; the syncs start behind it (issue 17).

A start with a cache present used to submit every account's SyncAll before the UI
was even imported: logins, TLS set-up, LIST-STATUS and folder resyncs competed with
the first paint for the one interpreter lock (1.05-1.17 s to the first screen when
other folders still needed syncing, against 0.61-0.72 s when none did). Now the
cached rows are drawn first and the syncs start once they are on screen. What is
asserted: when the account's first connection begins, the cached rows are already
in the list; and the deferred syncs still happen — mail that arrived while the app
was closed shows up in the open folder and in another folder (its count in the
tree), and the folder poller keeps running.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.sync import commands, events
from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from tests.support import mailgen
from tests.support.accounts import context_for, imap_table
from tests.support.dovecot import Dovecot
from tests.ui.helpers import NOW, make_app, screen_text, wait_for


async def test_cached_rows_are_drawn_before_the_first_connection_then_syncs_run(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=30)
    before = context_for(dovecot, user, tmp_path)  # a previous run's cache
    before.service().run(commands.SyncAll(), timeout=60)
    archived = len(before.service().cache().uids("Archive"))
    before.close()
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    service = app.ctx.service()
    other = dovecot.client(user)
    for folder, subject in (("INBOX", "Came while closed"), ("Archive", "Filed elsewhere")):
        raw = mailgen.make_message(subject=subject, body="Hi\n", date=NOW)
        mailgen.append_imap(other, folder, [mailgen.from_bytes(raw, internaldate=NOW)])
    other.logout()

    rows_at_connect: list[int] = []

    def on_event(event: events.Event) -> None:
        # Called in the worker thread that starts the account's first connection.
        if isinstance(event, events.ConnectionChanged) and not rows_at_connect:
            rows_at_connect.append(len(app.main.messages.rows))

    unsubscribe = service.subscribe(on_event)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            main = app.main
            await wait_for(pilot, lambda: rows_at_connect, timeout=30, what="a connection")
            assert rows_at_connect == [30], "the cached rows were not on screen first"
            # The list's order is a C array of 32-bit UIDs, not a list of ints.
            assert main.messages.rows.itemsize == 4 and len(main.messages.rows) == 30
            # The deferred sync of the open folder brings what came while closed.
            await wait_for(
                pilot,
                lambda: "Came while closed" in screen_text(app),
                timeout=30,
                what="the new INBOX mail",
            )
            # ... and the other folders' syncs still run: Archive's count in the tree.
            await wait_for(
                pilot,
                lambda: (
                    (f := main.folder_tree.folder(main.account, "Archive")) is not None
                    and f.total == archived + 1
                ),
                timeout=30,
                what="Archive's count",
            )
            assert service.cache().uids("Archive")[-1:], "Archive's new mail is cached"
            subjects = service.envelopes("Archive", service.cache().uids("Archive")[-1:])
            assert [e.subject for e in subjects.values()] == ["Filed elsewhere"]
            # The folder poller (KeepFoldersCurrent, also deferred) is running.
            await wait_for(pilot, lambda: service._poller is not None, what="the poller")
    finally:
        unsubscribe()
        app.ctx.close()


async def test_accounts_sync_one_after_another_behind_the_first_screen(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """Several accounts with caches: the open account syncs first, then the others one
    at a time (one sync connection at once, not one per account), and each gets the
    mail that came while the app was closed."""
    users = {name: dovecot.add_user() for name in ("one", "two", "three")}
    for i, user in enumerate(users.values()):
        mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(5, seed=i))
    settings = make_settings(
        {
            name: {"email": f"{user.name}@example.test", "imap": imap_table(dovecot, user)}
            for name, user in users.items()
        },
        ui={"mark_read_delay": -1},
    )
    before = AppContext(settings, cache_dir=tmp_path)
    for name in users:
        before.service(name).run(commands.SyncAll(), timeout=60)
    before.close()
    for name, user in users.items():
        other = dovecot.client(user)
        raw = mailgen.make_message(subject=f"For {name}", body="Hi\n", date=NOW)
        mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
        other.logout()

    ctx = AppContext(settings, cache_dir=tmp_path)
    app = MailApp(ctx, clock=fixed_clock(NOW))
    log: list[tuple[str, str]] = []
    for name in users:
        service = ctx.service(name)

        def on_event(event: events.Event, name: str = name) -> None:
            if isinstance(event, events.ConnectionChanged) and event.state != "offline":
                log.append((name, "connecting"))  # the first is its first connection
            elif isinstance(event, events.FolderSynced) and event.folder == "INBOX":
                log.append((name, "inbox synced"))

        service.subscribe(on_event)
    try:
        async with app.run_test(size=(120, 40)) as pilot:

            def all_new_mail() -> bool:
                return all(
                    any(
                        e.subject == f"For {name}"
                        for e in ctx.service(name)
                        .envelopes("INBOX", ctx.service(name).view("INBOX"))
                        .values()
                    )
                    for name in users
                )

            await wait_for(pilot, all_new_mail, timeout=60, what="every account's new mail")
    finally:
        ctx.close()
    firsts = [
        entry for i, entry in enumerate(log) if entry[1] == "connecting" and entry not in log[:i]
    ]
    assert [name for name, _ in firsts] == ["one", "two", "three"]
    # Each account connects only once the one before it has synced its INBOX.
    for previous, current in itertools.pairwise(firsts):
        assert log.index((previous[0], "inbox synced")) < log.index(current)
