"""Flags and keywords of Maildir messages: the ":2," info letters in the file names,
Dovecot's keyword letters, and the other keywords kept in mailtui's UID map.

A part of MaildirSession (maildir/session.py), kept apart by subject.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from mailtui.backend import Outcome
from mailtui.maildir import folder as mfolder
from mailtui.maildir import keywords as dkeywords
from mailtui.maildir.base import MaildirBase, outcome, store_errors
from mailtui.maildir.folder import Msg, View
from mailtui.maildir.names import apply_letters, flags_of, letter_for_flag, split_name


def split_flags(flags: Iterable[str]) -> tuple[set[str], set[str]]:
    """(info letters, keywords); \\Recent and unknown system flags are dropped."""
    letters: set[str] = set()
    kws: set[str] = set()
    for flag in flags:
        letter = letter_for_flag(flag)
        if letter is not None:
            letters.add(letter)
        elif flag and not flag.startswith("\\"):
            if any(c.isspace() or c in '(){%*"]\\' for c in flag) or not flag.isprintable():
                raise ValueError(f"not a valid keyword: {flag!r}")
            kws.add(flag)
    return letters, kws


class FlagCommands(MaildirBase):
    """Reading and storing flags (STORE), as renames and UID-map rows."""

    def _flags(self, view: View, msg: Msg, dovecot: dict[str, str] | None) -> tuple[str, ...]:
        letters = msg.letters if msg.sub == "cur" else None
        stored = view.keywords.get(msg.unique) if view.keywords else None
        if not stored:
            # Most messages share a handful of letter combinations: decode each once.
            key = (letters, id(dovecot))
            hit = self._flag_memo.get(key)
            if hit is None or hit[0] is not dovecot:
                hit = (dovecot, tuple(sorted(flags_of(letters, dovecot))))
                if len(self._flag_memo) > 4096:
                    self._flag_memo.clear()
                self._flag_memo[key] = hit
            return hit[1]
        flags = flags_of(letters, dovecot)
        flags.update(stored.split())
        return tuple(sorted(flags))

    @store_errors("STORE")
    def ensure_visible(self, top_uid: int) -> None:
        """(Every operation rescans the folder: nothing here can be stale.)"""

    def store_flags(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome:
        """Rename each file to its new info (new/ → cur/); keywords as letters or in the map."""
        view = self._rescan()
        add_letters, add_kws = split_flags(add)
        del_letters, del_kws = split_flags(remove)
        with self._gone_as_error(view.name):
            add_map = dkeywords.letters_for(view.path, add_kws, allocate=True)
            del_map = dkeywords.letters_for(view.path, del_kws, allocate=False)
        add_letters |= set(add_map.values())
        del_letters |= set(del_map.values())
        db_add = {k for k in add_kws if k not in add_map}
        targets = self._targets(uids, view)
        if add_letters or del_letters:
            for uid in targets:
                msg = view.by_uid.get(uid)
                if msg is not None:
                    self._rename_info(view, msg, add_letters, del_letters)
        if db_add or del_kws:
            self._store_keywords(view, targets, db_add, del_kws)
        return outcome(uids, targets)

    def _rename_info(self, view: View, msg: Msg, add: set[str], remove: set[str]) -> None:
        for attempt in (0, 1):
            letters = apply_letters(msg.letters if msg.sub == "cur" else "", add, remove)
            fname = split_name(msg.filename).with_letters(letters)
            if msg.sub == "cur" and fname == msg.filename:
                return
            try:
                os.rename(view.path / msg.sub / msg.filename, view.path / "cur" / fname)
            except FileNotFoundError:
                if attempt:
                    return
                where = mfolder.locate(view.path, msg.unique)
                if where is None:
                    return  # gone: like STORE on an expunged UID, nothing to do
                msg.sub, msg.filename = where
                continue
            msg.sub, msg.filename = "cur", fname
            return

    def _store_keywords(
        self, view: View, targets: list[int], add: set[str], remove: set[str]
    ) -> None:
        row = self.db.ensure_folder(view.name)
        lowered = {k.lower() for k in remove}
        with self.db.write():
            mapping = self.db.mapping(row.id)
            changes: dict[str, str] = {}
            for uid in targets:
                msg = view.by_uid.get(uid)
                if msg is None or msg.unique not in mapping.uids:
                    continue
                current = set(mapping.keywords.get(msg.unique, "").split())
                updated = {k for k in current if k.lower() not in lowered}
                have = {k.lower() for k in updated}
                updated |= {k for k in add if k.lower() not in have}
                if updated != current:
                    changes[msg.unique] = " ".join(sorted(updated))
            self.db.set_keywords(row.id, changes)
        view.keywords.update(changes)
