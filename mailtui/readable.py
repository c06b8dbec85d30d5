"""Waiting until sockets or pipes have something to read, whatever their descriptor
numbers.

`select.select` refuses descriptors numbered 1024 and above ("filedescriptor out of
range in select()"); a long-running app holding many accounts' connections, cache
files and pipes gets there, and the IDLE watcher then failed on every wait and
reconnected in a loop (seen in the test suite, whose processes open many). `poll(2)`
has no such limit. Bottom layer: the stdlib only.
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from typing import Protocol, TypeVar

__all__ = ["readable", "wait_readable"]


class HasFileno(Protocol):
    def fileno(self) -> int: ...


Source = TypeVar("Source", bound="int | HasFileno")


def readable(sources: Sequence[Source], timeout: float | None) -> list[Source]:
    """The sources readable now or within `timeout` seconds (None: no limit), the same
    objects as given; at its end or in error counts as readable (a read says which).
    With no sources, waits out the timeout."""
    poller = select.poll()
    by_fd: dict[int, list[Source]] = {}
    for source in sources:
        fd = source if isinstance(source, int) else source.fileno()
        if fd not in by_fd:
            poller.register(fd, select.POLLIN | select.POLLPRI)
        by_fd.setdefault(fd, []).append(source)
    millis = None if timeout is None else max(0, round(timeout * 1000))
    return [s for fd, _ in poller.poll(millis) for s in by_fd.get(fd, ())]


def wait_readable(source: int | HasFileno, timeout: float | None) -> bool:
    """True once `source` is readable (see `readable`); False when `timeout` passes."""
    return bool(readable([source], timeout))
