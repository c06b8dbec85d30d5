"""Waiting for changes to a folder's new/ and cur/: inotify where Linux offers it, else polling.

inotify is reached through ctypes (libc's inotify_init1/inotify_add_watch), so there is
no dependency; its descriptor goes into select() together with the sync layer's wake-up
pipe. Where it is missing (macOS, BSD, odd filesystems) the directories' mtimes are
polled once a second, and their listings compared now and then: a change within the
filesystem's timestamp granularity does not bump the mtime a second time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time
from pathlib import Path

from mailtui.readable import readable

log = logging.getLogger("mailtui.maildir")

# <sys/inotify.h>
IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_ONLYDIR = 0x01000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = getattr(os, "O_CLOEXEC", 0o2000000)
WATCH_MASK = (
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
)

POLL_STEP = 1.0  # seconds between mtime checks without inotify
LISTING_EVERY = 15.0  # seconds between full listing comparisons without inotify
RACY_NS = 2_000_000_000  # mtimes younger than this may not show a change in the same tick
SETTLE = 0.05  # a burst of changes (a delivery of 100 messages) wakes us once
SETTLE_MAX = 0.5

_libc: ctypes.CDLL | None = None
_libc_checked = False


def _inotify() -> ctypes.CDLL | None:
    global _libc, _libc_checked
    if not _libc_checked:
        _libc_checked = True
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.inotify_init1.argtypes = [ctypes.c_int]
            libc.inotify_init1.restype = ctypes.c_int
            libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
            libc.inotify_add_watch.restype = ctypes.c_int
            _libc = libc
        except (OSError, AttributeError):
            _libc = None
    return _libc


def inotify_available() -> bool:
    return _inotify() is not None


class DirWatch:
    """Watches some directories until closed; `wait` says whether anything changed."""

    def __init__(self, dirs: list[Path], *, use_inotify: bool = True) -> None:
        self.dirs = dirs
        self.fd: int | None = None
        self._stamps: list[tuple[int, int] | None] = []
        self._names: list[frozenset[str] | None] = []
        self._last_listing = time.monotonic()
        self._racy_until = 0.0
        libc = _inotify() if use_inotify else None
        if libc is None:
            self._start_polling()
            return
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            log.info("inotify_init1 failed (errno %d); polling instead", ctypes.get_errno())
            self._start_polling()
            return
        for d in dirs:
            wd = libc.inotify_add_watch(fd, os.fsencode(d), WATCH_MASK)
            if wd < 0:
                # ENOSPC: the user's inotify watch limit is reached; ENOENT: no new/.
                log.info("inotify_add_watch(%s) failed (errno %d)", d, ctypes.get_errno())
                os.close(fd)
                self._start_polling()
                return
        self.fd = fd

    def _start_polling(self) -> None:
        self._stamps = self._mtimes()
        self._names = self._listing()
        self._last_listing = time.monotonic()
        self._note_racy()

    def _note_racy(self) -> None:
        """An mtime this close to now may hide a change in the same clock tick ("racy git"):
        until it is older, listings are compared on every poll, not only every 15 s."""
        now = time.time_ns()
        recent = any(s is not None and now - s[0] < RACY_NS for s in self._stamps)
        self._racy_until = time.monotonic() + RACY_NS / 1e9 if recent else 0.0

    @property
    def uses_inotify(self) -> bool:
        return self.fd is not None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _mtimes(self) -> list[tuple[int, int] | None]:
        out: list[tuple[int, int] | None] = []
        for d in self.dirs:
            try:
                st = os.stat(d)
                out.append((st.st_mtime_ns, st.st_ino))
            except OSError:
                out.append(None)
        return out

    def _listing(self) -> list[frozenset[str] | None]:
        out: list[frozenset[str] | None] = []
        for d in self.dirs:
            try:
                out.append(frozenset(os.listdir(d)))
            except OSError:
                out.append(None)
        return out

    def _drain(self) -> bool:
        assert self.fd is not None
        got = False
        while True:
            try:
                if not os.read(self.fd, 65536):
                    return got
                got = True
            except BlockingIOError:
                return got
            except OSError:
                return True

    def wait(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        """Block until a change, a wake-up or the timeout: (changed, woken)."""
        if self.fd is not None:
            return self._wait_inotify(wake_fd, timeout)
        return self._wait_poll(wake_fd, timeout)

    def _wait_inotify(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        assert self.fd is not None
        watch = [self.fd] + ([wake_fd] if wake_fd is not None else [])
        ready = readable(watch, max(timeout, 0))
        woken = wake_fd is not None and wake_fd in ready
        changed = False
        if self.fd in ready:
            changed = self._drain()
            settle_until = time.monotonic() + SETTLE_MAX
            while time.monotonic() < settle_until:
                more = readable([self.fd], SETTLE)
                if not more:
                    break
                self._drain()
        return changed, woken

    def _wait_poll(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        deadline = time.monotonic() + max(timeout, 0)
        while True:
            remaining = deadline - time.monotonic()
            step = min(POLL_STEP, max(remaining, 0))
            if wake_fd is not None:
                ready = readable([wake_fd], step)
                if ready:
                    return self.changed(), True
            elif step:
                time.sleep(step)
            if self.changed():
                return True, False
            if time.monotonic() >= deadline:
                return False, False

    def changed(self) -> bool:
        """Poll once: mtimes every call, whole listings every LISTING_EVERY seconds (and
        on every call while the last mtime seen is too recent to be trusted)."""
        stamps = self._mtimes()
        if stamps != self._stamps:
            self._stamps = stamps
            self._names = self._listing()
            self._note_racy()
            return True
        racy = time.monotonic() < self._racy_until
        if racy or time.monotonic() - self._last_listing >= LISTING_EVERY:
            self._last_listing = time.monotonic()
            names = self._listing()
            if names != self._names:
                self._names = names
                return True
        return False
