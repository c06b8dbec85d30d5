"""Live updates when the process already holds over a thousand descriptors.

`select.select` refuses descriptors numbered 1024 and above. A long-running app with
many accounts, cache files and pipes gets there (the test suite's worker processes
did): the IDLE watcher then failed every wait with "filedescriptor out of range in
select()", reconnected in a loop, and no news arrived.
"""

from __future__ import annotations

import os
import resource
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtui.readable import readable, wait_readable
from tests.imap.test_live_updates import appends_arrive_live
from tests.support.dovecot import Dovecot

HIGH = 1100


@pytest.fixture
def high_fds() -> Iterator[None]:
    """Every descriptor opened from here on is numbered above 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = HIGH + 400
    if soft < want:  # root may raise the hard limit too
        resource.setrlimit(
            resource.RLIMIT_NOFILE,
            (want, max(hard, want) if hard != resource.RLIM_INFINITY else hard),
        )
    held: list[int] = []
    fd = os.open(os.devnull, os.O_RDONLY)
    held.append(fd)
    while fd < HIGH:
        fd = os.open(os.devnull, os.O_RDONLY)
        held.append(fd)
    # The low numbers stay taken: every socket the test opens is numbered above HIGH.
    try:
        yield
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_readable_takes_descriptors_above_1024(high_fds: None) -> None:
    left, right = socket.socketpair()
    try:
        assert left.fileno() > 1024
        assert readable([left, right.fileno()], 0) == []
        right.sendall(b"x")
        assert readable([left, right.fileno()], 1) == [left]
        assert wait_readable(left, 0)
    finally:
        left.close()
        right.close()


@pytest.mark.parametrize("security", ["none", "tls"])
def test_news_arrives_live_when_descriptors_are_numbered_above_1024(
    high_fds: None, dovecot: Dovecot, tmp_path: Path, security: str
) -> None:
    appends_arrive_live(dovecot, tmp_path, security, count=2, timeout=10)
