"""OpenPGP for mailtui: PGP/MIME and inline PGP, reading and sending, Autocrypt.

GnuPG 2.x through python-gnupg (the user's own `gpg`, `GNUPGHOME` and gpg-agent).
Below `ui/` and beside `compose/`: it imports only `text` (safe, charset, encoded_words),
`model` and `errors`, and nothing in it talks IMAP — callers hand it bytes. Decrypted
data is returned in memory and never written to disk (gpg gets it on stdin or through a
FIFO); python-gnupg's own debug logging is silenced for the same reason.

Is it on?
    ``availability()`` → `Availability(on, sentence)`; when off (gpg missing), the
    sentence says how to install it, and nothing else in the app changes.
    ``Engine(gnupghome=None)`` — one per process (thread-safe); raises `CryptoError`
    when off. Everything below takes the engine as first argument.

Reading (the reader and ``mailtui show``):
    ``pgp_parts(structure)`` — PGP/MIME nodes of a cached BODYSTRUCTURE with the IMAP
    sections to fetch: signed → ``(n.MIME, n, sig)``; encrypted → ``(ciphertext,)``.
    ``verify_detached(engine, signed, signature, from_addr)`` — `signed` is
    ``BODY.PEEK[n.MIME] + BODY.PEEK[n]`` exactly as the server holds them (see
    `imap_signed_bytes`); returns `SignatureStatus` (state good/bad/unknown key/expired
    key/revoked key/error, user id, fingerprint, validity, time, `from_matches`, `ok`).
    ``verify_message(engine, raw, section, from_addr)`` — the same from a whole raw
    message (Maildir file, ``BODY[]``): the signed bytes are cut out by byte offsets
    (`signed_parts`), never re-serialised.
    ``decrypt_mime(engine, ciphertext, pinentry, from_addr)`` /
    ``decrypt_message(engine, raw, section, pinentry, from_addr)`` → `Decrypted`: the
    inner MIME bytes (parse them with ``mime.parse.parse_message`` in memory), the inner
    signature (one-pass or an inner multipart/signed) and `ProtectedHeaders` (show its
    Subject instead of the outer one; hide `legacy_section`). Raises `CryptoError`
    (not for you, tampered) or `PassphraseNeeded`.
    ``process_inline(engine, text_bytes, charset, pinentry, from_addr)`` → segments of a
    text part, each plain / signed / encrypted, `covered` only for what gpg says the
    signature covers. ``has_inline_pgp(bytes)`` is the cheap test.
    ``protected_headers(entity)`` for a signed part's own protected headers.

Sending (compose, ``mailtui send --sign/--encrypt``):
    ``plan_recipients(engine, addresses, peers)`` → `KeyPlan(keys, missing)`: stop
    and list `missing` when encrypting; never fall back to plaintext.
    ``sign_message(engine, raw, signer, pinentry)``,
    ``encrypt_message(engine, raw, plan.fingerprints() + [own], plan.keydata(),
    sign_as, pinentry, hide_subject=False)`` → the whole message to send and to file in
    Sent, byte for byte (lower level: `sign_entity`, `encrypt_entity`, `make_7bit`).
    ``signing_key(engine, pgp_key or address)`` finds the account's secret key.

Autocrypt Level 1:
    ``build_header(addr, engine.export_minimal(fpr, addr), mutual)`` → the header value.
    Incoming: ``parse_headers(values, from_addr)`` then
    ``validate_keydata(engine, header.keydata, addr)`` then
    ``update_peer(store, from_addr, date, header, fingerprint)``; ``recommend(peer,
    own_mutual)`` for opportunistic encryption. `PeerStore` is the interface (the
    account cache implements it later; table in `autocrypt`'s docstring),
    `MemoryPeerStore` the in-memory one.

Passphrases: `Pinentry.loopback(ask)` (the app's masked prompt; called only when a
locked key's passphrase is not cached), `Pinentry.agent(app.suspend)` (gpg-agent's
pinentry, the app suspended only when needed), `Pinentry.never()`.

S/MIME (signatures only): ``smime_sections(structure)``,
``verify_smime(signed, signature_der, from_addr)`` / ``verify_smime_message(raw,
section, from_addr)`` check an application/pkcs7-signature with gpgsm on the same
plumbing (GNUPGHOME, status lines, FIFOs), offline (no CRL/OCSP), never asking to trust
a root; an untrusted chain is GOOD with ``chain_trusted=False`` (not `ok`).
``smime_availability()`` is off without gpgsm.

Untrusted text: user ids and everything from a message are cleaned with
``text.safe.clean_line``/``clean_text``; statuses are data, never parsed from a body.
"""

from __future__ import annotations

from mailtui.crypto.autocrypt import (
    AutocryptHeader,
    MemoryPeerStore,
    Peer,
    PeerStore,
    build_header,
    parse_headers,
    recommend,
    update_peer,
    validate_keydata,
)
from mailtui.crypto.gpg import Engine, availability
from mailtui.crypto.inline import InlineResult, Segment, has_inline_pgp, process_inline
from mailtui.crypto.keys import KeyPlan, RecipientKey, plan_recipients, signing_key
from mailtui.crypto.outgoing import (
    encrypt_entity,
    encrypt_message,
    make_7bit,
    sign_entity,
    sign_message,
)
from mailtui.crypto.pgpmime import (
    PgpPart,
    decrypt_message,
    decrypt_mime,
    pgp_parts,
    protected_headers,
    verify_detached,
    verify_message,
)
from mailtui.crypto.rawmime import imap_signed_bytes, signed_parts
from mailtui.crypto.smime import (
    smime_availability,
    smime_sections,
    verify_smime,
    verify_smime_message,
)
from mailtui.crypto.status import (
    Availability,
    CryptoError,
    Decrypted,
    KeyValidity,
    PassphraseNeeded,
    PassphraseRequest,
    Pinentry,
    ProtectedHeaders,
    SignatureStatus,
    SigState,
)

__all__ = [
    "AutocryptHeader",
    "Availability",
    "CryptoError",
    "Decrypted",
    "Engine",
    "InlineResult",
    "KeyPlan",
    "KeyValidity",
    "MemoryPeerStore",
    "PassphraseNeeded",
    "PassphraseRequest",
    "Peer",
    "PeerStore",
    "PgpPart",
    "Pinentry",
    "ProtectedHeaders",
    "RecipientKey",
    "Segment",
    "SigState",
    "SignatureStatus",
    "availability",
    "build_header",
    "decrypt_message",
    "decrypt_mime",
    "encrypt_entity",
    "encrypt_message",
    "has_inline_pgp",
    "imap_signed_bytes",
    "make_7bit",
    "parse_headers",
    "pgp_parts",
    "plan_recipients",
    "process_inline",
    "protected_headers",
    "recommend",
    "sign_entity",
    "sign_message",
    "signed_parts",
    "signing_key",
    "smime_availability",
    "smime_sections",
    "update_peer",
    "validate_keydata",
    "verify_detached",
    "verify_message",
    "verify_smime",
    "verify_smime_message",
]
