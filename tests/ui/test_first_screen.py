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

from pathlib import Path

from mailtui.sync import commands, events
from tests.support import mailgen
from tests.support.accounts import context_for
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
