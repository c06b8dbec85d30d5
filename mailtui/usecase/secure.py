"""OpenPGP (and S/MIME signatures) for reading: the one place both faces verify and decrypt.

The reader (`ui/loader.py`) and `mailtui show` call `examine` once they have a
message's structure. It finds the outermost PGP/MIME node (not one inside an attached
message), fetches exactly the sections it needs and asks `mailtui.crypto`:

- multipart/signed: the signed part's bytes as the server holds them —
  ``BODY.PEEK[n.MIME]`` + ``BODY.PEEK[n]`` from IMAP, the message file itself for a
  Maildir (whose section reader re-serialises headers, which would break signatures);
- multipart/encrypted: the ciphertext part, decrypted in memory. The part cache keeps
  only what the server sent (ciphertext); the plaintext lives in a small in-process
  memo for the session, is never written to the cache, a log or the search index.

The result, `Secured`, carries status lines written by us from gpg's status stream
(never from text of the message), the decrypted message (parsed, in memory) whose body
the face shows instead, and the protected Subject. `inline_body` does the same for
legacy inline PGP in the text part the face chose, marking which text a signature
covers. `learn_autocrypt` records a sender's Autocrypt header into the account's peer
store when the account enables Autocrypt.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from mailtui.config.model import AccountSettings
from mailtui.crypto import (
    CryptoError,
    Engine,
    PassphraseNeeded,
    PgpPart,
    Pinentry,
    SignatureStatus,
    SigState,
    availability,
    decrypt_mime,
    has_inline_pgp,
    imap_signed_bytes,
    pgp_parts,
    process_inline,
    smime_sections,
    verify_detached,
    verify_message,
    verify_smime,
    verify_smime_message,
)
from mailtui.crypto.autocrypt import parse_headers, update_peer, validate_keydata
from mailtui.crypto.peerdb import SqlitePeerStore, peer_db_path
from mailtui.crypto.rawmime import header_fields
from mailtui.errors import MailtuiError
from mailtui.mime.parse import ParsedMessage, parse_message, transfer_decode
from mailtui.model import BodyPart
from mailtui.sync import commands

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

log = logging.getLogger("mailtui.secure")

__all__ = [
    "InlineBody",
    "Secured",
    "StatusLine",
    "engine",
    "examine",
    "import_key",
    "inline_body",
    "involves_crypto",
    "learn_autocrypt",
    "peer_store",
]

Kind = Literal["good", "bad", "warn", "encrypted", "off"]
_MEMO_SIZE = 64


@dataclass(frozen=True)
class StatusLine:
    """One line of the security status: a verdict kind and our own sentence."""

    kind: Kind
    text: str


@dataclass(frozen=True)
class Secured:
    """What OpenPGP/S/MIME made of a message; `message` is plaintext in memory only."""

    lines: tuple[StatusLine, ...]
    message: ParsedMessage | None = field(default=None, repr=False)
    subject: str = ""  # the protected (real) Subject from inside the encryption
    import_fingerprint: str = ""  # an unknown signer's key, fetched only when asked
    hidden: frozenset[str] = frozenset()  # sections not to offer as attachments
    # The section the signature covers ("" = the whole message), None when no outer
    # signature: text shown from elsewhere is not covered (`for_part` says so).
    covers: str | None = None

    @property
    def structure(self) -> BodyPart | None:
        """The decrypted message's tree (the body is chosen from it), None if not one."""
        return self.message.structure if self.message is not None else None

    def for_part(self, part: BodyPart | None) -> Secured:
        """These statuses for the text shown: when the signed part does not hold it (a
        signed part beside unsigned text), the verdict is downgraded and a line says
        the text shown is NOT signed — a good signature elsewhere must not vouch for it."""
        cover = self.covers
        if cover is None or cover == "" or part is None:
            return self
        if part.section == cover or part.section.startswith(cover + "."):
            return self
        lines = tuple(
            StatusLine("warn", line.text) if line.kind == "good" else line for line in self.lines
        )
        note = StatusLine(
            "warn", "The text shown is NOT in the signed part: only another part is signed"
        )
        return replace(self, lines=(*lines, note), covers=None)


@dataclass(frozen=True)
class InlineBody:
    """A text part with inline PGP: its runs in order, each (text, kind, label), where
    kind is "plain" or the kind of the signature (or decryption) covering the run."""

    runs: tuple[tuple[str, str, str], ...]
    lines: tuple[StatusLine, ...]

    @property
    def text(self) -> str:
        return "".join(t for t, _, _ in self.runs)

    def marked_text(self) -> str:
        """For plain output (`mailtui show`): covered runs between our own markers."""
        out: list[str] = []
        for text, kind, label in self.runs:
            if kind == "plain":
                out.append(text)
                continue
            out.append(f"[-- begin {label} --]\n")
            out.append(text if text.endswith("\n") else text + "\n")
            out.append(f"[-- end {label} --]\n")
        return "".join(out)


