"""Live behaviour: mail from another client appears, the offline banner comes and goes, search."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from mailtui.model import FLAGGED
from mailtui.sync import commands
from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from tests.support import mailgen
from tests.support.accounts import context_for, server_flags, wait_until
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for


async def test_mail_appended_elsewhere_appears_without_moving_the_cursor(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        await pilot.press("j", "j", "j")
        chosen = main.messages.cursor_uid
        before = len(main.messages.rows)
        other = dovecot.client(filled_user)
        raw = mailgen.make_message(subject="Hot off the press", body="New!\n", date=NOW)
        mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
        other.logout()
        await wait_for(
            pilot, lambda: len(main.messages.rows) == before + 1, timeout=30, what="the new row"
        )
        # Newest first: the new row is on top, and the cursor stayed on its message.
        assert main.messages.cursor_uid == chosen and main.messages.cursor == 4
        new_uid = max(main.messages.rows)
        env = main.messages.envelope(new_uid)
        assert env is not None and env.subject == "Hot off the press"
        await wait_for(pilot, lambda: f"{before + 1} messages" in screen_text(app))
        assert "Hot off the press" in screen_text(app)


async def test_sync_started_before_the_app_is_caught_up_and_stays_live(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """`mailtui` submits SyncAll before importing the UI: every event of that sync may
    be gone before the app listens. The app must still show the state they announced."""
    ctx = context_for(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    service = ctx.service()
    service.run(commands.SyncAll(), timeout=30)  # everything announced to nobody
    assert service.online
    app = MailApp(ctx, clock=fixed_clock(NOW), syncing=True)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        await wait_for(pilot, lambda: len(main.messages.rows) == 30, what="the cached rows")
        await wait_for(pilot, lambda: "● online" in screen_text(app), what="the online state")
        assert "Sent" in screen_text(app) and "Trash" in screen_text(app)
        other = dovecot.client(filled_user)
        raw = mailgen.make_message(subject="Arrived while open", body="Hi\n", date=NOW)
        mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
        other.logout()
        await wait_for(
            pilot, lambda: "Arrived while open" in screen_text(app), timeout=30, what="live mail"
        )
    ctx.close()


async def test_a_server_down_before_the_app_started_shows_why(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = context_for(dovecot, user, tmp_path, imap={"port": port})
    service = ctx.service()
    service.submit(commands.SyncAll())
    await asyncio.to_thread(wait_until, lambda: service.online is False, 30, "offline")
    app = MailApp(ctx, clock=fixed_clock(NOW), syncing=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Offline" in screen_text(app), what="the offline banner")
        assert f"127.0.0.1:{port}" in screen_text(app)
    ctx.close()


async def test_offline_banner_and_recovery(private_dovecot: Dovecot, tmp_path: Path) -> None:
    user = private_dovecot.add_user()
    mailgen.populate_standard(user, inbox=20)
    app = make_app(private_dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        private_dovecot.stop()
        await wait_for(
            pilot, lambda: "Offline" in screen_text(app), timeout=40, what="the offline banner"
        )
        assert "○ offline" in screen_text(app)
        # The app keeps working from the cache: moving, and a change that waits.
        await pilot.press("j")
        uid = main.messages.cursor_uid
        was = FLAGGED in app.ctx.service().envelope("INBOX", uid).flags
        await pilot.press("s")
        await wait_for(pilot, lambda: "1 change will be sent" in screen_text(app), what="pending")
        private_dovecot.start()
        await wait_for(
            pilot,
            lambda: "Offline" not in screen_text(app) and main.online,
            timeout=90,
            what="back online",
        )
        await wait_for(
            pilot, lambda: main.status.status.pending == 0, timeout=60, what="the change sent"
        )
        client = private_dovecot.client(user)  # sent, as the server says: \Flagged flipped
        try:
            assert (FLAGGED in server_flags(client, "INBOX")[uid]) is not was
        finally:
            client.logout()


async def test_search_marks_matches_and_n_moves(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    other = dovecot.client(filled_user)
    for i in range(3):
        raw = mailgen.make_message(subject=f"Invoice {i} for March", body="Pay up.\n")
        mailgen.append_imap(other, "INBOX", [mailgen.from_bytes(raw)])
    other.logout()
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        await pilot.press("G", "slash")
        await wait_for(pilot, lambda: "Search this folder" in screen_text(app))
        await pilot.press(*'subject:"for march"', "enter")
        await wait_for(pilot, lambda: main.status.status.matches == 3, what="3 matches")
        assert '/subject:"for march": 3 matches' in screen_text(app)
        first = main.messages.cursor_uid
        subjects = set()
        for key in ("n", "n", "n"):
            env = main.messages.envelope(main.messages.cursor_uid or 0)
            assert env is not None
            subjects.add(env.subject)
            await pilot.press(key)
        assert subjects == {f"Invoice {i} for March" for i in range(3)}
        assert main.messages.cursor_uid == first  # wrapped around
        await pilot.press("N")
        assert main.messages.cursor_uid != first
        # escape clears the search.
        await pilot.press("escape")
        assert main.messages.matches == set() and "/subject" not in screen_text(app)
        # A bad query is explained, not crashed on.
        await pilot.press("slash", *"since:2026-13-01", "enter")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        assert any("not a date" in n.message for n in app._notifications)
        assert app.is_running


@pytest.mark.parametrize("security", ["none", "starttls"])
async def test_mail_delivered_right_after_launch_is_on_screen_within_two_seconds(
    dovecot: Dovecot, tmp_path: Path, security: str
) -> None:
    """While the first syncs of other folders still run (issue 11, item 2)."""
    import time

    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(40, seed=3))
    for i, name in enumerate(("Lists/a", "Lists/b", "Projects")):
        mailgen.write_maildir(user.maildir, name, mailgen.generate(1500, seed=i))
    ctx = context_for(
        dovecot, user, tmp_path, ui={"mark_read_delay": -1}, imap={"security": security}
    )
    service = ctx.service()
    service.submit(commands.SyncAll())  # as `mailtui` does, before the UI exists
    app = MailApp(ctx, clock=fixed_clock(NOW), syncing=True)
    other = dovecot.client(user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.main.messages.rows, what="the first rows")
            assert not service.cache().folder_state("Projects").synced, "start-up was over"
            for i in range(2):
                subject = f"Fresh news {i}"
                raw = mailgen.make_message(subject=subject, body="Hi\n", date=NOW)
                start = time.monotonic()
                await asyncio.to_thread(
                    mailgen.append_imap,
                    other,
                    "INBOX",
                    [mailgen.from_bytes(raw, internaldate=NOW)],
                )
                await wait_for(pilot, lambda s=subject: s in screen_text(app), timeout=10)
                assert time.monotonic() - start < 2.0
    finally:
        other.logout()
        ctx.close()
