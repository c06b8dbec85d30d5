"""| pipe, S save (.eml, mbox), ctrl+u source, h headers — in the app, on Dovecot."""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from pathlib import Path

from mailtui.ui.screens.command import CommandLine
from mailtui.ui.screens.output import TextView
from tests.support import mailgen
from tests.support.dovecot import Dovecot
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader

HOSTILE = (
    b"From: Mallory <m@example.com>\r\n"
    b"To: you@example.com\r\n"
    b"Subject: Report for Q3\r\n"
    b"Date: Tue, 09 Jan 2024 12:00:00 +0000\r\n"
    b"Message-ID: <hostile@example.com>\r\n"
    b"X-Trap: \x1b]0;owned\x07 [@click=app.quit]click[/]\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Hello,\r\nthe numbers are in.\r\nzanzibar\r\n"
)


def _toasts(app: object) -> str:
    return " ".join(str(n.message) for n in app._notifications)  # type: ignore[attr-defined]


async def test_pipe_save_source_and_headers(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=5)
    newest = datetime(2024, 1, 9, 12, 0, tzinfo=UTC)
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(HOSTILE, internaldate=newest)])
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    downloads = tmp_path / "downloads"
    downloads.mkdir(exist_ok=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main, rows = app.main, app.main.messages
        uid = rows.cursor_uid
        assert rows.envelope(uid).subject == "Report for Q3"  # type: ignore[union-attr]
        await pilot.press("enter")
        await wait_reader(pilot, app, uid)
        # | opens the command line on "pipe "; the output is shown, with the exit status.
        await pilot.press("vertical_line")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLine))
        assert app.screen.field.value == "pipe "
        await pilot.press(*"grep -c zanzibar", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextView), what="the output")
        await wait_for(pilot, lambda: "exit 0" in screen_text(app))
        assert app.screen.body.strip() == "1"
        await pilot.press("q")
        # -d: the decoded text (no headers in it).
        assert main.commands.run("pipe -d grep -c X-Trap")
        await wait_for(pilot, lambda: isinstance(app.screen, TextView))
        assert app.screen.body.strip() == "0"
        await wait_for(pilot, lambda: "exit 1" in screen_text(app))
        await pilot.press("q")
        # ctrl+u: the raw source, every control character made visible.
        await pilot.press("ctrl+u")
        await wait_for(pilot, lambda: isinstance(app.screen, TextView), what="the source")
        body = app.screen.body
        assert "Message-ID: <hostile@example.com>" in body
        assert "\x1b" not in body and "\x07" not in body
        await wait_for(pilot, lambda: "[@click=app.quit]click[/]" in screen_text(app))
        await pilot.press("escape")
        # h: every header in the reader, cleaned; h again: the usual few.
        await pilot.press("h")
        await wait_for(pilot, lambda: main.reader.all_headers is not None, what="all headers")
        await wait_for(pilot, lambda: "Message-ID:" in screen_text(app))
        assert "X-Trap:" in screen_text(app)
        assert all("\x1b" not in v for _k, v in main.reader.all_headers or [])
        await pilot.press("h")
        await wait_for(pilot, lambda: "Message-ID:" not in screen_text(app))
        # S: the command line with the download dir and the subject filled in.
        await pilot.press("S")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLine))
        assert app.screen.field.value.startswith("save ") and "Report for Q3" in (
            app.screen.field.value
        )
        await pilot.press("enter")
        saved = downloads / "Report for Q3.eml"
        await wait_for(pilot, saved.exists, what="the .eml")
        assert saved.read_bytes().replace(b"\r\n", b"\n") == HOSTILE.replace(b"\r\n", b"\n")
        await wait_for(pilot, lambda: f"Saved to {saved}" in _toasts(app))
        # Again: never over the first one.
        await pilot.press("S", "enter")
        await wait_for(pilot, lambda: "exists already" in _toasts(app), what="no overwrite")
        # :save --mbox appends the selection.
        await pilot.press("escape")
        await pilot.press("x", "j", "x")
        box = tmp_path / "kept.mbox"
        assert main.commands.run(f"save --mbox {box}")
        await wait_for(pilot, lambda: box.exists() and len(mailbox.mbox(str(box))) == 2)
        assert main.commands.run(f"save {box}")  # *.mbox appends too
        await wait_for(pilot, lambda: len(mailbox.mbox(str(box))) == 4, what="appended")
        # Reading by pipe, save and source marked nothing read.
        env = main.service.envelope("INBOX", uid or 0)
        assert env is not None and not env.seen