# --------------------------------------------------------------------------- the engine

_engine_lock = threading.Lock()
_engines: dict[tuple[str, str], Engine | str] = {}


def engine() -> Engine | str:
    """The process's GnuPG engine on the user's GNUPGHOME, or the one sentence saying
    why OpenPGP is off (gpg missing: how to install it)."""
    key = (os.environ.get("GNUPGHOME", ""), os.environ.get("PATH", ""))
    with _engine_lock:
        found = _engines.get(key)
        if found is None:
            avail = availability()
            if not avail.on:
                found = avail.sentence
            else:
                try:
                    found = Engine(key[0] or None)
                except CryptoError as exc:
                    found = exc.sentence()
            _engines[key] = found
        return found


# --------------------------------------------------------------------------- status lines


def _fpr(text: str) -> str:
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4)) if text else "?"


def signature_line(status: SignatureStatus, what: str = "signature") -> StatusLine:
    """Our sentence for one signature; the kind decides the badge the face draws."""
    key = _fpr(status.fingerprint)
    who = status.user_id or "an unknown signer"
    cap = what[:1].upper() + what[1:]
    state = status.state
    if state is SigState.GOOD:
        text = f"Good {what} from {who} · key {key} · validity {status.validity.value}"
        kind: Kind = "good"
    elif state is SigState.BAD:
        text = f"BAD {what}: the signed text was changed (claims {who}, key {key})"
        kind = "bad"
    elif state is SigState.REVOKED_KEY:
        text = f"{cap} by a REVOKED key: {who} · key {key}"
        kind = "bad"
    elif state is SigState.EXPIRED_KEY:
        text = f"{cap} by an EXPIRED key: {who} · key {key}"
        kind = "warn"
    elif state is SigState.UNKNOWN_KEY:
        text = f"{cap} by a key you do not have: {key} (:import-key fetches it)"
        kind = "warn"
    else:
        text = f"{cap} not checked: {status.detail or 'gpg failed'}"
        kind = "warn"
    if status.from_matches is False:
        text += f" · NOT a key of the sender {status.from_addr}"
        kind = "bad" if kind == "bad" else "warn"
    if status.chain_trusted is False and state is SigState.GOOD:
        text += " · certificate not from an authority you trust"
        kind = "warn"
    return StatusLine(kind, text)


# --------------------------------------------------------------------------- examine

_memo_lock = threading.Lock()
_memo: OrderedDict[tuple[object, ...], Secured] = OrderedDict()


def _remember(key: tuple[object, ...], value: Secured) -> None:
    with _memo_lock:
        _memo[key] = value
        _memo.move_to_end(key)
        while len(_memo) > _MEMO_SIZE:
            _memo.popitem(last=False)


def forget_session() -> None:
    """Drop every decrypted message kept in memory (tests; a future "lock" key)."""
    with _memo_lock:
        _memo.clear()


def _outer_nodes(structure: BodyPart) -> Iterator[BodyPart]:
    """Parts not inside an attached message: a signature there is not this message's."""
    stack = [structure]
    while stack:
        part = stack.pop()
        yield part
        if part.maintype != "message":
            stack.extend(reversed(part.children))


def _own_nodes(structure: BodyPart) -> tuple[list[PgpPart], list[str]]:
    """The message's own PGP/MIME nodes and S/MIME signed sections, outermost first."""
    outer = {id(p) for p in _outer_nodes(structure)}
    pgp = [p for p in pgp_parts(structure) if id(_node(structure, p.section)) in outer]
    smime = [s for s in smime_sections(structure) if id(_node(structure, s)) in outer]
    return pgp, smime


def involves_crypto(structure: BodyPart) -> bool:
    """Whether the message has a PGP/MIME or S/MIME node of its own (cheap)."""
    pgp, smime = _own_nodes(structure)
    return bool(pgp or smime)


def _fetch(
    service: SyncService, folder: str, uid: int, section: str, *, cache: bool = True
) -> bytes:
    data = service.run(commands.FetchPart(folder=folder, uid=uid, section=section, cache=cache))
    return bytes(data or b"")


def _node(structure: BodyPart, section: str) -> BodyPart | None:
    """The multipart node at `section` (`BodyPart.find` is for leaves). An attached
    message's body shares its container's section; the multipart one is the node."""
    return next(
        (p for p in structure.walk() if p.section == section and p.maintype == "multipart"),
        None,
    )


