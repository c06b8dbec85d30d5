"""Maildir file names: unique names, the ":2," info suffix and the flags it encodes.

Spec: https://cr.yp.to/proto/maildir.html. A file in cur/ is "<unique>:2,<letters>",
letters in ASCII order: D draft, F flagged, P passed (forwarded), R replied, S seen,
T trashed. Lower-case letters are Dovecot keywords (numbered by the folder's
dovecot-keywords file). Letters mailtui does not know are kept as they are, so other
programs' flags survive our renames. The unique part identifies the message for as
long as the file lives, whatever its flags: it is the key of mailtui's UID map.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import threading
import time
from dataclasses import dataclass

from mailtui.model import ANSWERED, DELETED, DRAFT, FLAGGED, SEEN

FORWARDED = "$Forwarded"
INFO_SEP = ":"

# Letter → IMAP flag for the letters of the Maildir spec (and Dovecot's P → $Forwarded).
LETTER_FLAGS = {
    "D": DRAFT,
    "F": FLAGGED,
    "P": FORWARDED,
    "R": ANSWERED,
    "S": SEEN,
    "T": DELETED,
}
FLAG_LETTERS = {flag.lower(): letter for letter, flag in LETTER_FLAGS.items()}
KEYWORD_LETTERS = "abcdefghijklmnopqrstuvwxyz"

_SIZE = re.compile(r",S=(\d+)")
_MBSYNC_UID = re.compile(r",U=\d+")


@dataclass(frozen=True, slots=True)
class FileName:
    """One message file's name taken apart."""

    unique: str
    # The letters after ":2," ("" for none); None when the name has no ":2," info at all.
    letters: str | None

    @property
    def seen(self) -> bool:
        return self.letters is not None and "S" in self.letters

    def with_letters(self, letters: str) -> str:
        """The file name for the same message with these flag letters (for cur/)."""
        return f"{self.unique}{INFO_SEP}2,{letters}"


def split_name(filename: str) -> FileName:
    """ "<unique>:2,<letters>" → FileName; names without a ":2," info keep all as unique."""
    unique, sep, info = filename.partition(INFO_SEP)
    if not sep:
        return FileName(filename, None)
    if info.startswith("2,"):
        return FileName(unique, info[2:])
    # ":1,…" (experimental semantics) or garbage: no flags we understand.
    return FileName(unique, None)


def sort_letters(letters: str) -> str:
    """The spec wants info letters in ASCII order, each once."""
    return "".join(sorted(set(letters)))


def flags_of(letters: str | None, keywords: dict[str, str] | None = None) -> set[str]:
    """IMAP flags for info letters; `keywords` maps Dovecot letters to keyword names."""
    out: set[str] = set()
    if not letters:
        return out
    for c in letters:
        flag = LETTER_FLAGS.get(c)
        if flag is not None:
            out.add(flag)
        elif keywords and c in keywords:
            out.add(keywords[c])
    return out


def letter_for_flag(flag: str) -> str | None:
    """The info letter of a system flag (or $Forwarded); None for keywords."""
    return FLAG_LETTERS.get(flag.lower())


def apply_letters(
    letters: str | None, add: set[str] = frozenset(), remove: set[str] = frozenset()
) -> str:
    """New info letters: `add`/`remove` are letters; unknown letters already there stay."""
    current = set(letters or "")
    return sort_letters("".join((current | set(add)) - set(remove)))


def size_from_name(unique: str) -> int | None:
    """Dovecot's ",S=<bytes>" size field, which spares a stat()."""
    m = _SIZE.search(unique)
    return int(m.group(1)) if m else None


def time_from_name(unique: str) -> int | None:
    """The delivery time (seconds) a spec-conforming unique name starts with."""
    head = unique.split(".", 1)[0]
    return int(head) if head.isdigit() and 0 < len(head) <= 12 else None


def without_mbsync_uid(unique: str) -> str:
    """Drop mbsync's ",U=<n>" when a message changes folder.

    mbsync records the far side's UID in the name; a file that keeps it in another
    folder makes mbsync report a duplicate UID there (isync's documentation asks
    mail clients that move files to rename them).
    """
    return _MBSYNC_UID.sub("", unique)


_counter = itertools.count(1)
_counter_lock = threading.Lock()


def _host() -> str:
    # The spec: "/" becomes "\057" and ":" becomes "\072" in the host part.
    return socket.gethostname().replace("/", "\\057").replace(":", "\\072") or "localhost"


def unique_name(size: int | None = None, now: float | None = None) -> str:
    """A new unique name: "<sec>.M<usec>P<pid>Q<n>.<host>" (plus Dovecot's ",S=" size).

    Time, pid and a per-process delivery counter make it unique on this host even for
    many messages per microsecond from several threads.
    """
    t = time.time() if now is None else now
    sec = int(t)
    usec = int((t - sec) * 1_000_000)
    with _counter_lock:
        n = next(_counter)
    name = f"{sec}.M{usec}P{os.getpid()}Q{n}.{_host()}"
    if size is not None:
        name += f",S={size}"
    return name
