"""Triage in the results of a search across accounts (the unified inbox), with real keys:
each key acts on the row's own account and folder; a fresh client checks the server."""

from __future__ import annotations

from pathlib import Path

import imapclient
import pytest

from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from mailtui.ui.screens.editor import EditorScreen
from mailtui.ui.screens.results import ResultsScreen
from mailtui.usecase.search_all import Hit
from tests.support import mailgen
from tests.support.accounts import imap_table, server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, ready, screen_text, wait_for, wait_server


@pytest.fixture(autouse=True)
def no_external_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def _app(dovecot: Dovecot, users: dict[str, MailUser], cache: Path) -> MailApp:
    accounts = {
        name: {"email": f"{user.name}@example.test", "imap": imap_table(dovecot, user)}
        for name, user in users.items()
    }
    ui = {
        "download_dir": str(cache / "downloads"),
        "mark_read_delay": -1,
        "send_delay": 0,
        "saved_searches": [{"name": "All inboxes", "query": "unseen", "account": "*"}],
    }
    ctx = AppContext(make_settings(accounts, ui=ui), cache_dir=cache)
    return MailApp(ctx, clock=fixed_clock(NOW))


def _uid_of(client: imapclient.IMAPClient, folder: str, message_id: str) -> int | None:
    client.select_folder(folder, readonly=True)
    found = client.search(["HEADER", "Message-ID", message_id])
    return found[0] if found else None


def _where(dovecot: Dovecot, user: MailUser, message_id: str) -> set[str]:
    """The folders holding the message, as a fresh client sees the server."""
    client = dovecot.client(user)
    try:
        return {
            folder
            for folder in ("INBOX", "Archive", "Trash", "Sent")
            if _uid_of(client, folder, message_id) is not None
        }
    finally:
        client.logout()


def _flags(dovecot: Dovecot, user: MailUser, folder: str, message_id: str) -> frozenset[str]:
    client = dovecot.client(user)
    try:
        uid = _uid_of(client, folder, message_id)
        return server_flags(client, folder)[uid] if uid is not None else frozenset()
    finally:
        client.logout()


