"""List views and navigation: threads, sorting, unread jumps, panes, full screen, folders, size."""

from __future__ import annotations

from pathlib import Path

from textual import events

from mailtui.ui import format as fmt
from mailtui.ui.widgets.folder_tree import FolderTree
from mailtui.ui.widgets.reader import Reader
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader


async def test_threads_sort_and_unread_jumps(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main, rows = app.main, app.main.messages
        flat = list(rows.rows)
        # t: conversations; replies are indented under their thread.
        await pilot.press("t")
        await wait_for(pilot, lambda: rows.depths is not None, what="threaded rows")
        assert sorted(rows.rows) == sorted(flat)
        assert any(d > 0 for d in rows.depths or [])
        assert "└ " in screen_text(app) and "threads ↓" in screen_text(app)
        # e folds the conversation under the cursor into one row with a count.
        index = next(i for i, d in enumerate(rows.depths or []) if d > 0)
        rows.move_to(index)
        root = main.listing.view.root_of[rows.cursor_uid or 0]
        size = len(main.listing.view.members[root])
        await pilot.press("e")
        await wait_for(pilot, lambda: len(rows.rows) == len(flat) - (size - 1), what="folded")
        assert f"(+{size - 1})" in screen_text(app)
        assert rows.cursor_uid == root
        await pilot.press("e")
        await wait_for(pilot, lambda: len(rows.rows) == len(flat), what="unfolded")
        # o in threads: conversations ordered by their first message's subject.
        await pilot.press("o", "o")
        await wait_for(pilot, lambda: main.listing.spec.sort == "subject" and rows.depths)

        def by_subject() -> bool:
            order = main.service.view("INBOX", "subject", True)
            pos = {uid: i for i, uid in enumerate(order)}
            depths = rows.depths or []
            heads = [pos[uid] for uid, depth in zip(rows.rows, depths, strict=True) if not depth]
            return len(heads) > 1 and heads == sorted(heads)

        await wait_for(pilot, by_subject, what="conversations by subject")
        assert "threads by subject ↓" in screen_text(app)
        await pilot.press("o", "o")
        await wait_for(pilot, lambda: main.listing.spec.sort == "date")
        # t back; o sorts by from, then subject; O reverses.
        await pilot.press("t")
        await wait_for(pilot, lambda: rows.depths is None)
        await pilot.press("o")
        await wait_for(pilot, lambda: main.listing.spec.sort == "from" and list(rows.rows) != flat)
        assert list(rows.rows) == main.service.view("INBOX", "from", True)
        await pilot.press("O")
        await wait_for(pilot, lambda: list(rows.rows) == main.service.view("INBOX", "from", False))
        await pilot.press("O")
        await pilot.press("o", "o", "o")
        await wait_for(pilot, lambda: main.listing.spec.sort == "date")
        # J / K jump between unread messages.
        await pilot.press("g", "J")
        env = rows.envelope(rows.cursor_uid or 0)
        assert env is not None and not env.seen
        first_unread = rows.cursor
        await pilot.press("J")
        assert rows.cursor > first_unread
        assert not rows.envelope(rows.cursor_uid or 0).seen  # type: ignore[union-attr]
        await pilot.press("K")
        assert rows.cursor == first_unread


async def test_panes_full_screen_folders_and_small_terminal(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app)
        main = app.main
        text = screen_text(app)
        # 80x24: tree, list, reader, status and footer all there.
        assert "Inbox" in text and "messages" in text and "? Help" in text
        # The cursor's message is previewed (enter would now page it): wait for it.
        await wait_reader(pilot, app)
        # tab walks the panes.
        await pilot.press("tab")
        assert isinstance(app.focused, Reader)
        await pilot.press("tab")
        assert isinstance(app.focused, FolderTree)
        await pilot.press("tab")
        assert app.focused is main.messages
        # z: the reader full screen, and back with z or escape.
        await pilot.press("z")
        await wait_for(
            pilot,
            lambda: (
                (not main.messages.display or main.messages.region.area == 0)
                and "From:" in screen_text(app)
            ),
            what="the reader full screen, headers on top",
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: main.messages.region.area > 0, what="the list back")
        # F: fuzzy folder picker opens another folder; the tree follows.
        await pilot.press("F")
        await wait_for(pilot, lambda: "Go to folder" in screen_text(app))
        await pilot.press(*"2025", "enter")
        await wait_for(
            pilot, lambda: main.folder == "Archive/2025" and len(main.messages.rows) == 10
        )
        # Selecting a folder in the tree opens it too.
        main.folder_tree.focus()
        await pilot.press("g")
        await pilot.press("j")  # first folder under the account: Inbox
        await pilot.press("enter")
        await wait_for(pilot, lambda: main.folder == "INBOX")
        # The last folder is remembered for the next start.
        assert app.load_state()["last"] == {"account": "test", "folder": "INBOX"}


async def test_last_folder_is_reopened(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        app.main.open_folder("test", "Sent")
        await wait_for(pilot, lambda: len(app.main.messages.rows) == 12)
        assert "To: " in screen_text(app)  # Sent shows recipients
    app.ctx.close()
    again = make_app(dovecot, filled_user, tmp_path)
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: again.main.folder == "Sent" and again.main.messages.rows)


async def test_list_stays_virtual_on_a_big_folder(dovecot: Dovecot, tmp_path: Path) -> None:
    """Only the rows on screen (plus a margin) are read from the cache, whatever the size."""
    user = dovecot.add_user()
    mailgen.write_maildir(
        user.maildir, "INBOX", mailgen.generate(3000, seed=5, attachment_ratio=0, html_ratio=0)
    )
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        await wait_for(pilot, lambda: len(rows.rows) == 3000)
        assert rows.rows_fetched < 200, rows.rows_fetched
        before = rows.rows_fetched
        await pilot.press("G")
        await pilot.pause()
        assert rows.cursor == 2999
        assert rows.rows_fetched - before < 200
        await pilot.press("pageup", "pageup")
        await pilot.pause()
        assert rows.rows_fetched - before < 400


async def test_two_accounts_in_one_tree(dovecot: Dovecot, tmp_path: Path) -> None:
    """Every configured account is listed; folders of either open through the same keys."""
    from mailtui.config.load import make_settings
    from mailtui.context import AppContext
    from mailtui.ui.app import MailApp
    from mailtui.ui.format import fixed_clock
    from tests.support.accounts import imap_table
    from tests.ui.helpers import NOW

    work, home = dovecot.add_user(), dovecot.add_user()
    mailgen.write_maildir(work.maildir, "INBOX", mailgen.generate(5, seed=1))
    mailgen.write_maildir(home.maildir, "INBOX", mailgen.generate(7, seed=2))
    mailgen.write_maildir(home.maildir, "Family", mailgen.generate(3, seed=3))
    settings = make_settings(
        {
            "work": {"email": f"{work.name}@example.test", "imap": imap_table(dovecot, work)},
            "home": {"email": f"{home.name}@example.test", "imap": imap_table(dovecot, home)},
        },
        ui={"mark_read_delay": -1},
    )
    app = MailApp(AppContext(settings, cache_dir=tmp_path), clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.main.messages.rows) == 5, what="work's INBOX")
        await wait_for(pilot, lambda: "Family" in screen_text(app), what="home's folders")
        text = screen_text(app)
        assert "work" in text and "home" in text
        await pilot.press("F")
        await wait_for(pilot, lambda: "Go to folder" in screen_text(app))
        await pilot.press(*"home: fam", "enter")
        await wait_for(
            pilot, lambda: app.main.account == "home" and len(app.main.messages.rows) == 3
        )
        status = screen_text(app).splitlines()[-2]
        assert " home " in status  # the status bar names the account
        assert "● online" in status  # and shows that account's own connection
    app.ctx.close()


