"""A saved search across folders or accounts: the matches, newest first; enter opens one
in its folder. Rows are built from cleaned text (names and subjects are strangers')."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mailtui.text.safe import clean_line
from mailtui.ui import format as fmt
from mailtui.usecase.search_all import Hit


def _row(hit: Hit, clock: fmt.Clock, accounts: bool) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append("● " if hit.unread else "  ", style="bold")
    text.append(f"{fmt.list_date(hit.date, clock, short=True):<10} ", style="dim")
    where = f"{hit.account}/{hit.folder}" if accounts else hit.folder
    text.append(f"{clean_line(where)[:22]:<22} ", style="dim")
    text.append(f"{clean_line(hit.sender)[:20]:<20} ", style="bold" if hit.unread else "")
    text.append(clean_line(hit.subject) or "(no subject)")
    return text


class ResultsScreen(ModalScreen[Hit | None]):
    """The hits; j/k or the arrows move, enter opens, escape or q closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", show=False),
        Binding("j", "move(1)", show=False),
        Binding("k", "move(-1)", show=False),
    ]

    def __init__(self, title: str, hits: Sequence[Hit], clock: fmt.Clock) -> None:
        super().__init__(classes="picker")
        self.title_text = title
        self.hits = list(hits)
        self.clock = clock

    def compose(self) -> ComposeResult:
        accounts = len({h.account for h in self.hits}) > 1
        title = Text(clean_line(self.title_text), style="bold", end="")
        title.append(f"   {len(self.hits)} messages · enter opens · esc closes", style="dim")
        with Vertical(id="picker-box"):
            yield Static(title, id="picker-title", markup=False)
            yield OptionList(
                *[Option(_row(h, self.clock, accounts)) for h in self.hits],
                id="picker-options",
                markup=False,
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self.hits else None
        options.focus()

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        (options.action_cursor_down if step > 0 else options.action_cursor_up)()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])

    def action_close(self) -> None:
        self.dismiss(None)
