"""A TCP proxy on loopback that breaks links on purpose, between mailtui and Dovecot.

Faults are armed for the next connection(s) and fire in one direction after a byte
count: cut (close both ends), stall (stop forwarding, so the peer hits its timeout),
inject (insert bytes into the stream) or rewrite (edit server lines, e.g. strip
STARTTLS). Every fault that fires is counted, for the suite's summary line.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

UP = "client->server"
DOWN = "server->client"


@dataclass
class Fault:
    kind: str  # "cut" | "stall" | "inject" | "rewrite"
    direction: str = DOWN
    after: int = 0  # bytes forwarded in `direction` before the fault fires
    data: bytes = b""  # for inject
    rewrite: Callable[[bytes], bytes] | None = None  # for rewrite (applied to every chunk)
    fired: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    """Listens on 127.0.0.1:<port> and forwards to `target`; `arm()` faults per connection."""

    injected_total = 0  # across all proxies in the run (for the summary line)
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

    def close(self) -> None:
        self._closed.set()
        self.listener.close()
        self.cut_all()

    @classmethod
    def _count(cls) -> None:
        with cls._count_lock:
            cls.injected_total += 1

    # --- plumbing ---------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
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
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                for fault in faults:
                    if fault.kind == "rewrite" and fault.rewrite is not None:
                        new = fault.rewrite(data)
                        if new != data and not fault.fired.is_set():
                            fault.fired.set()
                            self._count()
                        data = new
                pending = [f for f in faults if f.kind != "rewrite" and not f.fired.is_set()]
                if pending:
                    fault = min(pending, key=lambda f: f.after)
                    if sent + len(data) >= fault.after:
                        cut_at = max(fault.after - sent, 0)
                        dst.sendall(data[:cut_at])
                        sent += cut_at
                        fault.fired.set()
                        self._count()
                        if fault.kind == "cut":
                            self._close_pair(pair)
                            return
                        if fault.kind == "stall":
                            self._closed.wait()  # hold the link open, forward nothing more
                            return
                        if fault.kind == "inject":
                            dst.sendall(fault.data)
                        data = data[cut_at:]
                dst.sendall(data)
                sent += len(data)
                counter[index] = sent
        except OSError:
            pass
        finally:
            if not any(f.kind == "stall" and f.fired.is_set() for f in faults):
                self._close_pair(pair)

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
