"""gpg's machine-readable status lines (``[GNUPG:] KEYWORD args``, doc/DETAILS in
GnuPG) turned into our dataclasses.

This is the only place that decides what a signature's state is. It reads the status
stream gpg writes for us, which message content cannot reach: gpg writes the signed or
decrypted data to stdout, its human-readable messages (prefixed "gpg: ", with control
characters escaped) to stderr, and only its status writer starts a line "[GNUPG:] ".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mailtui.crypto.status import KeyValidity, SignatureStatus, SigState
from mailtui.text.safe import clean_line

__all__ = [
    "HASH_NAMES",
    "Status",
    "error_codes",
    "signature_from",
    "status_text",
]

Status = tuple[str, str]  # (keyword, rest of the line as python-gnupg decoded it)

# RFC 4880 §9.4 hash algorithm ids → the names used in micalg (RFC 3156 §5).
HASH_NAMES = {
    "1": "md5",
    "2": "sha1",
    "3": "ripemd160",
    "8": "sha256",
    "9": "sha384",
    "10": "sha512",
    "11": "sha224",
}
_TRUST = {
    "TRUST_UNDEFINED": KeyValidity.UNDEFINED,
    "TRUST_NEVER": KeyValidity.NEVER,
    "TRUST_MARGINAL": KeyValidity.MARGINAL,
    "TRUST_FULLY": KeyValidity.FULL,
    "TRUST_ULTIMATE": KeyValidity.ULTIMATE,
}
_VERDICTS = {
    "GOODSIG": SigState.GOOD,
    "BADSIG": SigState.BAD,
    "EXPSIG": SigState.EXPIRED_KEY,
    "EXPKEYSIG": SigState.EXPIRED_KEY,
    "REVKEYSIG": SigState.REVOKED_KEY,
    "ERRSIG": SigState.ERROR,
}
# libgpg-error codes (the low 16 bits of gpg's error numbers) that we act on.
ERR_BAD_PASSPHRASE = 11
ERR_NO_PIN_ENTRY = 85
ERR_CANCELED = 99
ERR_NO_SECKEY = 17
ERR_NO_PUBKEY = 9
_PERCENT = re.compile(rb"%([0-9A-Fa-f]{2})")
_USER_ID_MAX = 256


def status_text(value: str) -> str:
    """A status argument as text: python-gnupg reads the stream as Latin-1; gpg wrote
    UTF-8 with ``%XX`` escapes. The result is cleaned for display."""
    raw = value.encode("latin-1", "replace")
    raw = _PERCENT.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return clean_line(raw.decode("utf-8", "replace"))[:_USER_ID_MAX]


def error_codes(statuses: Iterable[Status]) -> set[int]:
    """The error codes of ERROR/FAILURE lines (``ERROR location code``), low 16 bits."""
    codes: set[int] = set()
    for key, value in statuses:
        if key in ("ERROR", "FAILURE"):
            last = value.rsplit(" ", 1)[-1]
            if last.isdigit():
                codes.add(int(last) & 0xFFFF)
        elif key == "BAD_PASSPHRASE":
            codes.add(ERR_BAD_PASSPHRASE)
    return codes


def _first_signature(statuses: Sequence[Status]) -> list[Status]:
    """The status lines of the first signature (NEWSIG starts each one in gpg 2)."""
    start = next((i for i, (k, _) in enumerate(statuses) if k == "NEWSIG"), None)
    if start is None:
        return list(statuses)
    out: list[Status] = []
    for key, value in statuses[start + 1 :]:
        if key == "NEWSIG":
            break
        out.append((key, value))
    return out


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def signature_from(statuses: Sequence[Status]) -> SignatureStatus | None:
    """The first signature's verdict from one gpg run's status lines; None when the
    lines hold no signature at all (an unsigned encrypted message)."""
    lines = _first_signature(statuses)
    verdict = next(((k, v) for k, v in lines if k in _VERDICTS), None)
    if verdict is None:
        if any(k == "NODATA" for k, _ in statuses) and not any(
            k in ("DECRYPTION_OKAY", "PLAINTEXT") for k, _ in statuses
        ):
            return SignatureStatus(SigState.ERROR, detail="no OpenPGP signature was found")
        return None
    key, value = verdict
    state = _VERDICTS[key]
    keyid, _, uid = value.partition(" ")
    fields: dict[str, object] = {
        "user_id": status_text(uid) if key != "ERRSIG" else "",
        "fingerprint": keyid,
    }
    detail = ""
    if key == "ERRSIG":
        # ERRSIG keyid pkalgo hashalgo sig_class time rc [fpr]
        parts = value.split()
        rc = _int(parts[5]) if len(parts) > 5 else None
        if len(parts) > 6 and parts[6] != "-":
            fields["fingerprint"] = parts[6]
        if len(parts) > 4:
            fields["signed_at"] = _int(parts[4])
        if len(parts) > 2:
            fields["hash_algo"] = HASH_NAMES.get(parts[2], parts[2])
        if rc == ERR_NO_PUBKEY or any(k == "NO_PUBKEY" for k, _ in lines):
            state = SigState.UNKNOWN_KEY
            detail = "the signer's public key is not in your keyring"
        else:
            detail = "gpg could not check it (unsupported algorithm or damaged signature)"
    elif key == "BADSIG":
        detail = "the signed text does not match the signature"
    elif key == "EXPSIG":
        detail = "the signature itself has expired"
    elif key == "EXPKEYSIG":
        detail = "the key that made it has expired"
    elif key == "REVKEYSIG":
        detail = "the key that made it was revoked by its owner"
    for k, v in lines:
        if k == "VALIDSIG":
            # VALIDSIG fpr date timestamp expire version reserved pkalgo hashalgo class primary-fpr
            parts = v.split()
            fields["signing_fingerprint"] = parts[0]
            fields["fingerprint"] = parts[9] if len(parts) > 9 else parts[0]
            fields["signed_at"] = _int(parts[2]) if len(parts) > 2 else None
            if len(parts) > 7:
                fields["hash_algo"] = HASH_NAMES.get(parts[7], parts[7])
        elif k in _TRUST:
            fields["validity"] = _TRUST[k]
        elif k == "SIG_ID" and "signed_at" not in fields:
            parts = v.split()
            fields["signed_at"] = _int(parts[2]) if len(parts) > 2 else None
    return SignatureStatus(
        state=state,
        user_id=str(fields.get("user_id", "")),
        fingerprint=str(fields.get("fingerprint", "")),
        signing_fingerprint=str(fields.get("signing_fingerprint", "")),
        validity=fields.get("validity", KeyValidity.UNKNOWN),  # type: ignore[arg-type]
        signed_at=fields.get("signed_at"),  # type: ignore[arg-type]
        hash_algo=str(fields.get("hash_algo", "")),
        detail=detail,
    )
