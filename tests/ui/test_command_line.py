"""The `:` command line: completion, each command, errors, and [ui.keys] bound to lines;
folder operations against the real Dovecot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailtui.ui.commandline import Sources, complete, parse_line
from mailtui.ui.screens.command import CommandLine
from mailtui.ui.screens.editor import ConfirmScreen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_server


def _toasts(app: Any) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def _line(pilot: Any, app: Any, line: str) -> None:
    """Type a command line as the user does: :, the text, enter."""
    await pilot.press("colon")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandLine))
    await pilot.press(*line, "enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandLine))


def _server_count(client: Any, folder: str) -> int:
    return len(client.select_folder(folder, readonly=True) and client.search(["ALL"]))


def _server_folders(client: Any) -> set[str]:
    return {name for _flags, _delim, name in client.list_folders()}


def test_completion_of_names_folders_labels_and_paths(tmp_path: Path) -> None:
    sources = Sources(
        folders=lambda: ["INBOX", "Archive", "Archive/2025", "Lists/rust users"],
        labels=lambda: ["todo", "waiting"],
    )
    assert complete("mo", sources) == ["move "]
    assert complete("move Arch", sources) == ["move Archive", "move Archive/2025"]
    assert complete("move Lists/r", sources) == ['move "Lists/rust users"']
    assert complete("label +todo -w", sources) == ["label +todo -waiting "]
    assert complete("label t", sources) == ["label +todo "]
    assert complete("sort su", sources) == ["sort subject "]
    assert complete("folder cr", sources) == ["folder create "]
    assert complete("folder delete Arch", sources)[0] == "folder delete Archive"
    (tmp_path / "mail.eml").write_text("x")
    (tmp_path / "maildir").mkdir()
    assert complete(f"save {tmp_path}/ma", sources) == [
        f"save {tmp_path}/mail.eml",
        f"save {tmp_path}/maildir/",
    ]
    assert parse_line(':move "Lists/rust users"').args == ("Lists/rust users",)
    assert parse_line(":limit unseen").name == "filter"


async def test_commands_run_against_the_server(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main, rows = app.main, app.main.messages
        archive_before = _server_count(client, "Archive/2025")
        # : opens the line; Tab completes the command, then the folder.
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLine))
        await pilot.press("m", "o", "tab")
        assert app.screen.field.value == "move "
        await pilot.press(*"Archive/20", "tab")
        assert app.screen.field.value == "move Archive/2025"
        uid = rows.cursor_uid
        await pilot.press("enter")
        await wait_for(pilot, lambda: uid not in rows.rows, what="moved off the list")
        await wait_server(
            lambda: _server_count(client, "Archive/2025") == archive_before + 1,
            what="the move on the server",
        )
        # :label adds and removes in one go.
        uid = rows.cursor_uid
        assert main.commands.run("label +todo +waiting")
        await wait_server(lambda: {"todo", "waiting"} <= server_flags(client, "INBOX")[uid])
        assert main.commands.run("label -waiting")
        await wait_server(
            lambda: (
                "waiting" not in server_flags(client, "INBOX")[uid]
                and "todo" in server_flags(client, "INBOX")[uid]
            ),
            what="waiting removed, todo kept",
        )
        # :sort, :search, :filter.
        assert main.commands.run("sort subject")
        await wait_for(
            pilot, lambda: list(rows.rows) == main.service.view("INBOX", "subject", True)
        )
        assert main.commands.run("sort date desc")
        await wait_for(pilot, lambda: main.listing.spec.sort == "date")
        sender = rows.envelope(rows.rows[0]).from_[0].addr  # type: ignore[union-attr]
        assert main.commands.run(f"search from:{sender}")
        await wait_for(pilot, lambda: rows.matches, what="search matches")
        assert f"/from:{sender}" in screen_text(app)
        assert main.commands.run("filter unseen")
        await wait_for(pilot, lambda: "filter unseen" in screen_text(app))
        assert main.commands.run("filter")
        await wait_for(pilot, lambda: "filter" not in main.status.status.filter)
        # Mistakes are toasts naming the problem.
        assert not main.commands.run("bogus")
        assert not main.commands.run("move Nowhere")
        assert not main.commands.run("sort colour")
        await wait_for(pilot, lambda: "Unknown command 'bogus'" in _toasts(app))
        await wait_for(pilot, lambda: "No folder 'Nowhere'" in _toasts(app))
        # An action by name.
        assert main.commands.run("toggle-threads")
        await wait_for(pilot, lambda: rows.depths is not None, what="threads by :toggle-threads")
    client.logout()


async def test_folder_commands_and_keys(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        tree = main.folder_tree
        assert main.commands.run("folder create Lists/new")
        await wait_server(lambda: "Lists/new" in _server_folders(client), what="created")
        await wait_for(pilot, lambda: tree.folder(main.account, "Lists/new") is not None)
        assert main.commands.run("folder rename Lists/new Lists/old")
        await wait_server(lambda: "Lists/old" in _server_folders(client), what="renamed")
        assert "Lists/new" not in _server_folders(client)
        # The user acts on the renamed folder once the tree shows it.
        await wait_for(pilot, lambda: tree.folder(main.account, "Lists/old") is not None)
        # Unsubscribe, and the tree's subscribed-only view hides it.
        assert main.commands.run("folder unsubscribe Lists/old")
        await wait_server(
            lambda: "Lists/old" not in {n for _f, _d, n in client.list_sub_folders()},
            timeout=30,
            what=f"unsubscribed (toasts: {_toasts(app)})",
        )
        await wait_for(pilot, lambda: not tree.folder(main.account, "Lists/old").subscribed)
        assert main.commands.run("toggle-subscribed")
        await wait_for(pilot, lambda: "old" not in screen_text(app), what="hidden")
        assert main.commands.run("toggle-subscribed")
        await wait_for(pilot, lambda: "old" in screen_text(app), what="shown again")
        assert main.commands.run("folder subscribe Lists/old")
        await wait_server(
            lambda: "Lists/old" in {n for _f, _d, n in client.list_sub_folders()},
            what="subscribed",
        )
        # Delete asks first, naming what it holds.
        await _line(pilot, app, "folder delete Archive/2025")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_for(
            pilot, lambda: "Delete the folder Archive/2025 and its 10 messages" in screen_text(app)
        )
        await pilot.press("n")
        assert "Archive/2025" in _server_folders(client)
        await _line(pilot, app, "folder delete Lists/old")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_for(pilot, lambda: "it is empty" in screen_text(app))
        await pilot.press("y")
        await wait_server(lambda: "Lists/old" not in _server_folders(client), what="deleted")
        # M marks the open folder read, on the server.
        assert any("\\Seen" not in f for f in server_flags(client, "INBOX").values())
        await pilot.press("M")
        await wait_server(
            lambda: all("\\Seen" in f for f in server_flags(client, "INBOX").values()),
            what="INBOX all read",
        )
        await wait_for(pilot, lambda: "read in INBOX" in _toasts(app), what="the toast")
    client.logout()


async def test_keys_bound_to_command_lines(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    keys = {"g a": ":move Archive", "ctrl+t": ":label +todo"}
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1, "keys": keys})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        uid = rows.cursor_uid
        await pilot.press("ctrl+t")
        await wait_server(lambda: "todo" in server_flags(client, "INBOX")[uid], what="ctrl+t")
        before = _server_count(client, "Archive")
        await pilot.press("g", "a")
        await wait_for(pilot, lambda: uid not in rows.rows, what="g a moved it")
        await wait_server(lambda: _server_count(client, "Archive") == before + 1)
        # g alone still goes to the first message (after the wait for a second key).
        await pilot.press("G")
        assert rows.cursor > 0
        await pilot.press("g")
        await wait_for(pilot, lambda: rows.cursor == 0, what="g alone: first")
        # g then another key: first, then that key's own action (j: down one).
        await pilot.press("G", "g", "j")
        await wait_for(pilot, lambda: rows.cursor == 1, what="g j: first, then down")
    client.logout()
