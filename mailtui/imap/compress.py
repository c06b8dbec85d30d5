"""COMPRESS=DEFLATE (RFC 4978): the rest of the connection as raw DEFLATE both ways.

A 100k-message header sync is ~63 MB of text that deflates to about a fifth: on a slow
link that is most of the wait. After `COMPRESS DEFLATE` is accepted, imaplib's socket
file (`imap.file`, which imaplib, imapclient and `wire.ResponseReader` all read
through) is replaced by a buffered reader over an inflating stream, and `imap.send`
deflates each command with a sync flush (RFC 4978 §4: every command is sent whole).

What a server may send stays capped as before (`wire`'s line and literal caps apply to
the inflated bytes), and inflating is bounded too: at most `_INFLATE_STEP` bytes are
produced per step, the rest waits in zlib's unconsumed input, so a deflate bomb
costs memory in proportion to what is read, never to what it claims.
"""

from __future__ import annotations

import io
import socket
import ssl
import zlib
from typing import Any

from mailtui.errors import MalformedResponse
from mailtui.readable import wait_readable

_RECV = 64 * 1024
_INFLATE_STEP = 256 * 1024


class _Inflating(io.RawIOBase):
    """The socket's bytes, inflated; non-blocking like `socket.SocketIO` (None = no data)."""

    def __init__(self, sock: socket.socket, leftover: bytes, timeout: float) -> None:
        self.sock = sock
        self.timeout = timeout
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self.out = memoryview(b"")
        self.eof = False
        if leftover:
            self._inflate(leftover)

    def readable(self) -> bool:
        return True

    def _inflate(self, data: bytes) -> None:
        try:
            self.out = memoryview(self.inflater.decompress(data, _INFLATE_STEP))
        except zlib.error as exc:
            raise MalformedResponse(f"The IMAP server sent broken DEFLATE data: {exc}") from exc

    def readinto(self, buffer: Any) -> int | None:
        while not self.out:
            if self.inflater.unconsumed_tail:
                self._inflate(self.inflater.unconsumed_tail)
                continue
            if self.eof:
                return 0
            try:
                data = self.sock.recv(_RECV)
            except BlockingIOError:
                return None  # non-blocking and nothing there (IDLE's peek)
            if not data:
                self.eof = True
                continue
            self._inflate(data)
            # Part of a DEFLATE block: the server flushes each response whole, so the
            # rest is on its way. Wait for it here, so that "readable" keeps meaning
            # "a response has begun" to IDLE's non-blocking peek.
            partial = not self.out and self.sock.gettimeout() == 0.0
            if partial and not wait_readable(self.sock, self.timeout):
                raise TimeoutError("The IMAP server stopped mid-response")
        n = min(len(buffer), len(self.out))
        buffer[:n] = self.out[:n]
        self.out = self.out[n:]
        return n


def negotiate(session: Any) -> None:
    """When the server offers COMPRESS=DEFLATE, turn it on (an ImapSession, just logged
    in: RFC 4978 §3); a refusal leaves the link as it was."""
    if not session.caps.has("COMPRESS=DEFLATE"):
        return
    if session.raw(b"COMPRESS DEFLATE", check=False).status == "OK":
        start(session.client, session.server.timeout)


def start(client: Any, timeout: float) -> None:
    """The server accepted COMPRESS DEFLATE on imapclient's `client`: from now on read
    and write its connection through DEFLATE."""
    imap = client._imap
    sock = imap.sock
    leftover = _buffered(imap.file, sock, timeout)
    imap.file = io.BufferedReader(_Inflating(sock, leftover, timeout), buffer_size=_RECV)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)

    def send(line: bytes) -> None:
        sock.sendall(compressor.compress(line) + compressor.flush(zlib.Z_SYNC_FLUSH))

    imap.send = send


def _buffered(file: io.BufferedReader, sock: socket.socket, timeout: float) -> bytes:
    """What imaplib's reader already holds past the OK (compressed bytes of an
    unsolicited response, if the server sent one at once), without waiting for more."""
    sock.setblocking(False)
    try:
        return file.read1(_RECV) or b""
    except (BlockingIOError, ssl.SSLWantReadError):
        return b""
    finally:
        sock.settimeout(timeout)