def _verify_pgp(
    eng: Engine,
    service: SyncService,
    account: AccountSettings,
    folder: str,
    uid: int,
    structure: BodyPart,
    fetch: tuple[str, ...],
    section: str,
    from_addr: str,
) -> SignatureStatus:
    if account.maildir is not None:
        raw = _fetch(service, folder, uid, "", cache=False)
        return verify_message(eng, raw, section, from_addr)
    mime, body, sig = (_fetch(service, folder, uid, s) for s in fetch)
    sig_part = structure.find(fetch[2])
    signature = transfer_decode(sig, sig_part.encoding if sig_part else "7bit")
    return verify_detached(eng, imap_signed_bytes(mime, body), signature, from_addr)


def _verify_smime(
    service: SyncService,
    account: AccountSettings,
    folder: str,
    uid: int,
    structure: BodyPart,
    section: str,
    from_addr: str,
) -> SignatureStatus:
    home = os.environ.get("GNUPGHOME") or None
    if account.maildir is not None:
        raw = _fetch(service, folder, uid, "", cache=False)
        return verify_smime_message(raw, section, from_addr, gnupghome=home)
    prefix = f"{section}." if section else ""
    mime, body, sig = (_fetch(service, folder, uid, f"{prefix}{s}") for s in ("1.MIME", "1", "2"))
    sig_part = structure.find(f"{prefix}2")
    der = transfer_decode(sig, sig_part.encoding if sig_part else "base64")
    return verify_smime(imap_signed_bytes(mime, body), der, from_addr, gnupghome=home)


def examine(
    service: SyncService,
    account: AccountSettings,
    folder: str,
    uid: int,
    structure: BodyPart,
    from_addr: str,
    pinentry: Pinentry | None,
) -> Secured | None:
    """Verify or decrypt the message's own PGP/MIME (or S/MIME signed) node; None when it
    has none. Blocking (fetches, gpg): call it from a thread. A decryption the user
    cancelled (passphrase) is not remembered, so opening the message again asks again."""
    pgp, smime = _own_nodes(structure)
    if not pgp and not smime:
        return None
    state = service.folder_state(folder)
    key = (str(service.cache_path), folder, getattr(state, "uidvalidity", 0), uid)
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    if not pgp:
        section = smime[0]
        status = _verify_smime(service, account, folder, uid, structure, section, from_addr)
        prefix = f"{section}." if section else ""
        result = Secured(
            (signature_line(status, "S/MIME signature"),),
            hidden=frozenset({f"{prefix}2"}),
            covers=f"{prefix}1",
        )
        _remember(key, result)
        return result
    eng = engine()
    if isinstance(eng, str):
        return Secured((StatusLine("off", eng),))
    node = pgp[0]
    if node.kind == "signed":
        status = _verify_pgp(
            eng, service, account, folder, uid, structure, node.fetch, node.section, from_addr
        )
        unknown = status.fingerprint if status.state is SigState.UNKNOWN_KEY else ""
        result = Secured(
            (signature_line(status),),
            import_fingerprint=unknown,
            hidden=frozenset({node.fetch[2]}),
            covers=node.fetch[1],
        )
        _remember(key, result)
        return result
    ciphertext_part = structure.find(node.fetch[0])
    data = _fetch(service, folder, uid, node.fetch[0])
    ciphertext = transfer_decode(data, ciphertext_part.encoding if ciphertext_part else "7bit")
    try:
        plain = decrypt_mime(eng, ciphertext, pinentry, from_addr)
    except PassphraseNeeded as exc:
        return Secured((StatusLine("encrypted", "Encrypted; not decrypted: " + exc.sentence()),))
    except CryptoError as exc:
        result = Secured((StatusLine("warn", "Encrypted; cannot be decrypted: " + exc.sentence()),))
        _remember(key, result)
        return result
    lines = [StatusLine("encrypted", "Encrypted · decrypted in memory only (not cached)")]
    unknown = ""
    if plain.signature is not None:
        lines.append(signature_line(plain.signature, "signature inside"))
        if plain.signature.state is SigState.UNKNOWN_KEY:
            unknown = plain.signature.fingerprint
    else:
        lines.append(StatusLine("warn", "Not signed: anyone with your key could have written it"))
    message = parse_message(plain.data)
    subject = plain.protected.subject if plain.protected is not None else ""
    hidden = (
        {plain.protected.legacy_section}
        if plain.protected and plain.protected.legacy_section
        else set()
    )
    result = Secured(tuple(lines), message, subject, unknown, frozenset(hidden))
    _remember(key, result)
    return result


