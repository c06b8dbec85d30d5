"""A TCP proxy on loopback that breaks links on purpose, between mailtui and Dovecot.

Faults are armed for the next connection(s) and fire in one direction, either after a
byte count or the moment the bytes about to be forwarded contain a pattern (`when`:
"cut exactly as the server's `OK [COPYUID` goes to the client"): cut (close both
ends), stall (stop forwarding, so the peer hits its timeout or is killed while it
waits), inject (insert bytes into the stream) or rewrite (edit server lines, e.g.
strip STARTTLS). A pattern fault forwards everything before the match and nothing of
it. Every fault that fires sets its `fired` event and counts once in the proxy's
`fired`, the real figure a test reports after its checks passed.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

UP = "client->server"
DOWN = "server->client"


# How much of what was already forwarded a pattern may straddle into.
_WINDOW = 512


@dataclass
class Fault:
    kind: str  # "cut" | "stall" | "inject" | "rewrite"
    direction: str = DOWN
    after: int = 0  # bytes forwarded in `direction` before the fault fires
    data: bytes = b""  # for inject
    rewrite: Callable[[bytes], bytes] | None = None  # for rewrite (applied to every chunk)
    when: bytes | re.Pattern[bytes] | None = None  # fire at this pattern instead of `after`
    fired: threading.Event = field(default_factory=threading.Event)

    def fire_at(self, window: bytes, data: bytes, sent: int) -> int | None:
        """Where in `data` this fault fires (bytes of it forwarded first), or None.
        `window` is the tail of what was already forwarded, so a pattern split across
        two reads is still found (it then fires at once: the rest is never forwarded)."""
        if self.when is None:
            return max(self.after - sent, 0) if sent + len(data) >= self.after else None
        pattern = self.when if isinstance(self.when, re.Pattern) else re.escape(self.when)
        found = re.search(pattern, window + data)
        return None if found is None else max(found.start() - len(window), 0)


class FaultProxy:
    """Listens on 127.0.0.1:<port> and forwards to `target`; `arm()` faults per connection."""

    injected_total = 0  # across all proxies in the run
    _count_lock = threading.Lock()

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.host, self.port = self.listener.getsockname()
        self._armed: list[list[Fault]] = []
        self._always: list[Fault] = []
        self._lock = threading.Lock()
        self._conns: list[tuple[socket.socket, socket.socket]] = []
        self._closed = threading.Event()
        self.connections = 0
        self.down = False  # set by go_down(): every new connection is closed at once
        self.fired = 0  # faults that really fired on this proxy (cut_all included)
        # Bytes forwarded per accepted connection: [(up, down), ...]
        self.traffic: list[list[int]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    # --- arming -----------------------------------------------------------------

    def arm(self, *faults: Fault) -> list[Fault]:
        """Faults for the next accepted connection (one call per connection)."""
        with self._lock:
            self._armed.append(list(faults))
        return list(faults)

    def always(self, *faults: Fault) -> None:
        """Faults applied to every new connection until `clear()`."""
        with self._lock:
            self._always.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._always.clear()

    def cut_all(self) -> None:
        """Drop every open connection now (a link going down)."""
        with self._lock:
            conns = list(self._conns)
        for a, b in conns:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        if conns:
            self._count()

    def go_down(self) -> None:
        """The link is down: open connections are cut, new ones closed unanswered."""
        self.down = True
        self.cut_all()

    def come_back(self) -> None:
        """The link is back: new connections are forwarded again."""
        self.down = False

    def unfired(self, faults: list[Fault]) -> list[Fault]:
        """The planned faults that never fired (a test asserts this is empty)."""
        return [f for f in faults if not f.fired.is_set()]

    def close(self) -> None:
        self._closed.set()
        self.listener.close()
        self.cut_all()

    def _count(self) -> None:
        with self._count_lock:
            FaultProxy.injected_total += 1
            self.fired += 1

    # --- plumbing ---------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                faults = (self._armed.pop(0) if self._armed else []) + list(self._always)
                self._conns.append((client, server))
                self.connections += 1
                counter = [0, 0]
                self.traffic.append(counter)
            pair = (client, server)
            for index, (src, dst, direction) in enumerate(
                ((client, server, UP), (server, client, DOWN))
            ):
                mine = [f for f in faults if f.direction == direction]
                threading.Thread(
                    target=self._pump, args=(src, dst, mine, pair, counter, index), daemon=True
                ).start()

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        faults: list[Fault],
        pair: tuple[socket.socket, socket.socket],
        counter: list[int],
        index: int,
    ) -> None:
        sent = 0
        window = b""  # the end of what was forwarded, for patterns split across reads
        stalled = False
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                for fault in faults:
                    if fault.kind == "rewrite" and fault.rewrite is not None:
                        new = fault.rewrite(data)
                        if new != data and self._claim(fault):
                            self._count()
                        data = new
                due = [
                    (at, f)
                    for f in faults
                    if f.kind != "rewrite"
                    and not f.fired.is_set()
                    and (at := f.fire_at(window, data, sent)) is not None
                ]
                if due:
                    cut_at, fault = min(due, key=lambda d: d[0])
                    if self._claim(fault):  # an `always` fault fires once, on one link
                        dst.sendall(data[:cut_at])
                        sent += cut_at
                        self._count()
                        if fault.kind == "cut":
                            self._close_pair(pair)
                            return
                        if fault.kind == "stall":
                            stalled = True
                            self._closed.wait()  # hold the link open, forward nothing more
                            return
                        if fault.kind == "inject":
                            dst.sendall(fault.data)
                        window = (window + data[:cut_at])[-_WINDOW:]
                        data = data[cut_at:]
                dst.sendall(data)
                sent += len(data)
                window = (window + data)[-_WINDOW:]
                counter[index] = sent
        except OSError:
            pass
        finally:
            if not stalled:
                self._close_pair(pair)

    def _claim(self, fault: Fault) -> bool:
        """Mark `fault` fired; False if another link fired it first."""
        with self._lock:
            if fault.fired.is_set():
                return False
            fault.fired.set()
            return True

    def _close_pair(self, pair: tuple[socket.socket, socket.socket]) -> None:
        for s in pair:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        with self._lock:
            if pair in self._conns:
                self._conns.remove(pair)
