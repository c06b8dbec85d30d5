"""A user's IMAP sessions as Dovecot's rawlog recorded them: what was sent, and the answers.

`Dovecot.commands_sent` flattens every session into one list of commands, enough to
prove a command was never used. Proving *how* the client learned something needs
more: which session sent a command, when, and what the server answered to it (e.g.
"this NOOP, sent after the delivery, was answered with the new EXISTS"). Dovecot 2.3
writes one `<stamp>.in` / `<stamp>.out` pair per session, each line prefixed with a
unix time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.support.dovecot import MailUser


@dataclass
class Command:
    time: float
    tag: str
    text: str  # "UID FETCH 1:* (FLAGS)"

    @property
    def verb(self) -> str:
        words = self.text.split()
        if not words:
            return ""
        if words[0].upper() == "UID" and len(words) > 1:
            return "UID " + words[1].upper()
        return words[0].upper()


@dataclass
class Session:
    name: str
    commands: list[Command] = field(default_factory=list)
    replies: list[tuple[float, str]] = field(default_factory=list)

    def answer(self, tag: str) -> list[str]:
        """The server's lines from the end of the previous tagged reply up to and including
        the tagged reply to `tag` (the untagged data that came with that command)."""
        tags = {c.tag for c in self.commands}
        out: list[str] = []
        for _t, line in self.replies:
            out.append(line)
            first = line.split(" ", 1)[0]
            if first == tag:
                return out
            if first in tags:
                out = []  # another command's tagged reply: start afresh
        return []


def sessions(user: MailUser) -> list[Session]:
    """Every recorded session of `user`, oldest first."""
    if user.rawlog_dir is None:
        raise ValueError("user was created without rawlog=True")
    out: list[Session] = []
    for path in sorted(user.rawlog_dir.glob("*.in")):
        session = Session(path.stem)
        for when, rest in _lines(path):
            tag, _, text = rest.partition(" ")
            session.commands.append(Command(when, tag, text))
        session.replies = list(_lines(path.with_suffix(".out")))
        out.append(session)
    return out


def _lines(path: Path) -> list[tuple[float, str]]:
    """(time, text) per line; continuation lines (literal data) get the last time seen."""
    out: list[tuple[float, str]] = []
    last = 0.0
    try:
        data = path.read_bytes()
    except OSError:
        return out
    for raw in data.splitlines():
        text = raw.decode("utf-8", "replace")
        stamp, _, rest = text.partition(" ")
        try:
            last = float(stamp)
        except ValueError:
            out.append((last, text))
            continue
        out.append((last, rest))
    return out


def noop_saw_exists(user: MailUser, since: float) -> bool:
    """A NOOP sent at or after `since` was answered with an EXISTS: a poll found mail."""
    return any(
        c.verb == "NOOP" and c.time >= since and any(x.endswith(" EXISTS") for x in s.answer(c.tag))
        for s in sessions(user)
        for c in s.commands
    )
