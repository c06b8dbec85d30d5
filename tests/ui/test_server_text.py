"""What a server says (a NO's text, an [ALERT]) is shown literally, as mail text is:
escape sequences and C1 controls as visible stand-ins, bidi overrides gone, markup inert.

The hostile server is the scripted one (tests/support/scripted_imap): it answers the
app's UID STORE with a NO carrying terminal escapes, a C1 CSI, a bidi override and
Textual markup with an action.
"""

from __future__ import annotations

from pathlib import Path

from mailtui.model import FLAGGED
from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from tests.support import mailgen
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import ScriptedImap, hooks
from tests.ui.helpers import NOW, ready, screen_text, wait_for

HOSTILE = "\x1b]0;pwned\x07\x1b[31mred \u202etxe.exe [@click=app.quit]q[/] \x9b2J"


def _showing(app: MailApp, needle: str) -> str | None:
    """The screen's text once it shows `needle`."""
    text = screen_text(app)
    return text if needle in text else None


async def test_server_refusal_text_in_a_toast_stays_inert(
    scripted_imap: ScriptedImap, tmp_path: Path
) -> None:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(3, seed=12, seen_ratio=1.0))
    scripted_imap.on("UID STORE", hooks.reply("NO", HOSTILE, code="ALERT"))
    ctx = scripted_context(scripted_imap, tmp_path, ui={"mark_read_delay": -1})
    app = MailApp(ctx, clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot, app)
        await pilot.press("s")  # flag: the server refuses with the hostile text
        toast = await wait_for(
            pilot,
            lambda: next((n for n in app._notifications if "pwned" in n.message), None),
            what="the refusal's toast",
        )
        await pilot.pause()
        # What the toast says: stand-ins (␛ ␇ and U+FFFD for the C1 CSI), no override.
        assert "␛]0;pwned␇␛[31mred" in toast.message
        assert "[@click=app.quit]q[/]" in toast.message and not toast.markup
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in toast.message
        text = await wait_for(pilot, lambda: _showing(app, "pwned"), what="the toast on the screen")
        assert "␛]0;pwned␇" in text
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in text
        # Clicking the "link" in the toast runs nothing: the app is still there.
        rows = text.splitlines()
        y = next(i for i, row in enumerate(rows) if "[@click" in row)
        x = rows[y].index("[@click") + 2
        await pilot.click(offset=(x, y))
        await pilot.pause()
        assert app.is_running
        # The server holds no flag (it refused), and the app says so by the same toast.
        assert FLAGGED not in scripted_imap.store.flags("INBOX")[3]
    ctx.close()


async def test_server_goodbye_text_in_the_offline_banner_stays_inert(
    scripted_imap: ScriptedImap, tmp_path: Path
) -> None:
    """A server that greets with `* BYE <hostile text>`: the app is offline, and the
    banner quotes the text with stand-ins."""
    scripted_imap.on("GREETING", hooks.greeting(f"* BYE {HOSTILE}\r\n".encode()))
    ctx = scripted_context(scripted_imap, tmp_path, ui={"mark_read_delay": -1})
    app = MailApp(ctx, clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        # The banner says "Offline" from the start (nothing connected yet) and gains the
        # server's words when the refused connection reports them.
        text = await wait_for(pilot, lambda: _showing(app, "pwned"), what="the BYE in the banner")
        assert "Offline" in text and "BYE" in text
        for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert raw not in text
    ctx.close()
