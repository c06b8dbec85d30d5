"""The reader pane: header block, body with coloured and foldable quotes, attachments.

Everything drawn here is a rich Text assembled from cleaned strings by mime.render
(Palette styles only), so a subject like "[@click=app.quit]" or an ESC byte in a body
shows literally. Fetching is not done here (see ui/loader.py); this widget only
shows states: empty, loading, a message, or an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from mailtui.mime.render import Palette, human_size, render_body, render_headers
from mailtui.model import Attachment, BodyPart, Envelope
from mailtui.text.chunks import CancelCheck, check
from mailtui.text.safe import clean_line
from mailtui.ui import format as fmt
from mailtui.ui.loader import FOLD_OVER, Loaded, in_render_thread, long_quotes, render_whole
from mailtui.ui.widgets.security import SecurityStatus, inline_text

__all__ = [
    "FOLD_OVER",
    "SHOWN_CHARS",
    "BodyLines",
    "Reader",
    "lay_out",
    "long_quotes",
    "shown_text",
]

# Longer bodies are cut for display until T: Textual wraps a Static's whole text on
# every layout (a 1 MB line costs ~2 s), and a reader pane is not where 1 MB gets read.
# Bodies past the render caps (mime.render.TEXT_CAP/HTML_CAP) are cut the same way,
# with the same line, and T renders them whole first.
SHOWN_CHARS = 200_000
# Up to this many characters the body is coloured on the spot (a few ms); longer ones
# in a render thread, so that drawing (quotes, links, wrapping) never stalls the app.
DRAW_HERE_CHARS = 10_000
_DRAW = "reader-draw"
_WHOLE = "reader-whole"


def shown_text(text: str, limit: int = SHOWN_CHARS) -> tuple[str, int]:
    """The body cut to about `limit` characters (at a line end when one is near) and how
    many characters were left out."""
    if len(text) <= limit:
        return text, 0
    cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return text[:cut], len(text) - cut


def header_fields(env: Envelope, clock: fmt.Clock) -> list[tuple[str, str]]:
    """From/To/Cc/Date/Subject and the labels, values cleaned."""
    fields = [
        ("From", ", ".join(clean_line(a.full()) for a in env.from_)),
        ("To", clean_line(env.to)),
        ("Cc", clean_line(env.cc)),
        ("Date", fmt.full_date(env.date or env.internaldate, clock)),
        ("Subject", clean_line(env.subject) or "(no subject)"),
    ]
    tags = fmt.labels(env)
    if tags:
        fields.append(("Labels", ", ".join(tags)))
    return fields


def _cut_note(left_out: int, cut: int) -> str:
    """The line under a body shown in part, saying how much is missing and what T does."""
    if cut:
        return f"\n… {left_out + cut:,} more characters not shown (T renders and shows all)"
    return f"\n… {left_out:,} more characters not shown (T shows all)"


class BodyLines(Widget):
    """A long body, laid out ahead in a render thread, drawn only where it is visible.

    A Static lays out its whole text on the event loop at every layout (200k characters
    take about 0.5 s), so bodies past DRAW_HERE_CHARS come here instead: the lines are
    made in the thread (`lay_out`) and Textual asks only for the ones on screen.
    """

    DEFAULT_CSS = "BodyLines { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: list[list[Segment]] = []

    def set_lines(self, lines: list[list[Segment]]) -> None:
        self._lines = lines
        self.styles.height = len(lines)
        self.refresh(layout=True)

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        if 0 <= y < len(self._lines):
            return (
                Strip(self._lines[y]).apply_style(style).extend_cell_length(self.size.width, style)
            )
        return Strip.blank(self.size.width, style)


def lay_out(body: Text, width: int) -> list[list[Segment]]:
    """`body` as screen lines `width` cells wide (rich wraps it, as a Static would)."""
    console = Console(
        width=width,
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
    )
    return console.render_lines(body, console.options.update_width(width), pad=False)


@dataclass(frozen=True)
class _BodyDraw:
    """What the body is drawn from: the text shown (long quotes folded), how much of
    the message was left out before it or cut after it, the width and the colours."""

    text: str
    left_out: int
    cut: int
    width: int
    folded: frozenset[int]
    palette: Palette
    hyperlinks: bool = False


def _body_lines(
    draw: _BodyDraw, lines_width: int, cancelled: CancelCheck = None
) -> list[list[Segment]]:
    """In the render thread: the body drawn and laid out (see BodyLines)."""
    body = _body_text(draw, cancelled)
    check(cancelled)
    return lay_out(body, lines_width)


def _body_text(draw: _BodyDraw, cancelled: CancelCheck = None) -> Text:
    """The body as drawn: coloured quotes and links, the note when it is cut."""
    palette = draw.palette
    body = render_body(
        draw.text,
        palette=palette,
        folded=set(draw.folded),
        width=draw.width,
        fold_hint="T unfolds",
        cancelled=cancelled,
        hyperlinks=draw.hyperlinks,
    )
    if draw.left_out or draw.cut:
        body.append(_cut_note(draw.left_out, draw.cut), style=palette.dim or "dim")
    return body


def attachments_text(items: Sequence[Attachment], palette: Palette) -> Text:
    out = Text(end="")
    if not items:
        return out
    out.append("Attachments (A to save or open)", style=palette.header_name or None)
    for i, att in enumerate(items, 1):
        out.append("\n")
        out.append(f" [{i}] ", style=palette.dim or None)
        out.append(clean_line(att.filename), style=palette.attachment or None)
        out.append(
            f"  {clean_line(att.mime_type)}, {human_size(att.size)}", style=palette.dim or None
        )
    return out


class Reader(VerticalScroll, can_focus=True):
    """Shows one message; scrolls with the registry's keys when focused."""

    inherit_bindings = False

    def __init__(self, *, clock: fmt.Clock | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or fmt.Clock()
        self.palette = Palette()
        self.envelope: Envelope | None = None
        self.key: tuple[str, str, int] | None = None  # (account, folder, uid)
        self.loaded: Loaded | None = None
        self.folded: set[int] = set()
        self.quotes_open = False
        self.error = ""
        self._drawing = 0  # bumped by every draw: a slower, older one is then dropped
        self._shown = 0  # bumped when another message (or none) is shown
        self._whole_pending = False  # T is rendering a cut body whole
        self.all_headers: list[tuple[str, str]] | None = None  # h: every field, cleaned
        # The reader's parts, made once: showing a message updates them, never replaces them.
        self._headers = Static(Text(""), id="reader-headers", markup=False)
        self.security = SecurityStatus(id="reader-security")
        # A calendar invitation's readable block (ui/invites.py fills it), over the body.
        self._invite = Static(Text(""), id="reader-invite", markup=False)
        self._invite.display = False
        self.invite_lines: list[str] = []
        # Links the body shows in full become OSC 8 hyperlinks (`[ui] osc8_links`).
        self.hyperlinks = False
        self._body = Static(Text(""), id="reader-body", markup=False)
        self._lines = BodyLines(id="reader-lines")
        self._attachments = Static(Text(""), id="reader-attachments", markup=False)

    def compose(self) -> ComposeResult:
        yield self._headers
        yield self.security
        yield self._invite
        yield self._body
        yield self._lines
        yield self._attachments

    # --- states --------------------------------------------------------------------------

    def _abandon_drawing(self) -> None:
        """Drop draws and whole renders still running for what was shown before."""
        self._drawing += 1
        self._shown += 1
        self._whole_pending = False
        self.workers.cancel_group(self, _DRAW)
        self.workers.cancel_group(self, _WHOLE)

    def clear(self, message: str = "") -> None:
        self._abandon_drawing()
        self.key = None
        self.envelope = None
        self.loaded = None
        self.error = ""
        self._headers.update(Text(""))
        self.security.show_lines(())
        self.show_invitation([])
        self._show_static(Text(message, style="dim", end=""))
        self._attachments.update(Text(""))
        self._attachments.display = False

    def show_envelope(self, key: tuple[str, str, int], env: Envelope) -> None:
        """The header block at once (it is in the cache); the body is loading."""
        self._abandon_drawing()
        self.key = key
        self.envelope = env
        self.loaded = None
        self.error = ""
        self.quotes_open = False
        self.all_headers = None
        self._draw_headers()
        self.security.show_lines(())
        self.show_invitation([])
        self._show_static(Text(""))
        self._body.loading = True
        self._attachments.display = False
        self.scroll_home(animate=False)

    def update_envelope(self, env: Envelope) -> None:
        """The shown message's flags or labels changed: redraw its header block."""
        self.envelope = env
        self._draw_headers()

    def show_loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.folded = set() if self.quotes_open else set(loaded.quotes)
        self._body.loading = False
        self._draw_headers()
        self._draw_security()
        self._draw_body()
        self._attachments.update(attachments_text(loaded.attachments, self.palette))
        self._attachments.display = bool(loaded.attachments)

    def show_invitation(self, lines: list[str], hint: str = "") -> None:
        """The invitation block over the body (`lines` are clean text; [] hides it)."""
        self.invite_lines = list(lines)
        self._invite.display = bool(lines)
        if not lines:
            self._invite.update(Text(""))
            return
        block = Text(end="")
        block.append(clean_line(lines[0]), style=self.palette.subject or "bold")
        for line in lines[1:]:
            block.append("\n" + clean_line(line))
        if hint:
            block.append("\n" + clean_line(hint), style=self.palette.dim or "dim")
        self._invite.update(block)

    def show_error(self, message: str) -> None:
        self._abandon_drawing()
        self.error = message
        self._show_static(Text(clean_line(message), style="bold", end=""))

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette
        if self.envelope is not None:
            self._draw_headers()
        if self.loaded is not None:
            self._draw_body()
            self._attachments.update(attachments_text(self.loaded.attachments, palette))

    def toggle_quotes(self) -> bool:
        """Unfold every quote and show a cut body whole, or fold again; False if there is
        nothing to fold. A body cut at the render cap is first rendered whole, in a
        render thread."""
        loaded = self.loaded
        if loaded is None:
            return False
        if len(loaded.text) <= SHOWN_CHARS and not loaded.quotes and not loaded.cut:
            return False
        self.quotes_open = not self.quotes_open
        if self.quotes_open and loaded.cut:
            self._whole_pending = True
            self._drawing += 1
            self.workers.cancel_group(self, _DRAW)
            self._show_static(Text(""))
            self._body.loading = True
            self.run_worker(
                self._render_whole(self._shown, loaded),
                group=_WHOLE,
                exclusive=True,
                exit_on_error=False,
            )
            return True
        if self._whole_pending:  # T again before the whole body came: keep it cut
            self.workers.cancel_group(self, _WHOLE)
            self._whole_pending = False
        self.folded = set() if self.quotes_open else set(loaded.quotes)
        self._draw_body()
        return True

    async def _render_whole(self, shown: int, loaded: Loaded) -> None:
        whole = await render_whole(loaded)
        if shown != self._shown or self.loaded is not loaded:
            return
        self._whole_pending = False
        self.loaded = whole
        self.folded = set()
        self._draw_body()

    @property
    def is_loading(self) -> bool:
        return self._body.loading

    @property
    def shown_part(self) -> BodyPart | None:
        return self.loaded.part if self.loaded else None

    # --- drawing -------------------------------------------------------------------------

    def show_all_headers(self, fields: list[tuple[str, str]] | None) -> None:
        """Every header field of the shown message (`h`), or None: the usual few."""
        self.all_headers = fields
        self._draw_headers()

    def _draw_headers(self) -> None:
        if self.envelope is None:
            return
        if self.all_headers is not None:
            self._headers.update(render_headers(self.all_headers, palette=self.palette))
            return
        fields = header_fields(self.envelope, self.clock)
        loaded = self.loaded
        if loaded is not None and loaded.secure is not None and loaded.secure.subject:
            # The real Subject, from inside the encryption (protected headers).
            fields = [
                (k, clean_line(loaded.secure.subject)) if k == "Subject" else (k, v)
                for k, v in fields
            ]
        if loaded is not None and len(loaded.alternatives) > 1 and loaded.part is not None:
            kinds = "/".join(clean_line(p.subtype) for p in loaded.alternatives)
            shown = clean_line(loaded.part.subtype)
            fields.append(("Part", f"{shown} of {kinds} (H switches)"))
        self._headers.update(render_headers(fields, palette=self.palette))

    def _draw_security(self) -> None:
        loaded = self.loaded
        lines = list(loaded.secure.lines) if loaded and loaded.secure else []
        lines += list(loaded.inline.lines) if loaded and loaded.inline else []
        self.security.show_lines(lines)

    def _draw_body(self) -> None:
        loaded = self.loaded
        if loaded is None or self._whole_pending:
            return
        self._drawing += 1
        self.workers.cancel_group(self, _DRAW)
        if loaded.inline is not None:
            width = max(self.scrollable_content_region.width - 3, 20)
            self._show_static(inline_text(loaded.inline, self.palette, width))
            return
        if not loaded.text or loaded.text.isspace():
            self._show_static(Text("(no text body)", style=self.palette.dim or None, end=""))
            return
        width = max(self.scrollable_content_region.width - 1, 20)
        text, left_out = (loaded.text, 0) if self.quotes_open else shown_text(loaded.text)
        draw = _BodyDraw(
            text,
            left_out,
            loaded.cut,
            width,
            frozenset(self.folded),
            self.palette,
            self.hyperlinks,
        )
        if len(text) <= DRAW_HERE_CHARS:
            self._show_static(_body_text(draw))
            return
        # Long: the lines will need the scrollbar's column, whether it shows yet or not.
        lines_width = self.scrollable_content_region.width
        if not self.show_vertical_scrollbar:
            lines_width -= self.styles.scrollbar_size_vertical
        self._body.loading = True
        self.run_worker(
            self._draw_in_thread(self._drawing, draw, max(lines_width, 20)),
            group=_DRAW,
            exit_on_error=False,
        )

    def _show_static(self, body: Text) -> None:
        self._lines.display = False
        self._lines.set_lines([])
        self._body.display = True
        self._body.loading = False
        self._body.update(body)

    async def _draw_in_thread(self, drawing: int, draw: _BodyDraw, lines_width: int) -> None:
        lines = await in_render_thread(_body_lines, draw, lines_width)
        if drawing == self._drawing:
            self._body.loading = False
            self._body.update(Text(""))
            self._body.display = False
            self._lines.display = True
            self._lines.set_lines(lines)

    def on_resize(self) -> None:
        if self.loaded is not None:
            self._draw_body()

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y
