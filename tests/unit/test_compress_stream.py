"""The inflating reader under COMPRESS=DEFLATE (imap/compress.py), on a real socket pair.

A server's DEFLATE stream is untrusted like any reply: a line that inflates past the
wire's line cap is MalformedResponse after reading about the cap (a 20 MB line of one
byte repeated is ~20 KB compressed: memory must follow what is read, not what the
stream claims), broken DEFLATE is MalformedResponse, and ordinary replies split at
any byte still read whole.
"""

from __future__ import annotations

import io
import socket
import threading
import tracemalloc
import zlib

import pytest

from mailtui.errors import MalformedResponse
from mailtui.imap.compress import _Inflating
from mailtui.imap.wire import MAX_LINE, read_line


def _reader(payload: bytes, chunk: int = 4096) -> tuple[io.BufferedReader, socket.socket]:
    ours, theirs = socket.socketpair()
    ours.settimeout(5)

    def serve() -> None:
        for i in range(0, len(payload), chunk):
            theirs.sendall(payload[i : i + chunk])
        theirs.shutdown(socket.SHUT_WR)

    threading.Thread(target=serve, daemon=True).start()
    return io.BufferedReader(_Inflating(ours, b"", 5), buffer_size=65536), theirs


def _deflate(data: bytes) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_replies_split_anywhere_read_whole(chunk: int) -> None:
    lines = [b"* OK [CAPABILITY IMAP4rev1] hi\r\n", b"* 1 EXISTS\r\n", b"a1 OK done\r\n"]
    stream = b"".join(_deflate(line) for line in lines)
    file, peer = _reader(stream, chunk)
    try:
        assert [read_line(file) for _ in lines] == lines
    finally:
        peer.close()


def test_a_line_inflating_past_the_cap_is_refused_with_memory_bounded() -> None:
    bomb = _deflate(b"* " + b"a" * (20 << 20) + b"\r\n")
    assert len(bomb) < 100_000
    file, peer = _reader(bomb)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse):
            read_line(file)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        peer.close()
    assert peak < 8 * MAX_LINE, peak


def test_broken_deflate_is_malformed() -> None:
    file, peer = _reader(b"\xff" * 64)
    try:
        with pytest.raises(MalformedResponse):
            read_line(file)
    finally:
        peer.close()
