"""Autocrypt peers on disk: one small SQLite file beside the account's header cache.

It is the `autocrypt_peer` table of `autocrypt`'s docstring, kept in its own file
(``<account>.autocrypt.sqlite3``, 0600) rather than in the header cache: the header
cache is disposable (rebuilt on a schema change), while what we learnt of peers' keys
is not. Only public keys and dates are stored; nothing here is secret.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path

from mailtui.crypto.autocrypt import Peer

__all__ = ["SqlitePeerStore", "peer_db_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS autocrypt_peer (
    addr                TEXT PRIMARY KEY,
    last_seen           INTEGER NOT NULL,
    autocrypt_timestamp INTEGER NOT NULL,
    public_key          BLOB NOT NULL,
    fingerprint         TEXT NOT NULL,
    prefer_encrypt      TEXT NOT NULL CHECK (prefer_encrypt IN ('mutual', 'nopreference'))
)
"""


def peer_db_path(cache_path: Path) -> Path:
    """Where an account's peers live, given its header-cache file."""
    return cache_path.with_name(cache_path.stem + ".autocrypt.sqlite3")


class SqlitePeerStore:
    """A `PeerStore` in SQLite; thread-safe (one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute(_SCHEMA)
        for name in (path.name, path.name + "-journal", path.name + "-wal", path.name + "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(path.with_name(name), 0o600)

    def get(self, addr: str) -> Peer | None:
        """The peer for an address (any case), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT addr, last_seen, autocrypt_timestamp, public_key, prefer_encrypt,"
                " fingerprint FROM autocrypt_peer WHERE addr = ?",
                (addr.strip().lower(),),
            ).fetchone()
        if row is None:
            return None
        return Peer(row[0], int(row[1]), int(row[2]), bytes(row[3]), row[4], row[5])

    def put(self, peer: Peer) -> None:
        """Insert or replace the peer."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO autocrypt_peer VALUES (?, ?, ?, ?, ?, ?)",
                (
                    peer.addr.lower(),
                    peer.last_seen,
                    peer.autocrypt_timestamp,
                    peer.public_key,
                    peer.fingerprint,
                    peer.prefer_encrypt,
                ),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
