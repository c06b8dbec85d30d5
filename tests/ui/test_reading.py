"""Opening a folder, moving around and reading plain, HTML and attachment mail, with real keys."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailtui.model import SEEN
from mailtui.ui.screens.command import CommandLine
from tests.support import mailgen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader, wait_server

T0 = datetime(2024, 1, 9, 9, 0, tzinfo=UTC)
PDF = mailgen.attachment_payload("application/pdf", 3000)

PLAIN = """Hi,

the numbers are in: see https://example.com/q3 for details.

On Monday, Bob wrote:
> line one of the quote
> line two
> line three
> line four
> line five
> line six
> line seven
>> and a deeper one

Regards,
Alice
--\x20
Alice Example
Head of Things
"""

HTML = (
    "<html><body><p>Hello from <b>HTML</b>.</p>"
    '<p><a href="https://example.org/deal">the deal</a> and '
    '<a href="javascript:alert(1)">a trap</a></p></body></html>'
)


def _mail(subject: str, minutes: int, **kw: object) -> mailgen.GenMessage:
    when = T0 + timedelta(minutes=minutes)
    raw = mailgen.make_message(subject=subject, date=when, **kw)  # type: ignore[arg-type]
    return mailgen.from_bytes(raw, internaldate=when)


@pytest.fixture
def reading_user(dovecot: Dovecot) -> MailUser:
    """INBOX, oldest first: plain (uid 1), HTML only (2), both (3), with a PDF (4)."""
    user = dovecot.add_user()
    mailgen.write_maildir(
        user.maildir,
        "INBOX",
        [
            _mail("Plain with quotes", 1, body=PLAIN),
            _mail("Only HTML", 2, body="", html=HTML),
            _mail(
                "Both versions",
                3,
                body="The plain version.\n",
                html="<p>The <i>HTML</i> version.</p>",
            ),
            _mail(
                "Report attached",
                4,
                body="See the attachment.\n",
                attachments=[("../../etc/q3 report.pdf", "application/pdf", PDF)],
            ),
        ],
    )
    mailgen.write_maildir(user.maildir, "Archive", [])
    return user


async def test_open_move_and_read_plain(
    reading_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, reading_user, tmp_path, ui={"mark_read_delay": 0.2})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        # Newest first: the attachment mail is on top.
        assert list(main.messages.rows) == [4, 3, 2, 1]
        text = screen_text(app)
        assert "Report attached" in text and "Plain with quotes" in text
        assert "Inbox" in text and "4 messages, 4 unread" in text
        await pilot.press("G")
        assert main.messages.cursor_uid == 1
        await wait_reader(pilot, app, 1)
        text = screen_text(app)
        assert "From:    Alice Example <alice@example.com>" in text
        assert "Subject: Plain with quotes" in text
        assert "https://example.com/q3" in text
        # The long quote is folded; T unfolds it.
        assert "quoted lines — T unfolds" in text
        assert "line seven" not in text
        await pilot.press("T")
        assert "line seven" in screen_text(app)
        assert "Alice Example" in text and "Head of Things" in text
        # Read after the delay, on the server too (checked over a second connection).
        client = dovecot.client(reading_user)
        await wait_server(lambda: SEEN in server_flags(client, "INBOX")[1], what="uid 1 seen")
        # k moves up; the reader follows.
        await pilot.press("k")
        assert main.messages.cursor_uid == 2
        await wait_reader(pilot, app, 2)
        client.logout()


async def test_html_links_alternatives_and_attachments(
    reading_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, reading_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        # HTML only: converted, links numbered and listed, the javascript: one inert.
        main.messages.move_to(main.messages.index_of(2))
        await wait_reader(pilot, app, 2)
        text = screen_text(app)
        assert "Hello from **HTML**" in text or "Hello from HTML" in text
        assert "[1] https://example.org/deal" in text
        assert "(inert: not opened)" in text
        # L lists the links and addresses; y copies through the terminal (OSC 52).
        await pilot.press("L")
        await wait_for(pilot, lambda: "Links and addresses" in screen_text(app))
        await pilot.press("y")
        assert app.clipboard == "https://example.org/deal"
        # Both versions: plain first; H switches to HTML and back.
        await pilot.press("k")
        await wait_reader(pilot, app, 3)
        assert "The plain version." in screen_text(app)
        assert (
            main.reader.shown_part is not None and main.reader.shown_part.mime_type == "text/plain"
        )
        await pilot.press("H")
        await wait_for(
            pilot,
            lambda: "The _HTML_ version." in screen_text(app) or "HTML version" in screen_text(app),
        )
        assert main.reader.shown_part.mime_type == "text/html"
        await pilot.press("H")
        await wait_for(pilot, lambda: "The plain version." in screen_text(app))
        # The attachment: listed with type and size; saved under a safe name, never over a file.
        await pilot.press("k")
        await wait_reader(pilot, app, 4)
        text = screen_text(app)
        assert "q3 report.pdf" in text and "application/pdf" in text
        downloads = tmp_path / "downloads"
        downloads.mkdir()
        (downloads / "q3 report.pdf").write_bytes(b"keep me")
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("s")
        # s asks where, the download folder filled in; enter takes it.
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLine), what="the path")
        assert app.screen.field.value.rstrip("/").endswith("downloads")
        await pilot.press("enter")
        saved = downloads / "q3 report (1).pdf"
        await wait_for(pilot, saved.exists, what="the saved attachment")
        await wait_for(pilot, lambda: saved.stat().st_size == len(PDF))
        assert saved.read_bytes() == PDF
        assert (downloads / "q3 report.pdf").read_bytes() == b"keep me"
        await wait_for(
            pilot,
            lambda: any(str(saved) in n.message for n in app._notifications),
            what="the saved path shown",
        )
        # Nothing was marked read (mark_read_delay < 0).
        client = dovecot.client(reading_user)
        assert not any(SEEN in f for f in server_flags(client, "INBOX").values())
        client.logout()


async def test_cached_message_opens_without_the_network(
    private_dovecot: Dovecot, tmp_path: Path
) -> None:
    user = private_dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", [_mail("Read me later", 1, body="Cached body.\n")])
    app = make_app(private_dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app, 1)
        private_dovecot.stop()
        main = app.main
        main.reader.clear()
        await pilot.press("enter")
        await wait_reader(pilot, app, 1)
        assert main.reader.loaded is not None and main.reader.loaded.from_cache
        assert "Cached body." in screen_text(app)


async def test_open_command_opens_attachments_and_links(
    reading_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """`open_command` gets the saved attachment's path, or the link, as its last argument."""
    log = tmp_path / "opened.txt"
    script = tmp_path / "opener.py"
    script.write_text(
        "import sys, pathlib\n"
        "arg = sys.argv[1]\n"
        "p = pathlib.Path(arg)\n"
        f"out = pathlib.Path({str(log)!r})\n"
        "out.write_text(arg + '\\n' + (str(len(p.read_bytes())) if p.is_file() else 'url'))\n"
    )
    opener = f"{sys.executable} {script}"
    app = make_app(
        dovecot, reading_user, tmp_path, ui={"mark_read_delay": -1, "open_command": opener}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_reader(pilot, app, 4)
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, log.exists, what="the opener to run")
        path, size = log.read_text().split("\n")
        assert path.endswith("q3 report.pdf") and int(size) == len(PDF)
        assert not path.startswith(str(tmp_path / "downloads"))  # a private temp dir
        log.unlink()
        app.main.messages.move_to(app.main.messages.index_of(2))
        await wait_reader(pilot, app, 2)
        await pilot.press("L")
        await wait_for(pilot, lambda: "Links and addresses" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, log.exists, what="the opener to run")
        assert log.read_text() == "https://example.org/deal\nurl"
