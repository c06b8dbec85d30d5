"""Sending: PGP/MIME sign (RFC 3156 §5), encrypt (§4), sign+encrypt (§6.2 combined).

The message compose built (CRLF bytes) is cut at the byte level into its RFC 5322
fields (From, To, Subject…, kept outside) and its MIME entity (Content-* fields and
body), which is what gets signed or encrypted. The signed entity is first made 7-bit
safe — text as quoted-printable (with "From " and trailing blanks encoded, RFC 3156 §3),
anything else 8-bit as base64 — because a relay that re-encodes it would break the
signature. Then the output is assembled by concatenation, so the bytes inside
multipart/signed are exactly the bytes gpg signed and a Sent copy verifies as well.
"""

from __future__ import annotations

import base64
import quopri
import re
import secrets
from collections.abc import Callable, Sequence
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import SMTP
from io import BytesIO

from mailtui.crypto.gpg import Engine, Run
from mailtui.crypto.rawmime import canonical_crlf, parse_tree
from mailtui.crypto.status import CryptoError, Pinentry
from mailtui.crypto.statuslines import HASH_NAMES

__all__ = [
    "encrypt_entity",
    "encrypt_message",
    "make_7bit",
    "sign_entity",
    "sign_message",
    "split_message",
]

_FROM_LINE = re.compile(rb"^From ", re.M)
_TRAILING_BLANK = re.compile(rb"[ \t]\r?$", re.M)
_MAX_LINE = 998  # RFC 5322 §2.1.1
_HEADER_NAME = re.compile(rb"^[!-9;-~]+$")
# Headers copied into an encrypted payload (header protection); Subject may be hidden.
_PROTECT = (
    b"from",
    b"to",
    b"cc",
    b"reply-to",
    b"subject",
    b"date",
    b"message-id",
    b"references",
    b"in-reply-to",
)
SIGNED_PREAMBLE = b"This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
ENCRYPTED_PREAMBLE = b"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"


def _fields(raw: bytes) -> tuple[list[tuple[bytes, bytes]], int]:
    """Header fields of CRLF bytes as (lower-case name, the whole field with its folds
    and CRLF), and where the body starts (after the empty line)."""
    fields: list[tuple[bytes, bytes]] = []
    pos = 0
    while pos < len(raw):
        nl = raw.find(b"\r\n", pos)
        end = len(raw) if nl < 0 else nl + 2
        line = raw[pos:end]
        if line == b"\r\n":
            return fields, end
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + line)
        else:
            name, colon, _ = line.partition(b":")
            if not colon or not _HEADER_NAME.match(name.rstrip()):
                return fields, pos
            fields.append((name.rstrip().lower(), line))
        pos = end
    return fields, len(raw)


