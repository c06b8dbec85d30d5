"""The one registry of user actions: it feeds the key bindings, the footer, the help
screen and the command palette, so what `?` shows is exactly what the keys do.

Each action's name is its binding id (so `[ui.keys]` overrides it through Textual's
keymap), its config key, and the `action_<name>` method on the main screen.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import _character_to_key

# Help-screen sections, in display order.
GROUPS = ("Move", "Select", "Triage", "Read", "View", "App")


@dataclass(frozen=True)
class ActionSpec:
    """One bindable action."""

    name: str
    keys: str  # default keys, comma separated; "" = palette only
    title: str  # short label: footer, palette title
    help: str  # one sentence: help screen and palette
    group: str
    footer: bool = False  # shown in the footer
    multi: bool = False  # acts on every selected message


def _a(name: str, keys: str, title: str, help: str, group: str, **kw: bool) -> ActionSpec:
    return ActionSpec(name, keys, title, help, group, **kw)


ACTIONS: tuple[ActionSpec, ...] = (
    # Move around
    _a("cursor_down", "j,down", "Down", "Next message (or scroll the reader down)", "Move"),
    _a("cursor_up", "k,up", "Up", "Previous message (or scroll the reader up)", "Move"),
    _a("next_unread", "J", "Next unread", "Jump to the next unread message", "Move"),
    _a("prev_unread", "K", "Previous unread", "Jump to the previous unread message", "Move"),
    _a("first", "g,home", "First", "Go to the first message", "Move"),
    _a("last", "G,end", "Last", "Go to the last message", "Move"),
    _a("page_down", "pagedown,ctrl+d", "Page down", "Move a screenful down", "Move"),
    _a("page_up", "pageup,ctrl+u", "Page up", "Move a screenful up", "Move"),
    _a("open", "enter", "Open", "Open the message (in the folder tree: open the folder)", "Move"),
    _a("page", "space", "Page", "Page through the message; at its end, go to the next", "Move"),
    _a("focus_next_pane", "tab", "Next pane", "Focus the next pane", "Move"),
    _a("focus_prev_pane", "shift+tab", "Previous pane", "Focus the previous pane", "Move"),
    _a(
        "go_folder", "F", "Go to folder", "Pick a folder to open by typing part of its name", "Move"
    ),
    _a(
        "search",
        "/",
        "Search",
        "Search this folder (from:, subject:, unseen, since:…)",
        "Move",
        footer=True,
    ),
    _a("search_next", "n", "Next match", "Go to the next search match", "Move"),
    _a("search_prev", "N", "Previous match", "Go to the previous search match", "Move"),
    # Selection
    _a("visual", "v", "Select range", "Start or end a range selection at the cursor", "Select"),
    _a("select_down", "shift+down", "Extend down", "Select this message and the next", "Select"),
    _a("select_up", "shift+up", "Extend up", "Select this message and the previous", "Select"),
    _a("select_toggle", "x", "Select", "Select or unselect the message at the cursor", "Select"),
    _a("select_all", "*", "Select all", "Select every message in the folder", "Select"),
    _a("clear", "escape", "Clear", "Clear the selection and search; leave full screen", "Select"),
    # Triage (every one acts on the whole selection)
    _a(
        "delete",
        "d",
        "Delete",
        "Move to Trash (in Trash: delete for good)",
        "Triage",
        footer=True,
        multi=True,
    ),
    _a("archive", "a", "Archive", "Move to the archive folder", "Triage", footer=True, multi=True),
    _a("move", "m", "Move", "Move to a folder (fuzzy picker)", "Triage", footer=True, multi=True),
    _a("copy", "c", "Copy", "Copy to a folder (fuzzy picker)", "Triage", multi=True),
    _a("flag", "s", "Flag", "Flag or unflag (star)", "Triage", multi=True),
    _a("toggle_read", "U", "Read/unread", "Mark read or unread", "Triage", multi=True),
    _a("label", "l", "Label", "Add or remove a label (IMAP keyword)", "Triage", multi=True),
    _a("undo", "u", "Undo", "Undo the last change", "Triage"),
    _a("reply", "r", "Reply", "Reply to the sender", "Triage", footer=True, multi=True),
    _a("reply_all", "R", "Reply all", "Reply to everyone", "Triage", multi=True),
    _a("forward", "f", "Forward", "Forward the message", "Triage", multi=True),
    _a(
        "forward_attached",
        "ctrl+f",
        "Forward attached",
        "Forward the message, or every selected one, as attachments",
        "Triage",
        multi=True,
    ),
    _a("compose", "C", "New mail", "Write a new message", "Triage"),
    _a("recall", "E", "Edit draft", "Edit a saved draft again (in Drafts)", "Triage"),
    _a("outbox", "ctrl+o", "Outbox", "Messages waiting to be sent: retry, edit, delete", "Triage"),
    # Reading
    _a("zoom", "z", "Full screen", "Show the reader full screen, or back", "Read"),
    _a(
        "toggle_quotes",
        "T",
        "Quotes",
        "Fold or unfold long quotes; show a very long message whole",
        "Read",
    ),
    _a("toggle_html", "H", "Plain/HTML", "Switch between the plain and the HTML version", "Read"),
    _a("links", "L", "Links", "Open or copy a link or an address of the message", "Read"),
    _a("attachments", "A", "Attachments", "Save or open an attachment", "Read"),
    # View
    _a("toggle_threads", "t", "Threads", "Show conversations as threads, or a flat list", "View"),
    _a("toggle_thread", "e", "Fold thread", "Collapse or expand the conversation", "View"),
    _a("sort", "o", "Sort", "Sort by date, from, subject or size (threads too)", "View"),
    _a("reverse_sort", "O", "Reverse", "Reverse the sort order", "View"),
    _a("refresh", "ctrl+r", "Refresh", "Check the server for new mail now", "View"),
    _a("toggle_folders", "backslash", "Folder pane", "Hide or show the folder tree", "View"),
    # App
    _a("help", "?", "Help", "Show every key", "App", footer=True),
    _a("command_palette", ":,ctrl+p", "Commands", "Run any action by name", "App", footer=True),
    _a("change_theme", "", "Theme", "Choose another colour theme", "App"),
    _a("quit", "q", "Quit", "Leave mailtui", "App", footer=True),
)

BY_NAME: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}


def normalize_keys(keys: str) -> list[str]:
    """Textual key names for a comma-separated key list ("?" → "question_mark", "F2" → "f2")."""
    out = []
    for key in keys.split(","):
        key = key.strip()
        if key:
            out.append(_character_to_key(key) if len(key) == 1 else key.lower())
    return out


def bindings(specs: Iterable[ActionSpec] = ACTIONS) -> list[Binding]:
    """Textual bindings for the main screen; each carries its action name as its id."""
    out = []
    for spec in specs:
        if spec.keys:
            out.append(
                Binding(
                    spec.keys,
                    spec.name,
                    spec.title,
                    show=spec.footer,
                    id=spec.name,
                    tooltip=spec.help,
                )
            )
    return out


@dataclass(frozen=True)
class Keymap:
    """The effective keys: defaults overlaid with `[ui.keys]`, plus what was wrong there."""

    overrides: dict[str, str]
    problems: list[str]

    def keys(self, name: str) -> list[str]:
        """The keys that run `name` now."""
        if name in self.overrides:
            return normalize_keys(self.overrides[name])
        return normalize_keys(BY_NAME[name].keys)


def build_keymap(config_keys: Mapping[str, str]) -> Keymap:
    """Validate `[ui.keys]` (action name → keys) against the registry."""
    overrides: dict[str, str] = {}
    problems: list[str] = []
    for name, keys in config_keys.items():
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, list(BY_NAME), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"[ui.keys] {name!r} is not an action{guess}; see ? for the names")
            continue
        overrides[name] = ",".join(normalize_keys(keys))
    # A key that now runs two actions runs neither predictably: report it.
    owner: dict[str, str] = {}
    keymap = Keymap(overrides, problems)
    for spec in ACTIONS:
        for key in keymap.keys(spec.name):
            other = owner.setdefault(key, spec.name)
            if other != spec.name and (spec.name in overrides or other in overrides):
                problems.append(
                    f"[ui.keys] the key {key!r} is bound to both {other!r} and {spec.name!r}"
                )
    return keymap
