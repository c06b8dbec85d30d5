"""OpenPGP for sending: sign, encrypt and add the Autocrypt header, for both faces.

The TUI's review screen (`S`, `X`) and `mailtui send --sign/--encrypt` decide a
`PgpChoice`; `protect` turns the message compose built into the bytes that are queued,
sent and filed in Sent — the same bytes, so the Sent copy is byte-identical to what was
signed. Encryption goes to every recipient (To, Cc, Bcc) and to the account's own key,
so Sent stays readable; a recipient without a usable key stops the send with their
names (`MissingKeys`) — never a silent plaintext send. "auto" (`pgp_encrypt =
"opportunistic"`) encrypts only when every recipient has a key, from the keyring or
learnt through Autocrypt (`usecase.secure.peer_store`). Everything here blocks (gpg).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Literal

from mailtui.compose.build import build_message, complete_raw, envelope_recipients, message_bytes
from mailtui.compose.draft import Draft
from mailtui.compose.flow import DeliveryReport, MailStore, SendFn, deliver
from mailtui.config.model import AccountSettings
from mailtui.crypto import (
    CryptoError,
    Engine,
    KeyPlan,
    Pinentry,
    build_header,
    encrypt_message,
    plan_recipients,
    sign_message,
    signing_key,
)
from mailtui.crypto.autocrypt import PeerStore
from mailtui.crypto.outgoing import split_message
from mailtui.crypto.pgpmime import decrypt_message
from mailtui.crypto.rawmime import parse_tree, signed_parts
from mailtui.usecase.secure import engine, peer_store

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = [
    "MissingKeys",
    "PgpChoice",
    "autocrypt_field",
    "decide",
    "protect",
    "send_protected",
    "unprotect",
]

Encrypt = Literal["on", "off", "auto"]


class MissingKeys(CryptoError):
    """Encryption is on and these recipients have no usable key."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        super().__init__(
            "Not sent: no OpenPGP key for " + ", ".join(missing),
            hint="import their keys, or turn encryption off (X on the review screen)",
        )
        self.missing = missing


@dataclass(frozen=True)
class PgpChoice:
    """Sign? Encrypt ("on", "off", or "auto": when every recipient has a key)?"""

    sign: bool = False
    encrypt: Encrypt = "off"

    @staticmethod
    def for_account(account: AccountSettings) -> PgpChoice:
        """The account's defaults (`pgp_sign`, `pgp_encrypt`)."""
        mode: Encrypt = {"never": "off", "opportunistic": "auto", "always": "on"}[
            account.pgp_encrypt
        ]
        return PgpChoice(account.pgp_sign, mode)

    @property
    def active(self) -> bool:
        return self.sign or self.encrypt != "off"

    def toggled_sign(self) -> PgpChoice:
        return PgpChoice(not self.sign, self.encrypt)

    def toggled_encrypt(self) -> PgpChoice:
        """X: off → on → off; "auto" goes to "off" (the user saw it and said no)."""
        return PgpChoice(self.sign, "on" if self.encrypt == "off" else "off")

    def line(self) -> str:
        """The review screen's line (S and X change it)."""
        sign = "yes" if self.sign else "no"
        encrypt = {
            "on": "yes (to every recipient and to you)",
            "off": "no",
            "auto": "if every recipient has a key",
        }[self.encrypt]
        return f"OpenPGP  sign: {sign} · encrypt: {encrypt}    (S sign, X encrypt)"


def _engine() -> Engine:
    found = engine()
    if isinstance(found, str):
        raise CryptoError(found)
    return found


def _own_key(eng: Engine, account: AccountSettings) -> str:
    key = signing_key(eng, account.pgp_key or account.email)
    if key is None:
        raise CryptoError(
            f"No secret OpenPGP key for {account.pgp_key or account.email}",
            hint=f"set pgp_key under [accounts.{account.name}] to your key's fingerprint",
        )
    return key.fingerprint


def decide(
    account: AccountSettings,
    raw: bytes,
    choice: PgpChoice,
    peers: PeerStore | None = None,
) -> tuple[bool, KeyPlan | None]:
    """Whether to encrypt this message, and the keys; `MissingKeys` when encryption is
    on and someone lacks one. "auto" without every key is (False, plan)."""
    if choice.encrypt == "off":
        return False, None
    eng = _engine()
    plan = plan_recipients(eng, envelope_recipients(raw), peers)
    if choice.encrypt == "on" and plan.missing:
        raise MissingKeys(plan.missing)
    return plan.complete, plan


