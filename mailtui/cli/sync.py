"""Staying current: `sync` brings the cache up to date, `watch` prints live events."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from mailtui.cli.access import open_context
from mailtui.errors import MailtuiError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import TaskID

    from mailtui.sync import events
    from mailtui.sync.prefetch import PrefetchStats
    from mailtui.sync.service import SyncService


def cmd_sync(args: argparse.Namespace) -> int:
    from mailtui.sync import commands, events

    ctx = open_context(args)
    service = ctx.service(args.account)
    service.prefetcher.auto = False  # one pass below, after the headers, reported
    settings = ctx.account(args.account)
    mode = getattr(args, "prefetch", None) or settings.prefetch
    progress = _SyncProgress() if sys.stdout.isatty() else None
    unsubscribe = service.subscribe(progress.on_event) if progress else (lambda: None)
    try:
        if progress:
            progress.start()
        replaying = service.pending_actions()
        stats = service.run(commands.SyncAll(folders=tuple(args.folder)))
        # Actions saved earlier (offline, or by a killed run) go out before we exit.
        if service.pending_actions() and not service.wait_writer_idle(timeout=120):
            raise MailtuiError(
                f"{service.pending_actions()} action(s) could not be sent yet",
                "they stay saved and are sent by the next connection",
            )
        if replaying:
            # Their effects (copies, moved mail) are in other folders: bring them in.
            stats = service.run(commands.SyncAll(folders=tuple(args.folder)))
        prefetched = _prefetch(service, mode, tuple(args.folder)) if settings.imap else None
    finally:
        if progress:
            progress.stop()
        unsubscribe()
        ctx.close()
    if progress:
        fetched = sum(s.fetched for s in stats)
        print(f"Synced {len(stats)} folder(s), {fetched} new message header(s).")
    if prefetched is not None:
        print(_prefetch_line(prefetched))
    del events
    return 0


def _prefetch(service: SyncService, mode: str, folders: tuple[str, ...]) -> PrefetchStats | None:
    """Prefetch passes until one ends without giving way; their sum (None: "none")."""
    from mailtui.sync import commands
    from mailtui.sync.prefetch import PrefetchStats

    if mode == "none":
        return None
    total = PrefetchStats(mode=mode)
    for _ in range(100):
        one: PrefetchStats = service.run(commands.Prefetch(mode=mode, folders=folders))
        total.messages += one.messages
        total.bytes += one.bytes
        total.evicted += one.evicted
        total.readable, total.wanted, total.full = one.readable, one.wanted, one.full
        if not one.yielded:
            break
    return total


def _prefetch_line(stats: PrefetchStats) -> str:
    """One line on what `sync` prefetched ("Prefetched 12 messages (340 KB, text); …")."""
    from mailtui.mime.render import human_size

    plural = "" if stats.messages == 1 else "s"
    line = (
        f"Prefetched {stats.messages} message{plural} ({human_size(stats.bytes)}, "
        f"{stats.mode}); {stats.readable:,} of {stats.wanted:,} readable offline"
    )
    if stats.evicted:
        line += f"; {stats.evicted} older dropped to make room"
    if stats.full:
        line += "; prefetch_max_mb is full"
    return line + "."


class _SyncProgress:
    """A rich progress bar per folder, fed by service events from the worker thread."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=False
        )
        self.tasks: dict[str, TaskID] = {}

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def on_event(self, event: events.Event) -> None:
        from rich.text import Text

        from mailtui.sync import events
        from mailtui.text.safe import clean_line

        folder = getattr(event, "folder", None)
        if folder is None:
            return
        if folder not in self.tasks and isinstance(
            event, events.SyncStarted | events.HeadersSynced | events.FolderSynced
        ):
            self.tasks[folder] = self.progress.add_task(Text(clean_line(folder)), total=None)
        task = self.tasks.get(folder)
        if task is None:
            return
        if isinstance(event, events.SyncStarted):
            self.progress.update(task, total=max(event.total, 1), completed=0)
        elif isinstance(event, events.HeadersSynced) and event.total:
            self.progress.update(task, total=event.total, completed=event.done)
        elif isinstance(event, events.FolderSynced):
            total = max(event.stats.total, 1)
            self.progress.update(task, total=total, completed=total)


def cmd_watch(args: argparse.Namespace) -> int:
    """Stay connected; one line per event, flushed at once (for notifiers and tests)."""
    import threading

    from mailtui.sync import commands

    ctx = open_context(args)
    service = ctx.service(args.account)
    stop = threading.Event()
    reader_gone = threading.Event()

    def show(event: events.Event) -> None:
        line = _event_line(service, event)
        if not line or reader_gone.is_set():
            return
        try:
            print(line, flush=True)
        except BrokenPipeError:  # raised in a worker thread: end the main one
            reader_gone.set()
            stop.set()

    unsubscribe = service.subscribe(show)
    unnotify = _notify(service) if getattr(args, "notify", False) else (lambda: None)
    try:
        service.run(commands.RefreshFolders(), timeout=60)
        # With NOTIFY (RFC 5465) the one watcher reports every subscribed folder; else
        # INBOX (and each --folder) is watched and the rest polled (sync/idle.py).
        service.watch(None, *args.folder)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        unnotify()
        unsubscribe()
        ctx.close()
    if reader_gone.is_set():
        raise BrokenPipeError
    return 0


def _notify(service: SyncService) -> Callable[[], None]:
    """`watch --notify`: the TUI's notifier (usecase/notify.py) on this account. Bell
    and OSC sequences go to the terminal (stdout, else stderr, when it is one), never
    into a pipe that reads the event lines."""
    import os
    import threading

    from mailtui.usecase.notify import Notifier, settings_for

    if service.settings is None:
        return lambda: None
    if not service.settings.notify:
        print(
            f"mailtui: --notify: account {service.account!r} has no notify key, so nothing"
            ' is announced (e.g. notify = ["bell", "osc9"])',
            file=sys.stderr,
        )
    tty = next((s for s in (sys.stdout, sys.stderr) if s.isatty()), None)
    lock = threading.Lock()

    def write(data: bytes) -> None:
        if tty is None:
            return
        with lock:
            tty.flush()
            os.write(tty.fileno(), data)

    return service.subscribe(Notifier(service, settings_for(service.settings), write))


def _event_line(service: SyncService, event: events.Event) -> str:
    from mailtui.sync import events
    from mailtui.text.safe import clean_line

    stamp = datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    if isinstance(event, events.NewMail):
        envs = service.envelopes(event.folder, list(event.uids))
        parts = []
        for uid in event.uids:
            e = envs.get(uid)
            who = clean_line(e.sender) if e else ""
            subject = clean_line(e.subject) if e else ""
            parts.append(
                f"{stamp} new {clean_line(event.folder)} uid={uid} from={who!r} subject={subject!r}"
            )
        return "\n".join(parts)
    if isinstance(event, events.FlagsChanged):
        return f"{stamp} flags {clean_line(event.folder)} uids={','.join(map(str, event.uids))}"
    if isinstance(event, events.MessagesVanished):
        return f"{stamp} vanished {clean_line(event.folder)} uids={','.join(map(str, event.uids))}"
    if isinstance(event, events.ConnectionChanged):
        detail = f" {clean_line(event.detail)}" if event.detail else ""
        return f"{stamp} connection {event.state}{detail}"
    if isinstance(event, events.ActionFailed):
        return f"{stamp} action-failed {clean_line(event.folder)} {event.kind}: {clean_line(event.message)}"
    return ""
