"""The status line (account, connection, outbox, folder counts) and the offline banner."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.widgets import Static

from mailtui.text.safe import clean_line


@dataclass(frozen=True)
class Status:
    """Everything the status line shows; replaced as a whole so redraws are cheap."""

    account: str = ""
    state: str = "connecting"  # online | connecting | offline
    detail: str = ""
    syncing: str = ""  # folder being synced
    done: int = 0
    total: int = 0
    pending: int = 0
    outbox: int = 0  # messages waiting to be sent, every account's
    sending: str = ""  # the undo window's countdown ("sending in 8 s · u undoes")
    folder: str = ""
    count: int = 0
    unread: int = 0
    selected: int = 0
    search: str = ""
    filter: str = ""  # the list shows only messages matching this
    shown: int = 0  # rows the filter left
    matches: int = -1
    sort: str = "date"
    reverse: bool = True
    threaded: bool = False
    readable: int = -1  # messages readable offline (prefetch); -1: the account does not prefetch
    wanted: int = 0  # of the prefetch window


def status_text(s: Status) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis", end="")
    out.append(f" {clean_line(s.account)} ", style="bold")
    out.append("│ ")
    if s.state == "offline":
        out.append("○ offline", style="bold")
        if s.pending:
            out.append(f", {s.pending} change{'s' if s.pending != 1 else ''} pending")
    elif s.syncing and s.total:
        out.append(f"⟳ syncing {clean_line(s.syncing)} {min(s.done, s.total)}/{s.total}")
    elif s.state == "online":
        out.append("● online")
        if s.pending:
            out.append(f", sending {s.pending}")
    else:
        out.append("… connecting")
    if s.readable >= 0:
        out.append(f" │ {s.readable:,} of {s.wanted:,} readable offline")
    if s.outbox:
        out.append(" │ ")
        out.append(f"{s.outbox} in outbox", style="bold")
    if s.sending:
        out.append(" │ ")
        out.append(s.sending, style="bold reverse")
    if s.folder:
        out.append(" │ ")
        out.append(clean_line(s.folder), style="bold")
        out.append(f" {s.count} messages, {s.unread} unread")
    if s.selected:
        out.append(f" │ {s.selected} selected")
    if s.filter:
        out.append(" │ filter ", style="bold")
        out.append(clean_line(s.filter))
        out.append(f": {s.shown} shown")
    if s.search:
        found = (
            f"{s.matches} match{'es' if s.matches != 1 else ''}" if s.matches >= 0 else "searching…"
        )
        out.append(" │ /")
        out.append(clean_line(s.search))
        out.append(f": {found}")
    order = s.sort
    if s.threaded:
        order = "threads" if s.sort == "date" else f"threads by {s.sort}"
    out.append(f" │ {order} {'↓' if s.reverse else '↑'}")
    return out


class StatusBar(Static):
    """One line at the bottom; `set(**fields)` updates what changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(""), id=id, markup=False)
        self.status = Status()

    def set(self, **fields: object) -> None:
        new = replace(self.status, **fields)  # type: ignore[arg-type]
        if new != self.status:
            self.status = new
            self.update(status_text(new))


class OfflineBanner(Static):
    """Shown while the server is unreachable: the app keeps working from the cache."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(""), id=id, markup=False)
        self.display = False

    def show(self, detail: str, pending: int) -> None:
        text = Text(end="")
        text.append(" Offline ", style="bold reverse")
        text.append(" showing cached mail")
        if pending:
            text.append(
                f"; {pending} change{'s' if pending != 1 else ''} will be sent when the server is back"
            )
        if detail:
            text.append(" — ")
            text.append(clean_line(detail))
        self.update(text)
        self.display = True

    def hide(self) -> None:
        self.display = False


class NoticeBanner(Static):
    """A one-line notice above the panes (e.g. "this is the demo mailbox")."""

    def __init__(self, notice: str, *, id: str | None = None) -> None:
        text = Text(end="")
        text.append(" Demo ", style="bold reverse")
        text.append(" " + clean_line(notice))
        super().__init__(text, id=id, markup=False)