async def test_page_home_end_and_wheel_keep_cursor_and_view_together(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """PgDn/PgUp move the cursor a screenful and the view follows (mutt); home/end and the
    arrows move the cursor; after the wheel scrolled the view away, j moves from the cursor
    and brings it back into view. Before the fix, ScrollView's own bindings answered
    pagedown/pageup/home/end/up/down: the view scrolled and the cursor stayed put."""
    user = dovecot.add_user()
    mailgen.write_maildir(
        user.maildir, "INBOX", mailgen.generate(200, seed=7, attachment_ratio=0, html_ratio=0)
    )
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        await wait_for(pilot, lambda: len(rows.rows) == 200)
        height = rows.scrollable_content_region.height
        page = rows.page_rows

        def on_screen(index: int) -> bool:
            """The row is in view and its subject is what the terminal shows there."""
            top = round(rows.scroll_y)
            env = rows.envelope(rows.rows[index])
            return (
                top <= index < top + height
                and env is not None
                and fmt.subject(env)[:20] in screen_text(app)
            )

        async def cursor_is(index: int) -> None:
            assert rows.cursor == index, (rows.cursor, index)
            assert on_screen(index)
            # The reader follows the cursor: the user sees that message.
            await wait_reader(pilot, app, rows.rows[index])

        await pilot.press("pagedown")
        await cursor_is(page)
        line = rows.cursor - round(rows.scroll_y)
        await pilot.press("pagedown")
        await cursor_is(2 * page)
        assert rows.cursor - round(rows.scroll_y) == line  # the view moved with the cursor
        await pilot.press("j")
        await cursor_is(2 * page + 1)
        await pilot.press("pageup")
        await cursor_is(page + 1)
        await pilot.press("k")
        await cursor_is(page)
        await pilot.press("end")
        await cursor_is(199)
        await pilot.press("pagedown")
        await cursor_is(199)
        await pilot.press("k")
        await cursor_is(198)
        await pilot.press("home")
        await cursor_is(0)
        assert rows.scroll_y == 0
        await pilot.press("down", "down")
        await cursor_is(2)
        await pilot.press("up")
        await cursor_is(1)
        await pilot.press("ctrl+d")
        await cursor_is(1 + page)
        await pilot.press("pageup")
        await cursor_is(1)
        # The wheel scrolls the view and leaves the cursor (as in mutt and most lists)...
        for _ in range(12):
            await pilot._post_mouse_events([events.MouseScrollDown], rows, offset=(10, 5))
        await wait_for(pilot, lambda: rows.scroll_y > height, what="the wheel to scroll")
        assert rows.cursor == 1
        # ...and the next j moves from the cursor and brings it back into view.
        await pilot.press("j")
        await cursor_is(2)
        for _ in range(12):
            await pilot._post_mouse_events([events.MouseScrollDown], rows, offset=(10, 5))
        await wait_for(pilot, lambda: rows.scroll_y > height, what="the wheel to scroll")
        await pilot.press("pagedown")
        await cursor_is(2 + page)
