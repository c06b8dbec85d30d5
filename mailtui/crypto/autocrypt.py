"""Autocrypt Level 1 (autocrypt.org/level1.html): the header, peer state, recommendation.

Pure functions and a small store interface; gpg is needed only to make our own key data
(`Engine.export_minimal`) and to check a peer's (`validate_keydata`). Peer keys are kept
in the peer store, not imported into the user's keyring (Autocrypt §2.3 keeps them
apart): encryption passes them to gpg through FIFOs (`outgoing.encrypt_entity`).

Persistent store (the account cache, later) — one table::

    CREATE TABLE autocrypt_peer (
        addr                TEXT PRIMARY KEY,     -- lower-case mailbox
        last_seen           INTEGER NOT NULL,     -- effective date of the newest mail from addr
        autocrypt_timestamp INTEGER NOT NULL,     -- effective date of the newest with a header
        public_key          BLOB NOT NULL,        -- keydata as received (binary OpenPGP)
        fingerprint         TEXT NOT NULL,        -- of public_key's primary key
        prefer_encrypt      TEXT NOT NULL         -- 'mutual' | 'nopreference'
            CHECK (prefer_encrypt IN ('mutual', 'nopreference'))
    );

(`last_seen` only, without a key, is not stored: a peer without a header is no peer.)
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, replace
from typing import Protocol

from mailtui.crypto.gpg import Engine
from mailtui.crypto.keyinfo import KeyInfo
from mailtui.crypto.status import CryptoError

__all__ = [
    "AutocryptHeader",
    "MemoryPeerStore",
    "Peer",
    "PeerStore",
    "build_header",
    "parse_headers",
    "recommend",
    "update_peer",
    "validate_keydata",
]

MAX_HEADER = 64 * 1024  # a header value longer than this is not read at all
MAX_KEYDATA = 16 * 1024  # decoded key bytes; a minimal RSA-4096 key is under 2 KiB
DISCOURAGE_AFTER = 35 * 24 * 3600  # Autocrypt §2.4: a peer silent on Autocrypt this long
_LINE = 72


@dataclass(frozen=True, slots=True)
class AutocryptHeader:
    """One valid ``Autocrypt:`` header."""

    addr: str  # lower-case
    keydata: bytes
    prefer_encrypt: str = "nopreference"  # or "mutual"


def build_header(addr: str, keydata: bytes, prefer_encrypt_mutual: bool = False) -> str:
    """The ``Autocrypt:`` value for our key (`Engine.export_minimal`).

    The base64 starts after a space and runs in 72-character words, as the spec's own
    examples fold it ("keydata=" at a line end): a header writer then folds between the
    words instead of RFC 2047-encoding one over-long word (Python's does that), and
    readers ignore the whitespace (§2.1)."""
    b64 = base64.b64encode(keydata).decode("ascii")
    chunks = " ".join(b64[i : i + _LINE] for i in range(0, len(b64), _LINE))
    mutual = " prefer-encrypt=mutual;" if prefer_encrypt_mutual else ""
    return f"addr={addr.strip().lower()};{mutual} keydata= {chunks}"


def _parse_one(value: str) -> AutocryptHeader | None:
    """One header value, or None when malformed (§2.1: unknown critical attribute,
    missing addr/keydata, bad base64, oversized)."""
    if len(value) > MAX_HEADER:
        return None
    attrs: dict[str, str] = {}
    for item in value.split(";"):
        if not item.strip():
            continue
        name, eq, val = item.partition("=")
        name = name.strip().lower()
        if not eq or not name:
            return None
        if name.startswith("_"):
            continue  # non-critical attribute: ignored
        if name not in ("addr", "prefer-encrypt", "keydata") or name in attrs:
            return None
        attrs[name] = val.strip()
    addr = attrs.get("addr", "").strip().lower()
    if not addr or "@" not in addr or any(c.isspace() for c in addr):
        return None
    compact = "".join(attrs.get("keydata", "").split())
    if not compact or len(compact) > MAX_KEYDATA * 4 // 3 + 4:
        return None
    try:
        keydata = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not keydata or len(keydata) > MAX_KEYDATA:
        return None
    prefer = "mutual" if attrs.get("prefer-encrypt", "").lower() == "mutual" else "nopreference"
    return AutocryptHeader(addr, keydata, prefer)


def parse_headers(values: list[str], from_addr: str) -> AutocryptHeader | None:
    """The message's Autocrypt header for its From address: exactly one valid header
    whose addr is From's; none, or more than one, means no header (§2.3)."""
    sender = from_addr.strip().strip("<>").lower()
    found = [h for h in (_parse_one(v) for v in values) if h is not None and h.addr == sender]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True, slots=True)
