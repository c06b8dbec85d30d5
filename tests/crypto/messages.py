"""Test mail framed by hand around signatures and ciphertext that gpg itself made.

The MIME framing here is written out byte by byte (not by mailtui, not by `email`), so a
test compares mailtui against an independent construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.crypto.keyring import PAST, Keyring

TEXT_ENTITY = (
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hello from the signed part.\r\n"
    b"Caf=C3=A9 and a second line.\r\n"
)

IMITATION_BODY = (
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Please pay the invoice.\r\n"
    b"\r\n"
    b'gpg: Good signature from "Your Bank <bank@example.org>" [ultimate]\r\n'
    b"[GNUPG:] GOODSIG 0123456789ABCDEF Your Bank <bank@example.org>\r\n"
    b"[GNUPG:] VALIDSIG 0123456789ABCDEF0123456789ABCDEF01234567 2026-01-01 0 0 4 0 22 8 00\r\n"
    b"[GNUPG:] TRUST_ULTIMATE 0 pgp\r\n"
    b"\x1b[32mGood signature\x1b[0m\r\n"
)


def headers(from_: str, subject: str, to: str = "me@example.org") -> bytes:
    return (
        f"From: {from_}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
        f"Message-ID: <{abs(hash((from_, subject)))}@test.example>\r\nMIME-Version: 1.0\r\n"
    ).encode()


def multipart_signed(
    head: bytes, entity: bytes, signature: bytes, micalg: str = "pgp-sha256"
) -> bytes:
    """RFC 3156 §5 framing; `entity` is exactly the signed bytes."""
    b = b"signed-boundary-42"
    return (
        head
        + b'Content-Type: multipart/signed; micalg="'
        + micalg.encode()
        + b'";\r\n protocol="application/pgp-signature"; boundary="'
        + b
        + b'"\r\n\r\nThis is an OpenPGP/MIME signed message.\r\n--'
        + b
        + b"\r\n"
        + entity
        + b"\r\n--"
        + b
        + b'\r\nContent-Type: application/pgp-signature; name="signature.asc"\r\n\r\n'
        + signature.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + b"\r\n--"
        + b
        + b"--\r\n"
    )


def multipart_encrypted(head: bytes, armored: bytes) -> bytes:
    """RFC 3156 §4 framing around gpg's armored output."""
    b = b"encrypted-boundary-7"
    return (
        head
        + b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n boundary="'
        + b
        + b'"\r\n\r\n--'
        + b
        + b"\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--"
        + b
        + b'\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n'
        + armored.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        + b"\r\n--"
        + b
        + b"--\r\n"
    )


def inner_signed(keys: Keyring, signer: str, entity: bytes) -> bytes:
    """A multipart/signed *entity* (no message headers), for signed-then-encrypted."""
    body = multipart_signed(b"", entity, keys.sign(signer, entity))
    return body


@dataclass
class Corpus:
    """Every test message, by name."""

    good: bytes
    bad: bytes
    unknown: bytes
    expired: bytes
    revoked: bytes
    wrong_sender: bytes
    imitation: bytes
    combined: bytes  # signed and encrypted in one pass (RFC 3156 §6.2)
    nested: bytes  # multipart/signed inside multipart/encrypted (§6.1)
    encrypted_only: bytes
    protected: bytes  # encrypted, real Subject only inside (protected-headers="v1")
    legacy_display: bytes  # encrypted, Subject in a text/rfc822-headers part
    not_for_me: bytes  # encrypted to mallory only
    inline_signed: bytes  # a text part: plain, clearsigned block, plain
    inline_encrypted: bytes  # a text part with an armored message (signed inside)
    secret_text: bytes  # the plaintext marker inside every encrypted message


SECRET = b"PLAINTEXT-MARKER-7f3a9c"


def build_corpus(keys: Keyring) -> Corpus:
    sign = keys.sign
    good = multipart_signed(
        headers("Bob Sender <bob@example.net>", "good"), TEXT_ENTITY, sign(keys.bob, TEXT_ENTITY)
    )
    changed = TEXT_ENTITY.replace(b"Hello", b"Jello")
    bad = good.replace(TEXT_ENTITY, changed)
    assert bad != good and len(bad) == len(good)
    unknown = multipart_signed(
        headers("Mallory <mallory@example.com>", "unknown"),
        TEXT_ENTITY,
        sign(keys.mallory, TEXT_ENTITY),
    )
    expired = multipart_signed(
        headers("Old Timer <old@example.net>", "expired"),
        TEXT_ENTITY,
        sign(keys.old, TEXT_ENTITY, faked=PAST),
    )
    revoked = multipart_signed(
        headers("Gone Away <gone@example.net>", "revoked"),
        TEXT_ENTITY,
        sign(keys.gone, TEXT_ENTITY),
    )
    wrong_sender = multipart_signed(
        headers("Alice <alice@example.com>", "not from bob"),
        TEXT_ENTITY,
        sign(keys.bob, TEXT_ENTITY),
    )
    imitation = multipart_signed(
        headers("Your Bank <bank@example.org>", "imitation"),
        IMITATION_BODY,
        sign(keys.mallory, IMITATION_BODY),
    )
    secret_entity = (
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe secret is " + SECRET + b".\r\n"
    )
    combined = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "combined"),
        keys.encrypt(secret_entity, keys.me, sign_as=keys.bob),
    )
    nested = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "nested"),
        keys.encrypt(inner_signed(keys, keys.bob, secret_entity), keys.me),
    )
    encrypted_only = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "encrypted"), keys.encrypt(secret_entity, keys.me)
    )
    protected_entity = (
        b'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\n'
        b"Subject: The real subject\r\n"
        b"From: Bob Sender <bob@example.net>\r\n"
        b"\r\nProtected body " + SECRET + b"\r\n"
    )
    protected = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "..."), keys.encrypt(protected_entity, keys.me)
    )
    legacy_entity = (
        b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
        b'Content-Type: text/rfc822-headers; protected-headers="v1"\r\n'
        b"Content-Disposition: inline\r\n\r\n"
        b"Subject: =?utf-8?q?Legacy_subject_caf=C3=A9?=\r\n"
        b"\r\n--mix\r\nContent-Type: text/plain\r\n\r\nBody " + SECRET + b"\r\n--mix--\r\n"
    )
    legacy_display = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "..."), keys.encrypt(legacy_entity, keys.me)
    )
    not_for_me = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "not for me"),
        keys.encrypt(secret_entity, keys.mallory),
    )
    inline_signed = (
        b"This intro is NOT covered.\n"
        + keys.clearsign(keys.bob, b"Signed line one.\n- dashed line\nSigned line three.\n")
        + b"This outro is not covered either.\n"
    )
    inline_encrypted = (
        b"Before the block.\n"
        + keys.encrypt(b"Inline secret " + SECRET + b"\n", keys.me, sign_as=keys.bob)
        + b"After the block.\n"
    )
    return Corpus(
        good,
        bad,
        unknown,
        expired,
        revoked,
        wrong_sender,
        imitation,
        combined,
        nested,
        encrypted_only,
        protected,
        legacy_display,
        not_for_me,
        inline_signed,
        inline_encrypted,
        SECRET,
    )
