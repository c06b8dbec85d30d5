"""Reading PGP/MIME (RFC 3156): verify multipart/signed, decrypt multipart/encrypted.

Pure functions over bytes the caller supplies; no IMAP here. For IMAP the caller fetches
the sections `pgp_parts()` lists (``BODY.PEEK[n.MIME]`` + ``BODY.PEEK[n]`` for the
signed part, exactly as stored); for Maildir or a whole ``BODY[]`` it hands the raw
message to `verify_message` / `decrypt_message`, which cut the parts out by byte offsets
(`rawmime`). Decrypted bytes are returned in memory and never written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mailtui.crypto.gpg import Engine, Run, feed_fifo
from mailtui.crypto.rawmime import (
    Entity,
    canonical_crlf,
    decode_transfer,
    encrypted_payload,
    header_fields,
    parse_tree,
    signed_parts,
)
from mailtui.crypto.status import (
    CryptoError,
    Decrypted,
    Pinentry,
    ProtectedHeaders,
    SignatureStatus,
    SigState,
)
from mailtui.crypto.statuslines import ERR_NO_SECKEY, signature_from
from mailtui.model import BodyPart
from mailtui.text.encoded_words import decode_header

__all__ = [
    "PgpPart",
    "decrypt_message",
    "decrypt_mime",
    "pgp_parts",
    "protected_headers",
    "verify_detached",
    "verify_message",
    "with_sender",
]

SIGNATURE_PROTOCOL = "application/pgp-signature"
ENCRYPTED_PROTOCOL = "application/pgp-encrypted"
# Headers the header-protection convention carries inside the cryptographic payload.
PROTECTED = (
    "subject",
    "from",
    "to",
    "cc",
    "reply-to",
    "date",
    "message-id",
    "references",
    "in-reply-to",
    "followup-to",
    "keywords",
)
# A decrypted entity nests at most this many multipart/signed or encrypted layers.
_MAX_LAYERS = 4


@dataclass(frozen=True, slots=True)
class PgpPart:
    """A PGP/MIME node of a message's structure and the IMAP sections it needs."""

    section: str  # of the multipart/signed or multipart/encrypted ("" = the whole body)
    kind: str  # "signed" or "encrypted"
    fetch: tuple[str, ...]  # signed: (n.MIME, n, signature); encrypted: (ciphertext,)
    encoding: str  # transfer encoding of the last fetched section (signature/ciphertext)


def pgp_parts(structure: BodyPart) -> list[PgpPart]:
    """Every PGP/MIME node of a cached BODYSTRUCTURE (or a parsed message's tree)."""
    found: list[PgpPart] = []
    for part in structure.walk():
        if len(part.children) < 2:
            continue
        protocol = part.param("protocol").lower()
        prefix = f"{part.section}." if part.section else ""
        second = part.children[1]
        if part.mime_type == "multipart/signed" and protocol == SIGNATURE_PROTOCOL:
            fetch = (f"{prefix}1.MIME", f"{prefix}1", f"{prefix}2")
            found.append(PgpPart(part.section, "signed", fetch, second.encoding))
        elif part.mime_type == "multipart/encrypted" and protocol == ENCRYPTED_PROTOCOL:
            found.append(PgpPart(part.section, "encrypted", (f"{prefix}2",), second.encoding))
    return found


def with_sender(engine: Engine, status: SignatureStatus, from_addr: str) -> SignatureStatus:
    """The status completed from the keyring: every valid user id of the signing key,
    and whether one of them names the From address (case-insensitive)."""
    addr = from_addr.strip().strip("<>").lower()
    key = engine.key(status.fingerprint) if status.fingerprint else None
    if key is None:
        return replace(status, from_addr=addr)
    uids = tuple(u.text for u in key.user_ids if u.usable)
    emails = key.emails()
    if status.state in (SigState.EXPIRED_KEY, SigState.REVOKED_KEY):
        # The whole key is dead, so are its user ids; still, whose key it was is known:
        # an expired key of the sender is not also "someone else's key".
        emails = frozenset(u.email for u in key.user_ids if u.email)
    matches = (addr in emails) if addr else None
    return replace(
        status,
        user_id=status.user_id or key.primary_user_id,
        user_ids=uids,
        from_addr=addr,
        from_matches=matches,
    )


def verify_detached(
    engine: Engine, signed: bytes, signature: bytes, from_addr: str = ""
) -> SignatureStatus:
    """Check a detached signature over the signed part's exact bytes (made CRLF)."""
    if not signature.strip():
        return SignatureStatus(SigState.ERROR, detail="the signature part is empty")
    with feed_fifo(signature) as sig_path:
        run = engine.call("verify_data", sig_path, canonical_crlf(signed), extra_args=engine.quiet)
    status = signature_from(run.statuses)
    if status is None:
        status = SignatureStatus(SigState.ERROR, detail="gpg found no signature to check")
    return with_sender(engine, status, from_addr)


def verify_message(
    engine: Engine, raw: bytes, section: str = "", from_addr: str = ""
) -> SignatureStatus:
    """Verify the multipart/signed at `section` of a whole raw message (Maildir file,
    IMAP ``BODY[]``), cutting the signed bytes out of `raw` by offsets."""
    parts = signed_parts(raw, section)
    if parts is None:
        return SignatureStatus(SigState.ERROR, detail="no multipart/signed part there")
    if parts.protocol != SIGNATURE_PROTOCOL:
        return SignatureStatus(SigState.ERROR, detail="not an OpenPGP signature")
    status = verify_detached(engine, parts.signed, parts.signature, from_addr)
    if status.hash_algo and parts.micalg and parts.micalg != f"pgp-{status.hash_algo}":
        # RFC 3156 §5: micalg must name the hash used; a mismatch is worth saying, the
        # signature is still judged on what gpg found.
        note = f"micalg says {parts.micalg}, the signature used {status.hash_algo}"
        status = replace(status, detail=f"{status.detail}; {note}" if status.detail else note)
    return status


