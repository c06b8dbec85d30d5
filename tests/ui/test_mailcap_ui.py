"""Attachments like mailcap in the app: v shows a copiousoutput entry's output, o runs
the mailcap entry (or [ui.openers], which comes first), s asks where; a hostile file
name and MIME type stay one inert argument."""

from __future__ import annotations

import ast
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from mailtui.ui.screens.command import CommandLine
from mailtui.ui.screens.output import TextView
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_reader

HOSTILE_NAME = "$(touch${IFS}PWNED).dat"
PAYLOAD = b"line one\nline two\nline three\n"


@pytest.fixture
def attached_user(dovecot: Dovecot) -> MailUser:
    user = dovecot.add_user()
    raw = mailgen.make_message(
        subject="Data attached",
        body="See the file.\n",
        attachments=[(HOSTILE_NAME, "application/x-weird", PAYLOAD)],
        date=NOW - timedelta(minutes=1),
    )
    mailgen.write_maildir(
        user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW - timedelta(minutes=1))]
    )
    return user


def _logger(tmp_path: Path, name: str) -> str:
    """A program that logs its arguments and the size of the file it was given."""
    script = tmp_path / f"{name}.py"
    log = tmp_path / f"{name}.log"
    script.write_text(
        "import sys, pathlib\n"
        f"log = pathlib.Path({str(log)!r})\n"
        "arg = sys.argv[-1]\n"
        "log.write_text(repr(sys.argv[1:]) + '\\n' + str(len(pathlib.Path(arg).read_bytes())))\n"
    )
    return f"{sys.executable} {script}"


async def test_mailcap_view_open_and_save(
    attached_user: MailUser, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where an injected `touch PWNED` would land
    viewer = _logger(tmp_path, "viewer")
    mailcap_file = tmp_path / "mailcap"
    mailcap_file.write_text(
        # Refused: %s inside a shell string would be read as code.
        "application/x-weird; sh -c 'cat %s'; copiousoutput\n"
        # Used by v: the file on stdin (no %s), output captured.
        "application/x-weird; wc -l; copiousoutput\n"
        f"application/x-weird; {viewer} %s\n"
    )
    monkeypatch.setenv("MAILCAPS", str(mailcap_file))
    app = make_app(dovecot, attached_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        # v: the copiousoutput entry's output, in a cleaned view.
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, TextView), what="the output")
        assert app.screen.body.strip() == "3"
        await pilot.press("q")
        # o: the mailcap entry that opens it; the hostile name is one argument.
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("o")
        log = tmp_path / "viewer.log"
        await wait_for(pilot, log.exists, what="the mailcap viewer")
        args, size = log.read_text().split("\n")
        assert int(size) == len(PAYLOAD) and "PWNED" in args and len(ast.literal_eval(args)) == 1
        # s: the path asked, completed; saved where typed.
        target = tmp_path / "keep"
        target.mkdir()
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandLine))
        app.screen.field.value = str(tmp_path / "ke")
        await pilot.press("tab")
        assert app.screen.field.value == f"{target}/"
        await pilot.press(*"mine.dat", "enter")
        await wait_for(pilot, (target / "mine.dat").exists, what="saved where typed")
        assert (target / "mine.dat").read_bytes() == PAYLOAD
    assert not (tmp_path / "PWNED").exists()


async def test_openers_come_before_mailcap(
    attached_user: MailUser, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    mailcap_file = tmp_path / "mailcap"
    mailcap_file.write_text(f"application/*; {_logger(tmp_path, 'mailcap')} %s\n")
    monkeypatch.setenv("MAILCAPS", str(mailcap_file))
    ui = {"mark_read_delay": -1, "openers": {"application/x-weird": _logger(tmp_path, "opener")}}
    app = make_app(dovecot, attached_user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        await pilot.press("A")
        await wait_for(pilot, lambda: "Attachments" in screen_text(app))
        await pilot.press("o")
        await wait_for(pilot, (tmp_path / "opener.log").exists, what="the [ui.openers] entry")
        assert not (tmp_path / "mailcap.log").exists()
    assert not (tmp_path / "PWNED").exists()
