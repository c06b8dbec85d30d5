"""Text from strangers is shown literally: no markup, no actions, no terminal escapes."""

from __future__ import annotations

from pathlib import Path

from mailtui.text.safe import safe_filename
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_reader

MARKUP = "[@click=app.quit]x[/]"
ESCAPE = "\x1b]0;pwned\x07\x1b[31mred"


async def test_hostile_subject_sender_body_and_folder_render_literally(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user: MailUser = dovecot.add_user()
    raw = mailgen.make_message(
        subject=f"{MARKUP} {ESCAPE}",
        sender=f'"[b]Boss[/b] {ESCAPE}" <boss@example.com>',
        body=f"Click {MARKUP}\nand {ESCAPE}\n[red]not red[/red]\n",
        attachments=[(f"{MARKUP}.txt", "application/octet-stream", b"data")],
        date=NOW,
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "[@click=app:quit]Odd", [])
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app, 1)
        text = screen_text(app)
        # The markup is text; clicking it does nothing because it is not an action.
        assert MARKUP in text
        assert "[b]Boss[/b]" in text
        assert "[red]not red[/red]" in text
        assert "[@click=app:quit]Odd" in text
        # ESC and BEL are visible stand-ins (␛, ␇), never raw bytes on the terminal.
        assert "\x1b" not in text and "\x07" not in text
        assert "␛]0;pwned␇␛[31mred" in text
        svg = app.export_screenshot()
        assert "\x1b" not in svg
        # Clicking the subject in the list and the reader runs nothing.
        await pilot.click("#messages", offset=(40, 0))
        await pilot.click("#reader-headers", offset=(12, 4))
        await pilot.pause()
        assert app.is_running
        # The attachment name is reduced to a safe basename.
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        assert safe_filename(f"{MARKUP}.txt") in screen_text(app)
        await pilot.press("escape")
        assert app.is_running
