"""The keymap: the one registry of what the user can do, and the keys that do it. It
feeds the key bindings, the footer, the help screen and the command palette, so what
`?` shows is exactly what the keys do. (The sync service's journaled writes are
another thing, in sync/.)

Each action's name is its binding id (so `[ui.keys]` overrides it through Textual's
keymap), its config key, and the `action_<name>` method on the main screen.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from textual.binding import Binding
from textual.keys import _character_to_key

# Help-screen sections, in display order.
GROUPS = ("Move", "Select", "Triage", "Read", "View", "Folder", "App")


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


# One action a line. flags: "footer" (shown in the footer), "multi" (acts on every
# selected message). Lines starting with # are comments.
_TABLE = """\
# name          | keys            | title            | group  | flags       | help
# Move around
cursor_down     | j,down          | Down             | Move   |             | Next message (or scroll the reader down)
cursor_up       | k,up            | Up               | Move   |             | Previous message (or scroll the reader up)
next_unread     | J               | Next unread      | Move   |             | Jump to the next unread message
prev_unread     | K               | Previous unread  | Move   |             | Jump to the previous unread message
first           | g,home          | First            | Move   |             | Go to the first message
last            | G,end           | Last             | Move   |             | Go to the last message
page_down       | pagedown,ctrl+d | Page down        | Move   |             | Move a screenful down
page_up         | pageup          | Page up          | Move   |             | Move a screenful up
open            | enter           | Open             | Move   |             | Open the message (in the folder tree: open the folder)
conversation    | V               | Conversation     | Move   |             | The whole conversation, from every folder
page            | space           | Page             | Move   |             | Page through the message; at its end, go to the next
focus_next_pane | tab             | Next pane        | Move   |             | Focus the next pane
focus_prev_pane | shift+tab       | Previous pane    | Move   |             | Focus the previous pane
go_folder       | F               | Go to folder     | Move   |             | Pick a folder to open by typing part of its name
search          | /               | Search           | Move   | footer      | Search this folder (from:, subject:, unseen, since:…)
search_next     | n               | Next match       | Move   |             | Go to the next search match
search_prev     | N               | Previous match   | Move   |             | Go to the previous search match
filter          | &               | Filter           | Move   |             | Show only the messages matching a query (empty: all; escape clears)
# Selection
visual          | v               | Select range     | Select |             | Start or end a range selection at the cursor
select_down     | shift+down      | Extend down      | Select |             | Select this message and the next
select_up       | shift+up        | Extend up        | Select |             | Select this message and the previous
select_toggle   | x               | Select           | Select |             | Select or unselect the message at the cursor
select_all      | *               | Select all       | Select |             | Select every message in the folder
clear           | escape          | Clear            | Select |             | Leave full screen, else clear the selection, else the search, else the filter
# Triage (every one acts on the whole selection)
delete          | d               | Delete           | Triage | footer multi| Move to Trash (in Trash: delete for good)
archive         | a               | Archive          | Triage | footer multi| Move to the archive folder
move            | m               | Move             | Triage | footer multi| Move to a folder (fuzzy picker)
copy            | c               | Copy             | Triage | multi       | Copy to a folder (fuzzy picker)
flag            | s               | Flag             | Triage | multi       | Flag or unflag (star)
toggle_read     | U               | Read/unread      | Triage | multi       | Mark read or unread
label           | l               | Label            | Triage | multi       | Add or remove a label (IMAP keyword)
junk            | exclamation_mark| Junk             | Triage | multi       | Junk: to the Junk folder ($Junk); in Junk: not junk, back to INBOX
mute            | X               | Mute             | Triage | multi       | Mute the conversation (new replies archived and read; search: muted), or unmute it
undo            | u               | Undo             | Triage |             | Undo the last change
reply           | r               | Reply            | Triage | footer multi| Reply to the sender
reply_all       | R               | Reply all        | Triage | multi       | Reply to everyone
forward         | f               | Forward          | Triage | multi       | Forward the message
forward_attached| ctrl+f          | Forward attached | Triage | multi       | Forward the message, or every selected one, as attachments
compose         | C               | New mail         | Triage |             | Write a new message
recall          | E               | Edit draft       | Triage |             | Edit a saved draft again (in Drafts)
outbox          | ctrl+o          | Outbox           | Triage |             | Messages waiting to be sent: retry, edit, delete
# Reading
zoom            | z               | Full screen      | Read   |             | Show the reader full screen, or back
toggle_quotes   | T               | Quotes           | Read   |             | Fold or unfold long quotes; show a very long message whole
toggle_html     | H               | Plain/HTML       | Read   |             | Switch between the plain and the HTML version
links           | L               | Links            | Read   |             | Open or copy a link or an address of the message
attachments     | A               | Attachments      | Read   |             | Save or open an attachment
pipe            | vertical_line   | Pipe             | Read   |             | Pipe the message to a command (:pipe -d: its text) and show the output
save            | S               | Save message     | Read   |             | Save the message as .eml, or append it to an mbox (path completes)
source          | ctrl+u          | Source           | Read   |             | Show the message's raw source
headers         | h               | Headers          | Read   |             | Show every header of the message, or the usual few
import_key      |                 | Import key       | Read   |             | Fetch the unknown OpenPGP key that signed the message shown (WKD, then the keyserver)
unsubscribe     | B               | Unsubscribe      | Read   |             | Leave the message's mailing list (asks before sending anything)
invite          | i               | Answer invite    | Read   |             | Answer the invitation shown: accept, tentative or decline
# View
toggle_threads  | t               | Threads          | View   |             | Show conversations as threads, or a flat list
toggle_thread   | e               | Fold thread      | View   |             | Collapse or expand the conversation
sort            | o               | Sort             | View   |             | Sort by date, from, subject or size (threads too)
reverse_sort    | O               | Reverse          | View   |             | Reverse the sort order
refresh         | ctrl+r          | Refresh          | View   |             | Check the server for new mail now
toggle_folders  | backslash       | Folder pane      | View   |             | Hide or show the folder tree
shrink_list     | left_square_bracket | Shorter list | View   |             | Give the reader more of the height (remembered)
grow_list       | right_square_bracket | Taller list | View   |             | Give the message list more of the height (remembered)
toggle_preview  | P               | Preview line     | View   |             | Show the start of each message after its subject
# Folders
mark_folder_read| M               | Folder read      | Folder |             | Mark every message of the folder read (u undoes)
folder_create   |                 | New folder       | Folder |             | Create a folder (under the one at the cursor)
folder_rename   |                 | Rename folder    | Folder |             | Rename the folder
folder_delete   |                 | Delete folder    | Folder |             | Delete the folder and its messages (asks first)
folder_subscribe|                 | Subscribe        | Folder |             | Subscribe to the folder, or unsubscribe
toggle_subscribed|                | Subscribed only  | Folder |             | Show only subscribed folders in the tree, or all
# App
help            | ?               | Help             | App    | footer      | Show every key
command_line    | :               | Command          | App    | footer      | Type a command: :move Archive, :label +todo, :sort subject (Tab completes)
command_palette | ctrl+p          | Palette          | App    |             | Find any action by name (the command palette)
change_theme    |                 | Theme            | App    |             | Pick a colour theme from a list
quit            | q               | Quit             | App    | footer      | Leave mailtui
"""


def _parse(table: str) -> tuple[ActionSpec, ...]:
    """The registry from its table; a malformed line fails at import, not at a key press."""
    specs = []
    for line in table.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != 6 or cells[3] not in GROUPS:
            raise ValueError(f"bad action line: {line!r}")
        name, keys, title, group, flags, help_text = cells
        words = flags.split()
        specs.append(
            ActionSpec(
                name,
                keys,
                title,
                help_text,
                group,
                footer="footer" in words,
                multi="multi" in words,
            )
        )
    return tuple(specs)


ACTIONS: tuple[ActionSpec, ...] = _parse(_TABLE)

BY_NAME: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}


def command_name(spec: ActionSpec) -> str:
    """The action's name on the `:` command line ("change_theme" → "change-theme")."""
    return spec.name.replace("_", "-")


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
    # `[ui.keys] "g a" = ":move Archive"`: key sequences that run a command line.
    commands: dict[tuple[str, ...], str] = field(default_factory=dict)

    def keys(self, name: str) -> list[str]:
        """The keys that run `name` now."""
        if name in self.overrides:
            return normalize_keys(self.overrides[name])
        return normalize_keys(BY_NAME[name].keys)


