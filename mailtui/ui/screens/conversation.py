"""The conversation view (V): every message of a conversation, from every folder,
stacked in one reader.

The messages come from the cache (`usecase.conversation`: Message-ID, In-Reply-To,
References, X-GM-THRID), so the view opens with no network; bodies load one after
another behind the first paint (the cache first, else the interactive connection),
the opened message's first. The opened message and unread ones start open, the
others folded to their first lines; quoted text is folded in open messages.
`enter` unfolds a folded message, then its quotes, then folds it again; j/k move
between messages; q or escape closes.

The triage keys act on the focused message, in whatever folder it is: d deletes and a
archives it (it leaves the view), s flags and U marks it read or unread, r/R/f answer
or forward it through the normal review screen, u undoes the last change and rebuilds
the view from the cache. They are the main screen's keymap entries, so `[ui.keys]`
rebinds them here too, and they submit the same journaled commands.

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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
from mailtui.model import FLAGGED, SEEN, MessageRef
from mailtui.sync import commands
from mailtui.text.chunks import CancelCheck
from mailtui.text.safe import clean_line
from mailtui.ui import format as fmt
from mailtui.ui import keymap, loader
from mailtui.ui.bridge import ServiceFailed
from mailtui.ui.widgets.security import security_text
from mailtui.usecase.conversation import ConversationMessage, find_conversation, first_lines
from mailtui.usecase.secure import StatusLine

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService
    from mailtui.ui.bridge import Bridge
    from mailtui.usecase.reading import SecureReading

__all__ = ["ConversationScreen", "Entry"]

Fold = Literal["folded", "open", "quotes"]
# The main screen's actions that work on one message here (their keys from the keymap).
TRIAGE = ("delete", "archive", "flag", "toggle_read", "reply", "reply_all", "forward", "undo")
Answer = Callable[[str, MessageRef], None]  # (compose mode, the message answered)
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
        *keymap.bindings(spec for spec in keymap.ACTIONS if spec.name in TRIAGE),
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
        answer: Answer | None = None,
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
        self.answer = answer
        self.entries: list[Entry] = []
        self._folders: set[str] = set()  # every folder the conversation was seen in

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
        self._folders.update(folders)
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
        self.set_focus(opened.widget, scroll_visible=False)
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
        if env.flagged:
            out.append("  ⚑ flagged", style="bold")
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
        # At once, not at the next idle (Widget.focus): a key already queued behind
        # this one (j d typed fast) must act on the message j moved to.
        self.set_focus(widget, scroll_visible=False)
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

    # --- triage on the focused message -----------------------------------------------------

    def _focused_entry(self) -> Entry | None:
        index = self._focused_index()
        if index is None:
            self.notify("No message here", timeout=2, markup=False)
            return None
        return self.entries[index]

    def _leave(
        self, make: type[commands.ArchiveMessages | commands.DeleteMessages], done: str
    ) -> None:
        """Delete or archive the focused message; it leaves the view."""
        entry = self._focused_entry()
        if entry is None:
            return
        message = entry.message
        self.bridge.submit(self.service, make(folder=message.folder, uids=(message.uid,)))
        index = self.entries.index(entry)
        self.entries.remove(entry)
        entry.widget.remove()
        self.notify(f"{done} 1 message — u undoes", timeout=3, markup=False)
        if not self.entries:
            self.dismiss(None)
            return
        neighbour = self.entries[min(index, len(self.entries) - 1)]
        self.set_focus(neighbour.widget, scroll_visible=False)

    def action_delete(self) -> None:
        self._leave(commands.DeleteMessages, "Deleted")

    def action_archive(self) -> None:
        self._leave(commands.ArchiveMessages, "Archived")

    def _toggle(self, flag: str, on_word: str, off_word: str) -> None:
        entry = self._focused_entry()
        if entry is None:
            return
        message = entry.message
        on = flag not in message.envelope.flags
        add, remove = (frozenset({flag}), frozenset()) if on else (frozenset(), frozenset({flag}))
        self.bridge.submit(
            self.service,
            commands.SetFlags(folder=message.folder, uids=(message.uid,), add=add, remove=remove),
        )
        # The service changed the cache before submit returned: redraw from it.
        env = self.service.envelope(message.folder, message.uid)
        if env is not None:
            entry.message = replace(message, envelope=env)
        self.notify(f"{on_word if on else off_word} 1 message — u undoes", timeout=3, markup=False)
        self.run_worker(self._draw(entry), group=f"draw-{id(entry)}", exclusive=True)

    def action_flag(self) -> None:
        self._toggle(FLAGGED, "Flagged", "Unflagged")

    def action_toggle_read(self) -> None:
        self._toggle(SEEN, "Marked read:", "Marked unread:")

    def _answer(self, mode: str) -> None:
        entry = self._focused_entry()
        if entry is None or self.answer is None:
            return
        self.answer(mode, MessageRef(entry.message.folder, entry.message.uid))

    def action_reply(self) -> None:
        self._answer("reply")

    def action_reply_all(self) -> None:
        self._answer("reply_all")

    def action_forward(self) -> None:
        self._answer("forward")

    def action_undo(self) -> None:
        self.run_worker(self._undo(), group="conversation-undo", exclusive=True)

    async def _undo(self) -> None:
        try:
            # Undoing a move may wait for the server's new UIDs: not on the UI thread.
            result = await self.bridge.call(self.service, commands.Undo(), submit=asyncio.to_thread)
        except ServiceFailed as exc:
            self.notify(exc.sentence(), severity="warning", markup=False)
            return
        self.notify("Undone" if result else "Nothing to undo", timeout=2, markup=False)
        if not result:
            return
        # The message comes back under a new UID the cache learns from a sync of its
        # folder once the server has taken the undo (the journal is empty): then bring
        # the conversation's folders up to date and draw it again.
        await asyncio.to_thread(self.service.wait_writer_idle, 30)
        for folder in sorted(self._folders):
            try:
                await self.bridge.call(self.service, commands.SyncFolder(folder=folder))
            except ServiceFailed:
                continue  # drawn from what the cache has
        await self._rebuild()

    async def _rebuild(self) -> None:
        """The view again from the cache, anchored on a message still in it."""
        focused = self._focused_index()
        anchor = self.entries[focused].message if focused is not None else None
        if anchor is not None:
            self.folder, self.uid = anchor.folder, anchor.uid
        for entry in self.entries:
            await entry.widget.remove()
        self.entries = []
        await self._open()
