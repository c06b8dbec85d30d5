"""Pipe, save, source, headers: the message out of the reader (`|`, `S`, ctrl+u, `h`).

A component of the main screen (see ui/host.py) over usecase/message_io.py, which the
CLI shares. The message is fetched whole (BODY.PEEK[], so nothing is marked read) on a
worker thread; what comes back — a command's output, the source, header fields — is
shown through the sanitiser (ui/screens/output.py, render_headers). `|` and `S` open
the command line filled in (`pipe `, `save ~/Downloads/Subject.eml`), so the path
completes with Tab and the line can be edited; `:pipe -d` pipes the decoded text.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.errors import MailtuiError
from mailtui.ui.commandline import CommandError, Line
from mailtui.ui.screens.output import TextView
from mailtui.usecase import message_io

if TYPE_CHECKING:
    from mailtui.ui.commanding import Commands
    from mailtui.ui.host import ScreenHost
    from mailtui.ui.listing import Listing
    from mailtui.ui.reading import Reading

_DECODED = ("-d", "--decoded")


def _home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class Exporting:
    """The export keys and commands (see the module docstring)."""

    def __init__(
        self, host: ScreenHost, *, listing: Listing, reading: Reading, commands: Commands
    ) -> None:
        self._host = host
        self._listing = listing
        self._reading = reading
        self._commands = commands
        commands.own.update(
            pipe=self.run_pipe, save=self.run_save, source=self.run_source, headers=self.run_headers
        )

    def _uid(self) -> int | None:
        """The message the keys act on: the one in the reader, else at the cursor."""
        host = self._host
        shown = host.reader.key
        if shown is not None and (shown[0], shown[1]) == (host.account, host.folder):
            return shown[2]
        return host.messages.cursor_uid

    def _need_uid(self) -> int:
        uid = self._uid()
        if uid is None or self._host.folder is None:
            raise CommandError("No message here")
        return uid

    # --- keys: the command line, filled in ----------------------------------------------------

    def ask_pipe(self) -> None:
        if self._uid() is not None:
            self._commands.ask("pipe ")

    def ask_save(self) -> None:
        uid = self._uid()
        if uid is None:
            return
        env = self._host.messages.envelope(uid)
        folder = self._host.mail.ctx.settings.ui.download_dir
        name = message_io.default_name(env.subject if env else "")
        path = _home_relative(folder / name)
        quoted = f'"{path}"' if any(c.isspace() for c in path) else path
        self._commands.ask(f"save {quoted}")

    # --- the commands ----------------------------------------------------------------------

    def run_pipe(self, line: Line) -> None:
        uid = self._need_uid()
        rest = line.rest
        decoded = False
        head, _, tail = rest.partition(" ")
        if head in _DECODED:
            decoded, rest = True, tail.strip()
        if not rest:
            raise CommandError("Usage: :pipe [-d] COMMAND")
        self._work(self._pipe(uid, rest, decoded))

    def run_save(self, line: Line) -> None:
        uid = self._need_uid()
        args = list(line.args)
        mbox = "--mbox" in args
        args = [a for a in args if a != "--mbox"]
        if len(args) != 1:
            raise CommandError("Usage: :save [--mbox] PATH")
        path = Path(args[0]).expanduser()
        mbox = mbox or path.suffix.lower() == ".mbox"
        uids = self._listing.targets() if mbox else [uid]
        self._work(self._save(uids or [uid], path, mbox))

    def run_source(self, line: Line) -> None:
        self._work(self._source(self._need_uid()))

    def run_headers(self, line: Line) -> None:
        host = self._host
        uid = self._need_uid()
        reader = host.reader
        if reader.key is None or reader.key[2] != uid:
            self._reading.open_now(uid)
        if reader.all_headers is not None:
            reader.show_all_headers(None)
            return
        self._work(self._headers(uid))

    # --- the work, off the UI thread ---------------------------------------------------------

    def _work(self, job: object) -> None:
        async def run() -> None:
            try:
                await job  # type: ignore[misc]
            except MailtuiError as exc:
                self._host.notify(exc.sentence(), severity="error", markup=False)

        self._host.run_worker(run, group="export")

    async def _raw(self, uid: int) -> bytes:
        host = self._host
        return await asyncio.to_thread(message_io.fetch_raw, host.service, host.folder or "", uid)

    async def _pipe(self, uid: int, command: str, decoded: bool) -> None:
        host = self._host
        raw = await self._raw(uid)
        data = raw
        if decoded:
            text = await asyncio.to_thread(message_io.decoded_text, raw, self._reading.prefer)
            data = text.encode("utf-8")
        host.notify(f"Running {command}…", timeout=2, markup=False)
        result = await asyncio.to_thread(message_io.pipe, data, command)
        if result.timed_out:
            state = f"stopped after {message_io.PIPE_TIMEOUT:.0f} s"
        elif result.cut:
            state = "output cut at 1 MiB"
        else:
            state = f"exit {result.status}"
        title = f"| {command}  ({state})"
        if host.is_attached:
            host.mail.push_screen(TextView(title, result.output or "(no output)"))

    async def _save(self, uids: list[int], path: Path, mbox: bool) -> None:
        host = self._host
        raws = [await self._raw(uid) for uid in uids]
        if mbox:
            done = await asyncio.to_thread(message_io.append_mbox, raws, path)
            n = len(raws)
            what = f"Appended {n} message{'s' if n != 1 else ''} to {done}"
        else:
            env = host.messages.envelope(uids[0])
            subject = env.subject if env else ""
            done = await asyncio.to_thread(message_io.save_eml, raws[0], path, subject)
            what = f"Saved to {done}"
        host.notify(what, timeout=4, markup=False)

    async def _source(self, uid: int) -> None:
        raw = await self._raw(uid)
        text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
        if self._host.is_attached:
            self._host.mail.push_screen(TextView(f"Source ({len(raw)} bytes)", text))

    async def _headers(self, uid: int) -> None:
        host = self._host
        block = await asyncio.to_thread(
            message_io.fetch_header, host.service, host.folder or "", uid
        )
        fields = message_io.header_fields(block)
        reader = host.reader
        if reader.key is not None and reader.key[2] == uid:
            reader.show_all_headers(fields)
