"""The reader's security status: a widget of its own, between the headers and the body.

A signature's verdict is drawn here, in coloured badges, from `usecase.secure`
status lines (our sentences, built from gpg's status stream). It is a separate widget
from the body, so nothing a message says can appear in it, and no body line is ever
drawn in its styles: a body line reading "Good signature from your bank" stays plain
body text. Inline PGP runs are drawn in the body with a coloured bar at their left
edge (a style, which plain text cannot produce) and a heading line of ours.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from mailtui.mime.render import Palette, render_body
from mailtui.text.safe import clean_line
from mailtui.usecase.secure import InlineBody, StatusLine

__all__ = ["BADGES", "SecurityStatus", "inline_text", "security_text"]

# kind → (badge, badge style, sentence style)
BADGES: dict[str, tuple[str, str, str]] = {
    "good": (" ✔ SIGNED ", "bold black on green", "green"),
    "bad": (" ✘ BAD ", "bold white on red", "bold red"),
    "warn": (" ! UNVERIFIED ", "bold black on yellow", "yellow"),
    "encrypted": (" ■ ENCRYPTED ", "bold white on blue", "bright_blue"),
    "off": (" ! OPENPGP OFF ", "bold black on yellow", "yellow"),
}
_BAR = {"good": "green", "bad": "red", "warn": "yellow", "encrypted": "bright_blue"}


def security_text(lines: Sequence[StatusLine]) -> Text:
    """One line per status, badge first; empty when there is nothing to say."""
    out = Text(end="")
    for i, line in enumerate(lines):
        badge, badge_style, style = BADGES.get(line.kind, BADGES["warn"])
        if i:
            out.append("\n")
        out.append(badge, style=badge_style)
        out.append(" ")
        out.append(clean_line(line.text), style=style)
    return out


class SecurityStatus(Static):
    """The status lines of the message shown (hidden when it is neither signed nor
    encrypted)."""

    DEFAULT_CSS = "SecurityStatus { height: auto; padding-bottom: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(""), id=id, markup=False)
        self.lines: tuple[StatusLine, ...] = ()
        self.display = False

    def show_lines(self, lines: Sequence[StatusLine]) -> None:
        self.lines = tuple(lines)
        self.update(security_text(self.lines))
        self.display = bool(self.lines)


def inline_text(inline: InlineBody, palette: Palette, width: int) -> Text:
    """A text part with inline PGP: plain runs as usual, each covered run under a
    heading of ours and with a coloured bar at every line's left edge."""
    out = Text(end="")
    for text, kind, label in inline.runs:
        body = render_body(text, palette=palette, folded=set(), width=width)
        if kind == "plain":
            out.append_text(body)
            continue
        colour = _BAR.get(kind, "yellow")
        if out and not out.plain.endswith("\n"):
            out.append("\n")
        out.append("┏ ", style=f"bold {colour}")
        out.append(clean_line(label), style=f"bold {colour}")
        out.append("\n")
        for n, line in enumerate(body.split("\n", allow_blank=True)):
            if n and not line.plain and n == len(body.plain.split("\n")) - 1:
                continue
            out.append("┃ ", style=f"bold {colour}")
            out.append_text(line)
            out.append("\n")
        out.append("┗ end of the covered text", style=f"bold {colour}")
        out.append("\n")
    return out
