"""Triage in the conversation view: d, a, s, U, u and r act on the focused message in
its own folder, and the real Dovecot then holds what the keys said."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from mailtui.model import FLAGGED, SEEN
from mailtui.ui.screens.conversation import ConversationScreen
from tests.conversation import corpus
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_server
from tests.ui.test_triage import message_ids

A, B, C, D = (f"<{x}@example.test>" for x in "abcd")


async def test_triage_keys_act_on_the_focused_message_in_its_own_folder(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    corpus.populate(user)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        rows.move_to(rows.index_of(2) or 0)  # C, unread, in INBOX
        await pilot.press("V")
        screen = await wait_for(
            pilot,
            lambda: isinstance(app.screen, ConversationScreen) and app.screen,
            what="the conversation view",
        )
        await wait_for(pilot, lambda: len(screen.entries) == 4, what="four messages")
        assert app.screen.focused is screen.entries[2].widget  # C

        # s flags C in INBOX; U marks it read there.
        await pilot.press("s")
        await wait_server(
            lambda: FLAGGED in server_flags(client, "INBOX").get(2, frozenset()), what="C flagged"
        )
        await wait_for(pilot, lambda: "⚑ flagged" in screen_text(app), what="the flag shown")
        await pilot.press("U")
        await wait_server(
            lambda: SEEN in server_flags(client, "INBOX").get(2, frozenset()), what="C read"
        )

        # k to B (in Sent), d: it leaves the view and the server moves it to Trash.
        await pilot.press("k", "d")
        await wait_for(pilot, lambda: len(screen.entries) == 3, what="B gone from the view")
        assert "Thursday works for me." not in screen_text(app)
        await wait_server(
            lambda: B not in message_ids(client, "Sent") and B in message_ids(client, "Trash"),
            what="B in Trash",
        )
        # u brings it back to Sent, and the view shows it again.
        await pilot.press("u")
        await wait_server(lambda: B in message_ids(client, "Sent"), what="B back in Sent")
        await wait_for(
            pilot,
            lambda: len(screen.entries) == 4 and screen.entries[1].message.folder == "Sent",
            what="B back in the view, from Sent",
        )
        assert B not in message_ids(client, "Trash")

        # r answers the focused message (C), not the list's cursor.
        focused = next(e for e in screen.entries if e.widget is app.screen.focused)
        assert (focused.message.folder, focused.message.uid) == ("INBOX", 2)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        text = app.screen.query_one(TextArea).text
        assert "Subject: Re: Launch date" in text
        assert "> Great, Thursday it is. I will tell the venue." in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back to the conversation")

        # a archives C: INBOX no longer holds it, Archive does.
        focused = next(e for e in screen.entries if e.widget is app.screen.focused)
        assert focused.message.uid == 2
        await pilot.press("a")
        await wait_server(
            lambda: C not in message_ids(client, "INBOX") and C in message_ids(client, "Archive"),
            what="C archived",
        )
        assert A in message_ids(client, "INBOX") and D in message_ids(client, "Archive")
    client.logout()


async def test_keys_typed_fast_act_on_the_message_moved_to(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """`j d` arriving in one read (a fast typist, a paste, a slow link) deletes the
    message j moved to, not the one focused before it."""
    from textual import events

    user = dovecot.add_user()
    corpus.populate(user)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        rows.move_to(rows.index_of(2) or 0)  # C
        await pilot.press("V")
        screen = await wait_for(
            pilot,
            lambda: isinstance(app.screen, ConversationScreen) and app.screen,
            what="the conversation view",
        )
        await wait_for(pilot, lambda: len(screen.entries) == 4, what="four messages")
        await pilot.press("k", "k")  # A, the oldest
        await wait_for(pilot, lambda: app.screen.focused is screen.entries[0].widget, what="A")
        # Both keys queued before either is handled, as a terminal delivers them.
        app.post_message(events.Key("j", "j"))
        app.post_message(events.Key("d", "d"))
        await wait_for(pilot, lambda: len(screen.entries) == 3, what="one message gone")
        assert [e.message.folder for e in screen.entries] == ["INBOX", "INBOX", "Archive"]
        await wait_server(
            lambda: B not in message_ids(client, "Sent") and B in message_ids(client, "Trash"),
            what="B (the one j moved to) in Trash",
        )
        assert A in message_ids(client, "INBOX")
    client.logout()
