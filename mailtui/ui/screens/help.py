"""`?`: every action with the keys that run it now (defaults overlaid with [ui.keys])."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mailtui.ui import format as fmt
from mailtui.ui.keymap import ACTIONS, GROUPS, Keymap, command_name

_PRETTY = {
    "question_mark": "?",
    "colon": ":",
    "slash": "/",
    "asterisk": "*",
    "backslash": "\\",
    "ampersand": "&",
    "vertical_line": "|",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "space": "space",
    "escape": "esc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "down": "↓",
    "up": "↑",
    "shift+down": "shift+↓",
    "shift+up": "shift+↑",
}


def key_label(key: str) -> str:
    """How a Textual key name reads in the help ("question_mark" → "?")."""
    return _PRETTY.get(key, key)


def _group_table(keymap: Keymap, groups: tuple[str, ...]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", style="bold", no_wrap=True)
    table.add_column()
    for group in groups:
        table.add_row(Text(group, style="bold underline"), Text(""))
        for spec in ACTIONS:
            if spec.group != group:
                continue
            keys = keymap.keys(spec.name)
            # An action without a key runs from the command line by its name.
            shown = " ".join(key_label(k) for k in keys) if keys else f":{command_name(spec)}"
            line = Text(spec.help, end="")
            if spec.multi:
                line.append("  (selection)", style="dim")
            table.add_row(Text(shown), line)
        table.add_row(Text(""), Text(""))
    return table


def help_text(keymap: Keymap) -> Table:
    """Every action with its keys, in two columns (so 40 lines hold them), then markers."""
    size = {g: 2 + sum(1 for spec in ACTIONS if spec.group == g) for g in GROUPS}

    def longer_side(k: int) -> int:
        return max(sum(size[g] for g in GROUPS[:k]), sum(size[g] for g in GROUPS[k:]) + 6)

    half = min(range(1, len(GROUPS)), key=longer_side)
    left = _group_table(keymap, GROUPS[:half])
    markers = Table.grid(padding=(0, 1))
    markers.add_column(justify="right", style="bold", no_wrap=True)
    markers.add_column()
    markers.add_row(Text("Markers", style="bold underline"), Text(""))
    for mark, meaning in (
        (fmt.UNREAD_MARK, "unread (and bold)"),
        (fmt.ANSWERED_MARK, "answered"),
        (fmt.FLAGGED_MARK, "flagged"),
        (fmt.ATTACHMENT_MARK, "has attachments"),
        (fmt.SELECTED_MARK, "selected"),
    ):
        markers.add_row(Text(mark), Text(meaning))
    right = Table.grid()
    right.add_row(_group_table(keymap, GROUPS[half:]))
    right.add_row(markers)
    outer = Table.grid(padding=(0, 2), expand=True)
    outer.add_column(ratio=1)
    outer.add_column(ratio=1)
    outer.add_row(left, right)
    return outer


class HelpScreen(ModalScreen[None]):
    """Scrollable key reference; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", show=False),
        Binding("j,down", "scroll(1)", show=False),
        Binding("k,up", "scroll(-1)", show=False),
        Binding("space,pagedown", "scroll(10)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
    ]

    def __init__(self, keymap: Keymap) -> None:
        super().__init__(classes="help")
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            title = Text("mailtui keys", style="bold", end="")
            title.append("   esc closes · : runs any action by name", style="dim")
            yield Static(title, markup=False)
            yield Static(help_text(self.keymap), id="help-table", markup=False)

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-box", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
