"""The conversation view (V): INBOX, Sent and Archive stacked, folded, unfolded by enter."""

from __future__ import annotations

from pathlib import Path

from mailtui.ui.screens.conversation import ConversationScreen
from tests.conversation import corpus
from tests.support.dovecot import Dovecot
from tests.ui.helpers import make_app, ready, screen_text, wait_for


async def test_v_stacks_the_conversation_from_every_folder(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    corpus.populate(user)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        rows.move_to(rows.index_of(2) or 0)  # C, newest first: X, C, A
        assert rows.cursor_uid == 2
        await pilot.press("V")
        screen = await wait_for(
            pilot,
            lambda: isinstance(app.screen, ConversationScreen) and app.screen,
            what="the conversation view",
        )

        def loaded() -> bool:
            return len(screen.entries) == 4 and all(e.text is not None for e in screen.entries)

        await wait_for(pilot, loaded, what="four bodies")
        await pilot.pause()
        text = screen_text(app)
        assert "4 messages · Archive, INBOX, Sent" in text
        # A and B (read, older) are folded to their first lines; the quote in B is not shown.
        assert "[INBOX, Archive]" in text  # A: INBOX's copy, also in Archive
        assert "Shall we move the launch to Thursday? The printer is late." in text
        assert "[Sent]" in text and "Thursday works for me." in text
        assert "> Thursday works for me." not in text
        # C (opened, unread) is open with its quote folded; D (read, newer) folded.
        assert "Great, Thursday it is. I will tell the venue." in text
        assert "quoted lines — enter shows it" in text
        assert "[Archive]" in text and "I booked the room for Thursday at ten." in text
        assert [e.fold for e in screen.entries] == ["folded", "folded", "open", "folded"]
        assert app.screen.focused is screen.entries[2].widget
        # enter shows C's quoted text, then folds C; k and enter open B.
        await pilot.press("enter")
        await wait_for(pilot, lambda: "> Thursday works for me." in screen_text(app), what="quote")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "quoted lines" not in screen_text(app), what="C folded again")
        await pilot.press("k", "enter")
        await wait_for(pilot, lambda: screen.entries[1].fold == "open", what="B open")
        await wait_for(
            pilot, lambda: "quoted lines — enter shows it" in screen_text(app), what="B's fold"
        )
        # Opening the conversation marked nothing read; q goes back to the list.
        assert not app.main.service.envelope("INBOX", 2).seen  # type: ignore[union-attr]
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is app.main, what="back to the list")
        # Threads (t): the conversation's first row counts what other folders hold
        # (B in Sent, D in Archive; A's copy in Archive is no extra message).
        await pilot.press("t")
        await wait_for(
            pilot, lambda: "Launch date (+2 elsewhere)" in screen_text(app), what="the count"
        )
        assert screen_text(app).count("elsewhere") == 1  # "Lunch?" has none
        await pilot.press("t")
        await wait_for(pilot, lambda: "elsewhere" not in screen_text(app), what="flat again")
