"""The filter (&, :filter): only matching rows, composed with threads and sort; body
queries answered by the server; saved searches pinned in the folder tree."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mailtui.backend import query
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for


def _unseen(app: object) -> list[int]:
    service = app.main.service  # type: ignore[attr-defined]
    return service.cache().search("INBOX", query.parse("unseen"), limit=10**6)


async def test_filter_shows_only_matches_with_threads_and_sort(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main, rows = app.main, app.main.messages
        everything = list(rows.rows)
        unseen = _unseen(app)
        assert 0 < len(unseen) < len(everything)
        await pilot.press("ampersand", *"unseen", "enter")
        await wait_for(pilot, lambda: list(rows.rows) == unseen, what="only unseen rows")
        assert f"filter unseen: {len(unseen)} shown" in screen_text(app)
        # Threads: the matches only, threaded among themselves.
        await pilot.press("t")
        await wait_for(pilot, lambda: rows.depths is not None, what="threads")
        assert sorted(rows.rows) == sorted(unseen)
        await pilot.press("t")
        # Sort by from: the matches in the flat list's from order.
        await pilot.press("o")
        by_from = [u for u in main.service.view("INBOX", "from", True) if u in set(unseen)]
        await wait_for(pilot, lambda: list(rows.rows) == by_from, what="matches by sender")
        await pilot.press("o", "o", "o")
        await wait_for(pilot, lambda: main.listing.spec.sort == "date")
        # A message read elsewhere leaves the filtered list on the next reload.
        client = dovecot.client(filled_user)
        client.select_folder("INBOX")
        client.add_flags([unseen[0]], [b"\\Seen"])
        client.logout()
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: unseen[0] not in rows.rows, timeout=20, what="read leaves")
        # escape: everything again, the status bar says no filter.
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(rows.rows) == len(everything), what="all rows")
        assert "filter" not in screen_text(app)
        # A query that cannot be read is a toast; the list stays as it was.
        await pilot.press("ampersand", *'subject:"open', "enter")
        await wait_for(pilot, lambda: app._notifications, what="the query error")
        assert "close the quotes" in " ".join(str(n.message) for n in app._notifications)
        assert len(rows.rows) == len(everything)


async def test_body_query_is_answered_by_the_server(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=10)
    raw = mailgen.make_message(
        subject="Quarterly numbers",
        body="The secret word is zanzibarite.\n",
        date=datetime(2024, 1, 9, 12, 0, tzinfo=UTC),
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw)])
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        await pilot.press("ampersand", *"body:zanzibarite", "enter")
        await wait_for(pilot, lambda: len(rows.rows) == 1, what="the one body match")
        env = rows.envelope(rows.rows[0])
        assert env is not None and env.subject == "Quarterly numbers"
        assert "filter body:zanzibarite: 1 shown" in screen_text(app)


async def test_saved_search_in_the_folder_tree(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    saved = [{"name": "Unread in the inbox", "query": "unseen"}]
    app = make_app(
        dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1, "saved_searches": saved}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main, rows = app.main, app.main.messages
        assert "Saved searches" in screen_text(app)
        assert "Unread in the inbox" in screen_text(app)
        everything = len(rows.rows)
        # Open another folder, then the saved search from the tree.
        main.open_folder(main.account, "Archive")
        await wait_for(pilot, lambda: main.folder == "Archive" and len(rows.rows) == 25)
        tree = main.folder_tree
        tree.focus()
        node = next(n for n in tree.root.children[0].children if "Unread" in str(n.label))
        tree.move_cursor(node)
        await pilot.press("enter")
        unseen = _unseen(app)
        await wait_for(pilot, lambda: main.folder == "INBOX" and list(rows.rows) == unseen)
        assert len(unseen) < everything
        assert f"filter unseen: {len(unseen)} shown" in screen_text(app)


async def test_saved_searches_across_folders_and_accounts(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    from mailtui.ui.screens.results import ResultsScreen

    saved = [
        {"name": "Work anywhere", "query": "label:Work", "folder": "*"},
        {"name": "All inboxes", "query": "unseen", "account": "*"},
    ]
    app = make_app(
        dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1, "saved_searches": saved}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        service = main.service
        work = {
            (f.name, uid)
            for f in service.folders()
            if f.selectable
            for uid in service.cache().search(f.name, query.parse("label:Work"), limit=10**6)
        }
        assert {folder for folder, _ in work} >= {"Archive"}
        tree = main.folder_tree
        tree.focus()
        saved_node = tree.root.children[0]
        node = next(n for n in saved_node.children if "Work anywhere" in str(n.label))
        tree.move_cursor(node)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="results")
        results = app.screen
        assert {(h.folder, h.uid) for h in results.hits} == work
        dates = [h.date for h in results.hits]
        assert dates == sorted(dates, reverse=True)
        await wait_for(pilot, lambda: "Archive" in screen_text(app))
        # enter on an Archive hit: Archive opens with the cursor on it.
        index = next(i for i, h in enumerate(results.hits) if h.folder == "Archive")
        hit = results.hits[index]
        for _ in range(index):
            await pilot.press("j")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: main.folder == "Archive" and main.messages.cursor_uid == hit.uid,
            what="Archive open at the hit",
        )
        # The unified inbox: every account's INBOX (one account here), unread only.
        tree.focus()
        node = next(n for n in saved_node.children if "All inboxes" in str(n.label))
        tree.move_cursor(node)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen))
        assert {(h.account, h.folder, h.uid) for h in app.screen.hits} == {
            ("test", "INBOX", uid) for uid in _unseen(app)
        }
        await pilot.press("escape")
