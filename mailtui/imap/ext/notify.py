"""NOTIFY (RFC 5465): news of every subscribed folder on the one watching connection.

Without NOTIFY a client learns of changes only in the folder it has selected (IDLE,
RFC 2177), so live counts for N folders would need N connections, or a periodic
STATUS round. With it, one `NOTIFY SET` asks the server to report:

- for the selected folder, what IDLE would (EXISTS, EXPUNGE/VANISHED, FETCH FLAGS);
- for every subscribed folder, and INBOX (which is often not subscribed), an untagged
  `STATUS name (MESSAGES … UIDNEXT … UNSEEN …)` whenever mail arrives, is expunged or
  its flags change (§5.2, §5.3; Dovecot reports a flag change of a folder that is
  not selected only when it changes the UNSEEN count);
- for every personal folder, a `LIST` when it is created, renamed or deleted, or its
  subscription changes (§5.4, §5.5): the caller lists the folders again.

The server sends these whenever the connection is not busy — inside IDLE or not —
and also between a command's own responses. So the session collects them in two
places: `note_lines` for lines read while waiting (imap/idle.py), and `note_untagged`
for a command's untagged responses (ImapSession.read_reply). `take` hands the names
over to the watcher (sync/idle.py), which resyncs those folders on the same
connection. A STATUS that answers our own STATUS or LIST command is no notification.

Dovecot offers NOTIFY only with `mailbox_list_index = yes`. Reported through
`model.Capabilities.notify`; hidden with `ignore_capabilities = ["NOTIFY"]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from mailtui.errors import MalformedResponse
from mailtui.imap.parse import Untagged
from mailtui.imap.wire import quote

if TYPE_CHECKING:
    from mailtui.imap.session import ImapSession

__all__ = ["UNKNOWN", "enable", "note_lines", "note_untagged", "take"]

EVENTS = b"(MessageNew MessageExpunge FlagChange)"
"""RFC 5465 §5: FlagChange needs MessageNew and MessageExpunge alongside it."""

UNKNOWN = "\x00unknown"
"""Stands for a folder whose name could not be read (a literal on an IDLE line), or a
change to the folder list itself: the caller lists the folders again."""

MAX_NOTED = 4096
"""Names kept between two `take`s; beyond, the set collapses to UNKNOWN (re-list)."""


def enable(session: ImapSession, also: Iterable[str] = ()) -> bool:
    """`NOTIFY SET` for the selected folder, the subscribed ones, INBOX and `also` (raw
    names of folders watched by name, subscribed or not); False when the server does
    not offer NOTIFY or refuses the request (the caller falls back)."""
    if not session.caps.notify:
        return False
    names = [b"INBOX"] + [quote(n) for n in dict.fromkeys(also) if n.upper() != "INBOX"]
    command = (
        b"NOTIFY SET (selected " + EVENTS + b") (subscribed " + EVENTS + b")"
        b" (mailboxes (" + b" ".join(names) + b") " + EVENTS + b")"
        b" (personal (MailboxName SubscriptionChange))"
    )
    resp = session.raw(command, check=False)
    session.notify_active = resp.status == "OK"
    return session.notify_active


def note_untagged(session: ImapSession, command: bytes, untagged: Iterable[Untagged]) -> None:
    """Remember the folders named by STATUS responses a command brought along."""
    if not session.notify_active:
        return
    verb = command.split(b" ", 1)[0].upper()
    if verb in (b"LIST", b"LSUB"):
        return  # LIST RETURN (STATUS …) answers with STATUS of every folder: ours
    asked = _status_target(command) if verb == b"STATUS" else None
    for u in untagged:
        if u.keyword == b"LIST":  # a folder made, renamed, deleted, (un)subscribed
            _note(session, UNKNOWN)
        if u.keyword != b"STATUS":
            continue
        name = _mailbox(u)
        if name is not None and name != asked:
            _note(session, name)


def note_lines(session: ImapSession, lines: Iterable[bytes]) -> bool:
    """Remember the folders named by `* STATUS` lines read while waiting; True if any."""
    if not session.notify_active:
        return False
    found = False
    for line in lines:
        if line[:7].upper() == b"* LIST ":
            found = True
            _note(session, UNKNOWN)
        if not line[:9].upper().startswith(b"* STATUS "):
            continue
        found = True
        body = line[2:].rstrip(b"\r\n")
        if body.endswith(b"}"):  # a literal name: its bytes are on the next line
            _note(session, UNKNOWN)
            continue
        name = _mailbox(Untagged(segments=[body], literals=[]))
        _note(session, UNKNOWN if name is None else name)
    return found


def take(session: ImapSession) -> frozenset[str]:
    """The raw names of the folders reported since the last call (UNKNOWN among them
    when some name could not be read)."""
    names, session.notified = session.notified, frozenset()
    return names


def _note(session: ImapSession, name: str) -> None:
    if len(session.notified) >= MAX_NOTED:
        session.notified = frozenset({UNKNOWN})
    elif name not in session.notified:
        session.notified = session.notified | {name}


def _mailbox(u: Untagged) -> str | None:
    """The folder a `STATUS name (…)` response is about (RFC 9051 §7.2.4), as sent."""
    try:
        toks = u.tokens()
    except (MalformedResponse, ValueError):
        return None
    if len(toks) < 2 or not isinstance(toks[1], bytes):
        return None
    return toks[1].decode("utf-8", "replace")


def _status_target(command: bytes) -> str | None:
    """The folder our own `STATUS name (…)` asked about."""
    try:
        toks = Untagged(segments=[command], literals=[]).tokens()
    except (MalformedResponse, ValueError):
        return None
    if len(toks) >= 2 and isinstance(toks[1], bytes):
        return toks[1].decode("utf-8", "replace")
    return None
