"""Attachments like mailcap: `A` lists them; s saves where you say, o opens, v views inline.

A component of the main screen (see ui/host.py) over usecase/mailcap.py (RFC 1524:
~/.mailcap and the system's, `[ui.openers]` first). Every command is an argument
list — the file is one whole argument, the type and parameters are checked — so a
stranger's file name or MIME type never reaches a shell.
- s: a prompt with the download folder filled in and Tab completing paths; the file
  is never written over an existing one (mime/attachments.py).
- o: `[ui.openers]`, else `ui.open_command` when set, else the mailcap entry for the
  type (a terminal program runs with the app suspended), else xdg-open.
- v: an entry with `copiousoutput` (`text/html; lynx -dump %s; copiousoutput`) runs
  with its output captured (capped, time-limited) and shown through the sanitiser.
"""

from __future__ import annotations

import asyncio
import subprocess
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.mime.attachments import save_attachment
from mailtui.mime.render import human_size
from mailtui.model import Attachment, BodyPart
from mailtui.text.safe import clean_line
from mailtui.ui import loader
from mailtui.ui.commandline import complete_path
from mailtui.ui.opener import opener_command, run_opener
from mailtui.ui.screens.command import CommandLine
from mailtui.ui.screens.output import TextView
from mailtui.ui.screens.picker import Item, Menu
from mailtui.usecase import mailcap
from mailtui.usecase.message_io import run_capture

if TYPE_CHECKING:
    from mailtui.ui.commanding import Commands
    from mailtui.ui.host import ScreenHost