def split_message(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """(the message's own header fields, its MIME entity): Content-* fields and the body
    go into the entity; MIME-Version is dropped (the caller writes one outside)."""
    data = canonical_crlf(raw)
    fields, body_start = _fields(data)
    outer = [(n, f) for n, f in fields if not n.startswith(b"content-") and n != b"mime-version"]
    content = b"".join(f for n, f in fields if n.startswith(b"content-"))
    if not content:
        content = b"Content-Type: text/plain; charset=us-ascii\r\n"
    return outer, content + b"\r\n" + data[body_start:]


def _seven_bit_safe(body: bytes) -> bool:
    if not body.isascii() or _FROM_LINE.search(body) or _TRAILING_BLANK.search(body):
        return False
    return all(len(line) <= _MAX_LINE for line in body.split(b"\r\n"))


def _needs_work(entity: bytes) -> bool:
    if not entity.isascii():
        return True
    for node in parse_tree(entity).walk():
        if node.children:
            continue
        if node.encoding in ("base64", "quoted-printable"):
            continue
        if not _seven_bit_safe(entity[node.body_start : node.end]):
            return True
    return False


def _qp(data: bytes) -> bytes:
    """Quoted-printable for signing: trailing blanks and "From " at a line start
    encoded, so no relay rewrites them (RFC 3156 §3)."""
    text = data.replace(b"\r\n", b"\n")
    out = quopri.encodestring(text, quotetabs=False)
    out = _FROM_LINE.sub(b"=46rom ", out)
    return out.replace(b"\n", b"\r\n")


def _reencode(part: Message) -> None:
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    if cte in ("base64", "quoted-printable") or part.is_multipart():
        return
    raw = part.get_payload(decode=True)
    data = raw if isinstance(raw, bytes) else b""
    if _seven_bit_safe(canonical_crlf(data)):
        return
    del part["Content-Transfer-Encoding"]
    if part.get_content_maintype() == "text":
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(_qp(data).decode("ascii"))
    else:
        part["Content-Transfer-Encoding"] = "base64"
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        part.set_payload(encoded.decode("ascii"))


def make_7bit(entity: bytes) -> bytes:
    """The entity as 7-bit, CRLF bytes fit to sign; returned unchanged when already so."""
    data = canonical_crlf(entity)
    if not _needs_work(data):
        return data
    msg = message_from_bytes(data, policy=SMTP)
    for part in msg.walk():
        _reencode(part)
    buf = BytesIO()
    BytesGenerator(buf, mangle_from_=False, policy=SMTP).flatten(msg, unixfrom=False)
    out = canonical_crlf(buf.getvalue())
    if not out.isascii() or any(len(x) > _MAX_LINE for x in out.split(b"\r\n")):
        raise CryptoError("The message could not be made 7-bit safe for signing")
    return out


def _boundary(*contents: bytes) -> bytes:
    while True:
        b = b"=-" + secrets.token_hex(12).encode()
        if not any(b in c for c in contents):
            return b


def _signing(
    engine: Engine,
    signer: str,
    pinentry: Pinentry | None,
    attempt_fn: Callable[[str | None, list[str]], Run],
) -> Run:
    """Run a signing gpg call with `--local-user` (not python-gnupg's --default-key,
    with which gpg quietly signs with another key when the asked one has no secret
    part), then check the signature was made by the key asked for."""
    key = engine.key(signer)
    if key is None:
        raise CryptoError(f"No key {signer} to sign with", hint="check pgp_key")

    def hint(_: Run) -> tuple[str, str]:
        return key.fingerprint, key.primary_user_id

    def attempt(passphrase: str | None, extra: list[str]) -> Run:
        return attempt_fn(passphrase, ["--local-user", key.fingerprint, *extra])

    run = engine.with_passphrase(attempt, pinentry, hint)
    made_by = [v.split()[-1] for v in run.values("SIG_CREATED") if v]
    if made_by and not all(key.has_subkey(fpr) for fpr in made_by):
        raise CryptoError(f"gpg signed with another key than {signer}")
    if not run.has("SIG_CREATED"):
        why = (
            "the key is expired or revoked"
            if run.has("KEYEXPIRED") or run.has("KEYREVOKED")
            else ""
        )
        raise CryptoError(
            f"gpg could not sign with {signer}" + (f": {why}" if why else ""),
            hint="check pgp_key and that its secret key is in your keyring",
        )
    return run


def sign_entity(
    engine: Engine, entity: bytes, signer: str, pinentry: Pinentry | None = None
) -> bytes:
    """A multipart/signed entity (its Content-Type field, empty line, body) around
    `entity` made 7-bit; `micalg` names the hash gpg actually used."""
    body = make_7bit(entity)

    def attempt(passphrase: str | None, extra: list[str]) -> Run:
        return engine.call(
            "sign",
            body,
            keyid=None,
            passphrase=passphrase,
            detach=True,
            clearsign=False,
            extra_args=extra,
        )

    run = _signing(engine, signer, pinentry, attempt)
    created = run.values("SIG_CREATED")[0].split()  # type algo hash class time fpr
    micalg = "pgp-" + HASH_NAMES.get(created[2], "sha256")
    signature = canonical_crlf(run.data)
    boundary = _boundary(body, signature)
    return b"".join(
        [
            b'Content-Type: multipart/signed; micalg="' + micalg.encode() + b'";\r\n',
            b' protocol="application/pgp-signature";\r\n',
            b' boundary="' + boundary + b'"\r\n',
            b"\r\n",
            SIGNED_PREAMBLE,
            b"--" + boundary + b"\r\n",
            body,
            b"\r\n--" + boundary + b"\r\n",
            b'Content-Type: application/pgp-signature; name="signature.asc"\r\n',
            b"Content-Description: OpenPGP digital signature\r\n",
            b'Content-Disposition: attachment; filename="signature.asc"\r\n',
            b"\r\n",
            signature,
            b"" if signature.endswith(b"\r\n") else b"\r\n",
            b"--" + boundary + b"--\r\n",
        ]
    )


def encrypt_entity(
    engine: Engine,
    entity: bytes,
    recipients: Sequence[str],
    keydata: Sequence[bytes] = (),
    sign_as: str | None = None,
    pinentry: Pinentry | None = None,
) -> bytes:
    """A multipart/encrypted entity for `recipients` (fingerprints in the keyring; put
    your own in too so Sent stays readable) and `keydata` (keys not in the keyring, such
    as Autocrypt peers', passed through FIFOs, never imported). With `sign_as`, signed
    and encrypted in one pass (RFC 3156 §6.2).

    Key choice is the caller's (see `keys.plan_recipients`, which reports validity), so
    gpg is told to trust the keys given (``--trust-model always``)."""
    if not recipients:
        raise CryptoError(
            "No key of your own to encrypt to", hint="set pgp_key so Sent stays readable"
        )
    data = canonical_crlf(entity)

    def attempt(passphrase: str | None, extra: list[str]) -> Run:
        # Fresh FIFOs per gpg run: each can be read once.
        stack, paths = engine.with_fifos(keydata)
        with stack:
            files = [a for p in paths for a in ("--recipient-file", p)]
            return engine.call(
                "encrypt",
                data,
                list(recipients),
                sign=bool(sign_as),
                passphrase=passphrase,
                armor=True,
                extra_args=["--trust-model", "always", *files, *extra],
            )

    run = _signing(engine, sign_as, pinentry, attempt) if sign_as else attempt(None, [])
    if not run.has("END_ENCRYPTION") or not run.data:
        bad = [v.split()[-1] for v in run.values("INV_RECP") if v]
        raise CryptoError(
            "gpg could not encrypt" + (f": unusable key {', '.join(bad)}" if bad else ""),
            hint="check that every recipient's key is valid and can encrypt",
        )
    armored = canonical_crlf(run.data)
    boundary = _boundary(armored)
    return b"".join(
        [
            b"Content-Type: multipart/encrypted;\r\n",
            b' protocol="application/pgp-encrypted";\r\n',
            b' boundary="' + boundary + b'"\r\n',
            b"\r\n",
            ENCRYPTED_PREAMBLE,
            b"--" + boundary + b"\r\n",
            b"Content-Type: application/pgp-encrypted\r\n",
            b"Content-Description: PGP/MIME version identification\r\n",
            b"\r\n",
            b"Version: 1\r\n",
            b"\r\n--" + boundary + b"\r\n",
            b'Content-Type: application/octet-stream; name="encrypted.asc"\r\n',
            b"Content-Description: OpenPGP encrypted message\r\n",
            b'Content-Disposition: inline; filename="encrypted.asc"\r\n',
            b"\r\n",
            armored,
            b"" if armored.endswith(b"\r\n") else b"\r\n",
            b"--" + boundary + b"--\r\n",
        ]
    )


def _assemble(outer: list[tuple[bytes, bytes]], entity: bytes) -> bytes:
    return b"".join(f for _, f in outer) + b"MIME-Version: 1.0\r\n" + entity


def sign_message(
    engine: Engine, raw: bytes, signer: str, pinentry: Pinentry | None = None
) -> bytes:
    """The whole message signed: its own fields kept, its MIME entity signed."""
    outer, entity = split_message(raw)
    return _assemble(outer, sign_entity(engine, entity, signer, pinentry))


def _protect(outer: list[tuple[bytes, bytes]], entity: bytes) -> bytes:
    """The entity with copies of the message's fields and protected-headers="v1" on its
    Content-Type (draft-autocrypt-lamps-protected-headers §2)."""
    fields, body_start = _fields(entity)
    copies = b"".join(f for n, f in outer if n in _PROTECT)
    out: list[bytes] = [copies]
    for name, field in fields:
        if name == b"content-type":
            field = field.rstrip(b"\r\n") + b';\r\n protected-headers="v1"\r\n'
        out.append(field)
    return b"".join(out) + b"\r\n" + entity[body_start:]


def encrypt_message(
    engine: Engine,
    raw: bytes,
    recipients: Sequence[str],
    keydata: Sequence[bytes] = (),
    sign_as: str | None = None,
    pinentry: Pinentry | None = None,
    *,
    hide_subject: bool = False,
) -> bytes:
    """The whole message encrypted (and signed with `sign_as`), its fields also
    carried inside as protected headers; `hide_subject` puts "..." outside."""
    outer, entity = split_message(raw)
    inner = _protect(outer, entity)
    if hide_subject:
        outer = [(n, b"Subject: ...\r\n" if n == b"subject" else f) for n, f in outer]
    return _assemble(outer, encrypt_entity(engine, inner, recipients, keydata, sign_as, pinentry))
