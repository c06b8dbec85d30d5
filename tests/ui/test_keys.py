"""One action registry: keys, [ui.keys] overrides, help screen, footer and command palette agree."""

from __future__ import annotations

import re
from pathlib import Path

from mailtui.model import FLAGGED
from mailtui.ui.keymap import ACTIONS, BY_NAME, build_keymap, normalize_keys
from mailtui.ui.screens.main import MainScreen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_server


def test_every_action_has_a_handler_and_distinct_default_keys() -> None:
    seen: dict[str, str] = {}
    for spec in ACTIONS:
        assert callable(getattr(MainScreen, f"action_{spec.name}", None)), spec.name
        for key in normalize_keys(spec.keys):
            assert key not in seen, f"{key!r} bound to {seen.get(key)} and {spec.name}"
            seen[key] = spec.name
    # The keys are all there.
    for name, key in {
        "cursor_down": "j", "next_unread": "J", "prev_unread": "K", "first": "g", "last": "G",
        "open": "enter", "page": "space", "focus_next_pane": "tab", "search": "slash",
        "search_next": "n", "search_prev": "N", "delete": "d", "archive": "a", "move": "m",
        "copy": "c", "flag": "s", "toggle_read": "U", "label": "l", "undo": "u",
        "toggle_threads": "t", "sort": "o", "visual": "v", "select_down": "shift+down",
        "reply": "r", "reply_all": "R", "forward": "f", "help": "question_mark",
        "command_line": "colon", "command_palette": "ctrl+p", "quit": "q",
    }.items():  # fmt: skip
        assert key in normalize_keys(BY_NAME[name].keys), name


def test_keymap_overrides_and_problems() -> None:
    keymap = build_keymap({"delete": "D,delete", "flag": "?", "frobnicate": "z", "archve": "A"})
    assert keymap.keys("delete") == ["D", "delete"]
    assert keymap.keys("archive") == ["a"]
    problems = " ".join(keymap.problems)
    assert "'frobnicate' is not an action" in problems
    assert "did you mean 'archive'" in problems
    assert "'question_mark' is bound to both" in problems


async def test_help_shows_the_real_keys_and_overrides_work(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(
        dovecot, filled_user, tmp_path, ui={"keys": {"flag": "F2,asterisk", "go_folder": "g"}}
    )
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        # The clash (g was "first") is reported, not silently lost.
        assert any("'g' is bound to both" in n.message for n in app._notifications)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "mailtui keys" in screen_text(app))
        await pilot.press("space", "space")  # the Triage keys are further down
        text = await wait_for(
            pilot,
            lambda: re.search(r"f2 \*\s+Flag or unflag", t := screen_text(app)) and t,
            what="f2 and * on the flag line",
        )
        assert re.search(r"\bd\s+Move to Trash", text)
        await pilot.press("escape")
        uid = app.main.messages.cursor_uid
        assert uid is not None
        was = FLAGGED in server_flags(client, "INBOX")[uid]
        await pilot.press("f2")
        await wait_server(
            lambda: (FLAGGED in server_flags(client, "INBOX")[uid]) != was, what="F2 flags"
        )
        # The footer shows registry titles.
        assert "d Delete" in screen_text(app)
    client.logout()


async def test_command_palette_runs_any_action(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path)
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        uid = app.main.messages.cursor_uid
        was = FLAGGED in server_flags(client, "INBOX")[uid or 0]
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen is not app.main)
        await pilot.press(*"flag")
        await wait_for(pilot, lambda: "Flag (s)" in screen_text(app), what="the Flag command")
        await pilot.press("enter")
        await wait_server(
            lambda: (FLAGGED in server_flags(client, "INBOX")[uid or 0]) != was, what="flagged"
        )
        # Every action is listed.
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen is not app.main)
        await pilot.press(*"thread")
        await wait_for(pilot, lambda: "Threads (t)" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)
        # The command line runs an action by its name too (: flag, enter: back as it was).
        await pilot.press("colon", *"flag", "enter")
        await wait_server(
            lambda: (FLAGGED in server_flags(client, "INBOX")[uid or 0]) == was, what=":flag"
        )
    client.logout()


async def test_tab_then_j_typed_fast_moves_in_the_new_pane(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """`tab j` arriving in one read scrolls the reader tab moved to; the list's cursor
    stays (it moved, when focus changed only at the next idle)."""
    from textual import events

    from mailtui.ui.widgets.reader import Reader
    from tests.support import mailgen

    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=30)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        await wait_for(pilot, lambda: rows.cursor_uid is not None, what="a cursor")
        assert app.screen.focused is rows
        before = rows.cursor_uid
        app.post_message(events.Key("tab", None))
        app.post_message(events.Key("j", "j"))
        await wait_for(pilot, lambda: isinstance(app.screen.focused, Reader), what="the reader")
        await pilot.pause()
        assert rows.cursor_uid == before
