"""Quoted mail as the reader draws it: paragraphs, quotes and signatures, coloured.

Every Text here is built from plain strings and spans; nothing is ever parsed as Rich
or Textual markup, so "[bold]" or "[@click=app.quit]" in a mail is shown literally
(DESIGN.md §6). Styles come only from the `Palette`, never from mail. Everything is
linear in the text: blank runs, "--" lines and long quoted words included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.style import Style
from rich.text import Span, Text

from mailtui.text.chunks import CancelCheck, check, split_lines
from mailtui.text.safe import clean_line, clean_text

__all__ = [
    "Block",
    "Palette",
    "Paragraph",
    "Quote",
    "Signature",
    "hyperlink_target",
    "quote_level",
    "render_body",
    "split_blocks",
]


@dataclass(frozen=True)
class Palette:
    """Rich style strings for the reader; the UI fills it from its theme."""

    quote: tuple[str, ...] = ("cyan", "green", "yellow", "magenta")
    signature: str = "dim"
    header_name: str = "bold"
    header_value: str = ""
    subject: str = "bold"
    link: str = "underline"
    dim: str = "dim"
    fold: str = "dim italic"
    attachment: str = "cyan"

    def quote_style(self, level: int) -> str:
        """Quote colours cycle so the 7th level still differs from the 6th."""
        if level <= 0 or not self.quote:
            return ""
        return self.quote[(level - 1) % len(self.quote)]


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Unquoted text."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """A run of quoted lines; `level` is the outermost depth (lines may go deeper)."""

    level: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Signature:
    """Lines after a "-- " separator, up to the next quote."""

    lines: tuple[str, ...]


Block = Paragraph | Quote | Signature

# "> ", ">>", "> > " from column 0; a line starting " >" is not a quote (it is how
# format=flowed space-stuffs a literal ">", RFC 3676 §4.4).
_QUOTE_PREFIX = re.compile(r">(?:[ \t]*>)*")
# A separator "--" without its space (stripped by many mailers) only counts near the end.
_BARE_SIG_MAX_LINES = 15


def quote_level(line: str) -> int:
    """How many ">" quote markers start the line."""
    m = _QUOTE_PREFIX.match(line)
    return m.group(0).count(">") if m else 0


def _levels(lines: list[str]) -> list[int]:
    levels = [quote_level(line) for line in lines]
    blank = [not line.strip() for line in lines]
    # The level of the next non-blank line after each line, from one backward pass (a
    # forward search from every blank line was quadratic on a quote + many blank lines).
    following = [0] * len(lines)
    nxt = 0
    for i in range(len(lines) - 1, -1, -1):
        following[i] = nxt
        if not blank[i]:
            nxt = levels[i]
    # A blank line between two quoted lines belongs to the quote, not the reply.
    prev = 0
    for i in range(len(lines)):
        if levels[i]:
            prev = levels[i]
        elif blank[i] and prev:
            if following[i]:
                levels[i] = min(prev, following[i])
        else:
            prev = 0
    return levels


def _unquoted_after(levels: list[int]) -> list[int]:
    """For each line, how many unquoted lines follow it before the next quoted one."""
    counts = [0] * len(levels)
    after = 0
    for i in range(len(levels) - 1, -1, -1):
        counts[i] = after
        after = 0 if levels[i] else after + 1
    return counts


def _is_sig_separator(line: str, unquoted_after: int) -> bool:
    if line == "-- ":
        return True
    return line == "--" and unquoted_after <= _BARE_SIG_MAX_LINES


def split_blocks(text: str) -> list[Block]:
    """Paragraphs, quotes and signatures, in order; joining their lines gives the text."""
    lines = split_lines(text)
    levels = _levels(lines)
    rest = _unquoted_after(levels)
    blocks: list[Block] = []
    run: list[str] = []
    kind = ""  # "p", "q" or "s"
    in_sig = False

    def close() -> None:
        if not run:
            return
        if kind == "q":
            blocks.append(Quote(min(levels[i] for i in run_idx), tuple(run)))
        elif kind == "s":
            blocks.append(Signature(tuple(run)))
        else:
            blocks.append(Paragraph(tuple(run)))
        run.clear()
        run_idx.clear()

    run_idx: list[int] = []
    for i, line in enumerate(lines):
        if levels[i]:
            in_sig = False
            this = "q"
        elif in_sig:
            this = "s"
        elif _is_sig_separator(line, rest[i]):
            in_sig = True
            this = "s"
        else:
            this = "p"
        if this != kind:
            close()
            kind = this
        run.append(line)
        run_idx.append(i)
    close()
    return blocks


URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'\]\[)]+|\bmailto:[^\s<>\"'\]\[)]+", re.IGNORECASE)

MAX_HYPERLINK = 2048
"""Longer URLs are shown but not made OSC 8 hyperlinks (terminals cap them too)."""
_HYPERLINK_SCHEMES = ("http://", "https://")


def hyperlink_target(url: str) -> str:
    """The URL an OSC 8 hyperlink may carry for this shown link text, or "".

    The link goes into the terminal byte stream as `ESC ] 8 ; ; URL ESC \\`, so only
    printable ASCII without spaces may appear (no ESC, BEL, C1 ST or anything a terminal
    could read as the end of the sequence); only http and https; at most MAX_HYPERLINK
    characters; and never a shortened one ("…"), whose target would differ from what is
    on screen. The target is the shown text itself, so the terminal opens what is read.
    """
    if not 0 < len(url) <= MAX_HYPERLINK or not url.isascii() or not url.isprintable():
        return ""
    head = url[:8].lower()
    scheme = next((s for s in _HYPERLINK_SCHEMES if head.startswith(s)), "")
    if not scheme or len(url) == len(scheme) or " " in url:
        return ""
    return url


class _Lines:
    """Text built line by line as one string and a list of spans, then made a Text once
    (Text.append per line costs several microseconds; a body can have 100k lines)."""

    def __init__(self, link_style: str, hyperlinks: bool = False) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.length = 0
        self.link_style = link_style
        self.hyperlinks = hyperlinks

    def add(self, line: str, style: str) -> None:
        """One line with URLs tinted; with `hyperlinks`, http(s) ones also carry an OSC 8
        link to exactly the text shown (`hyperlink_target`); never a click action."""
        if self.parts:
            self.parts.append("\n")
            self.length += 1
        start = self.length
        self.parts.append(line)
        self.length += len(line)
        if not line:
            return
        if style:
            self.spans.append(Span(start, self.length, style))
        if (self.link_style or self.hyperlinks) and ("://" in line or "mailto:" in line):
            for m in URL_RE.finditer(line):
                end = m.start() + len(m.group(0).rstrip(".,;:!?"))
                if end <= m.start():
                    continue
                if self.link_style:
                    self.spans.append(Span(start + m.start(), start + end, self.link_style))
                target = hyperlink_target(line[m.start() : end]) if self.hyperlinks else ""
                if target:
                    self.spans.append(Span(start + m.start(), start + end, Style(link=target)))

    def text(self) -> Text:
        return Text("".join(self.parts), end="", spans=self.spans)


_WRAP_SPACE = re.compile(r"[\t\n\x0b\x0c\r ]+")


def _fill(content: str, room: int) -> list[str]:
    """Greedy word wrap at `room` columns, words longer than a line cut into pieces.

    Not textwrap: it copies the rest of an over-long word for every piece it cuts off,
    which is quadratic in the word's length.
    """
    lines: list[str] = []
    cur: list[str] = []
    cur_len = 0
    for word in _WRAP_SPACE.split(content):
        if not word:
            continue
        if cur and cur_len + 1 + len(word) <= room:
            cur.append(word)
            cur_len += 1 + len(word)
            continue
        if cur:
            lines.append(" ".join(cur))
        cur, cur_len = [], 0
        for start in range(0, len(word), room):
            piece = word[start : start + room]
            if len(piece) == room and start + room < len(word):
                lines.append(piece)
            else:
                cur, cur_len = [piece], len(piece)
    if cur:
        lines.append(" ".join(cur))
    return lines


def _wrap(line: str, width: int | None, level: int) -> list[str]:
    """Hard-wrap a long quoted line, repeating its quote marker on each piece."""
    if not width or level == 0 or len(line) <= width:
        return [line]
    m = _QUOTE_PREFIX.match(line)
    marker = m.group(0) if m else ""
    content = line[len(marker) :].lstrip(" ")
    prefix = marker + " "
    room = max(width - len(prefix), 10)
    pieces = _fill(content, room) or [""]
    return [prefix + p for p in pieces]


def render_body(
    text: str,
    *,
    palette: Palette | None = None,
    folded: set[int] | None = None,
    width: int | None = None,
    fold_hint: str = "press z to expand",
    cancelled: CancelCheck = None,
    hyperlinks: bool = False,
) -> Text:
    """The body as styled Text; quote blocks whose index is in `folded` become one line.

    Linear in the text; `cancelled` is asked every few thousand lines (chunks.Cancelled).
    """
    palette = palette or Palette()
    folded = folded or set()
    out = _Lines(palette.link, hyperlinks)
    # Cleaning again is cheap (one str.translate) and makes this safe for any caller.
    done = 0  # lines drawn, to ask `cancelled` now and then
    for index, block in enumerate(split_blocks(clean_text(text))):
        if isinstance(block, Quote) and index in folded:
            n = len(block.lines)
            label = f"[… {n} quoted line{'s' if n != 1 else ''} — {clean_line(fold_hint)}]"
            out.add(label, palette.fold)
            continue
        for line in block.lines:
            done += 1
            if not done % 2048:
                check(cancelled)
            if isinstance(block, Quote):
                level = quote_level(line) or block.level
                pieces, style = _wrap(line, width, level), palette.quote_style(level)
            elif isinstance(block, Signature):
                pieces, style = [line], palette.signature
            else:
                pieces, style = [line], ""
            for piece in pieces:
                out.add(piece, style)
    return out.text()
