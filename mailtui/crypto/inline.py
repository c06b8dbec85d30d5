"""Legacy inline PGP in a text part: clearsigned blocks and armored messages.

A text part may hold plain text around one or more armored blocks. The result is a list
of segments in order, each saying whether a signature covers it. The text shown as
covered is gpg's own output for the block (what the signature really covers, dash-
escaping undone), never the bytes between the armor lines as we would read them: text
outside a block, or smuggled into its armor headers, is never marked as signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailtui.crypto.gpg import Engine
from mailtui.crypto.pgpmime import check_decrypted, decrypt_run, with_sender
from mailtui.crypto.status import CryptoError, Pinentry, SignatureStatus, SigState
from mailtui.crypto.statuslines import signature_from
from mailtui.text.charset import decode_bytes
from mailtui.text.safe import clean_text

__all__ = ["InlineResult", "Segment", "find_blocks", "has_inline_pgp", "process_inline"]

_BEGIN = re.compile(rb"^-----BEGIN PGP (SIGNED MESSAGE|MESSAGE)-----[ \t]*\r?$", re.M)
_END = {
    b"SIGNED MESSAGE": re.compile(rb"^-----END PGP SIGNATURE-----[ \t]*(\r?\n|$)", re.M),
    b"MESSAGE": re.compile(rb"^-----END PGP MESSAGE-----[ \t]*(\r?\n|$)", re.M),
}
_MAX_BLOCKS = 32
_MAX_NESTING = 2


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of the text part: plain, signed, or decrypted, with its status."""

    text: str  # display-safe text of this run
    span: tuple[int, int]  # byte offsets of the run in the part's (transfer-decoded) bytes
    covered: bool = False  # a signature (good or not: see `signature`) covers exactly `text`
    encrypted: bool = False  # `text` came out of an encrypted block
    signature: SignatureStatus | None = None
    error: str = ""  # why an armored block could not be used ("" when it could)

    @property
    def kind(self) -> str:
        """ "plain", "signed", "encrypted", "signed+encrypted" or "broken"."""
        if self.error:
            return "broken"
        if self.encrypted:
            return "signed+encrypted" if self.covered else "encrypted"
        return "signed" if self.covered else "plain"


@dataclass(frozen=True, slots=True)
class InlineResult:
    """The segments of one text part, in order; all of the part is in some segment."""

    segments: tuple[Segment, ...]

    @property
    def has_pgp(self) -> bool:
        """Whether any armored block was found."""
        return any(s.kind != "plain" for s in self.segments)

    @property
    def fully_covered(self) -> bool:
        """Every non-blank run is covered by a good signature."""
        return all(
            (s.covered and s.signature is not None and s.signature.state is SigState.GOOD)
            or not s.text.strip()
            for s in self.segments
        )


def find_blocks(data: bytes) -> list[tuple[str, int, int]]:
    """Armored blocks as ("signed" | "encrypted", start, end) byte offsets, in order."""
    blocks: list[tuple[str, int, int]] = []
    pos = 0
    while len(blocks) < _MAX_BLOCKS:
        m = _BEGIN.search(data, pos)
        if m is None:
            break
        end = _END[m.group(1)].search(data, m.end())
        if end is None:
            break  # an unterminated block is left as plain text
        kind = "signed" if m.group(1) == b"SIGNED MESSAGE" else "encrypted"
        blocks.append((kind, m.start(), end.end()))
        pos = end.end()
    return blocks


def has_inline_pgp(data: bytes) -> bool:
    """Cheap test the reader can run on every text part."""
    return b"-----BEGIN PGP " in data and bool(find_blocks(data))


def _text(data: bytes, charset: str) -> str:
    return clean_text(decode_bytes(data, charset or "utf-8"))


def _signed(
    engine: Engine, block: bytes, span: tuple[int, int], charset: str, from_addr: str
) -> Segment:
    run = engine.call("decrypt", block, extra_args=[*engine.quiet, "--pinentry-mode", "error"])
    status = signature_from(run.statuses)
    if status is None:
        return Segment(_text(block, charset), span, error="gpg found no signature in the block")
    status = with_sender(engine, status, from_addr)
    if status.state in (SigState.BAD, SigState.ERROR) or not run.data:
        # gpg prints nothing trustworthy for a bad block: show the block as it came,
        # marked as NOT covered, with the bad status beside it.
        return Segment(_text(block, charset), span, covered=False, signature=status)
    return Segment(_text(run.data, charset), span, covered=True, signature=status)


def _encrypted(
    engine: Engine,
    block: bytes,
    span: tuple[int, int],
    charset: str,
    pinentry: Pinentry | None,
    from_addr: str,
    depth: int,
) -> list[Segment]:
    try:
        run = decrypt_run(engine, block, pinentry)
        check_decrypted(run)
    except CryptoError as exc:
        return [Segment(_text(block, charset), span, encrypted=True, error=exc.sentence())]
    status = signature_from(run.statuses)
    if status is not None:
        status = with_sender(engine, status, from_addr)
        good = status.state is SigState.GOOD
        text = _text(run.data, charset)
        return [Segment(text, span, covered=good, encrypted=True, signature=status)]
    if depth < _MAX_NESTING and find_blocks(run.data):
        # Clearsigned, then encrypted: the inner segments, all marked encrypted.
        inner = _segments(engine, run.data, charset, pinentry, from_addr, depth + 1)
        return [Segment(s.text, span, s.covered, True, s.signature, s.error) for s in inner]
    return [Segment(_text(run.data, charset), span, encrypted=True)]


def _segments(
    engine: Engine, data: bytes, charset: str, pinentry: Pinentry | None, from_addr: str, depth: int
) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for kind, start, end in find_blocks(data):
        if start > pos:
            out.append(Segment(_text(data[pos:start], charset), (pos, start)))
        block = data[start:end]
        if kind == "signed":
            out.append(_signed(engine, block, (start, end), charset, from_addr))
        else:
            out.extend(_encrypted(engine, block, (start, end), charset, pinentry, from_addr, depth))
        pos = end
    if pos < len(data):
        out.append(Segment(_text(data[pos:], charset), (pos, len(data))))
    return out


def process_inline(
    engine: Engine,
    data: bytes,
    charset: str = "utf-8",
    pinentry: Pinentry | None = None,
    from_addr: str = "",
) -> InlineResult:
    """Verify and decrypt every armored block of a transfer-decoded text part."""
    return InlineResult(tuple(_segments(engine, data, charset, pinentry, from_addr, 0)))
