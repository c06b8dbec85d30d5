"""The review screen, the built-in editor and the $EDITOR helper, driven with real keys."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from mailtui.compose.draft import Draft
from mailtui.model import Address
from mailtui.ui.screens.editor import (
    ConfirmScreen,
    EditorScreen,
    edit_with_external,
    external_editor_command,
    run_external_editor,
)
from mailtui.ui.screens.review import PromptScreen, ReviewResult, ReviewScreen, run_compose
from tests.ui.helpers import screen_text, wait_for

ME = Address("Mé", "me@example.test")
ALICE = Address("Alice Ångström", "alice@example.test")
KNOWN = [ALICE, Address("Bob", "bob@example.test")]


class Host(App[None]):
    """A bare app that shows one screen and keeps what it returned."""

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def show(self, screen: Any) -> None:
        self.push_screen(screen, self.results.append)


def draft(**kw: Any) -> Draft:
    base: dict[str, Any] = {"from_": ME, "to": (ALICE,), "subject": "Hello", "body": "Hi there\n"}
    base.update(kw)
    return Draft(**base)


async def result(pilot: Pilot[Any], app: Host) -> Any:
    await wait_for(pilot, lambda: app.results, what="the screen's result")
    return app.results[-1]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*["space" if c == " " else c for c in text])


# --- review --------------------------------------------------------------------------


async def test_send_returns_the_draft() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        app.show(ReviewScreen(draft(), known_addresses=KNOWN))
        await pilot.pause()
        await pilot.press("y")
        got = await result(pilot, app)
    assert got == ReviewResult("send", draft(), got.text)
    assert got.text.startswith("From: Mé <me@example.test>\n")


async def test_untrusted_text_is_shown_literally() -> None:
    app = Host()
    hostile = draft(
        to=(Address("[@click=app.quit]Evil[/]", "evil@example.test"),),
        subject="[bold]x[/] \x1b[31mred\u202eevil",
        body="[link=http://x]click[/link]\x1b]52;c;aGk=\x07\n",
    )
    async with app.run_test(size=(120, 30)) as pilot:
        app.show(ReviewScreen(hostile))
        await pilot.pause()
        text = screen_text(app)  # type: ignore[arg-type]
        assert "[@click=app.quit]Evil[/]" in text
        assert "[bold]x[/] ␛[31mredevil" in text
        assert "[link=http://x]click[/link]␛]52;c;aGk=␇" in text
        assert "\x1b[31m" not in text
        await pilot.press("q")
        assert (await result(pilot, app)).action == "cancel"


async def test_errors_quoting_strangers_are_not_markup() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ReviewScreen(draft(), text="To: [/]x[@click=app.quit]\n\nbody\n")
        app.show(screen)
        await pilot.pause()
        assert "'[/]x[@click=app.quit]' is not an email address" in screen.error
        assert "[/]x[@click=app.quit]" in screen_text(app)  # type: ignore[arg-type]
        await pilot.press("y")  # refused with a notice that shows the text as it is
        await wait_for(pilot, lambda: list(app._notifications), what="a notification")
        (notice,) = app._notifications
        assert "[/]x[@click=app.quit]" in notice.message and not notice.markup
        assert app.results == [] and app.is_running


async def test_attach_with_path_completion_and_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytes(range(256)) * 3
    (tmp_path / "quarterly-report.pdf").write_bytes(data)
    monkeypatch.chdir(tmp_path)  # relative paths complete too, and are quicker to type
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ReviewScreen(draft())
        app.show(screen)
        await pilot.pause()
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "quar")
        field = app.screen.query_one(Input)
        await wait_for(pilot, lambda: field._suggestion, what="a path suggestion")
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        (att,) = screen.draft.attachments
        assert (att.filename, att.data, att.content_type) == (
            "quarterly-report.pdf",
            data,
            "application/pdf",
        )
        assert "quarterly-report.pdf" in screen_text(app)  # type: ignore[arg-type]
        # A path that does not exist keeps the prompt open with the reason.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "/no/such/file")
        await pilot.press("enter")
        error = app.screen.query_one("#prompt-error", Static)
        await wait_for(pilot, lambda: "no such file" in str(error.render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.press("D")
        await wait_for(pilot, lambda: not screen.draft.attachments)
        await pilot.press("y")
        got = await result(pilot, app)
    assert got.action == "send" and got.draft.attachments == ()


async def test_recipients_with_address_completion() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ReviewScreen(draft(to=()), known_addresses=KNOWN)
        app.show(screen)
        await pilot.pause()
        await pilot.press("y")  # no recipient yet: refused with a notice
        await pilot.pause()
        assert app.results == []
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "carol@example.test, al")
        field = app.screen.query_one(Input)
        await wait_for(pilot, lambda: field._suggestion, what="an address suggestion")
        assert field._suggestion == "carol@example.test, Alice Ångström <alice@example.test>"
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.draft.to == (Address("", "carol@example.test"), ALICE)
        # A bad address keeps the prompt open and says which.
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "bob")
        await pilot.press("enter")
        error = app.screen.query_one("#prompt-error", Static)
        await wait_for(pilot, lambda: "'bob' is not an email address" in str(error.render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.draft.cc == ()
        await pilot.press("s")
        got = await result(pilot, app)
    assert got.action == "draft"
    assert "To: carol@example.test, Alice Ångström <alice@example.test>" in got.text


async def test_edit_again_in_the_built_in_editor_and_fix_an_error() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ReviewScreen(draft(), editor_command=[])
        app.show(screen)
        await pilot.pause()
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen))
        # The cursor starts in the body.
        await type_text(pilot, "Extra. ")
        await pilot.press("pageup", "home")
        await type_text(pilot, "oops")
        await pilot.press("enter", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and screen.error)
        assert "Line 1: 'oops' is not a header line" in screen.error
        await pilot.press("y")  # blocked while the text does not parse
        await pilot.pause()
        assert app.results == []
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen))
        assert app.screen.query_one(TextArea).text.startswith("oops\nFrom:")
        await pilot.press("pageup", "home", "ctrl+shift+k", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen and not screen.error)
        assert screen.draft.body == "Extra. Hi there\n"
        await pilot.press("y")
        got = await result(pilot, app)
    assert got.action == "send" and got.draft.body == "Extra. Hi there\n"


async def test_cancel_asks_only_when_something_would_be_lost() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        app.show(ReviewScreen(draft()))
        await pilot.pause()
        await pilot.press("escape")
        assert (await result(pilot, app)).action == "cancel"

        changed = ReviewScreen(draft(subject="Edited"), pristine=draft())
        app.show(changed)
        await pilot.pause()
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is changed)
        assert len(app.results) == 1
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        got = await result(pilot, app)
        await wait_for(pilot, lambda: len(app.results) == 2)
    assert app.results[-1].action == "cancel"
    assert got is app.results[-1]


# --- editor ---------------------------------------------------------------------------


async def test_built_in_editor_save_and_cancel() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        app.show(EditorScreen("To: a@b.example\n\nbody"))
        await pilot.pause()
        await type_text(pilot, "new ")
        await pilot.press("ctrl+s")
        assert await result(pilot, app) == "To: a@b.example\n\nnew body"

        app.show(EditorScreen("unchanged"))
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.results) == 2)
        assert app.results[-1] is None

        editor = EditorScreen("text")
        app.show(editor)
        await pilot.pause()
        await type_text(pilot, "x")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is editor)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(app.results) == 3)
        assert app.results[-1] is None


async def test_run_compose_edits_then_reviews() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        worker = app.run_worker(run_compose(app, draft(), editor_command=[]))
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen))
        await type_text(pilot, "Yes! ")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("y")
        await worker.wait()
    got = worker.result
    assert got.action == "send" and got.draft.body == "Yes! Hi there\n"


# --- $EDITOR ---------------------------------------------------------------------------


EDITOR_SCRIPT = """\
import os, stat, sys
path = sys.argv[1]
mode = stat.S_IMODE(os.stat(path).st_mode)
dmode = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(text.replace("Hello", "Edited") + f"mode={mode:o},{dmode:o}\\n")
sys.exit(int(os.environ.get("EDITOR_EXIT", "0")))
"""


@pytest.fixture
def editor(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake-editor.py"
    script.write_text(EDITOR_SCRIPT)
    return [sys.executable, str(script)]


def test_run_external_editor(editor: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_external_editor(editor, "Subject: Hello\n\nBody ü\n")
    assert out == "Subject: Edited\n\nBody ü\nmode=600,700\n"
    monkeypatch.setenv("EDITOR_EXIT", "1")
    assert run_external_editor(editor, "x") is None  # :cq means abandon
    assert run_external_editor(["/no/such/editor"], "x") is None


def test_external_editor_command() -> None:
    assert external_editor_command({"VISUAL": "code --wait", "EDITOR": "vi"}) == ["code", "--wait"]
    assert external_editor_command({"VISUAL": " ", "EDITOR": "vim -u 'my rc'"}) == [
        "vim",
        "-u",
        "my rc",
    ]
    assert external_editor_command({"EDITOR": "'unclosed"}) is None
    assert external_editor_command({}) is None


async def test_edit_with_external_suspends_the_app(
    editor: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Host()
    suspended: list[bool] = []

    @contextlib.contextmanager
    def fake_suspend() -> Iterator[None]:
        # The headless driver cannot hand the terminal over; record that we asked to.
        suspended.append(True)
        yield

    async with app.run_test() as pilot:
        monkeypatch.setattr(app, "suspend", fake_suspend)
        monkeypatch.setenv("VISUAL", " ".join(editor))
        worker = app.run_worker(edit_with_external(app, "Subject: Hello\n\n"))
        await worker.wait()
        await pilot.pause()
    assert suspended == [True]
    assert worker.result == "Subject: Edited\n\nmode=600,700\n"


async def test_headless_falls_back_to_the_built_in_editor(editor: list[str]) -> None:
    app = Host()
    async with app.run_test() as pilot:
        worker = app.run_worker(edit_with_external(app, "Subject: Hello\n\n", command=editor))
        await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen))
        await pilot.press("ctrl+s")
        await worker.wait()
    assert worker.result == "Subject: Hello\n\n"


def test_editor_temp_files_are_removed(editor: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []
    real_run = subprocess.run

    def spy(argv: list[str], **kw: Any) -> Any:
        seen.append(Path(argv[-1]))
        return real_run(argv, **kw)

    monkeypatch.setattr(subprocess, "run", spy)
    run_external_editor(editor, "x")
    (path,) = seen
    assert path.name == "message.eml" and path.parent.name.startswith("mailtui-edit-")
    assert not path.parent.exists()


async def test_tab_accepts_an_address_and_u_edits_the_subject() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = ReviewScreen(draft(to=()), known_addresses=KNOWN)
        app.show(screen)
        await pilot.pause()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "al")
        field = app.screen.query_one(Input)
        await wait_for(pilot, lambda: field._suggestion, what="an address suggestion")
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.draft.to == (ALICE,)
        # u: the Subject in one line, without the editor.
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        field = app.screen.query_one(Input)
        field.value = ""
        await type_text(pilot, "Quarterly   numbers")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.draft.subject == "Quarterly numbers"
        await wait_for(pilot, lambda: "Subject: Quarterly numbers" in screen_text(app))  # type: ignore[arg-type]
        await pilot.press("s")
        got = await result(pilot, app)
    assert "Subject: Quarterly numbers" in got.text
