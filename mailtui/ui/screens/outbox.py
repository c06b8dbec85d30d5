"""The outbox view (ctrl+o): the messages waiting to be sent, and what to do with them.

Each message shows its subject, recipients, how long it has waited and why the last
try failed. r retries everything now, e (or enter) reopens the highlighted message on
the review screen, d deletes it unsent (after asking), q or escape closes the view.
The work itself — SMTP, the outbox files — happens below ui (mailtui.usecase.sending) in
thread workers the host (the main screen) runs; this screen lists and asks.

Subjects, addresses and server replies come from strangers or servers: they are drawn
as rich Text from strings cleaned by `text.safe`, never as markup.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from mailtui.text.safe import clean_line
from mailtui.ui.screens.editor import ConfirmScreen

if TYPE_CHECKING:
    from mailtui.usecase.sending import OutboxSender, Queued

__all__ = ["OutboxHost", "OutboxScreen", "age", "queued_text"]


class OutboxHost(Protocol):
    """What the outbox view asks of the screen that opened it."""

    outbox_senders: dict[str, OutboxSender]

    def outbox_retry_now(self, only: Sequence[str] = ()) -> None: ...

    def outbox_edit(self, item: Queued) -> None: ...

    def outbox_recount(self) -> None: ...


def age(seconds: float) -> str:
    """How long a message has waited, as people say it."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def queued_text(item: Queued, *, now: float, account: bool = False) -> Text:
    """Two lines for one waiting message: subject → recipients; age, state, last error."""
    entry = item.entry
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    if account:
        out.append(f"[{clean_line(item.account)}] ", style="dim")
    out.append(clean_line(entry.subject) or "(no subject)", style="bold")
    out.append("  → ")
    out.append(clean_line(", ".join(item.recipients)) or "(no recipient)")
    out.append("\n")
    details = [f"waiting {age(now - entry.created)}"]
    if not entry.due(now):
        details.append(f"sends {datetime.fromtimestamp(entry.not_before):%a %d %b %H:%M}")
    if entry.state == "sent":
        details.append("sent; its copy in Sent is still to be stored")
    elif entry.attempts:
        details.append(f"{entry.attempts} attempt{'s' if entry.attempts != 1 else ''}")
    line = "  " + " · ".join(details)
    if entry.last_error:
        line += f" · last error: {entry.last_error}"
    out.append(clean_line(line), style="dim")
    return out


class OutboxScreen(Screen[None]):
    """The list of waiting messages; reloads when the host says the outbox changed."""

    DEFAULT_CSS = """
    OutboxScreen #outbox-title { height: 1; padding: 0 1; background: $panel; }
    OutboxScreen #outbox-empty { height: auto; padding: 1 2; color: $text-muted; }
    OutboxScreen #outbox-list { height: 1fr; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry now"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
        Binding("q,escape", "close", "Close"),
    ]

    def __init__(self, host: OutboxHost) -> None:
        super().__init__(id="outbox")
        self.host = host
        self.items: list[Queued] = []

    def compose(self) -> ComposeResult:
        title = Text("Outbox", style="bold")
        title.append("   r retry now · e edit · d delete · q close", style="dim")
        yield Static(title, id="outbox-title", markup=False)
        yield Static("The outbox is empty: everything was sent.", id="outbox-empty", markup=False)
        yield OptionList(id="outbox-list", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    @property
    def options(self) -> OptionList:
        return self.query_one("#outbox-list", OptionList)

    def reload(self) -> None:
        """Read the outbox again (off the event loop) and redraw, keeping the cursor."""
        self.run_worker(self._reload(), exclusive=True, group="outbox-view")

    async def _reload(self) -> None:
        senders = list(self.host.outbox_senders.values())
        items = await asyncio.to_thread(lambda: [q for s in senders for q in s.queued()])
        items.sort(key=lambda q: q.entry.created)
        if not self.is_attached:
            return
        options = self.options
        current = self.highlighted
        self.items = items
        now = time.time()
        many = len({q.account for q in items}) > 1
        options.clear_options()
        options.add_options(
            [Option(queued_text(q, now=now, account=many), id=q.entry.id) for q in items]
        )
        self.query_one("#outbox-empty").display = not items
        options.display = bool(items)
        if items:
            ids = [q.entry.id for q in items]
            keep = current.entry.id if current is not None else None
            options.highlighted = ids.index(keep) if keep in ids else 0
            options.focus()

    @property
    def highlighted(self) -> Queued | None:
        index = self.options.highlighted
        if index is None or not 0 <= index < len(self.items):
            return None
        return self.items[index]

    # --- actions ---------------------------------------------------------------------

    def action_retry(self) -> None:
        if not self.items:
            self.notify("Nothing is waiting", timeout=2, markup=False)
            return
        self.notify("Sending…", timeout=2, markup=False)
        self.host.outbox_retry_now()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

    def action_edit(self) -> None:
        item = self.highlighted
        if item is not None:
            self.host.outbox_edit(item)

    def action_delete(self) -> None:
        item = self.highlighted
        if item is None:
            return
        subject = clean_line(item.entry.subject) or "(no subject)"
        keeps = item.entry.draft_copy is not None or bool(item.entry.extra.get("draft_saved"))
        question = f"Delete “{subject}” unsent?"
        if keeps:
            question += " (its copy in Drafts stays)"

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._delete(item), group="outbox-delete")

        self.app.push_screen(ConfirmScreen(question, yes="Delete"), answered)

    async def _delete(self, item: Queued) -> None:
        sender = self.host.outbox_senders.get(item.account)
        if sender is None:
            return
        done = await asyncio.to_thread(sender.delete, item.entry)
        if done:
            self.notify("Deleted from the outbox", timeout=3, markup=False)
        else:
            self.notify(
                "It is being sent right now; look again in a moment",
                severity="warning",
                markup=False,
            )
        self.host.outbox_recount()
        self.reload()

    def action_close(self) -> None:
        self.dismiss(None)
