"""Running a `:` command line: each command handed to the component that does the work.

A component of the main screen (see ui/host.py). The line is parsed and completed in
ui/commandline.py and edited in ui/screens/command.py; here each command checks its
arguments (a folder that does not exist is a toast naming it, not a silent no-op) and
calls Triage, Listing, Search, Filter, Folders or Reading — the same code the keys run,
so a line and a key can never disagree. Registry actions run by name.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from mailtui.ui.commandline import (
    COMMANDS,
    CommandError,
    Line,
    Sources,
    parse_line,
)
from mailtui.ui.keymap import BY_NAME
from mailtui.ui.screens.command import CommandLine
from mailtui.ui.views import SORT_KEYS

if TYPE_CHECKING:
    from mailtui.ui.filtering import Filter
    from mailtui.ui.folders import Folders
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.listing import Listing
    from mailtui.ui.search import Search
    from mailtui.ui.triage import Triage


class Commands:
    """The command line's runner (see the module docstring)."""

    def __init__(
        self,
        host: ScreenHost,
        *,
        listing: Listing,
        triage: Triage,
        search: Search,
        filter: Filter,
        folders: Folders,
    ) -> None:
        self._host = host
        self._listing = listing
        self._triage = triage
        self._search = search
        self._filter = filter
        self._folders = folders
        self.history: list[str] = []
        self.own: dict[str, object] = {}  # more commands, added by other components

    def sources(self) -> Sources:
        host = self._host
        return Sources(
            folders=lambda: [f.name for f in host.folder_tree.folders(host.account)],
            labels=lambda: self._labels(),
        )

    def _labels(self) -> set[str]:
        host = self._host
        known = set(host.mail.labels)
        if host.folder is not None:
            uids = host.messages.rows[:500]
            for env in host.service.envelopes(host.folder, uids).values():
                known.update(env.keywords)
        return known

    def ask(self, value: str = "") -> None:
        """`:`: the command line; what it runs is run here."""

        def submitted(line: str | None) -> None:
            if line:
                self.run(line)

        screen = CommandLine(self.sources(), self.history, value)
        self._host.mail.push_screen(screen, submitted)

    def run(self, text: str) -> bool:
        """Run one line; False (and a toast saying why) when it could not run."""
        try:
            line = parse_line(text)
            self._dispatch(line)
        except CommandError as exc:
            self._host.notify(str(exc), severity="error", markup=False, timeout=5)
            return False
        return True

    def _dispatch(self, line: Line) -> None:
        host = self._host
        handler = getattr(self, f"_cmd_{line.name.replace('-', '_')}", None)
        if handler is not None:
            handler(line)
            return
        own = self.own.get(line.name)
        if callable(own):
            own(line)
            return
        action = line.name.replace("-", "_")
        if action in BY_NAME:
            if line.args:
                raise CommandError(f":{line.name} takes no arguments")
            host.run_worker(partial(host.mail.run_main_action, action), group="command")
            return
        raise CommandError(f":{line.name} is not available here")

    # --- the commands --------------------------------------------------------------------

    def _folder_arg(self, line: Line) -> str:
        if len(line.args) != 1:
            raise CommandError(f"Usage: :{line.name} {COMMANDS[line.name].usage}")
        name = line.args[0]
        host = self._host
        info = host.folder_tree.folder(host.account, name)
        if info is None:
            raise CommandError(f"No folder {name!r}; :folder create {name} makes it")
        if not info.selectable:
            raise CommandError(f"{name!r} holds only other folders")
        return name

    def _cmd_move(self, line: Line) -> None:
        self._triage.move_to(self._folder_arg(line), copy=False)

    def _cmd_copy(self, line: Line) -> None:
        self._triage.move_to(self._folder_arg(line), copy=True)

    def _cmd_cd(self, line: Line) -> None:
        folder = self._folder_arg(line)
        self._host.open_folder(self._host.account, folder)

    def _cmd_label(self, line: Line) -> None:
        if not line.args:
            raise CommandError("Usage: :label +add -remove … (a bare word adds)")
        add, remove = set(), set()
        for word in line.args:
            sign, name = (word[0], word[1:]) if word[:1] in "+-" else ("+", word)
            if not name:
                raise CommandError(f"{word!r} names no label")
            (remove if sign == "-" else add).add(name)
        if add & remove:
            raise CommandError(f"Both added and removed: {', '.join(sorted(add & remove))}")
        self._triage.set_labels(frozenset(add), frozenset(remove))

    def _cmd_search(self, line: Line) -> None:
        scope, _, query = line.rest.strip().partition(" ")
        if scope in ("*", "**"):
            # Every folder of this account (*) or of every account (**): the results
            # list, where the triage keys act on each message in its own folder.
            if not query.strip():
                raise CommandError("Usage: :search * QUERY (every folder), ** (every account)")
            if self._filter.check(query):
                account = self._host.account if scope == "*" else "*"
                self._filter.everywhere(account, "*", query.strip(), f"/{query.strip()}")
            return
        if line.rest:
            self._search.run(line.rest)
        else:
            self._search.clear()

    def _cmd_filter(self, line: Line) -> None:
        self._filter.apply(line.rest)

    def _cmd_sort(self, line: Line) -> None:
        words = [w.lower() for w in line.args]
        if not words or words[0] not in SORT_KEYS or len(words) > 2:
            raise CommandError(f"Usage: :sort {COMMANDS['sort'].usage}")
        direction = words[1] if len(words) == 2 else None
        if direction not in (None, "asc", "desc"):
            raise CommandError("The direction is asc or desc")
        self._listing.sort_by(words[0], None if direction is None else direction == "desc")

    def _cmd_folder(self, line: Line) -> None:
        self._folders.run(line.args)
