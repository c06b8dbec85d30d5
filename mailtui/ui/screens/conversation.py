"""The conversation view (V): every message of a conversation, from every folder,
stacked in one reader.

The messages come from the cache (`usecase.conversation`: Message-ID, In-Reply-To,
References, X-GM-THRID), so the view opens with no network; bodies load one after
another behind the first paint (the cache first, else the interactive connection),
the opened message's first. The opened message and unread ones start open, the
others folded to their first lines; quoted text is folded in open messages.
`enter` unfolds a folded message, then its quotes, then folds it again; j/k move
between messages; q or escape closes.

Signed and encrypted messages are read as in the reader (`usecase.reading`): verified,
or decrypted in memory only, with the verdict drawn as our own coloured badges between
the message's header line and its body (a body's plain text cannot draw them), and an
encrypted message's protected Subject shown instead of its placeholder.

Everything shown came from strangers: drawn as rich Text from cleaned strings
(`text.safe`, `mime.blocks.render_body`), never markup; bodies are drawn in the
render thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from mailtui.errors import MailtuiError
from mailtui.mime.blocks import Palette, Quote, render_body, split_blocks
from mailtui.mime.threads import base_subject
from mailtui.text.chunks import CancelCheck
from mailtui.text.safe import clean_line
from mailtui.ui import format as fmt
from mailtui.ui import loader
from mailtui.ui.widgets.security import security_text
from mailtui.usecase.conversation import ConversationMessage, find_conversation, first_lines
from mailtui.usecase.secure import StatusLine

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.bridge import Bridge
    from mailtui.usecase.reading import SecureReading

__all__ = ["ConversationScreen", "Entry"]

Fold = Literal["folded", "open", "quotes"]
_NEXT_FOLD: dict[Fold, Fold] = {"folded": "open", "open": "quotes", "quotes": "folded"}


def _body_text(text: str, fold: Fold, palette: Palette, cancelled: CancelCheck = None) -> Text:
    """In the render thread: an open message's body, every quote folded unless `fold`
    is "quotes"."""
    folded: set[int] = set()
    if fold == "open":
        folded = {i for i, b in enumerate(split_blocks(text)) if isinstance(b, Quote)}
    return render_body(
        text, palette=palette, folded=folded, fold_hint="enter shows it", cancelled=cancelled
    )


def _has_quotes(text: str) -> bool:
    return any(isinstance(b, Quote) for b in split_blocks(text))


@dataclass
class Entry:
    """One message of the view: what it is, its body once loaded, how it is folded."""

    message: ConversationMessage
    fold: Fold
    text: str | None = None  # the body as the reader shows it; None while loading
    error: str = ""
    security: tuple[StatusLine, ...] = ()  # the OpenPGP/S-MIME verdict, when there is one
    subject: str = ""  # an encrypted message's protected (real) Subject
    widget: Static = field(init=False)


class ConversationScreen(Screen[None]):
    """The stacked messages of one conversation (see the module docstring)."""

    DEFAULT_CSS = """
    ConversationScreen #conversation-title { height: 1; padding: 0 1; background: $panel; }
    ConversationScreen #conversation-messages { height: 1fr; }
    ConversationScreen .conversation-entry { padding: 0 1; margin-bottom: 1; border-left: blank; }
    ConversationScreen .conversation-entry:focus { border-left: thick $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "next", "Next", show=False),
        Binding("k,up", "previous", "Previous", show=False),
        Binding("enter", "unfold", "Unfold"),
        Binding("q,escape", "close", "Close"),
    ]

    def __init__(
        self,
        service: SyncService,
        bridge: Bridge,
        folder: str,
        uid: int,
        *,
        clock: fmt.Clock | None = None,
        palette: Palette | None = None,
        prefer: str = "plain",
        secure: SecureReading | None = None,
    ) -> None:
        super().__init__(id="conversation")
        self.service = service
        self.bridge = bridge
        self.folder = folder
        self.uid = uid
        self.clock = clock or fmt.Clock()
        self.palette = palette or Palette()
        self.prefer = prefer
        self.secure = secure
        self.entries: list[Entry] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Conversation", style="bold"), id="conversation-title", markup=False)
        yield VerticalScroll(id="conversation-messages")
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self._open(), group="conversation", exclusive=True)

    # --- building -------------------------------------------------------------------------

    async def _open(self) -> None:
        messages = await asyncio.to_thread(find_conversation, self.service, self.folder, self.uid)
        if not messages:
            self.query_one("#conversation-title", Static).update(
                Text("This message is no longer in the cache", style="bold")
            )
            return
        root_subject = base_subject(messages[0].envelope.subject)[0]
        title = Text(clean_line(messages[0].envelope.subject) or "(no subject)", style="bold")
        folders = sorted({m.folder for m in messages} | {f for m in messages for f in m.also_in})
        title.append(
            f"   {len(messages)} message{'s' if len(messages) != 1 else ''} · "
            f"{clean_line(', '.join(folders))}",
            style="dim",
        )
        self.query_one("#conversation-title", Static).update(title)
        box = self.query_one("#conversation-messages", VerticalScroll)
        opened: Entry | None = None
        for message in messages:
            here = message.folder == self.folder and message.uid == self.uid
            fold: Fold = "open" if here or not message.envelope.seen else "folded"
            entry = Entry(message, fold)
            entry.widget = Static(markup=False, classes="conversation-entry")
            entry.widget.can_focus = True
            self.entries.append(entry)
            if here:
                opened = entry
        if opened is None:  # the opened message is a copy shown from another folder
            opened = self.entries[-1]
            opened.fold = "open"
        await box.mount_all([e.widget for e in self.entries])
        for entry in self.entries:
            await self._draw(entry, root_subject)
        opened.widget.focus()
        opened.widget.scroll_visible(animate=False, top=True)
        # Bodies: the opened message's first, then the newest down to the oldest.
        order = [opened] + [e for e in reversed(self.entries) if e is not opened]
        for entry in order:
            await self._load(entry, root_subject)

    async def _load(self, entry: Entry, root_subject: str) -> None:
        message = entry.message
        try:
            loaded = await loader.load_message(
                self.bridge,
                self.service,
                message.folder,
                message.uid,
                prefer=self.prefer,
                secure=self.secure,
            )
            entry.text = loaded.text
            if loaded.secure is not None:
                entry.security = tuple(loaded.secure.lines)
                entry.subject = loaded.secure.subject
        except MailtuiError as exc:
            entry.error = exc.sentence()
            entry.text = ""
        await self._draw(entry, root_subject)

    def _header(self, entry: Entry, root_subject: str) -> Text:
        env = entry.message.envelope
        out = Text(no_wrap=True, overflow="ellipsis", end="")
        out.append("▸ " if entry.fold == "folded" else "▾ ", style="dim")
        out.append(clean_line(fmt.sender(env)) or "(no sender)", style="bold")
        out.append(f"  {fmt.list_date(env.date, self.clock)}", style="dim")
        where = [entry.message.folder, *entry.message.also_in]
        out.append(f"  [{clean_line(', '.join(where))}]", style="dim")
        if not env.seen:
            out.append("  unread", style="bold")
        subject = entry.subject or env.subject
        if base_subject(subject)[0] != root_subject:
            out.append("\n  ")
            out.append(clean_line(subject), style="italic")
        if entry.security:
            out.append("\n")
            out.append_text(security_text(entry.security))
        return out

    async def _draw(self, entry: Entry, root_subject: str = "") -> None:
        root_subject = root_subject or base_subject(self.entries[0].message.envelope.subject)[0]
        text = self._header(entry, root_subject)
        if entry.error:
            text.append("\n")
            text.append(clean_line(entry.error), style="bold")
        elif entry.text is None:
            text.append("\n  …", style="dim")
        elif entry.fold == "folded":
            text.append("\n  ")
            text.append(first_lines(entry.text) or "(no text)", style="dim")
        else:
            body = await loader.in_render_thread(_body_text, entry.text, entry.fold, self.palette)
            text.append("\n")
            text.append_text(body)
        if entry.widget.is_attached:
            entry.widget.update(text)

    # --- keys -----------------------------------------------------------------------------

    def _focused_index(self) -> int | None:
        for index, entry in enumerate(self.entries):
            if entry.widget is self.focused:
                return index
        return None

    def _move(self, step: int) -> None:
        if not self.entries:
            return
        index = self._focused_index()
        index = len(self.entries) - 1 if index is None else index + step
        index = max(0, min(len(self.entries) - 1, index))
        widget = self.entries[index].widget
        widget.focus()
        widget.scroll_visible(animate=False)

    def action_next(self) -> None:
        self._move(1)

    def action_previous(self) -> None:
        self._move(-1)

    def action_unfold(self) -> None:
        index = self._focused_index()
        if index is None:
            return
        entry = self.entries[index]
        entry.fold = _NEXT_FOLD[entry.fold]
        if entry.fold == "quotes" and not _has_quotes(entry.text or ""):
            entry.fold = "folded"  # nothing more to unfold
        self.run_worker(self._draw(entry), group=f"draw-{index}", exclusive=True)

    def action_close(self) -> None:
        self.dismiss(None)