Key = tuple[str, str, int]
VIEW_TIMEOUT = 30.0


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class Attaching:
    """The attachment menu and what its keys do (see the module docstring)."""

    def __init__(self, host: ScreenHost, commands: Commands) -> None:
        self._host = host
        self._commands = commands
        self._entries: list[mailcap.MailcapEntry] | None = None
        self._openers: list[mailcap.MailcapEntry] = []

    def entries(self) -> tuple[list[mailcap.MailcapEntry], list[mailcap.MailcapEntry]]:
        """The mailcap entries and the openers, read once (the files are capped)."""
        if self._entries is None:
            self._entries = mailcap.load_mailcaps()
            self._openers = mailcap.opener_entries(self._host.mail.ctx.settings.ui.openers)
        return self._entries, self._openers

    def menu(self) -> None:
        host = self._host
        loaded, key = host.reader.loaded, host.reader.key
        if loaded is None or key is None or not loaded.attachments:
            host.notify("This message has no attachments", timeout=2, markup=False)
            return
        atts = loaded.attachments
        items = [Item(a.section, a.filename, f"{a.mime_type}, {human_size(a.size)}") for a in atts]

        def chosen(result: tuple[str, int] | None) -> None:
            if result is None:
                return
            verb, index = result
            att = atts[index]
            if verb == "save":
                self._ask_path(key, loaded.structure, att)
            else:
                work = partial(self._handle, key, loaded.structure, att, verb)
                host.run_worker(work, group="attachment")

        keys = [("s", "save", "save…"), ("o", "open", "open"), ("v", "view", "view here")]
        host.mail.push_screen(Menu("Attachments", items, keys), chosen)

    def _ask_path(self, key: Key, structure: BodyPart, att: Attachment) -> None:
        folder = self._host.mail.ctx.settings.ui.download_dir
        value = _home_relative(folder) + "/"

        def submitted(text: str | None) -> None:
            text = (text or "").strip()
            if text:
                target = Path(text).expanduser()
                work = partial(self._handle, key, structure, att, "save", target)
                self._host.run_worker(work, group="attachment")

        def paths(text: str) -> list[str]:
            return [c.strip('"') for c in complete_path(text)]

        prompt = CommandLine(
            self._commands.sources(),
            [],
            value,
            completer=paths,
            placeholder=f"save {att.filename} to (a folder, or a file name; Tab completes)",
        )
        self._host.mail.push_screen(prompt, submitted)

    async def _data(self, key: Key, structure: BodyPart, att: Attachment) -> bytes:
        host = self._host
        account, folder, uid = key
        loaded = host.reader.loaded
        secret = loaded.secure.message if loaded and loaded.secure else None
        if secret is not None and loaded is not None and loaded.structure is structure:
            return secret.part_bytes(att.section)  # a part of the decrypted message
        service = host.mail.services[account]
        return await loader.fetch_attachment(
            host.mail.bridge, service, folder, uid, structure, att.section
        )

    async def _handle(
        self, key: Key, structure: BodyPart, att: Attachment, verb: str, target: Path | None = None
    ) -> None:
        host = self._host
        host.notify(f"Fetching {att.filename}…", timeout=2, markup=False)
        try:
            data = await self._data(key, structure, att)
            if verb == "save":
                await self._save(data, att, target or host.mail.ctx.settings.ui.download_dir)
            elif verb == "view":
                await self._view(data, att)
            else:
                await self._open(data, att)
        except (MailtuiError, mailcap.MailcapError) as exc:
            text = exc.sentence() if isinstance(exc, MailtuiError) else str(exc)
            host.notify(clean_line(text), severity="error", markup=False)

    async def _save(self, data: bytes, att: Attachment, target: Path) -> None:
        directory, name = (
            (target, att.filename)
            if target.is_dir() or not target.name
            else (
                target.parent,
                target.name,
            )
        )
        path = await asyncio.to_thread(save_attachment, data, name, directory)
        self._host.notify(f"Saved {path}", markup=False, timeout=6)

    def _find(self, att: Attachment, copious: bool) -> mailcap.MailcapEntry | None:
        entries, openers = self.entries()
        return mailcap.lookup(att.mime_type, entries, openers=openers, copious=copious)

    async def _file(self, data: bytes, att: Attachment, entry: mailcap.MailcapEntry | None) -> Path:
        name = entry.file_name(att.filename) if entry is not None else att.filename
        return await asyncio.to_thread(save_attachment, data, name, self._host.mail.open_dir())

    async def _view(self, data: bytes, att: Attachment) -> None:
        host = self._host
        entry = await asyncio.to_thread(self._find, att, True)
        if entry is None:
            if att.mime_type.lower().startswith("text/"):
                text = data.decode("utf-8", "replace")
                host.mail.push_screen(TextView(att.filename, text))
                return
            host.notify(
                f"No mailcap entry shows {clean_line(att.mime_type)} as text; o opens it",
                timeout=4,
                markup=False,
            )
            return
        path = await self._file(data, att, entry)
        argv = mailcap.command_argv(entry, str(path), att.mime_type)
        stdin = path.read_bytes() if entry.stdin else b""
        result = await asyncio.to_thread(run_capture, argv, stdin, timeout=VIEW_TIMEOUT)
        state = "stopped" if result.timed_out else f"exit {result.status}"
        title = f"{att.filename} — {argv[0]} ({state})"
        host.mail.push_screen(TextView(title, result.output or "(no output)"))

    def _opener(self, att: Attachment) -> mailcap.MailcapEntry | None:
        """[ui.openers] first; then an `open_command` set in the config (the user's
        choice for everything); then the mailcap files; None: xdg-open / open."""
        entries, openers = self.entries()
        found = mailcap.lookup(att.mime_type, (), openers=openers, copious=False)
        if found is not None or self._host.mail.ctx.settings.ui.open_command:
            return found
        return mailcap.lookup(att.mime_type, entries, copious=False)

    async def _open(self, data: bytes, att: Attachment) -> None:
        host = self._host
        entry = await asyncio.to_thread(self._opener, att)
        path = await self._file(data, att, entry)
        if entry is None:
            argv = opener_command(host.mail.ctx.settings.ui.open_command, str(path))
            run_opener(argv)
        else:
            argv = mailcap.command_argv(entry, str(path), att.mime_type)
            if entry.needsterminal:
                stdin_file = path.open("rb") if entry.stdin else _nothing()
                with host.mail.suspend(), stdin_file as stdin:
                    subprocess.run(argv, stdin=stdin, check=False)
            else:
                _start(argv, path if entry.stdin else None)
        host.notify(f"Opening {clean_line(att.filename)} with {argv[0]}", timeout=3, markup=False)


class _nothing:
    """No stdin file: the terminal's."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _start(argv: list[str], stdin_file: Path | None) -> None:
    """A viewer detached from the terminal; the file on stdin when the entry wants it."""
    try:
        with stdin_file.open("rb") if stdin_file else _nothing() as stdin:
            subprocess.Popen(
                argv,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
    except OSError as exc:
        raise MailtuiError(f"Cannot run {argv[0]!r}: {exc.strerror or exc}") from None
