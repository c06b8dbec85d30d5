"""What the OpenPGP engine reports: plain frozen dataclasses, no I/O.

A signature's status is structured data built from gpg's machine-readable status lines
(``--status-fd``), never from text found in a message: a body that says "Good
signature" cannot change a `SignatureStatus`. Every string here that came from a key or
a message (user ids, file names) has been through `text.safe.clean_line`; the one-line
`summary()` and `detail` sentences are written by us around those cleaned values.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum

from mailtui.errors import MailtuiError

__all__ = [
    "Availability",
    "CryptoError",
    "Decrypted",
    "KeyValidity",
    "PassphraseCallback",
    "PassphraseNeeded",
    "PassphraseRequest",
    "Pinentry",
    "ProtectedHeaders",
    "SigState",
    "SignatureStatus",
]


class CryptoError(MailtuiError):
    """gpg refused or failed an operation; the message says which and why."""


class PassphraseNeeded(CryptoError):
    """The secret key is locked and no way to ask for its passphrase was given (or the
    user cancelled)."""


class SigState(StrEnum):
    """The verdict on one signature, worst news first in `summary()` wording."""

    GOOD = "good"
    BAD = "bad"  # the signed bytes were changed, or the signature is not for them
    UNKNOWN_KEY = "unknown key"  # no public key to check it with
    EXPIRED_KEY = "expired key"  # made by a key that has expired (or an expired signature)
    REVOKED_KEY = "revoked key"  # made by a key its owner revoked
    ERROR = "error"  # no signature, an unsupported algorithm, gpg failed


class KeyValidity(StrEnum):
    """How sure the keyring is that the key belongs to its user id (gpg's TRUST_* line)."""

    UNKNOWN = "unknown"  # gpg gave no validity (e.g. the check failed)
    UNDEFINED = "undefined"  # nobody you trust certified it: the usual case for a new key
    NEVER = "never"
    MARGINAL = "marginal"
    FULL = "full"
    ULTIMATE = "ultimate"  # one of your own keys


@dataclass(frozen=True, slots=True)
class SignatureStatus:
    """One signature checked by gpg. `ok` is the single question the UI asks first."""

    state: SigState
    user_id: str = ""  # the signing key's primary user id (cleaned), "" when unknown
    fingerprint: str = ""  # primary key fingerprint; the key id when that is all we have
    signing_fingerprint: str = ""  # the (sub)key that made the signature
    validity: KeyValidity = KeyValidity.UNKNOWN
    signed_at: int | None = None  # seconds since the epoch, from the signature
    hash_algo: str = ""  # "sha256", for micalg checks and display
    user_ids: tuple[str, ...] = ()  # every valid user id of the key (cleaned)
    from_addr: str = ""  # the From address it was compared with ("" when none given)
    from_matches: bool | None = None  # a valid user id names from_addr; None when not asked
    detail: str = ""  # one sentence of our own saying why, for BAD/ERROR and the like
    # S/MIME only: whether the certificate chains to a root the user trusts (None for
    # OpenPGP, where `validity` tells how sure the keyring is).
    chain_trusted: bool | None = None

    @property
    def ok(self) -> bool:
        """Good, (when a From was given) made by a key of that address, and for S/MIME
        under a trusted chain."""
        return (
            self.state is SigState.GOOD
            and self.from_matches is not False
            and self.chain_trusted is not False
        )

    def summary(self) -> str:
        """One line for `mailtui show` and logs: our wording, cleaned values only."""
        who = self.user_id or "an unknown signer"
        key = f"key {self.fingerprint}" if self.fingerprint else "no key id"
        if self.state is SigState.GOOD:
            text = f"Good signature from {who} ({key}, validity {self.validity.value})"
        elif self.state is SigState.BAD:
            text = f"BAD signature claiming to be from {who} ({key}): the text was changed"
        elif self.state is SigState.UNKNOWN_KEY:
            text = f"Signed with a key you do not have ({key}); cannot check it"
        elif self.state is SigState.EXPIRED_KEY:
            text = f"Signature from {who} ({key}) made with an expired key"
        elif self.state is SigState.REVOKED_KEY:
            text = f"Signature from {who} ({key}) made with a REVOKED key"
        else:
            text = f"The signature could not be checked: {self.detail or 'gpg failed'}"
        if self.from_matches is False:
            text += f"; the key is not for the sender {self.from_addr}"
        if self.chain_trusted is False:
            text += "; the certificate is not from an authority you trust"
        return text


@dataclass(frozen=True, slots=True)
class ProtectedHeaders:
    """Headers carried inside the encrypted (or signed) part: the memory-hole / header
    protection convention. They win over the outer ones, which may be decoys ("...")."""

    headers: tuple[tuple[str, str], ...]  # (name as written, decoded and cleaned value)
    source: str  # "part" (the payload's own headers) or "legacy-display" (text/rfc822-headers)
    marked: bool  # the part said so: protected-headers="v1" (or hp=…) on its Content-Type
    # Section (in the decrypted entity's own numbering) of a text/rfc822-headers
    # "legacy display" part the reader should hide once it shows these; "" when none.
    legacy_section: str = ""

    def get(self, name: str) -> str:
        """The first header called `name` (any case), "" when absent."""
        key = name.lower()
        return next((v for k, v in self.headers if k.lower() == key), "")

    @property
    def subject(self) -> str:
        """The real Subject, "" when the part did not carry one."""
        return self.get("Subject")


@dataclass(frozen=True, slots=True)
class Decrypted:
    """A decrypted PGP/MIME body or inline block; lives in memory only, never cached."""

    data: bytes  # the plaintext: a MIME entity for PGP/MIME, text bytes for inline
    signature: SignatureStatus | None = None  # the inner signature, None when unsigned
    protected: ProtectedHeaders | None = None
    recipients: tuple[str, ...] = ()  # key ids it was encrypted to (from gpg's ENC_TO)


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether OpenPGP can work here; `sentence` is what the UI and CLI show when off."""

    on: bool
    sentence: str
    version: str = ""

    @property
    def state(self) -> str:
        """ "on" or "off", as a status line shows it."""
        return "on" if self.on else "off"


@dataclass(frozen=True, slots=True)
class PassphraseRequest:
    """What the UI's masked prompt shows: which key, and whether the last try was wrong."""

    fingerprint: str  # of the key gpg wants unlocked ("" when gpg did not say)
    user_id: str  # its primary user id, cleaned ("" when unknown)
    retry: bool = False  # the previous passphrase was wrong
    attempt: int = 1


# Returns the passphrase, or None when the user cancelled.
PassphraseCallback = Callable[[PassphraseRequest], str | None]


@dataclass(frozen=True)
class Pinentry:
    """How a locked key gets its passphrase; pinentry never draws inside the TUI.

    - `Pinentry.loopback(ask)`: gpg asks mailtui (``--pinentry-mode loopback``) and
      `ask` shows the app's own masked prompt. Called only when the key is locked and
      the agent has no cached passphrase; again with `retry=True` after a wrong one.
    - `Pinentry.agent(suspend)`: gpg-agent's own pinentry (curses/tty/GUI) asks. Only
      when a passphrase is really needed, the engine enters `suspend()` (the TUI passes
      `app.suspend`, the CLI nothing) and runs gpg again inside it.
    - `Pinentry.never()`: fail with `PassphraseNeeded` instead of asking (background
      work, scripts without a terminal).
    """

    mode: str  # "loopback" | "agent" | "never"
    ask: PassphraseCallback | None = None
    suspend: Callable[[], AbstractContextManager[object]] | None = None
    max_attempts: int = 3

    @staticmethod
    def loopback(ask: PassphraseCallback, max_attempts: int = 3) -> Pinentry:
        """Ask through mailtui's own prompt."""
        return Pinentry("loopback", ask=ask, max_attempts=max_attempts)

    @staticmethod
    def agent(suspend: Callable[[], AbstractContextManager[object]] | None = None) -> Pinentry:
        """Let gpg-agent's pinentry ask, inside `suspend()` when given."""
        return Pinentry("agent", suspend=suspend)

    @staticmethod
    def never() -> Pinentry:
        """Never ask; a locked key without a cached passphrase is an error."""
        return Pinentry("never")
