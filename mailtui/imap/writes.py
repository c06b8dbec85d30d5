"""Write-back on an IMAP session: STORE, MOVE, COPY, UID EXPUNGE and APPEND, each
confirmed from the server's own evidence (FETCH responses, COPYUID, a check after),
never from a bare OK — see backend.Outcome.

A part of ImapSession (imap/session.py), kept apart by subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from mailtui.backend import Outcome, UidMap, UidSet, compress_uids
from mailtui.backend.query import MessageId, Query
from mailtui.errors import MalformedResponse
from mailtui.imap import scan, translate
from mailtui.imap.errors import Unsupported, drops_on_malformed
from mailtui.imap.ext import gmail
from mailtui.imap.parse import Response
from mailtui.imap.search import criteria as search_criteria
from mailtui.imap.wire import quote


class WriteBack:
    """The writing commands of ImapSession."""

    def ensure_visible(self, top_uid: int) -> None:
        """A message added after this connection's last look is unknown to it until the
        server reports it: a UID STORE/MOVE/SEARCH naming it is answered OK and does
        nothing (Dovecot: "OK No messages found"; RFC 9051 §7.4.1 lets a server defer
        its news). The caller learnt `top_uid` on another connection, so the message
        existed before this NOOP: the NOOP's answer makes it known here."""
        if self.selected is None or top_uid <= self._horizon:
            return
        self.noop()
        self._horizon = max(self._horizon, top_uid)

    @drops_on_malformed
    def store_flags(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome:
        """UID STORE ±FLAGS, one command per UID set whatever its size, confirmed.

        Not .SILENT: the server answers a FETCH FLAGS for every message it changed
        (RFC 9051 §6.4.6), which is the proof. Messages it did not mention were already
        as wanted, or are unknown here: one UID FETCH FLAGS of just those tells which.
        """
        add, remove = sorted(add), sorted(remove)
        if self.caps.labels:
            return self._store_with_labels(uids, add, remove)
        return self._store_plain(uids, add, remove)

    def _store_plain(self, uids: str, add: list[str], remove: list[str]) -> Outcome:
        wanted = _wanted(uids)
        for flag in (*add, *remove):
            _flag_atom(flag)
        self.ensure_visible(wanted.max())
        seen: dict[int, tuple[str, ...]] = {}
        for sign, flags in (("+", add), ("-", remove)):
            if flags:
                names = " ".join(flags)
                resp = self.raw(f"UID STORE {uids} {sign}FLAGS ({names})".encode())
                seen.update(
                    (rec.uid, rec.flags)
                    for rec in resp.fetches
                    if rec.uid and rec.flags is not None
                )
        ok = _flags_match(add, remove)
        unsure = [u for u in wanted if u not in seen or not ok(seen[u])]
        if unsure:
            for rec in self.fetch_flags(compress_uids(unsure)):
                if rec.uid and rec.flags is not None:
                    seen[rec.uid] = rec.flags
        out = Outcome()
        for uid in wanted:
            flags = seen.get(uid)
            (out.gone if flags is None else out.done if ok(flags) else out.failed).append(uid)
        return out

    def _store_with_labels(self, uids: str, add: list[str], remove: list[str]) -> Outcome:
        """Where keywords are labels (Gmail): system flags and `$keywords` by STORE FLAGS,
        the rest by STORE X-GM-LABELS; a UID is done only when both parts are."""
        flags_add, labels_add = gmail.split(add)
        flags_remove, labels_remove = gmail.split(remove)
        parts = []
        if flags_add or flags_remove or not (labels_add or labels_remove):
            parts.append(self._store_plain(uids, flags_add, flags_remove))
        if labels_add or labels_remove:
            parts.append(gmail.store_labels(self, uids, labels_add, labels_remove))
        return _combined(_wanted(uids), parts)

    @drops_on_malformed
    def store_labels(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome:
        """Gmail's STORE ±X-GM-LABELS, confirmed (imap/ext/gmail.py)."""
        if not self.caps.labels:
            raise Unsupported("This server has no labels", "use keywords (`l`) instead")
        return gmail.store_labels(self, uids, add, remove)

    @drops_on_malformed
    def folder_label(self, raw: str) -> str | None:
        if not self.caps.labels:
            return None
        return gmail.folder_label(self, raw)

    @drops_on_malformed
    def move(self, uids: str, dest_raw: str) -> Outcome:
        """UID MOVE (RFC 6851), confirmed by COPYUID (RFC 4315 §3) or by the messages
        being gone from the source afterwards."""
        wanted = _wanted(uids)
        self.ensure_visible(wanted.max())
        resp = self.raw(f"UID MOVE {uids} ".encode() + quote(dest_raw))
        return self._transferred(wanted, _copyuid_map(resp, wanted), moved=True)

    @drops_on_malformed
    def copy(self, uids: str, dest_raw: str) -> Outcome:
        """UID COPY, confirmed by COPYUID. Without UIDPLUS only the source can be checked
        (the caller looks for the Message-IDs in the destination)."""
        wanted = _wanted(uids)
        self.ensure_visible(wanted.max())
        resp = self.raw(f"UID COPY {uids} ".encode() + quote(dest_raw))
        return self._transferred(wanted, _copyuid_map(resp, wanted), moved=False)

    def _transferred(self, wanted: UidSet, mapping: dict[int, int], *, moved: bool) -> Outcome:
        """Sort each UID of a MOVE/COPY into done, gone or failed.

        COPYUID names what the server transferred. Without it (no UIDPLUS) a move shows
        only in the source (gone from it = moved), and a copy not at all here: the
        caller looks for the Message-IDs in the destination.
        """
        out = Outcome(mapping=mapping, done=[u for u in wanted if u in mapping])
        rest = [u for u in wanted if u not in mapping]
        if not rest:
            return out
        present = self.search_uids(b"UID " + compress_uids(rest).encode())
        for uid in rest:
            if uid not in present:
                # Absent from the source: moved by us if the server reports no COPYUID
                # at all, else it was gone before (expunged or moved by someone else).
                (out.done if moved and not mapping else out.gone).append(uid)
            elif mapping or moved:
                out.failed.append(uid)
            else:
                out.done.append(uid)  # a copy without COPYUID: checked by the caller
        out.done.sort()
        return out

    @drops_on_malformed
    def expunge_uids(self, uids: str) -> Outcome:
        """Remove exactly these \\Deleted messages: UID EXPUNGE (RFC 4315 §2.1), then
        check that none of them is still there.

        Without UIDPLUS a bare EXPUNGE would also remove other clients' \\Deleted mail,
        so it is used only when every \\Deleted message in the folder is one of ours.
        """
        wanted = _wanted(uids)
        self.ensure_visible(wanted.max())
        if self.caps.uidplus:
            self.raw(f"UID EXPUNGE {uids}".encode())
        else:
            deleted = self.search_uids(b"DELETED")
            if deleted - wanted:
                raise Unsupported(
                    "The server lacks UIDPLUS and other \\Deleted messages exist in this folder",
                    "the messages are marked deleted; they disappear when that folder is expunged",
                )
            self.raw(b"EXPUNGE")
        left = self.search_uids(b"UID " + uids.encode())
        return Outcome(
            done=[u for u in wanted if u not in left], failed=[u for u in wanted if u in left]
        )

    def append(
        self, folder_raw: str, raw: bytes, flags: Iterable[str] = (), when: float | None = None
    ) -> int | None:
        """APPEND a message; returns its UID when the server reports APPENDUID."""
        client = self._require()
        msg_time = datetime.fromtimestamp(when, UTC) if when else None
        # (A throttled APPEND is sent again: a NO means nothing was stored.)
        result = self._call(
            "APPEND",
            lambda: client.append(
                translate.decode_folder_name(folder_raw), raw, flags=tuple(flags), msg_time=msg_time
            ),
        )
        m = re.search(rb"APPENDUID [0-9]+ ([0-9]+)", result if isinstance(result, bytes) else b"")
        if m is None:
            return None
        try:
            return scan.uid(m.group(1))
        except MalformedResponse:
            self._drop()
            raise

    def create_folder(self, raw: str) -> None:
        self.raw(b"CREATE " + quote(raw))
        self.raw(b"SUBSCRIBE " + quote(raw), check=False)

    def rename_folder(self, old_raw: str, new_raw: str) -> None:
        self.raw(b"RENAME " + quote(old_raw) + b" " + quote(new_raw))
        self.raw(b"SUBSCRIBE " + quote(new_raw), check=False)

    def delete_folder(self, raw: str) -> None:
        if self.selected == raw:
            self.unselect()
        self.raw(b"UNSUBSCRIBE " + quote(raw), check=False)
        self.raw(b"DELETE " + quote(raw))

    def subscribe(self, raw: str, subscribed: bool = True) -> None:
        self.raw((b"SUBSCRIBE " if subscribed else b"UNSUBSCRIBE ") + quote(raw))

    def search(self, query: Query) -> list[int]:
        """UID SEARCH with imapclient (it sends non-ASCII strings as literals with CHARSET)."""
        keys, charset = search_criteria(query, labels=self.caps.labels)
        client = self._require()
        found = self._call("SEARCH", lambda: client.search(keys, charset=charset))
        with self._errors("SEARCH", fresh=False):
            return sorted(scan.uid(str(u).encode()) for u in found)

    def search_message_ids(self, message_ids: Iterable[str]) -> dict[str, int]:
        """Which of these Message-IDs the selected folder holds (replay de-duplication)."""
        found: dict[str, int] = {}
        for mid in message_ids:
            if not mid:
                continue
            for uid in self.search(MessageId(mid)):
                found[mid] = uid
        return found


def _combined(wanted: UidSet, parts: list[Outcome]) -> Outcome:
    """One outcome of several writes to the same UIDs: failed if any part failed, gone
    if any found it gone, else done."""
    failed = {u for p in parts for u in p.failed}
    gone = {u for p in parts for u in p.gone} - failed
    out = Outcome()
    for uid in wanted:
        (out.failed if uid in failed else out.gone if uid in gone else out.done).append(uid)
    return out


def _flag_atom(flag: str) -> str:
    """A flag or keyword as an IMAP atom (RFC 9051 §9 flag-keyword); refuses what can't be one."""
    if not flag or (
        any(c in flag for c in ' (){%*"]\\\r\n')
        and not (flag.startswith("\\") and flag[1:].isalpha())
    ):
        raise ValueError(f"not a valid IMAP flag or keyword: {flag!r}")
    if not flag.isascii():
        raise ValueError(f"IMAP keywords must be ASCII: {flag!r}")
    return flag


def _flags_match(add: list[str], remove: list[str]) -> Callable[[tuple[str, ...]], bool]:
    """A test: do these flags show the change (flags compare case-insensitively)?"""
    want = {f.lower() for f in add}
    unwanted = {f.lower() for f in remove}

    def ok(flags: tuple[str, ...]) -> bool:
        have = {f.lower() for f in flags}
        return want <= have and not (unwanted & have)

    return ok


_COPYUID = re.compile(rb"\[COPYUID ([0-9]+) ([^ \]]+) ([^ \]]+)\]", re.I)


def _copyuid_map(resp: Response, wanted: UidSet) -> dict[int, int]:
    """Source UID → destination UID for the UIDs we asked to move or copy, from COPYUID
    (RFC 4315 §3). Its sets stay ranges (a billion-UID range is a few integers); only
    `wanted`'s UIDs are looked up. A COPYUID whose sets do not pair up is ignored (the
    caller then checks the source); one that is not UID sets is MalformedResponse."""
    texts = [resp.text.encode()] + [u.segments[0] for u in resp.untagged if u.keyword == b"OK"]
    for text in texts:
        m = _COPYUID.search(text)
        if m:
            scan.number(m.group(1), what="a UIDVALIDITY", low=1, limit=scan.UID_MAX)
            try:
                pairs = UidMap(m.group(2), m.group(3))
            except ValueError:
                return {}
            return pairs.restrict(wanted)
    return {}


def _wanted(uids: str) -> UidSet:
    """The caller's own UID set (never the server's): a bad one is the caller's bug."""
    try:
        return UidSet.parse(uids)
    except MalformedResponse as exc:
        raise ValueError(f"not a UID set: {uids!r:.80}") from exc