# --------------------------------------------------------------------------- inline


def inline_body(
    part: BodyPart, data: bytes, from_addr: str, pinentry: Pinentry | None
) -> InlineBody | None:
    """Inline PGP in a text/plain part (`data` transfer-decoded): the runs and their
    status; None when the part holds no armored block or OpenPGP is off."""
    if part.mime_type != "text/plain" or not has_inline_pgp(data):
        return None
    eng = engine()
    if isinstance(eng, str):
        return InlineBody(
            ((data.decode("utf-8", "replace"), "plain", ""),), (StatusLine("off", eng),)
        )
    result = process_inline(eng, data, part.param("charset") or "utf-8", pinentry, from_addr)
    runs: list[tuple[str, str, str]] = []
    lines: list[StatusLine] = []
    for seg in result.segments:
        if seg.kind == "plain":
            runs.append((seg.text, "plain", ""))
            continue
        if seg.error:
            line = StatusLine("warn", f"Inline PGP block not usable: {seg.error}")
        elif seg.signature is not None:
            line = signature_line(seg.signature, "inline signature")
        else:
            line = StatusLine(
                "encrypted", "Inline encrypted block, decrypted in memory (not signed)"
            )
        if seg.encrypted and seg.signature is not None:
            line = StatusLine(line.kind, "Encrypted · " + line.text)
        lines.append(line)
        covered = "signed" if seg.covered else "encrypted" if seg.encrypted else "NOT verified"
        label = f"{covered} text: {line.text}"
        runs.append((seg.text, line.kind if not seg.error else "warn", label))
    note = StatusLine(
        "warn", "Only the text marked at its left edge is covered by the inline signature"
    )
    if any(k in ("good", "bad", "warn") for _, k, _ in runs) and any(
        k == "plain" and t.strip() for t, k, _ in runs
    ):
        lines.append(note)
    return InlineBody(tuple(runs), tuple(lines))


# --------------------------------------------------------------------------- keys, Autocrypt

_stores_lock = threading.Lock()
_stores: dict[str, SqlitePeerStore] = {}
_learnt: set[tuple[str, str, int]] = set()  # messages whose Autocrypt header was applied


def peer_store(service: SyncService) -> SqlitePeerStore:
    """The account's Autocrypt peers (a file beside its header cache)."""
    path = peer_db_path(service.cache_path)
    with _stores_lock:
        store = _stores.get(str(path))
        if store is None:
            store = _stores[str(path)] = SqlitePeerStore(path)
        return store


def learn_autocrypt(
    service: SyncService,
    account: AccountSettings,
    folder: str,
    uid: int,
    from_addr: str,
    date: int | None,
) -> bool:
    """Apply the message's Autocrypt header (if any) to the sender's peer state when the
    account enables Autocrypt; True when a key was learnt. Blocking."""
    if not account.autocrypt or not from_addr:
        return False
    eng = engine()
    if isinstance(eng, str):
        return False
    seen = (str(service.cache_path), folder, uid)
    with _stores_lock:
        if seen in _learnt:
            return False  # read before in this session: its header was applied then
        _learnt.add(seen)
    try:
        head = _fetch(service, folder, uid, "HEADER", cache=False)
    except MailtuiError:
        return False
    fields = header_fields(head)
    ctype = next((v for k, v in fields if k.lower() == "content-type"), "").lower()
    if ctype.startswith("multipart/report"):
        return False  # Autocrypt §2.3: never learn from delivery reports
    values = [v for k, v in fields if k.lower() == "autocrypt"]
    header = parse_headers(values, from_addr)
    fingerprint = ""
    if header is not None:
        info = validate_keydata(eng, header.keydata, header.addr)
        if info is None:
            header = None
        else:
            fingerprint = info.fingerprint
    update_peer(peer_store(service), from_addr, date or 0, header, fingerprint)
    return header is not None


def import_key(fingerprint: str, addr: str = "") -> str:
    """Fetch a signer's key on the user's request (the sender's WKD, then the keyserver
    gpg's dirmngr uses); the sentence to show. Blocking (network)."""
    eng = engine()
    if isinstance(eng, str):
        return eng
    try:
        found = eng.fetch_key(fingerprint, addr)
    except CryptoError as exc:
        return exc.sentence()
    if any(f.upper().endswith(fingerprint.upper()) for f in found):
        forget_session()
        return f"Imported key {_fpr(fingerprint)}"
    return f"Key {_fpr(fingerprint)} was found neither in the sender's WKD nor on the keyserver"
