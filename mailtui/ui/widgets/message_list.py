"""The virtual message list: a Line API widget over a folder's UID list.

It holds only the ordered UIDs (100k ints are cheap) and asks its `fetch` callback for
the envelopes of the rows on screen (plus a margin), keeping a small LRU. Opening a
100k-message folder therefore costs one `view()` and one page of envelopes, the same
as a 100-message one; scrolling reads a page at a time. Deltas replace the UID list
and keep the cursor on the same message, at the same screen line.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mailtui.model import Envelope
from mailtui.ui import format as fmt

Fetch = Callable[[Sequence[int]], dict[int, Envelope]]

_ENVELOPE_CACHE = 4000
_MARGIN = 40  # rows fetched beyond the screen in each direction
_SCAN_CHUNK = 500


# UIDs are 32-bit (RFC 9051 §2.3.1.1): the list's order as a C array of them, 4 bytes a
# row, where a list of ints cost 36 (issue 17: 3.6 MB for a 100k folder, 36 MB for 1M).
UID_TYPE = "I" if array("I").itemsize >= 4 else "L"


def uid_array(uids: Iterable[int] = ()) -> array[int]:
    """UIDs in the list's compact form (an array given is used as it is)."""
    if isinstance(uids, array) and uids.typecode == UID_TYPE:
        return uids
    return array(UID_TYPE, uids)


@dataclass(frozen=True)
class Rows:
    """What the list shows: UIDs in order, thread depths, hidden replies per root."""

    uids: Sequence[int] = ()
    depths: Sequence[int] | None = None
    hidden: dict[int, int] | None = None


