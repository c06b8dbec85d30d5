"""A saved search across folders or accounts: the matches, newest first; enter opens one
in its folder. The triage keys act on each row's own account and folder
(ui/results_triage.py): d a m c s U l u, and r replies. Rows are built from cleaned
text (names and subjects are strangers')."""

from __future__ import annotations

import asyncio
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

from mailtui.model import FLAGGED, SEEN
from mailtui.text.safe import clean_line
from mailtui.ui import format as fmt
from mailtui.ui.results_triage import ResultActions
from mailtui.ui.screens.picker import Item, Picker
from mailtui.usecase.search_all import Hit


def _row(hit: Hit, clock: fmt.Clock, accounts: bool) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append("● " if hit.unread else "  ", style="bold")
    text.append("★ " if hit.flagged else "  ", style="bold")
    text.append(f"{fmt.list_date(hit.date, clock, short=True):<10} ", style="dim")
    where = f"{hit.account}/{hit.folder}" if accounts else hit.folder
    text.append(f"{clean_line(where)[:22]:<22} ", style="dim")
    text.append(f"{clean_line(hit.sender)[:20]:<20} ", style="bold" if hit.unread else "")
    text.append(clean_line(hit.subject) or "(no subject)")
    return text


class ResultsScreen(ModalScreen[Hit | None]):
    """The hits; j/k or the arrows move, enter opens, escape or q closes; with `actions`,
    the triage keys act on the row's message in its own account and folder."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", show=False),
        Binding("j", "move(1)", show=False),
        Binding("k", "move(-1)", show=False),
        Binding("d", "act('delete')", show=False),
        Binding("a", "act('archive')", show=False),
        Binding("s", "act('flag')", show=False),
        Binding("U", "act('read')", show=False),
        Binding("m", "file('move')", show=False),
        Binding("c", "file('copy')", show=False),
        Binding("l", "label", show=False),
        Binding("u", "undo", show=False),
        Binding("r", "reply", show=False),
    ]

    def __init__(
        self,
        title: str,
        hits: Sequence[Hit],
        clock: fmt.Clock,
        actions: ResultActions | None = None,
    ) -> None:
        super().__init__(classes="picker")
        self.title_text = title
        self.hits = list(hits)
        self.clock = clock
        self.actions = actions
        self.intent = "open"  # what the dismissed hit is for: "open" or "reply"

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(self._title(), id="picker-title", markup=False)
            yield OptionList(*self._options(), id="picker-options", markup=False)

    def _title(self) -> Text:
        title = Text(clean_line(self.title_text), style="bold", end="")
        keys = " · d a m c s U l u r act on the message" if self.actions else ""
        title.append(f"   {len(self.hits)} messages · enter opens · esc closes{keys}", style="dim")
        return title

    def _options(self) -> list[Option]:
        accounts = len({h.account for h in self.hits}) > 1
        return [Option(_row(h, self.clock, accounts)) for h in self.hits]

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

    # --- triage on the row's own account and folder -------------------------------------

    def _current(self) -> tuple[int, Hit] | None:
        index = self.query_one(OptionList).highlighted
        if self.actions is None or index is None or not 0 <= index < len(self.hits):
            return None
        return index, self.hits[index]

    def _done(self, index: int, hit: Hit, sentence: str, *, drops: bool) -> None:
        """The action is applied (the server confirms behind it): redraw the row."""
        assert self.actions is not None
        options = self.query_one(OptionList)
        if drops:
            del self.hits[index]
            options.remove_option_at_index(index)
            if self.hits:
                options.highlighted = min(index, len(self.hits) - 1)
            self.query_one("#picker-title", Static).update(self._title())
        else:
            self.hits[index] = fresh = self.actions.refreshed(hit)
            accounts = len({h.account for h in self.hits}) > 1
            options.replace_option_prompt_at_index(index, _row(fresh, self.clock, accounts))
        where = f"{hit.account}/{hit.folder}"
        self.notify(f"{sentence} 1 message in {clean_line(where)}", timeout=3, markup=False)

    def action_act(self, kind: str) -> None:
        found = self._current()
        if found is None:
            return
        index, hit = found
        actions = self.actions
        assert actions is not None
        if kind == "delete":
            self._done(index, hit, actions.delete(hit), drops=True)
        elif kind == "archive":
            self._done(index, hit, actions.archive(hit), drops=True)
        else:
            sentence = actions.toggle(hit, FLAGGED if kind == "flag" else SEEN)
            self._done(index, hit, sentence, drops=False)

    def action_file(self, verb: str) -> None:
        """m / c: pick a folder of the row's account, then move or copy there."""
        found = self._current()
        if found is None:
            return
        index, hit = found
        actions = self.actions
        assert actions is not None
        copy = verb == "copy"
        items = [Item(name, name) for name in actions.folders(hit) if copy or name != hit.folder]

        def chosen(dest: str | None) -> None:
            if dest:
                self._done(index, hit, actions.move(hit, dest, copy=copy), drops=not copy)

        title = f"{'Copy' if copy else 'Move'} to a folder of {hit.account}…"
        self.app.push_screen(Picker(title, items), chosen)

    def action_label(self) -> None:
        """l: add a label (IMAP keyword) to the row's message, or remove one it has."""
        found = self._current()
        if found is None:
            return
        index, hit = found
        actions = self.actions
        assert actions is not None
        items = [Item(k, k) for k in actions.labels(hit)]

        def chosen(label: str | None) -> None:
            label = (label or "").strip()
            if label and label.isprintable() and not any(c.isspace() for c in label):
                self._done(index, hit, actions.label(hit, label), drops=False)

        title = "Label the message (a label it has is removed)"
        self.app.push_screen(Picker(title, items, new_label="New label"), chosen)

    def action_undo(self) -> None:
        """u: undo the last action taken here; the results are read again after."""
        if self.actions is None:
            return
        self.run_worker(self._undo(), group="results-undo", exclusive=True)

    async def _undo(self) -> None:
        actions = self.actions
        assert actions is not None
        sentence = await actions.undo()
        self.notify(sentence, timeout=3, markup=False)
        hits = await asyncio.to_thread(actions.rerun)
        if not self.is_attached:
            return
        options = self.query_one(OptionList)
        index = options.highlighted or 0
        self.hits = hits
        options.clear_options()
        options.add_options(self._options())
        options.highlighted = min(index, len(hits) - 1) if hits else None
        self.query_one("#picker-title", Static).update(self._title())

    def action_reply(self) -> None:
        """r: reply to the row's message (the app opens its folder, then the composer)."""
        found = self._current()
        if found is not None:
            self.intent = "reply"
            self.dismiss(found[1])
