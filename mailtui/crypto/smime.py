"""S/MIME signature checks (RFC 8551 multipart/signed) with gpgsm, GnuPG's X.509 tool.

Cheap on the same plumbing: gpgsm shares GNUPGHOME, gpg-agent and the status-line
vocabulary (NEWSIG, GOODSIG, BADSIG, VALIDSIG, TRUST_*), so `statuslines` judges it,
and the detached signature goes in through a FIFO like OpenPGP's. python-gnupg does
not drive gpgsm, so this module runs it directly (one process per check).

Verification stays offline: CRL and OCSP look-ups would tell a third party which mail
is being read, so dirmngr is disabled and the status says revocation was not checked.
Trust is gpgsm's: a root CA in the user's trustlist.txt. A good signature under a chain
the user has not trusted is GOOD with validity UNDEFINED and a detail saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

from mailtui.crypto.gpg import feed_fifo
from mailtui.crypto.keyinfo import email_of
from mailtui.crypto.rawmime import canonical_crlf, signed_parts
from mailtui.crypto.status import Availability, KeyValidity, SignatureStatus, SigState
from mailtui.crypto.statuslines import ERR_NO_PUBKEY, Status, error_codes, signature_from
from mailtui.model import BodyPart

__all__ = [
    "SMIME_PROTOCOLS",
    "smime_availability",
    "smime_sections",
    "verify_smime",
    "verify_smime_message",
]

SMIME_PROTOCOLS = ("application/pkcs7-signature", "application/x-pkcs7-signature")
# Offline (no CRL/OCSP look-ups), and no pinentry: on an untrusted root gpgsm would
# otherwise have gpg-agent pop up "Do you ultimately trust …?" — over the TUI — and a
# yes would add the stranger's root to trustlist.txt.
_OFFLINE = ["--disable-crl-checks", "--disable-dirmngr", "--pinentry-mode", "error"]
_HINT = "install GnuPG's gpgsm: sudo apt-get install gpgsm"


def smime_availability(gpgsm: str = "gpgsm") -> Availability:
    """Whether S/MIME signatures can be checked here."""
    if shutil.which(gpgsm) is None:
        return Availability(False, f"S/MIME checks are off: gpgsm was not found — {_HINT}")
    return Availability(True, "S/MIME signature checks are on (gpgsm)")


def smime_sections(structure: BodyPart) -> list[str]:
    """Sections of S/MIME multipart/signed nodes in a cached BODYSTRUCTURE."""
    return [
        p.section
        for p in structure.walk()
        if p.mime_type == "multipart/signed"
        and p.param("protocol").lower() in SMIME_PROTOCOLS
        and len(p.children) >= 2
    ]


def _run(
    args: list[str], data: bytes, gnupghome: str | None, gpgsm: str
) -> tuple[list[Status], bytes]:
    """gpgsm with status lines on stdout; returns them (as python-gnupg would decode
    them, Latin-1) and stdout's other bytes."""
    home = ["--homedir", gnupghome] if gnupghome else []
    try:
        proc = subprocess.run(
            [gpgsm, "--batch", "--no-tty", "--status-fd", "1", *home, *args],
            input=data,
            capture_output=True,
            timeout=120,
            check=False,
            env=dict(os.environ),
        )
    except (OSError, subprocess.SubprocessError):
        return [("FAILURE", "gpgsm 1")], b""
    statuses: list[Status] = []
    other: list[bytes] = []
    for line in proc.stdout.splitlines():
        if line.startswith(b"[GNUPG:] "):
            key, _, value = line[9:].decode("latin-1").partition(" ")
            statuses.append((key, value))
        else:
            other.append(line)
    return statuses, b"\n".join(other)


def _iso_time(statuses: list[Status]) -> int | None:
    """gpgsm's VALIDSIG gives the signing time as 20261207T071650, not epoch seconds."""
    for key, value in statuses:
        if key == "VALIDSIG":
            parts = value.split()
            if len(parts) > 2 and "T" in parts[2]:
                try:
                    when = datetime.strptime(parts[2], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
                except ValueError:
                    return None
                return int(when.timestamp())
    return None


def _emails(fingerprint: str, gnupghome: str | None, gpgsm: str) -> frozenset[str]:
    """Addresses of a certificate (subject e-mail and alt names) from gpgsm's listing."""
    home = ["--homedir", gnupghome] if gnupghome else []
    try:
        out = subprocess.run(
            [gpgsm, "--batch", "--with-colons", *home, "--list-keys", fingerprint],
            capture_output=True,
            timeout=60,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    found = set()
    for line in out.splitlines():
        fields = line.split(b":")
        if fields[0] == b"uid" and len(fields) > 9:
            addr = email_of(fields[9].decode("utf-8", "replace"))
            if addr:
                found.add(addr)
    return frozenset(found)


def verify_smime(
    signed: bytes,
    signature: bytes,
    from_addr: str = "",
    *,
    gnupghome: str | None = None,
    gpgsm: str = "gpgsm",
) -> SignatureStatus:
    """Check a detached CMS signature (the application/pkcs7-signature body, decoded)
    over the signed part's exact bytes."""
    if not smime_availability(gpgsm).on:
        return SignatureStatus(SigState.ERROR, detail=smime_availability(gpgsm).sentence)
    with feed_fifo(signature) as path:
        statuses, _ = _run(
            [*_OFFLINE, "--verify", path, "-"], canonical_crlf(signed), gnupghome, gpgsm
        )
    status = signature_from(statuses)
    if status is None:
        if ERR_NO_PUBKEY in error_codes(statuses):
            status = SignatureStatus(
                SigState.UNKNOWN_KEY,
                detail="the signer's certificate is neither in the mail nor in your keybox",
            )
        else:
            status = SignatureStatus(SigState.ERROR, detail="gpgsm could not check the signature")
    notes = [status.detail] if status.detail else []
    trusted = None
    if status.state is SigState.GOOD:
        notes.append("revocation not checked (offline)")
        trusted = status.validity in (KeyValidity.FULL, KeyValidity.ULTIMATE)
        if not trusted:
            notes.append("the certificate chain is not trusted (its root is not in trustlist.txt)")
    addr = from_addr.strip().strip("<>").lower()
    matches = None
    if status.fingerprint and status.state is not SigState.UNKNOWN_KEY:
        emails = _emails(status.fingerprint, gnupghome, gpgsm)
        matches = (addr in emails) if addr else None
    return replace(
        status,
        signed_at=status.signed_at or _iso_time(statuses),
        from_addr=addr,
        from_matches=matches,
        detail="; ".join(notes),
        chain_trusted=trusted,
    )


def verify_smime_message(
    raw: bytes,
    section: str = "",
    from_addr: str = "",
    *,
    gnupghome: str | None = None,
    gpgsm: str = "gpgsm",
) -> SignatureStatus:
    """The same for the multipart/signed at `section` of a whole raw message."""
    parts = signed_parts(raw, section)
    if parts is None or parts.protocol not in SMIME_PROTOCOLS:
        return SignatureStatus(SigState.ERROR, detail="no S/MIME signed part there")
    return verify_smime(parts.signed, parts.signature, from_addr, gnupghome=gnupghome, gpgsm=gpgsm)
