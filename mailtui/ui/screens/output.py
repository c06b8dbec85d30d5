"""A read-only text view over the screen: a piped command's output, a message's source.

The text came from a stranger (a message) or from a command fed with it, so it is
cleaned (text/safe.py: ESC, C0/C1, bidi overrides made visible) and shown as plain
rich Text, never markup. Long texts are cut (the title says how much is left out).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mailtui.text.safe import clean_line, clean_text

SHOWN = 400_000  # characters drawn; the rest is left out (saving keeps it all)


class TextView(ModalScreen[None]):
    """Scrollable text; escape or q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", show=False),
        Binding("j,down", "scroll(1)", show=False),
        Binding("k,up", "scroll(-1)", show=False),
        Binding("space,pagedown", "scroll(20)", show=False),
        Binding("pageup,b", "scroll(-20)", show=False),
        Binding("g,home", "top", show=False),
        Binding("G,end", "bottom", show=False),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(classes="help")
        self.title_text = title
        left_out = max(0, len(text) - SHOWN)
        self.body = clean_text(text[:SHOWN])
        self.left_out = left_out

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            title = Text(clean_line(self.title_text), style="bold", end="")
            title.append("   esc closes", style="dim")
            if self.left_out:
                title.append(f"   ({self.left_out} more characters not shown)", style="dim")
            yield Static(title, markup=False)
            yield Static(Text(self.body, end=""), id="text-view-body", markup=False)

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_top(self) -> None:
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