def build_keymap(config_keys: Mapping[str, str]) -> Keymap:
    """Validate `[ui.keys]` (action name → keys) against the registry."""
    overrides: dict[str, str] = {}
    problems: list[str] = []
    lines: dict[tuple[str, ...], str] = {}
    for name, keys in config_keys.items():
        if keys.startswith(":"):
            sequence = tuple(k for word in name.split() for k in normalize_keys(word))
            if not sequence:
                problems.append(f"[ui.keys] {name!r} names no key for {keys!r}")
            else:
                lines[sequence] = keys
            continue
        if name not in BY_NAME:
            close = difflib.get_close_matches(name, list(BY_NAME), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"[ui.keys] {name!r} is not an action{guess}; see ? for the names")
            continue
        overrides[name] = ",".join(normalize_keys(keys))
    # A key that now runs two actions runs neither predictably: report it.
    owner: dict[str, str] = {}
    keymap = Keymap(overrides, problems, lines)
    for spec in ACTIONS:
        for key in keymap.keys(spec.name):
            other = owner.setdefault(key, spec.name)
            if other != spec.name and (spec.name in overrides or other in overrides):
                problems.append(
                    f"[ui.keys] the key {key!r} is bound to both {other!r} and {spec.name!r}"
                )
    return keymap


def sequence_state(
    commands: Mapping[tuple[str, ...], str], typed: tuple[str, ...]
) -> tuple[str | None, bool]:
    """For keys typed so far: the command line they complete (or None), and whether a
    longer sequence still starts with them (then the next key decides)."""
    line = commands.get(typed)
    longer = any(len(seq) > len(typed) and seq[: len(typed)] == typed for seq in commands)
    return line, longer
