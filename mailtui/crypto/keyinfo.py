"""Keys as gpg lists them (``--with-colons``, doc/DETAILS), parsed into dataclasses.

User ids come from keys anyone can make: they are cleaned like any other untrusted text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailtui.crypto.status import KeyValidity
from mailtui.text.safe import clean_line

__all__ = ["KeyInfo", "Subkey", "UserId", "email_of", "parse_colons"]

_VALIDITY = {
    "u": KeyValidity.ULTIMATE,
    "f": KeyValidity.FULL,
    "m": KeyValidity.MARGINAL,
    "n": KeyValidity.NEVER,
    "-": KeyValidity.UNDEFINED,
    "q": KeyValidity.UNDEFINED,
    "": KeyValidity.UNDEFINED,
}
# Validity letters that make a key or user id unusable: invalid, disabled, revoked, expired.
_DEAD = frozenset("idre")
_ESCAPE = re.compile(rb"\\x([0-9A-Fa-f]{2})")
_ANGLE = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$")


def email_of(user_id: str) -> str:
    """The mailbox of a user id ("Name <a@b>" or a bare "a@b"), lower-case; "" if none."""
    m = _ANGLE.search(user_id)
    if m:
        return m.group(1).lower()
    text = user_id.strip()
    if "@" in text and " " not in text:
        return text.lower()
    return ""


@dataclass(frozen=True, slots=True)
class UserId:
    """One user id of a key."""

    text: str  # cleaned
    email: str  # lower-case mailbox, "" when the user id names none
    validity: str  # gpg's validity letter for this user id

    @property
    def usable(self) -> bool:
        """Not revoked or expired."""
        return self.validity not in _DEAD


@dataclass(frozen=True, slots=True)
class Subkey:
    """A subkey: its fingerprint, what it may do ("e", "s", …) and its validity letter."""

    fingerprint: str
    key_id: str
    capabilities: str
    validity: str
    expires: int | None


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A public (or secret) key from the keyring or from key data scanned without import."""

    fingerprint: str
    key_id: str
    validity: str  # gpg's letter for the primary key (o, i, d, r, e, -, q, n, m, f, u)
    capabilities: str  # field 12: lower-case own, upper-case for the key as a whole
    created: int | None
    expires: int | None
    user_ids: tuple[UserId, ...]
    subkeys: tuple[Subkey, ...]
    secret: bool = False

    @property
    def alive(self) -> bool:
        """Neither revoked, expired, disabled nor invalid."""
        return self.validity not in _DEAD and "D" not in self.capabilities

    @property
    def can_encrypt(self) -> bool:
        """Alive and with a usable encryption (sub)key ("E" in the whole-key caps)."""
        return self.alive and "E" in self.capabilities

    @property
    def can_sign(self) -> bool:
        """Alive and able to make signatures."""
        return self.alive and "S" in self.capabilities

    @property
    def key_validity(self) -> KeyValidity:
        """The keyring's confidence in the key (its owner-trust web), as an enum."""
        return _VALIDITY.get(self.validity, KeyValidity.UNKNOWN)

    @property
    def primary_user_id(self) -> str:
        """The first usable user id, else the first one, else ""."""
        for uid in self.user_ids:
            if uid.usable:
                return uid.text
        return self.user_ids[0].text if self.user_ids else ""

    def emails(self) -> frozenset[str]:
        """Mailboxes named by usable user ids."""
        return frozenset(u.email for u in self.user_ids if u.usable and u.email)

    def has_subkey(self, key_id: str) -> bool:
        """Whether a key id (16 hex digits) or fingerprint names this key or a subkey."""
        wanted = key_id.upper()
        ids = [self.fingerprint, self.key_id] + [
            x for s in self.subkeys for x in (s.fingerprint, s.key_id)
        ]
        return any(i and (i.upper() == wanted or i.upper().endswith(wanted)) for i in ids)


def _unescape(field: bytes) -> str:
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), field)
    return clean_line(raw.decode("utf-8", "replace"))


def _int(field: bytes) -> int | None:
    text = field.decode("ascii", "replace")
    return int(text) if text.isdigit() else None


def parse_colons(output: bytes) -> list[KeyInfo]:
    """Every key in a ``--with-colons --fixed-list-mode`` listing, in order."""
    keys: list[KeyInfo] = []
    cur: dict[str, object] | None = None
    subs: list[dict[str, object]] = []
    uids: list[UserId] = []

    def flush() -> None:
        if cur is None:
            return
        keys.append(
            KeyInfo(
                fingerprint=str(cur.get("fpr", "")),
                key_id=str(cur["keyid"]),
                validity=str(cur["validity"]),
                capabilities=str(cur["caps"]),
                created=cur["created"],  # type: ignore[arg-type]
                expires=cur["expires"],  # type: ignore[arg-type]
                user_ids=tuple(uids),
                subkeys=tuple(
                    Subkey(
                        str(s.get("fpr", "")),
                        str(s["keyid"]),
                        str(s["caps"]),
                        str(s["validity"]),
                        s["expires"],  # type: ignore[arg-type]
                    )
                    for s in subs
                ),
                secret=bool(cur["secret"]),
            )
        )

    last: dict[str, object] | None = None
    for line in output.splitlines():
        f = line.rstrip(b"\r").split(b":")
        if len(f) < 10:
            continue
        kind = f[0]
        if kind in (b"pub", b"sec"):
            flush()
            subs, uids = [], []
            cur = {
                "keyid": f[4].decode("ascii", "replace"),
                "validity": f[1].decode("ascii", "replace"),
                "caps": f[11].decode("ascii", "replace") if len(f) > 11 else "",
                "created": _int(f[5]),
                "expires": _int(f[6]),
                "secret": kind == b"sec",
            }
            last = cur
        elif cur is None:
            continue
        elif kind in (b"sub", b"ssb"):
            last = {
                "keyid": f[4].decode("ascii", "replace"),
                "validity": f[1].decode("ascii", "replace"),
                "caps": f[11].decode("ascii", "replace") if len(f) > 11 else "",
                "expires": _int(f[6]),
            }
            subs.append(last)
        elif kind == b"fpr" and last is not None and "fpr" not in last:
            last["fpr"] = f[9].decode("ascii", "replace")
        elif kind == b"uid":
            text = _unescape(f[9])
            uids.append(UserId(text, email_of(text), f[1].decode("ascii", "replace")))
    flush()
    return keys
