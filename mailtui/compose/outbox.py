"""A durable local outbox: a message is on disk before SMTP sees it, and leaves only
after the server accepted it and its Sent copy is stored.

Layout: `data_dir()/outbox/<account>/` (0700) holds, per message, `<id>.eml` (the exact
bytes to send) and `<id>.json` (state, the replied-to message, the last error), both
0600 and written atomically (temp file, fsync, rename, fsync of the directory), so a
crash leaves either the old or the new file, never half of one. The `.eml` is the
entry: an orphaned `.json` is ignored and swept.

An entry may carry `not_before`: the undo window after `y` (`[ui] send_delay`), or a
time the user chose (send later); nothing sends it before then.

States: "queued" (not accepted by SMTP yet) → "sent" (accepted; the Sent copy or a
flag is still to be done) → removed. While a process works on an entry it holds an
exclusive `flock` on the `.eml`, so the UI and `mailtui send` never send it twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from mailtui.compose.build import message_id_of, subject_of
from mailtui.config import paths
from mailtui.fileio import TMP_SUFFIX, atomic_write, fsync_dir
from mailtui.model import MessageRef

__all__ = ["Outbox", "OutboxEntry"]

State = Literal["queued", "sent"]


@dataclass(frozen=True)
class OutboxEntry:
    """One message waiting in the outbox, and what is still to be done for it."""

    id: str
    created: float
    state: State = "queued"
    attempts: int = 0
    last_error: str = ""
    last_attempt: float = 0.0
    message_id: str = ""
    subject: str = ""
    replied: MessageRef | None = None
    forwarded: MessageRef | None = None
    draft_copy: MessageRef | None = None
    """The copy saved to Drafts when sending failed (removed once it is sent)."""
    sent_copy_done: bool = False
    flags_done: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    not_before: float = 0.0
    """Not sent before this time (epoch seconds): the undo window after `y`, or the
    time the user chose to send it at; 0 = as soon as possible."""
    scheduled: bool = False
    """`not_before` is a time the user chose (send later), not the undo window."""

    def due(self, now: float | None = None) -> bool:
        """Whether it may be sent now."""
        return self.not_before <= (time.time() if now is None else now)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(entry_id: str, text: str) -> OutboxEntry:
        data = json.loads(text)

        def ref(value: Any) -> MessageRef | None:
            if isinstance(value, dict) and "folder" in value and "uid" in value:
                return MessageRef(str(value["folder"]), int(value["uid"]))
            return None

        state = data.get("state", "queued")
        return OutboxEntry(
            id=entry_id,
            created=float(data.get("created", 0.0)),
            state="sent" if state == "sent" else "queued",
            attempts=int(data.get("attempts", 0)),
            last_error=str(data.get("last_error", "")),
            last_attempt=float(data.get("last_attempt", 0.0)),
            message_id=str(data.get("message_id", "")),
            subject=str(data.get("subject", "")),
            replied=ref(data.get("replied")),
            forwarded=ref(data.get("forwarded")),
            draft_copy=ref(data.get("draft_copy")),
            sent_copy_done=bool(data.get("sent_copy_done", False)),
            flags_done=bool(data.get("flags_done", False)),
            extra=dict(data.get("extra", {})),
            not_before=float(data.get("not_before", 0.0)),
            scheduled=bool(data.get("scheduled", False)),
        )


class Outbox:
    """The outbox of one account (or of any directory, for tests)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_account(cls, account: str) -> Outbox:
        """`data_dir()/outbox/<account>/`: survives cache wipes, private to the user."""
        root = paths.ensure_private_dir(paths.data_dir() / "outbox")
        return cls(root / paths.safe_name(account))

    def _dir(self) -> Path:
        return paths.ensure_private_dir(self.directory)

    def _eml(self, entry_id: str) -> Path:
        return self.directory / f"{entry_id}.eml"

    def _meta(self, entry_id: str) -> Path:
        return self.directory / f"{entry_id}.json"

    # --- writing -----------------------------------------------------------------------

    def enqueue(
        self,
        raw: bytes,
        *,
        replied: MessageRef | None = None,
        forwarded: MessageRef | None = None,
        not_before: float = 0.0,
        scheduled: bool = False,
    ) -> OutboxEntry:
        """Store a message before it is sent; returns its entry (state "queued").
        `not_before`: not sent before then (see OutboxEntry)."""
        directory = self._dir()
        now = time.time()
        entry_id = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
        entry = OutboxEntry(
            id=entry_id,
            created=now,
            message_id=message_id_of(raw),
            subject=subject_of(raw),
            replied=replied,
            forwarded=forwarded,
            not_before=not_before,
            scheduled=scheduled,
        )
        # The metadata first: an .eml without its .json would still be sent, but
        # without the replied-to reference; a .json alone is swept as an orphan.
        atomic_write(self._meta(entry_id), entry.to_json().encode())
        atomic_write(directory / f"{entry_id}.eml", raw)
        return entry

    def update(self, entry: OutboxEntry, **changes: Any) -> OutboxEntry:
        """Rewrite an entry's metadata (atomically) and return the new entry."""
        new = replace(entry, **changes)
        atomic_write(self._meta(entry.id), new.to_json().encode())
        return new

    def record_failure(self, entry: OutboxEntry, error: str) -> OutboxEntry:
        return self.update(
            entry,
            attempts=entry.attempts + 1,
            last_error=error,
            last_attempt=time.time(),
        )

    def remove(self, entry: OutboxEntry | str) -> None:
        """Drop an entry: the .eml first (that is the commit), then its metadata."""
        entry_id = entry if isinstance(entry, str) else entry.id
        with contextlib.suppress(FileNotFoundError):
            self._eml(entry_id).unlink()
        with contextlib.suppress(FileNotFoundError):
            self._meta(entry_id).unlink()
        if self.directory.exists():
            fsync_dir(self.directory)

    # --- reading -----------------------------------------------------------------------

    def raw(self, entry: OutboxEntry | str) -> bytes:
        entry_id = entry if isinstance(entry, str) else entry.id
        return self._eml(entry_id).read_bytes()

    def get(self, entry_id: str) -> OutboxEntry | None:
        if not self._eml(entry_id).exists():
            return None
        try:
            return OutboxEntry.from_json(entry_id, self._meta(entry_id).read_text())
        except (OSError, ValueError, TypeError):
            # Metadata lost or damaged: the message itself is what matters; send it.
            created = self._eml(entry_id).stat().st_mtime
            raw = self.raw(entry_id)
            return OutboxEntry(
                id=entry_id,
                created=created,
                message_id=message_id_of(raw),
                subject=subject_of(raw),
            )

    def pending(self) -> list[OutboxEntry]:
        """Every entry, oldest first."""
        if not self.directory.is_dir():
            return []
        ids = sorted(p.stem for p in self.directory.glob("*.eml") if not p.name.startswith("."))
        entries = [e for e in (self.get(i) for i in ids) if e is not None]
        self._sweep(set(ids))
        return entries

    def _sweep(self, live: set[str]) -> None:
        """Remove metadata without a message, and temp files older than an hour."""
        cutoff = time.time() - 3600
        for p in self.directory.iterdir():
            try:
                if (p.suffix == ".json" and p.stem not in live and p.stat().st_mtime < cutoff) or (
                    p.name.startswith(".") and p.suffix == TMP_SUFFIX and p.stat().st_mtime < cutoff
                ):
                    p.unlink()
            except OSError:
                continue

    def count(self) -> int:
        """How many messages wait (not `__len__`: an empty outbox must not be falsy)."""
        return len(self.pending())

    @contextlib.contextmanager
    def claim(self, entry: OutboxEntry) -> Iterator[OutboxEntry | None]:
        """Hold the entry exclusively; yields None if another process (or thread) has it
        or it is gone, else the entry as currently on disk."""
        try:
            fd = os.open(self._eml(entry.id), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            yield None
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            # Re-read: whoever held it before may have sent it meanwhile.
            yield self.get(entry.id)
        finally:
            os.close(fd)
