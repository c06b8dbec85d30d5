"""Small modal screens: a fuzzy picker (folders, labels), an item menu, a one-line prompt.

Items often come from strangers (folder names, attachment names, links), so every
option is a rich Text built from cleaned text, and OptionList runs with markup off.
Textual's fuzzy `Matcher.highlight` parses its candidate as markup, so matches are
highlighted here from FuzzySearch's offsets instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from mailtui.text.safe import clean_line


@dataclass(frozen=True)
class Item:
    """One choice: `value` is returned, `label` shown (and matched), `detail` dim after it."""

    value: str
    label: str
    detail: str = ""


def fuzzy_rank(query: str, items: Sequence[Item]) -> list[tuple[Item, Sequence[int]]]:
    """Items matching `query` (all when empty), best first, with matched offsets."""
    if not query.strip():
        return [(item, ()) for item in items]
    search = FuzzySearch()
    scored = []
    for order, item in enumerate(items):
        score, offsets = search.match(query, item.label)
        if score > 0:
            scored.append((-score, order, item, offsets))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [(item, offsets) for _, _, item, offsets in scored]


def item_text(item: Item, offsets: Sequence[int] = ()) -> Text:
    text = Text(clean_line(item.label), end="", no_wrap=True, overflow="ellipsis")
    for offset in offsets:
        if offset < len(text.plain) and not text.plain[offset].isspace():
            text.stylize("bold underline", offset, offset + 1)
    if item.detail:
        text.append("  " + clean_line(item.detail), style="dim")
    return text


def _numbered(index: int, item: Item) -> Text:
    """An item with its number (1-9 jump to it in a Menu)."""
    text = Text(f"{index + 1} " if index < 9 else "  ", style="dim", end="")
    text.append_text(item_text(item))
    return text


class Picker(ModalScreen[str | None]):
    """Type to narrow, arrows to choose, enter to take; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(
        self, title: str, items: Sequence[Item], *, new_label: str = "", placeholder: str = ""
    ) -> None:
        super().__init__(classes="picker")
        self.title_text = title
        self.items = list(items)
        self.new_label = new_label  # non-empty: typed text not in the list may be taken
        self.placeholder = placeholder or "type to filter"
        self._shown: list[Item] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(
                Text(self.title_text, style="bold", end=""), id="picker-title", markup=False
            )
            yield Input(placeholder=self.placeholder, id="picker-input")
            yield OptionList(id="picker-options", markup=False)

    def on_mount(self) -> None:
        self._refilter("")
        self.query_one(Input).focus()

    @property
    def options(self) -> OptionList:
        return self.query_one("#picker-options", OptionList)

    def _refilter(self, query: str) -> None:
        ranked = fuzzy_rank(query, self.items)
        self._shown = [item for item, _ in ranked]
        options = [Option(item_text(item, offsets)) for item, offsets in ranked]
        typed = query.strip()
        if self.new_label and typed and all(i.value != typed for i in self._shown):
            self._shown.append(Item(typed, typed))
            label = Text(f"{self.new_label}: ", style="dim", end="")
            label.append(clean_line(typed))
            options.append(Option(label))
        self.options.clear_options()
        self.options.add_options(options)
        if options:
            self.options.highlighted = 0

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._refilter(event.value)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        index = self.options.highlighted
        if index is not None and 0 <= index < len(self._shown):
            self.dismiss(self._shown[index].value)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self._shown):
            self.dismiss(self._shown[event.option_index].value)

    def action_move(self, step: int) -> None:
        count = len(self._shown)
        if not count:
            return
        current = self.options.highlighted or 0
        self.options.highlighted = max(0, min(current + step, count - 1))

    def action_cancel(self) -> None:
        self.dismiss(None)


class Menu(ModalScreen[tuple[str, int] | None]):
    """A list of items with a few keys that each do something to the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close", show=False)]

    def __init__(
        self, title: str, items: Sequence[Item], keys: Sequence[tuple[str, str, str]]
    ) -> None:
        """`keys` are (key, verb, label), e.g. ("s", "save", "save"); the first is enter's."""
        super().__init__(classes="picker")
        self.title_text = title
        self.items = list(items)
        self.keys = list(keys)

    def compose(self) -> ComposeResult:
        hint = Text(self.title_text, style="bold", end="")
        hint.append("   " + "  ".join(f"{k} {label}" for k, _, label in self.keys), style="dim")
        hint.append("  esc close", style="dim")
        with Vertical(id="picker-box"):
            yield Static(hint, id="picker-title", markup=False)
            yield OptionList(
                *[Option(_numbered(i, item)) for i, item in enumerate(self.items)],
                id="picker-options",
                markup=False,
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self.items else None
        options.focus()

    def on_key(self, event: events.Key) -> None:
        for key, verb, _label in self.keys:
            if event.key == key:
                event.stop()
                self.action_choose(verb)
                return
        options = self.query_one(OptionList)
        if event.key in ("j", "k"):
            # Up and down as in the list behind (the arrows move too).
            event.stop()
            (options.action_cursor_down if event.key == "j" else options.action_cursor_up)()
        elif event.character is not None and event.character.isdigit() and event.character != "0":
            # The number shown before each item: straight to it (1-9).
            event.stop()
            index = int(event.character) - 1
            if index < len(self.items):
                options.highlighted = index

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss((self.keys[0][1], event.option_index))

    def action_choose(self, verb: str) -> None:
        index = self.query_one(OptionList).highlighted
        if index is not None:
            self.dismiss((verb, index))

    def action_cancel(self) -> None:
        self.dismiss(None)


class Prompt(ModalScreen[str | None]):
    """One line of input (search queries); enter submits, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(classes="prompt")
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(
                Text(self.title_text, style="bold", end=""), id="prompt-title", markup=False
            )
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
