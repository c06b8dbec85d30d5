"""Big untrusted text worked on in slices, with a way for the caller to give up.

A render runs in a thread beside the UI, but Python lets only one thread run at a time,
and a C-level call (a regex over 10 MB, a str.translate, a split) holds that lock until
it returns: one such call over a whole message stalls the UI for as long. So every
step that touches a whole body does it in slices of about STEP characters, and between
slices checks whether the caller still wants the result (the cursor moved on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

__all__ = ["STEP", "CancelCheck", "Cancelled", "check", "line_pieces", "split_lines"]

# About 1 ms of the slowest C-level text operation used here.
STEP = 1 << 16

CancelCheck = Callable[[], bool] | None


class Cancelled(BaseException):
    """The caller no longer wants this result.

    A BaseException, as asyncio.CancelledError is, so that the broad `except Exception`
    around parsers of hostile input never swallows it.
    """


def check(cancelled: CancelCheck) -> None:
    """Raise Cancelled when the caller gave up."""
    if cancelled is not None and cancelled():
        raise Cancelled


def line_pieces(text: str, step: int = STEP, cancelled: CancelCheck = None) -> Iterator[str]:
    """Consecutive slices of `text`, each ending just after a newline (but the last).

    Joined they are `text`; each is about `step` long, longer only when one line is. A
    slice never splits a line, so line-wise work (CRLF, tabs) gives the same result.
    """
    n = len(text)
    start = 0
    while n - start > step:
        check(cancelled)
        nl = text.find("\n", start + step)
        if nl < 0:
            break
        yield text[start : nl + 1]
        start = nl + 1
    if start < n or not n:
        yield text[start:]


def split_lines(text: str, cancelled: CancelCheck = None, step: int = STEP) -> list[str]:
    """`text.split("\\n")`, in slices (see the module docstring)."""
    if len(text) <= step:
        return text.split("\n")
    lines: list[str] = []
    for piece in line_pieces(text, step, cancelled):
        lines.extend(piece.split("\n"))
        if piece.endswith("\n"):
            lines.pop()  # the piece's trailing "" is the next piece's first line
    if text.endswith("\n"):
        lines.append("")
    return lines
