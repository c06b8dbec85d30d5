"""The `:` command line at the bottom of the screen: type, Tab completes, enter runs.

Tab completes the last word (command names, folders, labels, paths, sort keys): one
candidate is filled in, several fill in what they share and are listed above the
line; Tab again cycles through them. up/down walk the lines run before (this session).
Candidates are folder and label names from strangers: shown as plain Text, cleaned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from mailtui.text.safe import clean_line
from mailtui.ui.commandline import Sources, common_prefix, complete
from mailtui.ui.keymap import sequence_state

_SHOWN = 8  # candidates listed above the line


class CommandLine(ModalScreen[str | None]):
    """One command line; dismissed with the text (enter) or None (escape)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("up", "history(-1)", show=False, priority=True),
        Binding("down", "history(1)", show=False, priority=True),
    ]

    def __init__(
        self,
        sources: Sources,
        history: list[str],
        value: str = "",
        *,
        completer: Callable[[str], list[str]] | None = None,
        placeholder: str = "command (Tab completes)",
    ) -> None:
        """`completer`: what Tab offers for the text (default: the command line's)."""
        super().__init__(classes="command-line")
        self.sources = sources
        self.completer = completer or (lambda text: complete(text, sources))
        self.placeholder = placeholder
        self.history = history
        self.value = value
        self._cycle: list[str] = []
        self._cycle_at = -1
        self._back = len(history)

    def compose(self) -> ComposeResult:
        with Vertical(id="command-box"):
            yield Static(Text(""), id="command-candidates", markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="command-input")

    def on_mount(self) -> None:
        self.query_one("#command-candidates", Static).display = False
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)

    @property
    def field(self) -> Input:
        return self.query_one(Input)

    def _set(self, value: str) -> None:
        self.field.value = value
        self.field.cursor_position = len(value)

    def _show(self, candidates: list[str]) -> None:
        box = self.query_one("#command-candidates", Static)
        if len(candidates) < 2:
            box.display = False
            return
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for i, line in enumerate(candidates[:_SHOWN]):
            word = line.rstrip().rpartition(" ")[2] or line.strip()
            style = "reverse" if i == self._cycle_at else ""
            text.append(clean_line(word), style=style)
            text.append("  ")
        if len(candidates) > _SHOWN:
            text.append(f"… {len(candidates) - _SHOWN} more", style="dim")
        box.update(text)
        box.display = True

    def action_complete(self) -> None:
        """Fill in the completion; with several, their common part, then cycle."""
        if self._cycle and self.field.value in self._cycle:
            self._cycle_at = (self._cycle.index(self.field.value) + 1) % len(self._cycle)
            self._set(self._cycle[self._cycle_at])
            self._show(self._cycle)
            return
        candidates = self.completer(self.field.value)
        self._cycle, self._cycle_at = candidates, -1
        if not candidates:
            self.app.bell()
            self._show([])
            return
        if len(candidates) == 1:
            self._set(candidates[0])
            self._show([])
            return
        shared = common_prefix(candidates)
        if len(shared) > len(self.field.value):
            self._set(shared)
        else:
            self._cycle_at = 0
            self._set(candidates[0])
        self._show(candidates)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._back = max(0, min(len(self.history), self._back + step))
        self._set(self.history[self._back] if self._back < len(self.history) else "")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        if event.value not in self._cycle:
            self._cycle = []
            self._show([])

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self.dismiss(line)

    def action_cancel(self) -> None:
        self.dismiss(None)


class KeySequence(ModalScreen[tuple[str, tuple[str, ...]]]):
    """Waits for the rest of a `[ui.keys]` key sequence ("g a"), invisibly.

    Dismissed with ("line", (command line,)) when the keys complete a sequence, else
    with ("keys", keys typed) — the caller then runs what the first key does alone
    and replays the rest; also after `_WAIT` seconds without a key (so `g` alone still
    goes to the top, a moment later)."""

    DEFAULT_CSS = "KeySequence { background: $background 0%; }"
    _WAIT = 1.0

    def __init__(self, commands: dict[tuple[str, ...], str], typed: tuple[str, ...]) -> None:
        super().__init__()
        self.commands = commands
        self.typed = typed

    def on_mount(self) -> None:
        self._timer = self.set_timer(self._WAIT, self._timeout)

    def _timeout(self) -> None:
        self.dismiss(("keys", self.typed))

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self._timer.stop()
        self.typed = (*self.typed, event.key)
        line, longer = sequence_state(self.commands, self.typed)
        if line is not None and not longer:
            self.dismiss(("line", (line,)))
        elif longer:
            self._timer = self.set_timer(self._WAIT, self._timeout)
        else:
            self.dismiss(("keys", self.typed))
