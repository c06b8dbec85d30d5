"""The review screen before sending, and the glue the app uses to compose.

Flow (all in one worker, see `run_compose`): the draft is edited as text
(`editor.edit_with_external`), then reviewed here: y send, e edit again, a attach
(path completion), D remove the highlighted attachment, t/c/b change To/Cc/Bcc (with
address completion), s save as draft, q/escape cancel (asking when something would be
lost). The screen only decides; it returns a `ReviewResult` and the app sends it with
`compose.flow.send_draft` in a thread worker.

Everything shown may come from a stranger (a reply copies their name and subject):
it is drawn as rich Text built from strings cleaned by `text.safe`, never as markup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Generic, Literal, TypeVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import Suggester
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from mailtui.compose.addresses import format_address, format_addresses, parse_address_list
from mailtui.compose.complete import AddressBook, complete_address, complete_path
from mailtui.compose.draft import (
    AttachmentData,
    Draft,
    DraftError,
)
from mailtui.compose.editable import draft_to_editable_text, parse_edited_text
from mailtui.compose.when import parse_when
from mailtui.errors import MailtuiError
from mailtui.mime.render import human_size
from mailtui.model import Address
from mailtui.text.safe import clean_line, clean_text
from mailtui.ui.screens.editor import ConfirmScreen, edit_with_external
from mailtui.usecase.protect import PgpChoice

# Blocking check run before sending with encryption on: "" or why it cannot be sent.
KeyCheck = Callable[[Draft, PgpChoice], str]

__all__ = [
    "AddressSuggester",
    "PathSuggester",
    "PromptScreen",
    "ReviewResult",
    "ReviewScreen",
    "run_compose",
]

T = TypeVar("T")
Action = Literal["send", "later", "draft", "cancel"]


@dataclass(frozen=True)
class ReviewResult:
    """What the user chose; `draft` is the latest valid draft, `text` the latest edit."""

    action: Action
    draft: Draft
    text: str = ""
    pgp: PgpChoice | None = None  # sign/encrypt as the review line showed it
    when: float = 0.0  # "later": send at this time (epoch seconds)


# --------------------------------------------------------------------------- completion


class AddressSuggester(Suggester):
    """Completes the last address of a To/Cc/Bcc field from the known addresses."""

    def __init__(self, known: AddressBook | Iterable[Address | str]) -> None:
        # Case-sensitive on Textual's side: the suggestion keeps what is already typed.
        super().__init__(use_cache=True, case_sensitive=True)
        self.book = known if isinstance(known, AddressBook) else AddressBook(known)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_address(value, self.book)


class PathSuggester(Suggester):
    """Completes file paths (the file system changes, so nothing is cached)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


