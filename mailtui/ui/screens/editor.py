"""Editing a message: `$VISUAL`/`$EDITOR` under `App.suspend()`, or a built-in editor.

The text edited is `compose.editable.draft_to_editable_text` (headers, blank line, body).
The external editor gets it in a private temp directory (0700, file 0600): drafts are
as sensitive as mail, and editors drop swap and backup files next to the file.
When no editor is set, or the terminal cannot be handed over (Textual Web, a headless
driver), the built-in `EditorScreen` (a TextArea) is used instead.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Static, TextArea

from mailtui.config import paths

__all__ = [
    "ConfirmScreen",
    "EditorScreen",
    "edit_with_external",
    "external_editor_command",
    "run_external_editor",
]


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y or enter for yes; n, escape or q for no."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen #prompt-box { width: auto; min-width: 40; max-width: 80; height: auto;
        border: round $warning; padding: 0 1; background: $surface; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmScreen Button { margin: 1 0 0 1; min-width: 8; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape,q", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="prompt")
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(Text(self.question, style="bold"), id="confirm-question", markup=False)
            with Horizontal():
                yield Button(f"{self.yes_label} (y)", id="confirm-yes", variant="warning")
                yield Button(f"{self.no_label} (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class EditorScreen(Screen[str | None]):
    """The built-in editor: ctrl+s keeps the text, escape discards (asking if changed)."""

    DEFAULT_CSS = """
    EditorScreen #editor-title { height: 1; padding: 0 1; background: $panel; }
    EditorScreen TextArea { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Done"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, text: str, *, title: str = "Edit message") -> None:
        super().__init__()
        self.original = text
        self.title_text = title

    def compose(self) -> ComposeResult:
        hint = Text(self.title_text, style="bold")
        hint.append("   ctrl+s done · escape cancel", style="dim")
        yield Static(hint, id="editor-title", markup=False)
        yield TextArea(
            self.original,
            id="editor-text",
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
        )
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        # Start in the body when there is one, else on the first empty header value.
        lines = self.original.split("\n")
        row = next((i + 1 for i, line in enumerate(lines) if not line.strip()), 0)
        if row >= len(lines):
            row = 0
        area.move_cursor((row, 0))

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def action_save(self) -> None:
        self.dismiss(self.text)

    def action_cancel(self) -> None:
        if self.text == self.original:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard your changes?", yes="Discard"), answered)


def external_editor_command(env: Mapping[str, str] | None = None) -> list[str] | None:
    """`$VISUAL`, else `$EDITOR`, split like a shell would; None when neither is usable."""
    env = os.environ if env is None else env
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if not value:
            continue
        try:
            argv = shlex.split(value)
        except ValueError:
            continue
        if argv:
            return argv
    return None


def run_external_editor(command: Sequence[str], text: str, *, suffix: str = ".eml") -> str | None:
    """Run the editor on a private temp file; the edited text, or None if it failed.

    Blocking: the terminal belongs to the editor until it exits. A non-zero exit
    (`:cq` in vim) means "abandon", as git and mutt read it.
    """
    directory = Path(tempfile.mkdtemp(prefix="mailtui-edit-"))  # mkdtemp makes it 0700
    try:
        path = directory / f"message{suffix}"
        with paths.open_private(path, "x", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            proc = subprocess.run([*command, str(path)], check=False)
        except OSError:
            return None
        if proc.returncode != 0:
            return None
        data = path.read_bytes()
        return data.decode("utf-8", "replace")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def edit_with_external(
    app: App[object],
    text: str,
    *,
    command: Sequence[str] | None = None,
    title: str = "Edit message",
) -> str | None:
    """Edit `text` in `$VISUAL`/`$EDITOR` with the app suspended, else the built-in editor.

    Returns the edited text, or None when the user abandoned the edit. Must run in a
    worker (it waits for a screen): e.g. from an `@work` method or `run_worker`.
    `command` overrides the environment ([] forces the built-in editor).
    """
    argv = list(command) if command is not None else external_editor_command()
    if argv:
        missing = shutil.which(argv[0]) is None
        if missing:
            app.notify(
                f"Editor {argv[0]!r} was not found; using the built-in editor",
                severity="warning",
                markup=False,
            )
        else:
            with contextlib.suppress(SuspendNotSupported), app.suspend():
                return run_external_editor(argv, text)
    result: str | None = await app.push_screen(
        EditorScreen(text, title=title), wait_for_dismiss=True
    )
    return result
