"""The `:` command line: the commands, how a line splits into words, and completion.

Pure (no Textual): the screen that edits the line is ui/screens/command.py and the
component that runs a line is ui/commanding.py. Every registry action is also a
command, under its name with hyphens (`:change-theme`, `:delete`), so anything a key
does, a line (and so a `[ui.keys]` binding such as `"g a" = ":move Archive"`) does too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailtui.backend.query import split_words
from mailtui.ui.keymap import ACTIONS, command_name
from mailtui.ui.views import SORT_KEYS

# What an argument completes to.
FOLDER, LABEL, PATH, SORT, FOLDER_OP, NOTHING = "folder", "label", "path", "sort", "op", ""

FOLDER_OPS = ("create", "rename", "delete", "subscribe", "unsubscribe")


@dataclass(frozen=True)
class CommandSpec:
    """One command of the command line."""

    name: str
    usage: str  # the arguments, as help shows them
    help: str
    args: str = NOTHING  # what its arguments complete to


_OWN: tuple[CommandSpec, ...] = (
    CommandSpec("move", "FOLDER", "Move the selection (or the message) to FOLDER", FOLDER),
    CommandSpec("copy", "FOLDER", "Copy the selection (or the message) to FOLDER", FOLDER),
    CommandSpec("label", "+ADD -REMOVE …", "Add and remove labels (IMAP keywords)", LABEL),
    CommandSpec(
        "search",
        "[*|**] QUERY",
        "Search this folder (n/N between matches; empty clears); * every folder, ** every account",
    ),
    CommandSpec("filter", "QUERY", "Show only matching messages; empty shows all"),
    CommandSpec("sort", "date|from|subject|size [asc|desc]", "Order the list", SORT),
    CommandSpec("cd", "FOLDER", "Open FOLDER", FOLDER),
    CommandSpec("pipe", "[-d] COMMAND", "Pipe the message (raw; -d: its text) to a shell command"),
    CommandSpec(
        "save", "[--mbox] PATH", "Save the message as .eml (--mbox or *.mbox: append)", PATH
    ),
    CommandSpec("source", "", "Show the message's raw source"),
    CommandSpec("headers", "", "Show every header in the reader, or the usual few"),
    CommandSpec(
        "invite", "[accept|tentative|decline]", "Answer the invitation shown (none: a menu)"
    ),
    CommandSpec(
        "folder",
        "create|rename|delete|subscribe|unsubscribe NAME [NEW]",
        "Manage folders",
        FOLDER_OP,
    ),
)
_ALIASES = {"limit": "filter", "mv": "move", "cp": "copy", "open-folder": "cd"}

COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in _OWN}
for _action in ACTIONS:
    COMMANDS.setdefault(command_name(_action), CommandSpec(command_name(_action), "", _action.help))


class CommandError(ValueError):
    """A line that cannot run: the message says why, for a toast."""


@dataclass(frozen=True)
class Line:
    """A parsed command line: the command's name, its words, and the raw rest (for
    `:pipe`, whose command is the user's shell text as typed)."""

    name: str
    args: tuple[str, ...]
    rest: str


def parse_line(text: str) -> Line:
    """The command and its arguments; quotes group words ("Lists/my list")."""
    text = text.strip()
    if text.startswith(":"):
        text = text[1:].lstrip()
    if not text:
        raise CommandError("Type a command; Tab completes")
    head, _, rest = text.partition(" ")
    name = _ALIASES.get(head.lower(), head.lower())
    if name not in COMMANDS:
        raise CommandError(f"Unknown command {head!r}; Tab lists the commands")
    try:
        args = tuple(split_words(rest))
    except ValueError as exc:
        raise CommandError(f"Cannot read the arguments: {exc}") from None
    return Line(name, args, rest.strip())


@dataclass(frozen=True)
class Sources:
    """Where completion finds names: the open account's folders and the labels known."""

    folders: Callable[[], Iterable[str]]
    labels: Callable[[], Iterable[str]]


def _quote(word: str) -> str:
    return f'"{word}"' if any(c.isspace() for c in word) else word


def _words(text: str) -> list[str]:
    """The line's words as typed so far; the last is "" after a blank."""
    words = text.split()
    if not words or text[-1:].isspace():
        words.append("")
    return words


def complete(text: str, sources: Sources) -> list[str]:
    """Whole lines the text could become at its last word, best first (Tab cycles them)."""
    words = _words(text.lstrip(":"))
    last = words[-1]
    before = text[: len(text) - len(last)] if last else text
    if len(words) == 1:
        names = sorted(set(COMMANDS) | set(_ALIASES))
        return [f"{name} " for name in names if name.startswith(last.lower())]
    name = _ALIASES.get(words[0].lower(), words[0].lower())
    spec = COMMANDS.get(name)
    if spec is None:
        return []
    kind = spec.args
    if kind == FOLDER_OP:
        kind = FOLDER_OP if len(words) == 2 else FOLDER
    return [before + c for c in _candidates(kind, last, sources)]


def _candidates(kind: str, last: str, sources: Sources) -> list[str]:
    if kind == FOLDER:
        bare = last.strip('"')
        names = sorted(sources.folders(), key=str.casefold)
        return [_quote(n) for n in names if n.casefold().startswith(bare.casefold())]
    if kind == FOLDER_OP:
        return [f"{op} " for op in FOLDER_OPS if op.startswith(last)]
    if kind == SORT:
        return [f"{key} " for key in (*SORT_KEYS, "asc", "desc") if key.startswith(last)]
    if kind == LABEL:
        sign = last[:1] if last[:1] in "+-" else "+"
        stem = last[1:] if last[:1] in "+-" else last
        labels = sorted(set(sources.labels()), key=str.casefold)
        return [f"{sign}{label} " for label in labels if label.startswith(stem)]
    if kind == PATH:
        return complete_path(last)
    return []


def complete_path(typed: str, limit: int = 200) -> list[str]:
    """Paths starting with `typed` (~ kept as typed); directories end in "/"."""
    expanded = os.path.expanduser(typed) if typed else ""
    folder, _, stem = expanded.rpartition("/")
    shown_folder = typed[: len(typed) - len(stem)]
    base = Path(folder or ("/" if expanded.startswith("/") else "."))
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        out.append(_quote(shown_folder + entry.name + ("/" if is_dir else "")))
        if len(out) >= limit:
            break
    return out


def common_prefix(lines: Sequence[str]) -> str:
    """What every candidate starts with (Tab fills it in before cycling)."""
    if not lines:
        return ""
    first, last = min(lines), max(lines)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]
