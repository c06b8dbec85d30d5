"""A session's view of its selected folder: what the server has told this client so far.

RFC 9051 numbers messages per session: a message another session added is not part of
this one's sequence numbers until an EXISTS said so (§7.4.1), and an expunged one keeps
its number until an EXPUNGE said so (§7.5.1, which forbids that during FETCH, STORE and
SEARCH). Servers tell at command ends, on NOOP and in IDLE (§5.2) — Dovecot at the end
of every command. Until then a command acts on the view as it stands, so a UID STORE
naming a UID this session was never told about changes nothing and still answers OK.
This module keeps that view and turns the store's changes into the untagged news.
"""

from __future__ import annotations

import bisect
import random

from tests.support.scripted_imap.protocol import compress, flag_list
from tests.support.scripted_imap.store import Folder, Mailstore, Message


class ViewGone(Exception):
    """The selected folder was deleted, renamed or renumbered under this session."""


class SelectedView:
    """Sequence numbers, UIDs and last-told MODSEQs of one session's selected folder."""

    def __init__(
        self, folder: Folder, *, readonly: bool, condstore: bool = False, qresync: bool = False
    ) -> None:
        self.name = folder.name
        self.uidvalidity = folder.uidvalidity
        self.readonly = readonly
        self.condstore = condstore or qresync
        self.qresync = qresync
        self.uids: list[int] = folder.uids()
        self.known: dict[int, int] = {u: m.modseq for u, m in folder.messages.items()}
        # The folder's HIGHESTMODSEQ at the last sync, and whether expunges were held back
        # then: with neither moved, there is no news (no O(n) scan per command).
        self.synced_modseq = folder.highestmodseq
        self.held_expunges = False
        self.expunge_order = "descending"  # set from ScriptedImap.expunge_order

    # --- numbering -------------------------------------------------------------------

    def seq(self, uid: int) -> int:
        """The sequence number of a UID in this view (0 when the view does not hold it)."""
        i = bisect.bisect_left(self.uids, uid)
        return i + 1 if i < len(self.uids) and self.uids[i] == uid else 0

    def folder(self, store: Mailstore) -> Folder:
        with store.lock:
            folder = store.folders.get(self.name)
            if folder is None or folder.uidvalidity != self.uidvalidity:
                raise ViewGone(self.name)
            return folder

    def live(self, store: Mailstore, uids: list[int]) -> list[Message]:
        """The messages behind these view UIDs that the store still holds."""
        with store.lock:
            messages = self.folder(store).messages
            return [messages[u] for u in uids if u in messages]

    def told(self, msg: Message) -> None:
        """This client now knows the message's current flags (it was sent a FETCH)."""
        if msg.uid in self.known:
            self.known[msg.uid] = msg.modseq

    # --- news ---------------------------------------------------------------------------

    def sync(self, store: Mailstore, *, expunges: bool = True) -> list[bytes]:
        """Bring the view up to the store; returns the untagged lines that tell the client.

        Order as Dovecot: expunges (VANISHED under QRESYNC, RFC 7162 §3.2.10), changed
        flags, then EXISTS for new mail (RFC 9051 §7.4.1).
        """
        lines: list[bytes] = []
        with store.lock:
            folder = self.folder(store)
            if folder.highestmodseq == self.synced_modseq and not (expunges and self.held_expunges):
                return lines
            self.synced_modseq = folder.highestmodseq
            current = folder.messages
            self.held_expunges = not expunges and any(u not in current for u in self.uids)
            if expunges:
                gone = [u for u in self.uids if u not in current]
                if gone and self.qresync:
                    lines.append(b"* VANISHED " + compress(gone).encode())
                elif gone:
                    lines.extend(self._expunge_lines(gone))
                if gone:
                    dropped = set(gone)
                    self.uids = [u for u in self.uids if u not in dropped]
                    for u in gone:
                        self.known.pop(u, None)
            for i, uid in enumerate(self.uids):
                msg = current.get(uid)
                if msg is not None and msg.modseq > self.known.get(uid, 0):
                    lines.append(self.flags_line(i + 1, msg))
                    self.known[uid] = msg.modseq
            top = self.uids[-1] if self.uids else 0
            new = [u for u in current if u > top]
            if new:
                self.uids.extend(new)
                self.known.update((u, current[u].modseq) for u in new)
                lines.append(b"* %d EXISTS" % len(self.uids))
        return lines

    def _expunge_lines(self, gone: list[int]) -> list[bytes]:
        """`* n EXPUNGE` for each gone UID, in this view's order; each number is the
        message's position once the earlier lines' messages are gone (RFC 9051 §7.5.1).
        Descending (Dovecot) keeps every number as it was; ascending repeats numbers."""
        order = sorted(gone, reverse=self.expunge_order == "descending")
        if self.expunge_order == "shuffled":
            random.Random(len(gone)).shuffle(order)
        seqs = list(self.uids)
        lines = []
        for uid in order:
            i = bisect.bisect_left(seqs, uid)
            lines.append(b"* %d EXPUNGE" % (i + 1))
            del seqs[i]
        return lines

    def flags_line(self, seq: int, msg: Message, *, uid: bool | None = None) -> bytes:
        """`* n FETCH (UID u FLAGS (..) MODSEQ (m))`: UID under QRESYNC or for UID
        commands (RFC 7162 §3.2.4, RFC 9051 §6.4.9), MODSEQ once CONDSTORE is on (§3.1.4)."""
        items = []
        if self.qresync if uid is None else uid:
            items.append(b"UID %d" % msg.uid)
        items.append(b"FLAGS " + flag_list(sorted(msg.flags)))
        if self.condstore:
            items.append(b"MODSEQ (%d)" % msg.modseq)
        return b"* %d FETCH (" % seq + b" ".join(items) + b")"

    def highestmodseq(self, store: Mailstore) -> int:
        with store.lock:
            return self.folder(store).highestmodseq
