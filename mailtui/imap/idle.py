"""Live updates on an IMAP session: IDLE (RFC 2177), NOOP polling, applying a NOOP's
news straight away in QRESYNC mode (RFC 7162 §3.2.10), and the other folders' news
that NOTIFY (RFC 5465, imap/ext/notify.py) brings to the same connection.

A part of ImapSession (imap/session.py), kept apart by subject.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailtui.backend import UidSet
from mailtui.errors import MalformedResponse, ProtocolError
from mailtui.imap import scan
from mailtui.imap.errors import ConnectionLost, drops_on_malformed
from mailtui.imap.ext import notify
from mailtui.imap.parse import Untagged
from mailtui.imap.wire import MAX_HEADER_LITERAL
from mailtui.readable import readable, wait_readable


@dataclass
class NoopChanges:
    """What a NOOP reported for the selected folder (RFC 7162 §3.2.10, QRESYNC mode)."""

    vanished: UidSet = field(default_factory=lambda: UidSet())
    flags: list[tuple[int, str, int]] = field(default_factory=list)
    exists: bool = False
    highestmodseq: int = 0

    @property
    def empty(self) -> bool:
        return not (self.vanished or self.flags or self.exists)


class LiveUpdates:
    """IDLE, NOOP and NOTIFY for ImapSession."""

    notify_active = False
    """NOTIFY is set on this connection (imap/ext/notify.py)."""
    notified: frozenset[str] = frozenset()
    """Raw names of the other folders NOTIFY reported since `changed_folders`."""

    def watch_folders(self, also: Sequence[str] = ()) -> bool:
        """Hear of changes in every subscribed folder, INBOX and `also` on this
        connection (NOTIFY); False where the server cannot (watch folder by folder)."""
        return notify.enable(self, also)  # type: ignore[arg-type]

    def changed_folders(self) -> frozenset[str]:
        """Raw names of the folders other than the selected one that changed since the
        last call (`notify.UNKNOWN` among them when a name could not be read)."""
        return notify.take(self)  # type: ignore[arg-type]

    def idle_start(self) -> bool:
        """Enter IDLE (RFC 2177); True if a change was already reported.

        News may come before the server's continuation (NOTIFY sends it whenever the
        connection is free): it is kept as news, where imapclient's idle() would take
        it for a broken reply and drop the connection."""
        client = self._require()
        with self._errors("IDLE"):
            imap = client._imap
            client._idle_tag = imap._command("IDLE")
            early = _read_until(imap, lambda line: line.startswith(b"+"))
        return _noted(self, early[:-1] + self._drain())

    def idle_wait(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        """Wait for server news or a wake-up: (changed, woken)."""

        client = self._require()
        sock = client.socket()
        pending = getattr(sock, "pending", lambda: 0)()
        if pending:
            return _noted(self, self._drain()), False
        watch = [sock] + ([wake_fd] if wake_fd is not None else [])
        try:
            ready = readable(watch, timeout)
        except (OSError, ValueError) as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke during IDLE: {exc}") from exc
        woken = wake_fd is not None and wake_fd in ready
        changed = _noted(self, self._drain()) if sock in ready else False
        if sock in ready and self.client is None:
            raise ConnectionLost("The IMAP server closed the connection during IDLE")
        return changed, woken

    def idle_done(self) -> None:
        """Leave IDLE. News that arrived since the last look comes before the tagged
        reply: it is noted (imapclient's idle_done() hands it back, and it was lost)."""
        client = self._require()
        with self._errors("IDLE"):
            imap = client._imap
            tag: bytes = client._idle_tag
            imap.send(b"DONE\r\n")
            lines = _read_until(imap, lambda line: line.startswith(tag + b" "))
            imap.tagged_commands.pop(tag, None)
        _noted(self, lines[:-1])
        status = lines[-1][len(tag) + 1 :]
        if status[:2].upper() != b"OK":
            raise ProtocolError(f"IDLE failed: {status[:200].decode('ascii', 'replace')}")

    def change_token(self, raw: str) -> int:
        """(IMAP proves "no change" with HIGHESTMODSEQ instead.)"""
        return 0

    @drops_on_malformed
    def noop_changes(self) -> NoopChanges | None:
        """NOOP on the selected folder, its news decoded: None when it cannot be applied as
        it stands (unapplied news from before, sequence-number EXPUNGEs, a NO…) and the
        caller must resync properly. Needs QRESYNC: VANISHED gives UIDs, FETCH carries UID."""
        if self.changes_pending or not self.qresync_enabled or self.selected is None:
            return None
        resp = self.noop()
        if self.changes_pending and not any(
            u.keyword == b"VANISHED" or u.keyword == b"EXISTS" for u in resp.untagged
        ):
            return None  # a NO/BAD/BYE/[CLOSED]: something we cannot apply
        changes = NoopChanges()
        for u in resp.untagged:
            if u.keyword == b"VANISHED":
                changes.vanished = changes.vanished | vanished_set(u)
            elif u.keyword == b"EXISTS":
                changes.exists = True
            elif u.keyword in (b"EXPUNGE", b"NO", b"BAD", b"BYE"):
                return None
            elif u.keyword == b"OK":
                m = re.search(rb"\[HIGHESTMODSEQ ([^\]]*)\]", u.segments[0], re.I)
                if m:
                    changes.highestmodseq = scan.number(m.group(1), what="HIGHESTMODSEQ")
                elif b"[CLOSED]" in u.segments[0].upper():
                    return None
        for rec in resp.fetches:
            if not rec.uid or rec.flags is None:
                return None
            changes.flags.append((rec.uid, " ".join(rec.flags), rec.modseq))
        self.changes_pending = False
        return changes

    def poll(self) -> bool:
        """NOOP: the server reports what changed in the selected folder since last time."""
        resp = self.noop()
        return self.changes_pending or bool(resp.fetches) or bool(self.notified)

    def _drain(self) -> list[bytes]:
        """Read every line the server has sent so far, without waiting for more.

        A line is read (blocking, with the session timeout, so a half-received line is
        completed) only once bytes are known to be there: a non-blocking read of a plain
        socket with nothing to read returns b'' exactly as EOF does, which imaplib takes
        for a closed connection (it made plain-IMAP IDLE reconnect every second).
        """
        client = self._require()
        imap = client._imap
        sock = client.socket()
        lines: list[bytes] = []
        with self._on_link("IDLE"):
            while self._line_waiting(imap, sock):
                lines.append(imap._get_line())
        return lines

    def _line_waiting(self, imap: object, sock: object) -> bool:
        """Bytes are buffered or readable now; raises EOFError when the peer closed."""
        data = self._peek(imap, sock)
        if data:
            return True
        if data is None:
            return False  # TLS records without application data yet
        if not wait_readable(sock, 0):  # type: ignore[arg-type]
            return False
        # Readable: either data arrived since the first look, or the peer closed.
        data = self._peek(imap, sock)
        if data == b"":
            raise EOFError("the server closed the connection")
        return bool(data)

    def _peek(self, imap: object, sock: object) -> bytes | None:
        """imaplib's buffered bytes (reading the socket once, non-blocking): b'' when
        nothing is there (or at EOF), None when TLS needs more records first."""
        sock.setblocking(False)  # type: ignore[attr-defined]
        try:
            return imap.file.peek(1)  # type: ignore[attr-defined]
        except (BlockingIOError, ssl.SSLWantReadError):
            return None if isinstance(sock, ssl.SSLSocket) else b""
        finally:
            sock.settimeout(self.server.timeout)  # type: ignore[attr-defined]


_LITERAL = re.compile(rb"\{(\d{1,10})\+?\}$")
MAX_IDLE_LINES = 100_000
"""Lines read while entering or leaving IDLE before the server is taken for broken."""


def _read_until(imap: Any, last: Callable[[bytes], bool]) -> list[bytes]:
    """Lines up to and including the first `last` accepts. A literal's bytes are read
    and left out: its line stays as it ended ("{n}"), and news whose folder name came
    as a literal is taken as "some folder changed" (imap/ext/notify.py)."""
    lines: list[bytes] = []
    while len(lines) < MAX_IDLE_LINES:
        line = imap._get_line()
        lines.append(line)
        if last(line):
            return lines
        more = _LITERAL.search(line)
        while more:
            size = int(more.group(1))
            if size > MAX_HEADER_LITERAL:
                raise MalformedResponse(f"The IMAP server sent a {size}-byte literal in IDLE")
            imap.read(size)
            more = _LITERAL.search(imap._get_line())
    raise MalformedResponse("The IMAP server never ended its IDLE responses")


_CHANGE = re.compile(rb"^\* (?:\d+ (?:EXISTS|EXPUNGE|FETCH)|VANISHED)\b", re.I)


def _reports_change(lines: list[bytes]) -> bool:
    return any(_CHANGE.match(line) for line in lines)


def _noted(session: Any, lines: list[bytes]) -> bool:
    """IDLE news is consumed here, not by read_reply: remember it for the next resync
    (the selected folder's as `changes_pending`, other folders' NOTIFY STATUS lines as
    `notified`). True when anything changed."""
    changed = _reports_change(lines)
    if changed:
        session.changes_pending = True
    elsewhere = notify.note_lines(session, lines)
    return changed or elsewhere


def vanished_set(u: Untagged) -> UidSet:
    """`* VANISHED [(EARLIER)] uid-set` (RFC 7162 §3.2.10) as a UidSet, however large
    the ranges: the caller keeps only the UIDs it has cached."""
    rest = u.rest.strip()
    if rest.upper().startswith(b"(EARLIER)"):
        rest = rest[9:].strip()
    return UidSet.parse(rest)
