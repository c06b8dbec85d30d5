"""Folder commands of an IMAP session: LIST (with SPECIAL-USE and LIST-STATUS, RFC
6154 and RFC 5819), LSUB and STATUS (RFC 9051 §6.3.9-11).

A part of ImapSession (imap/session.py), kept apart by subject; it runs on the session's
connection through its lean reader.
"""

from __future__ import annotations

from dataclasses import replace

from mailtui.errors import MalformedResponse
from mailtui.imap import scan, translate
from mailtui.imap.errors import drops_on_malformed
from mailtui.imap.wire import quote
from mailtui.model import Folder


class FolderCommands:
    """LIST, LSUB and STATUS for ImapSession."""

    @drops_on_malformed
    def list_folders(self) -> list[Folder]:
        """All folders with special-use roles and, where LIST-STATUS is offered, counts.

        With CONDSTORE the LIST-STATUS also asks what proves a folder unchanged (UIDNEXT,
        UIDVALIDITY, HIGHESTMODSEQ), which `status()` then answers without a STATUS
        of its own: a no-change sync opens each folder on the server once, not twice
        (Dovecot: ~300 ms apiece for a 100k INBOX on a new connection; issue 17)."""
        subscribed = self._subscribed()
        proof = self.caps.list_status and self.caps.condstore
        if self.caps.list_status or self.caps.special_use:
            returns = []
            if self.caps.special_use:
                returns.append(b"SPECIAL-USE")
            if self.caps.list_status:
                returns.append(b"STATUS (MESSAGES UNSEEN%s)" % (_PROOF if proof else b""))
            command = b'LIST "" "*" RETURN (' + b" ".join(returns) + b")"
            resp = self.raw(command, check=not proof)
            if proof and resp.status != "OK":  # a server that refuses the proof items
                proof = False
                resp = self.raw(command.replace(_PROOF, b""))
        else:
            resp = self.raw(b'LIST "" "*"')
        folders: dict[str, Folder] = {}
        counts: dict[str, tuple[int | None, int | None]] = {}
        proven: dict[str, dict[str, int]] = {}
        for u in resp.untagged:
            toks = u.tokens()
            if not toks:
                continue
            kind = (toks[0] or b"").upper()
            if kind == b"LIST" and len(toks) >= 4:
                flags = [f for f in toks[1]] if isinstance(toks[1], list) else []
                raw_name = toks[3] if isinstance(toks[3], bytes) else b""
                folder = translate.folder_from_list(
                    flags, toks[2], raw_name, subscribed=raw_name in subscribed
                )
                folders[folder.raw_name] = folder
                if folder.delimiter and self.delimiter is None:
                    self.delimiter = folder.delimiter
            elif kind == b"STATUS" and len(toks) >= 3:
                raw_name = toks[1] if isinstance(toks[1], bytes) else b""
                name = raw_name.decode("ascii", "replace")
                counts[name] = _status_counts(toks[2])
                if proof and isinstance(toks[2], list):
                    proven[name] = _status_items(toks[2])
        # Valid until this connection sends its next command (its tag number moves).
        self._listed_status = (self._commands_sent(), proven)
        out = []
        for raw_name, folder in folders.items():
            total, unread = counts.get(raw_name, (None, None))
            if total is None and folder.selectable and not self.caps.list_status:
                total, unread = self.status_counts(raw_name)
            out.append(_with_counts(folder, total, unread))
        return out

    @drops_on_malformed
    def _subscribed(self) -> set[bytes]:
        resp = self.raw(b'LSUB "" "*"')
        names = set()
        for u in resp.all(b"LSUB"):
            toks = u.tokens()
            if len(toks) >= 4 and isinstance(toks[3], bytes):
                names.add(toks[3])
        return names

    @drops_on_malformed
    def folder_exists(self, raw: str, *, subscribed: bool = False) -> bool:
        """LIST (or LSUB) of exactly this name: how a folder operation is confirmed."""
        verb = b"LSUB" if subscribed else b"LIST"
        resp = self.raw(verb + b' "" ' + quote(raw))
        for u in resp.all(verb):
            toks = u.tokens()
            if len(toks) >= 4 and toks[3] == raw.encode():
                if subscribed:
                    return True
                flags = {f.upper() for f in toks[1]} if isinstance(toks[1], list) else set()
                # A \\Noselect name left by a deleted parent is no folder to select.
                return not flags & {b"\\NONEXISTENT", b"\\NOSELECT"}
        return False

    @drops_on_malformed
    def status_counts(self, raw_name: str) -> tuple[int | None, int | None]:
        resp = self.raw(b"STATUS " + quote(raw_name) + b" (MESSAGES UNSEEN)", check=False)
        for u in resp.all(b"STATUS"):
            toks = u.tokens()
            if len(toks) >= 3:
                return _status_counts(toks[2])
        return None, None

    def _commands_sent(self) -> int:
        """imaplib's tag counter: moves with every command sent on this connection."""
        client = getattr(self, "client", None)
        return client._imap.tagnum if client is not None else -1

    @drops_on_malformed
    def status(self, raw_name: str, *, unseen: bool = True) -> dict[str, int]:
        """STATUS; without `unseen` the server answers from its index header, O(1) in the
        folder's size (counting unseen mail means walking the messages).

        Right after a LIST-STATUS that carried the same items (no command sent since),
        its answer for the folder is used once instead: the server's state as of a
        moment ago, as a STATUS sent now would report it."""
        listed = getattr(self, "_listed_status", None)
        if not unseen and listed is not None and listed[0] == self._commands_sent():
            found = listed[1].pop(raw_name, None)
            if found is not None and found.keys() >= _PROOF_KEYS:
                return found
        items = b"MESSAGES UIDNEXT UIDVALIDITY" + (b" UNSEEN" if unseen else b"")
        if self.caps.condstore:
            items += b" HIGHESTMODSEQ"
        resp = self.raw(b"STATUS " + quote(raw_name) + b" (" + items + b")")
        out: dict[str, int] = {}
        for u in resp.all(b"STATUS"):
            toks = u.tokens()
            if len(toks) >= 3 and isinstance(toks[2], list):
                out.update(_status_items(toks[2]))
        return out


_PROOF = b" UIDNEXT UIDVALIDITY HIGHESTMODSEQ"
_PROOF_KEYS = frozenset({"MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"})


def _status_items(items: list) -> dict[str, int]:
    """A STATUS answer's items by upper-case name."""
    return {k.decode("ascii", "replace").upper(): v for k, v in _status_pairs(items).items()}


def _status_pairs(items: list) -> dict[bytes, int]:
    """STATUS attribute → number (RFC 9051 §7.2.4). An item the server left NIL (it
    does not know) is left out; a value that is no number is MalformedResponse."""
    out: dict[bytes, int] = {}
    for i in range(0, len(items) - 1, 2):
        key, value = items[i], items[i + 1]
        if not isinstance(key, bytes):
            raise MalformedResponse(f"The IMAP server sent a STATUS item {key!r:.60}")
        if value is None:
            continue
        if not isinstance(value, bytes):
            raise MalformedResponse(f"The IMAP server sent STATUS {key!r:.40} {value!r:.40}")
        out[key.upper()] = scan.number(value, what=f"STATUS {key.decode('ascii', 'replace')}")
    return out


def _status_counts(items: object) -> tuple[int | None, int | None]:
    if not isinstance(items, list):
        return None, None
    pairs = _status_pairs(items)
    return pairs.get(b"MESSAGES"), pairs.get(b"UNSEEN")


def _with_counts(folder: Folder, total: int | None, unread: int | None) -> Folder:
    return replace(folder, total=total, unread=unread)
