"""A slow link on loopback: a TCP proxy adding round-trip delay and a bandwidth cap.

    python bench/shaper.py --target 127.0.0.1:143 [--rtt-ms 100] [--mbit 10] [--port 0]

Each byte that enters one end leaves the other no sooner than half the round trip
later, and each direction is capped at `mbit` Mbit/s (a token bucket with no burst, so
a 6 MB FETCH reply takes its 5 seconds whatever the window). Delay and cap are per
direction, as on a real path. Bytes forwarded are counted per direction, for the
"bytes on the wire" figures (`up`, `down`).

Used by bench/tui.py and bench/sync.py (the slow-link rows) and by tests that need a
link where a batch takes seconds (tests/perf/test_quit.py).
"""

from __future__ import annotations

import argparse
import collections
import socket
import threading
import time

CHUNK = 16 * 1024


class Shaper:
    """Listens on 127.0.0.1:`port` and forwards to `target`, slowly; `close()` stops it."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        rtt_ms: float = 100.0,
        mbit: float = 10.0,
        port: int = 0,
    ) -> None:
        self.target = (target_host, target_port)
        self.delay = rtt_ms / 2000.0  # one way, seconds
        self.rate = mbit * 1_000_000 / 8  # bytes per second, each direction
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.host, self.port = self.listener.getsockname()
        self.up = 0  # bytes client -> server
        self.down = 0  # bytes server -> client
        self.connections = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._socks: list[socket.socket] = []
        threading.Thread(target=self._accept, name="shaper-accept", daemon=True).start()

    def reset_counts(self) -> None:
        with self._lock:
            self.up = self.down = 0

    def close(self) -> None:
        self._closed.set()
        for sock in [self.listener, *self._socks]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._socks += [client, server]
            self._pipe(client, server, "up")
            self._pipe(server, client, "down")

    def _pipe(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        """One direction: a reader stamping chunks, a writer releasing them on time."""
        queue: collections.deque[tuple[float, bytes]] = collections.deque()
        ready = threading.Condition()

        def read() -> None:
            while True:
                try:
                    data = src.recv(CHUNK)
                except OSError:
                    data = b""
                with ready:
                    queue.append((time.monotonic() + self.delay, data))
                    ready.notify()
                if not data:
                    return

        def write() -> None:
            free_at = 0.0  # when the link is free again (the cap)
            while True:
                with ready:
                    while not queue:
                        ready.wait()
                    due, data = queue.popleft()
                if not data:
                    _shut(dst)
                    return
                send_at = max(due, free_at)
                free_at = send_at + len(data) / self.rate
                pause = free_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # the link's pace, not synchronisation
                try:
                    dst.sendall(data)
                except OSError:
                    _shut(src)
                    return
                with self._lock:
                    setattr(self, direction, getattr(self, direction) + len(data))

        for target in (read, write):
            threading.Thread(target=target, name=f"shaper-{direction}", daemon=True).start()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of the IMAP server")
    parser.add_argument("--rtt-ms", type=float, default=100.0)
    parser.add_argument("--mbit", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    shaper = Shaper(host, int(port), rtt_ms=args.rtt_ms, mbit=args.mbit, port=args.port)
    print(f"listening on {shaper.host}:{shaper.port}", flush=True)
    try:
        while True:
            time.sleep(5)
            print(f"up {shaper.up:,} B, down {shaper.down:,} B", flush=True)
    except KeyboardInterrupt:
        shaper.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