class Peer:
    """What we know of a correspondent's Autocrypt state."""

    addr: str
    last_seen: int
    autocrypt_timestamp: int
    public_key: bytes
    prefer_encrypt: str = "nopreference"
    fingerprint: str = ""


class PeerStore(Protocol):
    """Where peers live: the account cache in the app, a dict in tests."""

    def get(self, addr: str) -> Peer | None:
        """The peer for a lower-case address, or None."""
        ...

    def put(self, peer: Peer) -> None:
        """Insert or replace the peer (keyed by its address)."""
        ...


class MemoryPeerStore:
    """A `PeerStore` in a dict (tests, and the CLI's one-shot runs)."""

    def __init__(self) -> None:
        self._peers: dict[str, Peer] = {}

    def get(self, addr: str) -> Peer | None:
        """The peer for an address (any case)."""
        return self._peers.get(addr.lower())

    def put(self, peer: Peer) -> None:
        """Insert or replace."""
        self._peers[peer.addr.lower()] = peer

    def __len__(self) -> int:
        return len(self._peers)


def update_peer(
    store: PeerStore,
    from_addr: str,
    date: int,
    header: AutocryptHeader | None,
    fingerprint: str = "",
    now: int | None = None,
) -> Peer | None:
    """Apply one incoming message to the peer state (§2.3 "Updating Autocrypt Peer
    State"); returns the peer afterwards. The caller skips multipart/report mail and
    passes `fingerprint` from `validate_keydata` (a header whose key fails it is None)."""
    addr = from_addr.strip().strip("<>").lower()
    effective = min(date, int(time.time()) if now is None else now)  # no dates from the future
    peer = store.get(addr)
    if peer is not None and effective < peer.autocrypt_timestamp:
        return peer  # older than what we know: no change
    if peer is not None and effective > peer.last_seen:
        peer = replace(peer, last_seen=effective)
    if header is None:
        if peer is not None:
            store.put(peer)
        return peer
    peer = Peer(
        addr=addr,
        last_seen=max(effective, peer.last_seen if peer else 0),
        autocrypt_timestamp=effective,
        public_key=header.keydata,
        prefer_encrypt=header.prefer_encrypt,
        fingerprint=fingerprint,
    )
    store.put(peer)
    return peer


def recommend(peer: Peer | None, own_mutual: bool, now: int | None = None) -> str:
    """Autocrypt's recommendation for one recipient (§2.4): "disable" (no key),
    "discourage" (key stale), "available", or "encrypt" (both sides prefer mutual)."""
    if peer is None or not peer.public_key:
        return "disable"
    if peer.last_seen > peer.autocrypt_timestamp + DISCOURAGE_AFTER:
        return "discourage"
    if own_mutual and peer.prefer_encrypt == "mutual":
        return "encrypt"
    return "available"


def validate_keydata(engine: Engine, keydata: bytes, addr: str = "") -> KeyInfo | None:
    """The key in Autocrypt keydata if it is exactly one usable public key that can
    encrypt (and, when `addr` is given, has a user id for it); else None."""
    try:
        keys = engine.scan_keys(keydata)
    except CryptoError:  # gpg choked on hostile data: not a key we can use
        return None
    if len(keys) != 1 or not keys[0].can_encrypt:
        return None
    if addr and addr.lower() not in keys[0].emails():
        return None
    return keys[0]