def decrypt_run(engine: Engine, ciphertext: bytes, pinentry: Pinentry | None) -> Run:
    def attempt(passphrase: str | None, extra: list[str]) -> Run:
        return engine.call(
            "decrypt", ciphertext, passphrase=passphrase, extra_args=[*engine.quiet, *extra]
        )

    def hint(run: Run) -> tuple[str, str]:
        return engine.secret_key_for([v.split()[0] for v in run.values("ENC_TO") if v])

    return engine.with_passphrase(attempt, pinentry, hint)


def check_decrypted(run: Run) -> None:
    """Plaintext is shown only when gpg said the decryption and its integrity check
    passed: no DECRYPTION_FAILED, no BADMDC (EFAIL)."""
    if run.has("DECRYPTION_OKAY") and not run.has("DECRYPTION_FAILED") and not run.has("BADMDC"):
        return
    if run.has("BADMDC"):
        raise CryptoError("The encrypted message was tampered with (integrity check failed)")
    if run.has("NO_SECKEY") or ERR_NO_SECKEY in run.codes:
        ids = ", ".join(v.split()[0] for v in run.values("ENC_TO") if v) or "unknown keys"
        raise CryptoError(
            f"The message is not encrypted to any of your secret keys ({ids})",
            hint="it can only be read where one of those keys is",
        )
    if run.has("NODATA"):
        raise CryptoError("The encrypted part holds no OpenPGP data")
    raise CryptoError("gpg could not decrypt the message")


def decrypt_mime(
    engine: Engine, ciphertext: bytes, pinentry: Pinentry | None = None, from_addr: str = ""
) -> Decrypted:
    """Decrypt the application/octet-stream part of a multipart/encrypted.

    The result is the inner MIME entity. Its signature is the one-pass signature made
    together with the encryption (RFC 3156 §6.2) or, failing that, an inner
    multipart/signed (§6.1), verified here. Protected headers come from the payload.
    """
    run = decrypt_run(engine, ciphertext, pinentry)
    check_decrypted(run)
    plain = run.data
    recipients = tuple(v.split()[0] for v in run.values("ENC_TO") if v)
    signature = signature_from(run.statuses)
    if signature is not None:
        signature = with_sender(engine, signature, from_addr)
    tree = parse_tree(plain)
    payload = tree
    layers = 0
    while payload.content_type == "multipart/signed" and layers < _MAX_LAYERS:
        layers += 1
        parts = signed_parts(plain, payload.section)
        if signature is None and parts is not None and parts.protocol == SIGNATURE_PROTOCOL:
            signature = verify_detached(engine, parts.signed, parts.signature, from_addr)
        if not payload.children:
            break
        payload = payload.children[0]
    return Decrypted(
        data=plain,
        signature=signature,
        protected=_protected(plain, payload),
        recipients=recipients,
    )


def decrypt_message(
    engine: Engine,
    raw: bytes,
    section: str = "",
    pinentry: Pinentry | None = None,
    from_addr: str = "",
) -> Decrypted:
    """Decrypt the multipart/encrypted at `section` of a whole raw message."""
    tree = parse_tree(raw)
    node = next(
        (
            n
            for n in tree.walk()
            if n.section == section and n.content_type == "multipart/encrypted"
        ),
        None,
    )
    if node is None or node.param("protocol").lower() != ENCRYPTED_PROTOCOL:
        raise CryptoError("There is no PGP/MIME encrypted part there")
    ciphertext = encrypted_payload(raw, section)
    if not ciphertext:
        raise CryptoError("The encrypted part is empty")
    return decrypt_mime(engine, ciphertext, pinentry, from_addr)


def protected_headers(entity: bytes) -> ProtectedHeaders | None:
    """Protected headers of a decrypted (or signed) MIME entity, if it carries any."""
    tree = parse_tree(entity)
    while tree.content_type == "multipart/signed" and tree.children:
        tree = tree.children[0]
    return _protected(entity, tree)


def _pick(fields: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, decode_header(value)) for name, value in fields if name.lower() in PROTECTED
    )


def _legacy_display(data: bytes, node: Entity) -> Entity | None:
    """A text/rfc822-headers part marked protected-headers, first in the payload's
    first multipart (draft-autocrypt-lamps-protected-headers §2.1 "legacy display")."""
    for child in node.walk():
        if child.content_type == "text/rfc822-headers" and (
            child.param("protected-headers") or child.param("hp-legacy-display")
        ):
            return child
    return None


def _protected(data: bytes, node: Entity) -> ProtectedHeaders | None:
    marked = bool(node.param("protected-headers") or node.param("hp"))
    own = _pick(header_fields(data, node.start, node.body_start))
    legacy = _legacy_display(data, node)
    legacy_section = legacy.section if legacy is not None else ""
    if own:
        return ProtectedHeaders(own, "part", marked, legacy_section)
    if legacy is not None:
        body = canonical_crlf(
            decode_transfer(data[legacy.body_start : legacy.end], legacy.encoding)
        )
        shown = _pick(header_fields(body + b"\r\n\r\n"))
        if shown:
            return ProtectedHeaders(shown, "legacy-display", True, legacy_section)
    return None