class PromptScreen(ModalScreen[T | None], Generic[T]):
    """One line of input, checked by `parse` (a MailtuiError is shown and the prompt stays).

    Right arrow, end or Tab takes the grey suggestion; enter submits; escape cancels.
    """

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen #prompt-box { width: 80%; max-width: 100; height: auto;
        border: round $primary; background: $surface; padding: 0 1; }
    PromptScreen #prompt-error { color: $error; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
        Binding("tab", "accept", "Complete", show=False, priority=True),
    ]

    def __init__(
        self,
        title: str,
        parse: Callable[[str], T],
        *,
        value: str = "",
        placeholder: str = "",
        suggester: Suggester | None = None,
    ) -> None:
        super().__init__(classes="prompt")
        self.title_text = title
        self.parse = parse
        self.value = value
        self.placeholder = placeholder
        self.suggester = suggester

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(Text(self.title_text, style="bold"), id="prompt-title", markup=False)
            yield Input(
                self.value,
                placeholder=self.placeholder,
                suggester=self.suggester,
                id="prompt-input",
            )
            yield Static("", id="prompt-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            result = self.parse(event.value)
        except MailtuiError as exc:
            self.query_one("#prompt-error", Static).update(Text(clean_text(exc.sentence())))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_accept(self) -> None:
        """Tab: take the grey suggestion, as → does (the cursor goes to the end first)."""
        field = self.query_one(Input)
        field.cursor_position = len(field.value)
        field.action_cursor_right()


# --------------------------------------------------------------------------- review


def _header_text(draft: Draft) -> Text:
    out = Text(end="")
    rows: list[tuple[str, str]] = [
        ("From", format_address(draft.from_)),
        ("To", format_addresses(draft.to)),
        ("Cc", format_addresses(draft.cc)),
        ("Bcc", format_addresses(draft.bcc)),
        ("Subject", draft.subject),
    ]
    rows += list(draft.extra_headers)
    for i, (name, value) in enumerate(rows):
        if not value and name in ("Cc", "Bcc"):
            continue
        if i:
            out.append("\n")
        out.append(f"{clean_line(name)}: ", style="bold")
        if value:
            out.append(clean_line(value))
        else:
            out.append("(none)" if name != "To" else "(no recipient: press t)", style="dim")
    return out


def _attachment_text(att: AttachmentData) -> Text:
    text = Text(clean_line(att.filename) or "attachment", no_wrap=True, overflow="ellipsis")
    text.append(f"  {clean_line(att.content_type)}, {human_size(att.size)}", style="dim")
    return text


class ReviewScreen(Screen[ReviewResult]):
    """The last look before sending; returns a `ReviewResult` with `dismiss`."""

    DEFAULT_CSS = """
    ReviewScreen #review-title { height: 1; padding: 0 1; background: $panel; }
    ReviewScreen #review-headers { height: auto; padding: 0 1; }
    ReviewScreen #review-error { height: auto; padding: 0 1; color: $error; }
    ReviewScreen #review-pgp { height: auto; padding: 0 1; }
    ReviewScreen #review-attachments { height: auto; max-height: 8; border: round $panel; }
    ReviewScreen #review-body { height: 1fr; padding: 0 1; border-top: solid $panel; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "send", "Send"),
        Binding("L", "send_later", "Send later"),
        Binding("e", "edit", "Edit"),
        Binding("a", "attach", "Attach"),
        Binding("D", "detach", "Remove attachment"),
        Binding("t", "recipients('to')", "To"),
        Binding("c", "recipients('cc')", "Cc"),
        Binding("b", "recipients('bcc')", "Bcc"),
        Binding("u", "subject", "Subject"),
        Binding("s", "save_draft", "Save draft"),
        Binding("S", "toggle_sign", "Sign"),
        Binding("X", "toggle_encrypt", "Encrypt"),
        Binding("q,escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        draft: Draft,
        *,
        text: str | None = None,
        pristine: Draft | None = None,
        known_addresses: AddressBook | Iterable[Address | str] = (),
        editor_command: Sequence[str] | None = None,
        pgp: PgpChoice | None = None,
        check_keys: KeyCheck | None = None,
    ) -> None:
        super().__init__()
        self.pgp = pgp
        self.check_keys = check_keys
        self._when = 0.0  # set by L (send later) once a time is chosen
        self.draft = draft
        self.pristine = pristine if pristine is not None else draft
        self.book = (
            known_addresses
            if isinstance(known_addresses, AddressBook)
            else AddressBook(known_addresses)
        )
        self.editor_command = editor_command
        self.error = ""
        self.text = draft_to_editable_text(draft)
        if text is not None:
            self._apply_text(text, refresh=False)

    # --- layout ----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        title = Text("Review", style="bold")
        title.append("   y send · e edit · a attach · s save draft · q cancel", style="dim")
        yield Static(title, id="review-title", markup=False)
        yield Static("", id="review-headers", markup=False)
        yield Static("", id="review-pgp", markup=False)
        yield Static("", id="review-error", markup=False)
        yield OptionList(id="review-attachments", markup=False)
        with VerticalScroll(id="review-body"):
            yield Static("", id="review-body-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        self.query_one("#review-headers", Static).update(_header_text(self.draft))
        pgp_line = self.query_one("#review-pgp", Static)
        pgp_line.display = self.pgp is not None
        if self.pgp is not None:
            style = "bold green" if self.pgp.active else "dim"
            pgp_line.update(Text(self.pgp.line(), style=style))
        error = self.query_one("#review-error", Static)
        error.update(Text(clean_text(self.error)))  # may quote a stranger's address
        error.display = bool(self.error)
        options = self.query_one("#review-attachments", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(_attachment_text(a)) for a in self.draft.attachments])
        options.display = bool(self.draft.attachments)
        if self.draft.attachments:
            last = len(self.draft.attachments) - 1
            options.highlighted = min(highlighted if highlighted is not None else 0, last)
            options.focus()
        body = self.draft.body if not self.error else self.text
        self.query_one("#review-body-text", Static).update(Text(clean_text(body)))

    # --- state -----------------------------------------------------------------------

    def _apply_text(self, text: str, *, refresh: bool = True) -> None:
        """Take an edit: a valid one replaces the draft; a broken one is kept with its error."""
        self.text = text
        try:
            self.draft = parse_edited_text(text, self.draft)
            self.error = ""
        except DraftError as exc:
            self.error = f"{exc.sentence()} (press e to fix it)"
        if refresh:
            self._refresh()

    def _set_draft(self, draft: Draft) -> None:
        self.draft = draft
        self.text = draft_to_editable_text(draft)
        self._refresh()

    @property
    def changed(self) -> bool:
        """Whether cancelling would lose something the user did."""
        return bool(self.error) or self.draft != self.pristine

    def _blocked(self) -> bool:
        if self.error:
            self.notify(self.error, severity="error", markup=False)
            return True
        return False

    # --- actions ---------------------------------------------------------------------

    def action_send(self) -> None:
        if self._blocked():
            return
        if not self.draft.recipients:
            self.notify("Add a recipient first (t)", severity="warning", markup=False)
            return
        if self.pgp is not None and self.pgp.encrypt != "off" and self.check_keys is not None:
            self.run_worker(self._send_checked(self.pgp), exclusive=True, group="review-keys")
            return
        self._dismiss_send(self.pgp)

    def _dismiss_send(self, pgp: PgpChoice | None) -> None:
        """y: send (after the undo window); after L: send at the time chosen."""
        action: Action = "later" if self._when else "send"
        self.dismiss(ReviewResult(action, self.draft, self.text, pgp, when=self._when))

    def action_send_later(self) -> None:
        """Ask when, then send as y does but held in the outbox until then."""
        if self._blocked():
            return
        if not self.draft.recipients:
            self.notify("Add a recipient first (t)", severity="warning", markup=False)
            return

        def chosen(when: float | None) -> None:
            if when is not None:
                self._when = when
                self.action_send()

        prompt: PromptScreen[float] = PromptScreen(
            "Send at",
            lambda text: parse_when(text).timestamp(),
            placeholder="tomorrow 9:00 · in 2h · fri 8:30 · 2026-12-24T09:00",
        )
        self.app.push_screen(prompt, chosen)

    async def _send_checked(self, pgp: PgpChoice) -> None:
        """Encryption on: every recipient needs a key, or nothing is sent (and the
        review stays, saying who lacks one)."""
        assert self.check_keys is not None
        problem = await asyncio.to_thread(self.check_keys, self.draft, pgp)
        if problem:
            self.error = problem
            self._refresh()
            self.error = ""  # the draft itself is fine: y again after X or an import
            self._when = 0.0
            return
        self._dismiss_send(pgp)

    def action_toggle_sign(self) -> None:
        if self.pgp is not None:
            self.pgp = self.pgp.toggled_sign()
            self._refresh()

    def action_toggle_encrypt(self) -> None:
        if self.pgp is not None:
            self.pgp = self.pgp.toggled_encrypt()
            self._refresh()

    def action_save_draft(self) -> None:
        if not self._blocked():
            self.dismiss(ReviewResult("draft", self.draft, self.text, self.pgp))

    def action_edit(self) -> None:
        self.run_worker(self._edit(), exclusive=True, group="review-edit")

    async def _edit(self) -> None:
        edited = await edit_with_external(self.app, self.text, command=self.editor_command)
        if edited is not None:
            self._apply_text(edited)

    def action_attach(self) -> None:
        def added(att: AttachmentData | None) -> None:
            if att is not None:
                self._set_draft(replace(self.draft, attachments=(*self.draft.attachments, att)))
                self.notify(
                    f"Attached {clean_line(att.filename)} ({human_size(att.size)})", markup=False
                )

        prompt: PromptScreen[AttachmentData] = PromptScreen(
            "Attach file",
            _read_attachment,
            placeholder="path (→ completes)",
            suggester=PathSuggester(),
        )
        self.app.push_screen(prompt, added)

    def action_detach(self) -> None:
        options = self.query_one("#review-attachments", OptionList)
        index = options.highlighted
        if index is None or not 0 <= index < len(self.draft.attachments):
            return
        gone = self.draft.attachments[index]
        kept = self.draft.attachments[:index] + self.draft.attachments[index + 1 :]
        self._set_draft(replace(self.draft, attachments=kept))
        self.notify(f"Removed {clean_line(gone.filename)}", markup=False)

    def action_subject(self) -> None:
        """u: the Subject in a line (the editor is not needed for it)."""
        if self._blocked():
            return

        def changed(subject: str | None) -> None:
            if subject is not None:
                self._set_draft(replace(self.draft, subject=subject))

        def one_line(text: str) -> str:
            return " ".join(text.split())

        prompt: PromptScreen[str] = PromptScreen("Subject", one_line, value=self.draft.subject)
        self.app.push_screen(prompt, changed)

    def action_recipients(self, field: str) -> None:
        if self._blocked():
            return
        current: tuple[Address, ...] = getattr(self.draft, field)

        def changed(addresses: tuple[Address, ...] | None) -> None:
            if addresses is not None:
                self._set_draft(replace(self.draft, **{field: addresses}))

        prompt: PromptScreen[tuple[Address, ...]] = PromptScreen(
            field.title(),
            parse_address_list,
            value=format_addresses(current),
            placeholder="Name <user@example.com>, …  (Tab or → completes)",
            suggester=AddressSuggester(self.book),
        )
        self.app.push_screen(prompt, changed)

    def action_cancel(self) -> None:
        cancel = ReviewResult("cancel", self.draft, self.text)
        if not self.changed:
            self.dismiss(cancel)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(cancel)

        self.app.push_screen(ConfirmScreen("Discard this message?", yes="Discard"), answered)


def _read_attachment(path: str) -> AttachmentData:
    if not path.strip():
        raise DraftError("Type the path of a file to attach")
    return AttachmentData.from_path(path.strip())


# --------------------------------------------------------------------------- glue


async def run_compose(
    app: App[Any],
    draft: Draft,
    *,
    known_addresses: AddressBook | Iterable[Address | str] = (),
    pristine: Draft | None = None,
    edit_first: bool = True,
    editor_command: Sequence[str] | None = None,
    pgp: PgpChoice | None = None,
    check_keys: KeyCheck | None = None,
) -> ReviewResult:
    """Edit, then review; the user's choice. Run it in a worker (`@work` or run_worker).

    `pristine` is the template the draft started from (what "changed" compares with).
    """
    text = draft_to_editable_text(draft)
    if edit_first:
        edited = await edit_with_external(app, text, command=editor_command)
        if edited is None:
            return ReviewResult("cancel", draft, text)
        text = edited
    screen = ReviewScreen(
        draft,
        text=text,
        pristine=pristine if pristine is not None else draft,
        known_addresses=known_addresses,
        editor_command=editor_command,
        pgp=pgp,
        check_keys=check_keys,
    )
    result: ReviewResult = await app.push_screen(screen, wait_for_dismiss=True)
    return result
