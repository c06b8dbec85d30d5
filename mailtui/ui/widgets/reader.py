"""The reader pane: header block, body with coloured and foldable quotes, attachments.

Everything drawn here is a rich Text assembled from cleaned strings by mime.render
(Palette styles only), so a subject like "[@click=app.quit]" or an ESC byte in a body
shows literally. Fetching is not done here (see ui/loader.py); this widget only
shows states: empty, loading, a message, or an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mailtui.mime.render import (
    Palette,
    Quote,
    human_size,
    render_body,
    render_headers,
    split_blocks,
)
from mailtui.mime.safe import clean_line
from mailtui.model import Attachment, BodyPart, Envelope
from mailtui.ui import format as fmt
from mailtui.ui.loader import Loaded

FOLD_OVER = 6  # quotes longer than this many lines start folded
# Longer bodies are cut for display until T: Textual wraps a Static's whole text on
# every layout (a 1 MB line costs ~2 s), and a reader pane is not where 1 MB gets read.
SHOWN_CHARS = 200_000


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


def long_quotes(text: str) -> set[int]:
    """Indexes of the quote blocks long enough to fold."""
    return {
        i
        for i, block in enumerate(split_blocks(text))
        if isinstance(block, Quote) and len(block.lines) > FOLD_OVER
    }


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

    def compose(self):
        yield Static(Text(""), id="reader-headers", markup=False)
        yield Static(Text(""), id="reader-body", markup=False)
        yield Static(Text(""), id="reader-attachments", markup=False)

    # --- states --------------------------------------------------------------------------

    def clear(self, message: str = "") -> None:
        self.key = None
        self.envelope = None
        self.loaded = None
        self.error = ""
        self._headers.update(Text(""))
        self._body.loading = False
        self._body.update(Text(message, style="dim", end=""))
        self._attachments.update(Text(""))
        self._attachments.display = False

    def show_envelope(self, key: tuple[str, str, int], env: Envelope) -> None:
        """The header block at once (it is in the cache); the body is loading."""
        self.key = key
        self.envelope = env
        self.loaded = None
        self.error = ""
        self.quotes_open = False
        self._draw_headers()
        self._body.update(Text(""))
        self._body.loading = True
        self._attachments.display = False
        self.scroll_home(animate=False)

    def update_envelope(self, env: Envelope) -> None:
        """The shown message's flags or labels changed: redraw its header block."""
        self.envelope = env
        self._draw_headers()

    def show_loaded(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.folded = set() if self.quotes_open else long_quotes(loaded.text)
        self._body.loading = False
        self._draw_headers()
        self._draw_body()
        self._attachments.update(attachments_text(loaded.attachments, self.palette))
        self._attachments.display = bool(loaded.attachments)

    def show_error(self, message: str) -> None:
        self.error = message
        self._body.loading = False
        self._body.update(Text(clean_line(message), style="bold", end=""))

    def set_palette(self, palette: Palette) -> None:
        self.palette = palette
        if self.envelope is not None:
            self._draw_headers()
        if self.loaded is not None:
            self._draw_body()
            self._attachments.update(attachments_text(self.loaded.attachments, palette))

    def toggle_quotes(self) -> bool:
        """Unfold every quote and show a cut body whole, or fold again; False if there is
        nothing to fold."""
        if self.loaded is None:
            return False
        text = self.loaded.text
        if len(text) <= SHOWN_CHARS and not long_quotes(text):
            return False
        self.quotes_open = not self.quotes_open
        self.folded = set() if self.quotes_open else long_quotes(self.loaded.text)
        self._draw_body()
        return True

    @property
    def is_loading(self) -> bool:
        return self._body.loading

    @property
    def shown_part(self) -> BodyPart | None:
        return self.loaded.part if self.loaded else None

    # --- drawing -------------------------------------------------------------------------

    @property
    def _headers(self) -> Static:
        return self.query_one("#reader-headers", Static)

    @property
    def _body(self) -> Static:
        return self.query_one("#reader-body", Static)

    @property
    def _attachments(self) -> Static:
        return self.query_one("#reader-attachments", Static)

    def _draw_headers(self) -> None:
        if self.envelope is None:
            return
        fields = header_fields(self.envelope, self.clock)
        loaded = self.loaded
        if loaded is not None and len(loaded.alternatives) > 1 and loaded.part is not None:
            kinds = "/".join(clean_line(p.subtype) for p in loaded.alternatives)
            shown = clean_line(loaded.part.subtype)
            fields.append(("Part", f"{shown} of {kinds} (H switches)"))
        self._headers.update(render_headers(fields, palette=self.palette))

    def _draw_body(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        if not loaded.text.strip():
            self._body.update(Text("(no text body)", style=self.palette.dim or None, end=""))
            return
        width = max(self.scrollable_content_region.width - 1, 20)
        text, left_out = (loaded.text, 0) if self.quotes_open else shown_text(loaded.text)
        body = render_body(
            text,
            palette=self.palette,
            folded=self.folded,
            width=width,
            fold_hint="T unfolds",
        )
        if left_out:
            body.append(
                f"\n… {left_out:,} more characters not shown (T shows all)",
                style=self.palette.dim or "dim",
            )
        self._body.update(body)

    def on_resize(self) -> None:
        if self.loaded is not None:
            self._draw_body()

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y
