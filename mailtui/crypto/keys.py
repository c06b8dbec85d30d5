"""Which key to encrypt to, per recipient: the keyring first, then Autocrypt peers.

`plan_recipients` answers the question compose must ask before sending encrypted:
who has a usable key, which one, how sure we are of it, and who has none. Sending must
stop on a non-empty `missing` (that check is the caller's: never a silent plaintext
send), so this module only reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailtui.crypto.autocrypt import PeerStore, validate_keydata
from mailtui.crypto.gpg import Engine
from mailtui.crypto.keyinfo import KeyInfo
from mailtui.crypto.status import KeyValidity

__all__ = ["KeyPlan", "RecipientKey", "plan_recipients", "signing_key"]

_RANK = {
    KeyValidity.ULTIMATE: 5,
    KeyValidity.FULL: 4,
    KeyValidity.MARGINAL: 3,
    KeyValidity.UNDEFINED: 2,
    KeyValidity.UNKNOWN: 1,
    KeyValidity.NEVER: 0,
}


@dataclass(frozen=True, slots=True)
class RecipientKey:
    """The key chosen for one address."""

    addr: str
    fingerprint: str
    source: str  # "keyring" or "autocrypt"
    validity: KeyValidity  # the keyring's; UNDEFINED for Autocrypt keys (no web of trust)
    user_id: str
    keydata: bytes = b""  # the key itself, for Autocrypt keys (not in the keyring)


@dataclass(frozen=True, slots=True)
class KeyPlan:
    """Keys for every address that has one, and the addresses that have none."""

    keys: tuple[RecipientKey, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """Every recipient can be encrypted to."""
        return not self.missing

    def fingerprints(self) -> list[str]:
        """Keyring keys, for `encrypt_entity(recipients=…)`."""
        return [k.fingerprint for k in self.keys if k.source == "keyring"]

    def keydata(self) -> list[bytes]:
        """Autocrypt keys, for `encrypt_entity(keydata=…)`."""
        return [k.keydata for k in self.keys if k.source == "autocrypt"]


def _norm(addr: str) -> str:
    return addr.strip().strip("<>").lower()


def _best(keys: Iterable[KeyInfo], addr: str) -> KeyInfo | None:
    usable = [k for k in keys if k.can_encrypt and addr in k.emails()]
    if not usable:
        return None
    return max(usable, key=lambda k: (_RANK.get(k.key_validity, 0), k.created or 0))


def plan_recipients(
    engine: Engine, addresses: Iterable[str], peers: PeerStore | None = None
) -> KeyPlan:
    """For each address, a usable key (not expired, revoked or disabled, able to
    encrypt, with a valid user id naming exactly that address), else it is missing."""
    wanted = list(dict.fromkeys(_norm(a) for a in addresses if _norm(a)))
    keyring = engine.list_keys([f"<{a}>" for a in wanted]) if wanted else []
    found: list[RecipientKey] = []
    missing: list[str] = []
    for addr in wanted:
        key = _best(keyring, addr)
        if key is not None:
            found.append(
                RecipientKey(
                    addr, key.fingerprint, "keyring", key.key_validity, key.primary_user_id
                )
            )
            continue
        peer = peers.get(addr) if peers is not None else None
        info = validate_keydata(engine, peer.public_key) if peer and peer.public_key else None
        if peer is not None and info is not None:
            found.append(
                RecipientKey(
                    addr,
                    info.fingerprint,
                    "autocrypt",
                    KeyValidity.UNDEFINED,
                    info.primary_user_id,
                    peer.public_key,
                )
            )
        else:
            missing.append(addr)
    return KeyPlan(tuple(found), tuple(missing))


def signing_key(engine: Engine, addr_or_fpr: str) -> KeyInfo | None:
    """The secret key to sign with: `pgp_key` (a fingerprint) or the account address."""
    pattern = addr_or_fpr if "@" not in addr_or_fpr else f"<{_norm(addr_or_fpr)}>"
    keys = [k for k in engine.list_keys([pattern], secret=True) if k.can_sign]
    return keys[0] if keys else None
