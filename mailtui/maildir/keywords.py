"""Dovecot's per-folder `dovecot-keywords` file: which info letter (a–z) is which keyword.

Format: one "<number> <keyword>" line per keyword, number 0 → letter "a" … 25 → "z".
Where the file exists, keywords are stored as those letters so Dovecot (and anything
serving the same Maildir) sees them; elsewhere mailtui keeps keywords in its UID map.
Writes go through Dovecot's own dotlock name and an atomic rename.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from mailtui.fileio import atomic_write
from mailtui.maildir.names import KEYWORD_LETTERS

FILENAME = "dovecot-keywords"
LOCK_STALE = 30.0  # seconds after which another process's lock is considered dead

_cache: dict[Path, tuple[tuple[int, int], dict[str, str]]] = {}


def load(folder_dir: Path) -> dict[str, str] | None:
    """letter → keyword for the folder, or None when it has no dovecot-keywords file."""
    path = folder_dir / FILENAME
    try:
        st = path.stat()
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(path)
    if hit is not None and hit[0] == stamp:
        return dict(hit[1])
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return None
    out: dict[str, str] = {}
    for line in text.splitlines():
        num, _, name = line.strip().partition(" ")
        name = name.strip()
        if num.isdigit() and int(num) < len(KEYWORD_LETTERS) and name:
            out[KEYWORD_LETTERS[int(num)]] = name
    _cache[path] = (stamp, out)
    return dict(out)


def letters_for(folder_dir: Path, keywords: set[str], *, allocate: bool) -> dict[str, str]:
    """keyword → letter for those of `keywords` the file knows (or gets, when allocating).

    Keywords compare case-insensitively (RFC 9051 §2.3.2). Returns {} without a file;
    keywords that find no free letter are left out (the caller keeps them elsewhere).
    """
    known = load(folder_dir)
    if known is None or not keywords:
        return {}
    by_name = {name.lower(): letter for letter, name in known.items()}
    found = {k: by_name[k.lower()] for k in keywords if k.lower() in by_name}
    missing = sorted(k for k in keywords if k.lower() not in by_name)
    if not missing or not allocate:
        return found
    with _locked(folder_dir):
        known = load(folder_dir) or {}
        by_name = {name.lower(): letter for letter, name in known.items()}
        changed = False
        for kw in missing:
            if kw.lower() in by_name:
                found[kw] = by_name[kw.lower()]
                continue
            free = next((c for c in KEYWORD_LETTERS if c not in known), None)
            if free is None:
                break
            known[free] = kw
            by_name[kw.lower()] = free
            found[kw] = free
            changed = True
        if changed:
            _write(folder_dir, known)
    return found


def _write(folder_dir: Path, known: dict[str, str]) -> None:
    body = "".join(
        f"{KEYWORD_LETTERS.index(letter)} {name}\n" for letter, name in sorted(known.items())
    )
    path = folder_dir / FILENAME
    atomic_write(path, body.encode("utf-8"))
    _cache.pop(path, None)


@contextlib.contextmanager
def _locked(folder_dir: Path) -> Iterator[None]:
    """Dovecot's dotlock (dovecot-keywords.lock), taken with O_EXCL."""
    lock = folder_dir / f"{FILENAME}.lock"
    deadline = time.monotonic() + 10
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            break
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime > LOCK_STALE:
                    lock.unlink()
                    continue
            except OSError:
                continue
            if time.monotonic() > deadline:
                raise TimeoutError(f"{lock} is held by another program") from None
            time.sleep(0.01)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