class MessageList(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of messages; only the visible ones are read and drawn.

    Navigation keys come from the action registry (on the screen), not ScrollView: its
    bindings (arrows, pageup/pagedown, home/end) would scroll the view and leave the
    cursor behind. Textual reads `inherit_bindings` only as a class keyword.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "message-list--cursor",
        "message-list--cursor-blurred",
        "message-list--unread",
        "message-list--flagged",
        "message-list--answered",
        "message-list--attachment",
        "message-list--date",
        "message-list--selected",
        "message-list--match",
        "message-list--thread",
        "message-list--placeholder",
    }

    class CursorMoved(Message):
        """The cursor is on another message (or on none).

        `user` tells a move the user made (a key, a click) from one the list made itself
        (a folder loaded, the message under the cursor went away): only the former may
        mark a message read.
        """

        def __init__(self, uid: int | None, user: bool = False) -> None:
            super().__init__()
            self.uid = uid
            self.user = user

    class Activated(Message):
        """The user double-clicked a row."""

        def __init__(self, uid: int) -> None:
            super().__init__()
            self.uid = uid

    def __init__(self, *, clock: fmt.Clock | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock or fmt.Clock()
        self.fetch: Fetch = lambda uids: {}
        self.outgoing = False  # Sent/Drafts: show recipients instead of senders
        self.placeholder = "No folder open"
        self.rows: array[int] = uid_array()  # never changed in place: replaced
        self.depths: Sequence[int] | None = None
        self.hidden: dict[int, int] = {}
        self.previews: dict[int, str] = {}  # uid → preview line (ui/previewing.py fills it)
        self.show_previews = False
        self.elsewhere: dict[int, int] = {}  # thread root → messages in other folders
        self.cursor = 0
        self.selected: set[int] = set()
        self.range_start: int | None = None  # visual range start (row index)
        self.matches: set[int] = set()
        self._index: dict[int, int] | None = None
        self._envs: OrderedDict[int, Envelope] = OrderedDict()
        self._frame_styles: dict[str, Style] | None = None  # see render_lines
        # Read statistics, so tests and benchmarks can prove the list stays virtual.
        self.rows_fetched = 0
        self.fetch_calls = 0

    # --- contents ------------------------------------------------------------------------

    def load(self, rows: Rows, *, placeholder: str = "No messages") -> None:
        """Show a different folder (or ordering): cursor to the top, caches dropped."""
        self._envs.clear()
        self.selected.clear()
        self.range_start = None
        self.matches = set()
        self.placeholder = placeholder
        self._set(rows)
        self.cursor = 0
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.CursorMoved(self.cursor_uid))

    def update_rows(self, rows: Rows, *, placeholder: str | None = None) -> None:
        """Apply a delta: same messages stay under the cursor, at the same screen line."""
        old_uid = self.cursor_uid
        screen_line = self.cursor - round(self.scroll_y)
        anchor_uid = (
            self.rows[self.range_start] if self.range_start is not None and self.rows else None
        )
        self._set(rows)
        if placeholder is not None:
            self.placeholder = placeholder
        index = self.index_of(old_uid) if old_uid is not None else None
        if index is None:
            # The message went (moved, deleted): stay at the same place, i.e. on the next one.
            index = min(self.cursor, max(len(self.rows) - 1, 0))
        self.cursor = index
        if self.range_start is not None:
            self.range_start = self.index_of(anchor_uid) if anchor_uid is not None else None
        if self.selected:
            present = set(self.rows)
            self.selected &= present
        if self.matches:
            self.matches &= set(self.rows)
        # At the top, stay there (new mail comes into view); elsewhere the cursor keeps
        # its screen line, so the rows being read do not jump.
        at_top = round(self.scroll_y) == 0
        target = 0 if at_top else max(0, self.cursor - max(screen_line, 0))
        self.scroll_to(0, target, animate=False, immediate=True)
        self._keep_cursor_visible()
        self.refresh()
        if self.cursor_uid != old_uid:
            self.post_message(self.CursorMoved(self.cursor_uid))

    def _set(self, rows: Rows) -> None:
        self.rows = uid_array(rows.uids)
        self.depths = rows.depths
        self.hidden = dict(rows.hidden or {})
        self._index = None
        self.virtual_size = Size(self.size.width, len(self.rows))

    def invalidate(self, uids: Iterable[int] | None = None) -> None:
        """Forget cached envelopes (all, or these) so they are read again."""
        if uids is None:
            self._envs.clear()
        else:
            for uid in uids:
                self._envs.pop(uid, None)
        self.refresh()

    def index_of(self, uid: int) -> int | None:
        """The row of `uid`. One look-up scans the list (C speed; the cursor's row is
        tried first): a 100k-entry dict built on the UI thread for it, after every
        delta, cost tens of ms (issue 17). Many look-ups use `_positions`."""
        if self._index is not None:
            return self._index.get(uid)
        rows = self.rows
        if 0 <= self.cursor < len(rows) and rows[self.cursor] == uid:
            return self.cursor
        try:
            return rows.index(uid)
        except ValueError:
            return None

    def _positions(self) -> dict[int, int]:
        """Every row's index by UID (built once per row list, for many look-ups)."""
        if self._index is None:
            self._index = {u: i for i, u in enumerate(self.rows)}
        return self._index

    @property
    def cursor_uid(self) -> int | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def envelope(self, uid: int) -> Envelope | None:
        """The row's envelope, read from the cache when not held."""
        env = self._envs.get(uid)
        if env is None:
            env = self.fetch([uid]).get(uid)
            if env is not None:
                self._remember({uid: env})
        return env

    # --- selection -----------------------------------------------------------------------

    def selected_uids(self) -> list[int]:
        """Selected UIDs in row order (the visual range included)."""
        chosen = set(self.selected)
        if self.range_start is not None and self.rows:
            lo, hi = sorted((self.range_start, self.cursor))
            chosen.update(self.rows[lo : hi + 1])
        if not chosen:
            return []
        positions = self._positions()
        return sorted(chosen, key=lambda u: positions.get(u) or 0)

    def toggle_visual(self) -> None:
        if self.range_start is None:
            self.range_start = self.cursor
        else:
            self.selected.update(self.selected_uids())
            self.range_start = None
        self.refresh()

    def toggle_selected(self, uid: int) -> None:
        self.selected.symmetric_difference_update({uid})
        self.refresh()

    def select_all(self) -> None:
        self.selected = set(self.rows)
        self.refresh()

    def clear_selection(self) -> bool:
        had = bool(self.selected) or self.range_start is not None
        self.selected.clear()
        self.range_start = None
        self.refresh()
        return had

    def set_matches(self, uids: Iterable[int]) -> None:
        self.matches = set(uids) & set(self.rows)
        self.refresh()

    def next_match(self, step: int) -> bool:
        """Move to the next (step 1) or previous (-1) search match, wrapping around."""
        if not self.matches or not self.rows:
            return False
        where = self._positions()
        positions = sorted(i for u in self.matches if (i := where.get(u)) is not None)
        if step > 0:
            after = [i for i in positions if i > self.cursor]
            target = after[0] if after else positions[0]
        else:
            before = [i for i in positions if i < self.cursor]
            target = before[-1] if before else positions[-1]
        self.move_to(target, user=True)
        return True

    # --- movement ------------------------------------------------------------------------

    def move_to(self, index: int, *, user: bool = False) -> None:
        """Put the cursor on row `index` and scroll it into view; `user`: see CursorMoved."""
        if not self.rows:
            return
        index = max(0, min(index, len(self.rows) - 1))
        old = self.cursor
        self.cursor = index
        self._keep_cursor_visible()
        if self.range_start is not None:
            self.refresh()
        else:
            self._refresh_row(old)
            self._refresh_row(index)
        if old != index:
            self.post_message(self.CursorMoved(self.cursor_uid, user))

    def move_by(self, delta: int, *, user: bool = False) -> None:
        self.move_to(self.cursor + delta, user=user)

    def move_page(self, pages: int, *, user: bool = False) -> None:
        """Move the cursor `pages` screenfuls and the view with it (mutt's next-page).

        The cursor keeps its screen line, so the rows just read stay in sight above it;
        at either end the view stops and the cursor goes on to the first or last row.
        After the wheel scrolled the cursor out of view, it counts from the nearest edge.
        """
        if not self.rows:
            return
        height = self.scrollable_content_region.height
        line = min(max(self.cursor - round(self.scroll_y), 0), max(height - 1, 0))
        target = max(0, min(self.cursor + pages * self.page_rows, len(self.rows) - 1))
        self.scroll_to(0, max(target - line, 0), animate=False, immediate=True)
        self.move_to(target, user=user)

    @property
    def page_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def find_unread(self, step: int) -> int | None:
        """Index of the nearest unread row after (step 1) or before (-1) the cursor."""
        i = self.cursor + step
        while 0 <= i < len(self.rows):
            lo, hi = (
                (i, min(i + _SCAN_CHUNK, len(self.rows)))
                if step > 0
                else (
                    max(i - _SCAN_CHUNK + 1, 0),
                    i + 1,
                )
            )
            chunk = self.rows[lo:hi]
            missing = [u for u in chunk if u not in self._envs]
            got = self._read(missing) if missing else {}
            order = range(lo, hi) if step > 0 else range(hi - 1, lo - 1, -1)
            for j in order:
                uid = self.rows[j]
                env = self._envs.get(uid) or got.get(uid)
                if env is not None and not env.seen:
                    return j
            i = hi if step > 0 else lo - 1
        return None

    def _keep_cursor_visible(self) -> None:
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if height <= 0:
            return
        if self.cursor < top:
            self.scroll_to(0, self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(0, self.cursor - height + 1, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        top = round(self.scroll_y)
        if top <= index < top + self.scrollable_content_region.height:
            self.refresh_line(index - top)

    # --- reading envelopes -----------------------------------------------------------------

    def _read(self, uids: Sequence[int]) -> dict[int, Envelope]:
        if not uids:
            return {}
        self.fetch_calls += 1
        got = self.fetch(uids)
        self.rows_fetched += len(uids)
        self._remember(got)
        return got

    def _remember(self, envs: dict[int, Envelope]) -> None:
        self._envs.update(envs)
        for uid in envs:
            self._envs.move_to_end(uid)
        while len(self._envs) > _ENVELOPE_CACHE:
            self._envs.popitem(last=False)

    def _fill(self, index: int) -> None:
        """Read the page around `index`: what is on screen plus a margin."""
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height
        lo = max(min(top, index) - _MARGIN, 0)
        hi = min(max(top + height, index + 1) + _MARGIN, len(self.rows))
        missing = [u for u in self.rows[lo:hi] if u not in self._envs]
        self._read(missing)

    # --- drawing -------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """One frame's lines: the styles every line asks for are looked up once a frame
        (Textual's rich_style walks the ancestors on each call: two thirds of a key's
        cost in a 100k folder, issue 17), then dropped, so a change of class, focus or
        theme shows in the next frame."""
        self._frame_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame_styles = None

    def _style(self, name: str) -> Style:
        """The widget's base style ("") or a component's, memoised for this frame."""
        memo = self._frame_styles
        if memo is not None and name in memo:
            return memo[name]
        style = self.rich_style if not name else self.get_component_rich_style(name, partial=True)
        if memo is not None:
            memo[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._style("")
        index = round(self.scroll_y) + y
        if not self.rows:
            if y == 0 and self.placeholder:
                style = base + self._style("message-list--placeholder")
                text = Text(" " + self.placeholder, style=style, end="")
                return self._strip(text, width, base)
            return Strip.blank(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        uid = self.rows[index]
        env = self._envs.get(uid)
        if env is None:
            self._fill(index)
            env = self._envs.get(uid)
        text = self._row_text(index, uid, env, width, base)
        return self._strip(text, width, base)

    def _strip(self, text: Text, width: int, base: Style) -> Strip:
        # Every segment carries the base style: unstyled ones would show the terminal's
        # default background (and Textual's NO_COLOR filter cannot handle them).
        segments = [
            Segment(seg.text, base + seg.style if seg.style else base, seg.control)
            for seg in text.render(self.app.console)
        ]
        return Strip(segments, text.cell_len).crop_extend(0, width, base).simplify()

    def _columns(self, width: int) -> tuple[int, int]:
        """(date, sender) column widths for the available width."""
        date_w = 10 if width >= 60 else 6
        sender_w = max(min(24, (width - 16) // 4), 8)
        return date_w, sender_w

    def _row_text(
        self, index: int, uid: int, env: Envelope | None, width: int, base: Style
    ) -> Text:
        style = self._style

        date_w, sender_w = self._columns(width)
        selected = uid in self.selected or (
            self.range_start is not None
            and min(self.range_start, self.cursor) <= index <= max(self.range_start, self.cursor)
        )
        text = Text(end="", no_wrap=True, overflow="ellipsis", style=base)
        text.append(fmt.SELECTED_MARK if selected else " ")
        if env is None:
            text.append("   " + "…".ljust(date_w) + f" (message {uid} not in the cache)")
        else:
            unread = not env.seen
            if unread:
                text.append(fmt.UNREAD_MARK, style("message-list--unread"))
            elif env.answered:
                text.append(fmt.ANSWERED_MARK, style("message-list--answered"))
            else:
                text.append(" ")
            text.append(fmt.FLAGGED_MARK if env.flagged else " ", style("message-list--flagged"))
            text.append(
                fmt.ATTACHMENT_MARK if env.has_attachments else " ",
                style("message-list--attachment"),
            )
            text.append(" ")
            date = fmt.list_date(env.date or env.internaldate, self.clock, short=date_w < 10)
            text.append(_fit(date, date_w), style("message-list--date"))
            text.append(" ")
            who = fmt.sender(env, outgoing=self.outgoing)
            main = style("message-list--unread") if unread else Style()
            text.append(_fit(who, sender_w), main)
            text.append(" ")
            depth = self.depths[index] if self.depths is not None else 0
            if depth:
                text.append("  " * (depth - 1) + "└ ", style("message-list--thread"))
            # Labels before the subject, so a long subject cannot push them out of sight.
            for label in fmt.labels(env):
                text.append(f"[{label}] ", style("message-list--date"))
            text.append(fmt.subject(env), main)
            hidden = self.hidden.get(uid)
            if hidden:
                text.append(f" (+{hidden})", style("message-list--thread"))
            elsewhere = self.elsewhere.get(uid) if self.depths is not None and not depth else 0
            if elsewhere:  # ui/elsewhere.py: the conversation's messages in other folders
                text.append(f" (+{elsewhere} elsewhere)", style("message-list--thread"))
            preview = self.previews.get(uid) if self.show_previews else None
            if preview:  # already one cleaned line (mime/preview.py)
                text.append("  " + preview, style("message-list--date"))
        text.truncate(width, overflow="ellipsis", pad=True)
        if uid in self.matches:
            text.stylize(style("message-list--match"))
        if selected:
            text.stylize(style("message-list--selected"))
        if index == self.cursor:
            name = "message-list--cursor" if self.has_focus else "message-list--cursor-blurred"
            text.stylize(style(name))
        return text

    # --- events --------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))
        self._keep_cursor_visible()

    def on_focus(self) -> None:
        self._refresh_row(self.cursor)

    def on_blur(self) -> None:
        self._refresh_row(self.cursor)

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if 0 <= index < len(self.rows):
            self.move_to(index, user=True)
            if event.chain == 2:
                self.post_message(self.Activated(self.rows[index]))


def _fit(value: str, width: int) -> str:
    """`value` cut or padded to exactly `width` cells."""
    if cell_len(value) <= width:
        return value + " " * (width - cell_len(value))
    text = Text(value, end="")
    text.truncate(width, overflow="ellipsis", pad=True)
    return text.plain