def autocrypt_field(eng: Engine, account: AccountSettings, fingerprint: str) -> bytes:
    """The ``Autocrypt:`` header field (folded, CRLF) for the account's key."""
    mutual = account.pgp_encrypt != "never"
    value = build_header(account.email, eng.export_minimal(fingerprint, account.email), mutual)
    head, _, keydata = value.partition(" keydata= ")
    lines = [f"Autocrypt: {head} keydata="] + [f" {chunk}" for chunk in keydata.split()]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def protect(
    account: AccountSettings,
    raw: bytes,
    choice: PgpChoice,
    pinentry: Pinentry | None = None,
    peers: PeerStore | None = None,
) -> bytes:
    """The message as it will be sent and filed: with the Autocrypt header (when the
    account enables it), signed and/or encrypted as chosen. Raises `MissingKeys` or
    `CryptoError` (nothing was sent)."""
    if not choice.active and not account.autocrypt:
        return raw
    if isinstance(engine(), str) and not choice.sign and choice.encrypt != "on":
        return raw  # only opportunistic / Autocrypt asked: without gpg there is nothing to add
    eng = _engine()
    own = _own_key(eng, account)
    if account.autocrypt:
        raw = autocrypt_field(eng, account, own) + raw
    encrypt, plan = decide(account, raw, choice, peers)
    if encrypt and plan is not None:
        recipients = [*plan.fingerprints(), own]
        return encrypt_message(
            eng,
            raw,
            recipients,
            plan.keydata(),
            sign_as=own if choice.sign else None,
            pinentry=pinentry,
        )
    if choice.sign:
        return sign_message(eng, raw, own, pinentry)
    return raw


def send_protected(
    account: AccountSettings,
    message: Draft | bytes,
    choice: PgpChoice,
    *,
    store: MailStore,
    service: SyncService | None = None,
    pinentry: Pinentry | None = None,
    send: SendFn | None = None,
    not_before: float = 0.0,
    scheduled: bool = False,
) -> DeliveryReport:
    """Build (a draft) or complete (raw bytes from `mailtui send`), protect, deliver
    (`not_before`: held in the outbox until then, see `compose.flow.deliver`).

    Protection happens before the outbox sees the message, so a retry sends, and Sent
    keeps, exactly what was signed."""
    if isinstance(message, Draft):
        built: EmailMessage | bytes = build_message(message, account)
        raw = message_bytes(built)
        replied, forwarded = message.replied, message.forwarded
    else:
        raw = complete_raw(message, account)
        replied = forwarded = None
    peers = peer_store(service) if service is not None else None
    raw = protect(account, raw, choice, pinentry, peers)
    return deliver(
        account,
        raw,
        store=store,
        replied=replied,
        forwarded=forwarded,
        send=send,
        not_before=not_before,
        scheduled=scheduled,
    )


def unprotect(
    raw: bytes, account: AccountSettings, pinentry: Pinentry | None = None
) -> tuple[bytes, PgpChoice | None]:
    """A message of ours that waits in the outbox, back as the plain message it was
    built from (to edit it again), and the choice it was sent with; (raw, None) when it
    is neither signed nor encrypted. Decryption is in memory, with our own key."""
    tree = parse_tree(raw)
    kind = tree.content_type
    if kind not in ("multipart/signed", "multipart/encrypted"):
        return raw, None
    outer, _ = split_message(raw)
    outer = [(n, f) for n, f in outer if n != b"autocrypt"]  # protect() adds it again
    if kind == "multipart/signed":
        parts = signed_parts(raw)
        if parts is None:
            return raw, None
        entity, choice = parts.signed, PgpChoice(True, "off")
    else:
        plain = decrypt_message(_engine(), raw, "", pinentry)
        inner = parse_tree(plain.data)
        if inner.content_type == "multipart/signed" and (parts := signed_parts(plain.data)):
            plain_entity = parts.signed
        else:
            plain_entity = plain.data
        _, entity = split_message(plain_entity)
        choice = PgpChoice(plain.signature is not None or account.pgp_sign, "on")
        if plain.protected is not None:
            # The real headers were inside (header protection): they win over "...".
            real = {k.lower(): (k, v) for k, v in plain.protected.headers}
            outer = [
                (n, f"{real[n.decode()][0]}: {real[n.decode()][1]}\r\n".encode())
                if n.decode() in real
                else (n, f)
                for n, f in outer
            ]
    return b"".join(f for _, f in outer) + b"MIME-Version: 1.0\r\n" + entity, choice