async def test_keys_in_the_unified_inbox_act_on_each_rows_account(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    users = {"one": dovecot.add_user(), "two": dovecot.add_user()}
    for n, user in enumerate(users.values()):
        mailgen.populate_standard(user, inbox=12, seed=40 + n)
        unread = mailgen.generate(6, seed=50 + n, seen_ratio=0.0, flagged_ratio=0.0)
        mailgen.write_maildir(user.maildir, "INBOX", unread)
    app = _app(dovecot, users, tmp_path / "cache")
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app, synced=False)
        for service in app.services.values():
            await wait_for(
                pilot,
                lambda s=service: (
                    s.folder_state("INBOX").synced and s.folder_state("Archive").synced
                ),
                timeout=30,
                what="both accounts synced",
            )
        main = app.main
        tree = main.folder_tree
        tree.focus()
        node = next(n for n in tree.root.children[0].children if "All inboxes" in str(n.label))
        tree.move_cursor(node)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="results")
        results: ResultsScreen = app.screen  # type: ignore[assignment]
        assert {h.account for h in results.hits} == {"one", "two"}

        def mid(hit: Hit) -> str:
            env = app.services[hit.account].envelope(hit.folder, hit.uid)
            assert env is not None
            return env.message_id

        async def go_to(account: str) -> Hit:
            """The cursor onto the first row of `account`."""
            options = results.query_one("#picker-options")
            index = next(i for i, h in enumerate(results.hits) if h.account == account)
            while options.highlighted != index:
                await pilot.press("j" if (options.highlighted or 0) < index else "k")
            return results.hits[index]

        # d on a row of account two: to two's Trash, the row leaves the results.
        hit = await go_to("two")
        gone = mid(hit)
        await pilot.press("d")
        assert hit not in results.hits
        await wait_server(lambda: _where(dovecot, users["two"], gone) == {"Trash"}, what="d")
        # u undoes it there: back in two's INBOX, and back in the results.
        await pilot.press("u")
        await wait_server(lambda: _where(dovecot, users["two"], gone) == {"INBOX"}, what="u")
        await wait_for(pilot, lambda: gone in {mid(h) for h in results.hits}, what="the row back")

        # a on a row of account one: into one's Archive.
        hit = await go_to("one")
        archived = mid(hit)
        await pilot.press("a")
        await wait_server(lambda: _where(dovecot, users["one"], archived) == {"Archive"}, what="a")
        assert _where(dovecot, users["two"], archived) == set()  # not the other account

        # s and U on a row of two: flagged and read, in two's INBOX; the row says so.
        hit = await go_to("two")
        starred = mid(hit)
        was_flagged = hit.flagged  # s toggles: the flag goes the other way
        await pilot.press("s", "U")

        def toggled() -> bool:
            flags = _flags(dovecot, users["two"], "INBOX", starred)
            return "\\Seen" in flags and ("\\Flagged" in flags) != was_flagged

        await wait_server(toggled, what="s and U")
        row = next(h for h in results.hits if mid(h) == starred)
        assert row.flagged != was_flagged and not row.unread

        # m on a row of one: the picker lists one's folders; Sent is where it goes.
        hit = await go_to("one")
        moved = mid(hit)
        await pilot.press("m")
        await wait_for(pilot, lambda: "to a folder of one" in screen_text(app), what="picker")
        await pilot.press(*"Sent", "enter")
        await wait_server(lambda: _where(dovecot, users["one"], moved) == {"Sent"}, what="m")

        # c on a row of one: a copy in one's Archive, the row stays; l labels two's.
        hit = await go_to("one")
        copied = mid(hit)
        await pilot.press("c")
        await wait_for(pilot, lambda: "to a folder of one" in screen_text(app), what="picker")
        await pilot.press(*"Archive", "enter")
        await wait_server(
            lambda: _where(dovecot, users["one"], copied) == {"INBOX", "Archive"}, what="c"
        )
        assert copied in {mid(h) for h in results.hits}
        hit = await go_to("two")
        labelled = mid(hit)
        await pilot.press("l")
        await wait_for(pilot, lambda: "Label the message" in screen_text(app), what="labels")
        await pilot.press(*"todo", "enter")
        await wait_server(
            lambda: "todo" in _flags(dovecot, users["two"], "INBOX", labelled), what="l"
        )

        # r on a row of two: its folder opens in two and the reply is written there.
        hit = await go_to("two")
        subject = hit.subject
        await pilot.press("r")
        await wait_for(
            pilot, lambda: isinstance(app.screen, EditorScreen), timeout=20, what="the editor"
        )
        assert main.account == "two" and main.folder == "INBOX"
        assert f"Re: {subject}" in app.screen.query_one("TextArea").text  # type: ignore[attr-defined]


async def test_search_every_folder_from_the_command_line_then_delete_a_hit(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """`:search * label:Work`: the Work mail of every folder; d on a hit of Archive puts
    that message in Trash on the server (its own folder, not the folder on screen)."""
    app = _app(dovecot, {"test": filled_user}, tmp_path / "cache")
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("colon", *"search * label:Work", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="results")
        results: ResultsScreen = app.screen  # type: ignore[assignment]
        assert "Archive" in {h.folder for h in results.hits}
        assert app.main.folder == "INBOX"  # the folder on screen stays
        index = next(i for i, h in enumerate(results.hits) if h.folder == "Archive")
        hit = results.hits[index]
        env = app.services["test"].envelope("Archive", hit.uid)
        assert env is not None
        for _ in range(index):
            await pilot.press("j")
        await pilot.press("d")
        await wait_server(
            lambda: _where(dovecot, filled_user, env.message_id) == {"Trash"}, what="d"
        )
