"""The body to show: which part of a message is read, and that part as text.

One rule for both faces and for the text a reply quotes: the reader (`ui/loader.py`,
which adds only the render thread and its cancellation), `mailtui show`, and
`ui/screens/review.original_from_raw` all choose with `shown_part` and decode with
`decode_body` (`original_from_raw` builds the message a reply quotes). What changes how
a body is shown — PGP/MIME verification or decryption (`usecase.secure`) — plugs in
here, once: `SecureReading` is handed to both faces' loaders. An
attachment's bytes are decoded here too (`attachment_data`), for the reader's open and
save keys and for `mailtui save`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mailtui.compose.draft import AttachmentData, Original
from mailtui.config.model import AccountSettings
from mailtui.crypto import Pinentry
from mailtui.mime.parse import parse_message, transfer_decode
from mailtui.mime.render import RenderedBody, attachments, choose_body, render_part
from mailtui.model import BodyPart, MessageRef
from mailtui.sync import commands
from mailtui.text.chunks import CancelCheck
from mailtui.text.safe import safe_filename
from mailtui.usecase.secure import (
    InlineBody,
    Secured,
    examine,
    inline_body,
    involves_crypto,
    learn_autocrypt,
)

if TYPE_CHECKING:
    from mailtui.mime.parse import ParsedMessage
    from mailtui.sync.service import SyncService

__all__ = [
    "SecureReading",
    "ShownBody",
    "attachment_data",
    "decode_body",
    "original_from_raw",
    "quoted_body",
    "read_attachment",
    "read_body",
    "shown_part",
]


def shown_part(
    structure: BodyPart, prefer: str = "plain", chosen: BodyPart | None = None
) -> BodyPart | None:
    """The part shown as the message text: `chosen` when the user picked one of the
    alternatives, else the preferred text part (`prefer` "plain" or "html"); None when
    the message has no text body."""
    return chosen if chosen is not None else choose_body(structure, prefer)


def decode_body(
    part: BodyPart, raw: bytes, width: int = 0, whole: bool = False, cancelled: CancelCheck = None
) -> RenderedBody:
    """A fetched body part (its transfer-encoded bytes) as display text and links.

    Charset and transfer decoding, HTML laid out as text, format=flowed joined; cut
    at the reader's size cap unless `whole`. Linear, and asks `cancelled` between
    slices, so the reader can run it in a thread and abandon it.
    """
    return render_part(part, raw, width=width, whole=whole, cancelled=cancelled)


@dataclass(frozen=True)
class SecureReading:
    """How a face reads signed and encrypted mail of one account: `pinentry` says who
    asks for a passphrase (the TUI's own masked prompt, or gpg-agent's pinentry)."""

    account: AccountSettings
    pinentry: Pinentry | None = None

    def needed(self, structure: BodyPart) -> bool:
        """Whether `examine` has anything to do (cheap: the app skips the thread hop
        for the plain mail that is most mail)."""
        return self.account.autocrypt or involves_crypto(structure)

    @staticmethod
    def may_be_inline(part: BodyPart, payload: bytes) -> bool:
        """Whether `inline` could find an armored block (cheap, same reason)."""
        if part.mime_type != "text/plain":
            return False
        plain = part.encoding.lower() in ("7bit", "8bit", "binary", "")
        return not plain or b"-----BEGIN PGP " in payload

    @staticmethod
    def _sender(service: SyncService, folder: str, uid: int) -> tuple[str, int | None]:
        env = service.envelope(folder, uid)
        if env is None or not env.from_:
            return "", None
        return env.from_[0].addr, env.date

    def examine(
        self, service: SyncService, folder: str, uid: int, structure: BodyPart
    ) -> Secured | None:
        """Verify/decrypt (see `usecase.secure.examine`) and learn an Autocrypt header."""
        sender, date = self._sender(service, folder, uid)
        learn_autocrypt(service, self.account, folder, uid, sender, date)
        return examine(service, self.account, folder, uid, structure, sender, self.pinentry)

    def inline(
        self, service: SyncService, folder: str, uid: int, part: BodyPart, payload: bytes
    ) -> InlineBody | None:
        """Inline PGP in the text part shown (`payload` as fetched), or None."""
        if not self.may_be_inline(part, payload):
            return None
        plain = part.encoding.lower() in ("7bit", "8bit", "binary", "")
        data = payload if plain else transfer_decode(payload, part.encoding)
        sender, _ = self._sender(service, folder, uid)
        return inline_body(part, data, sender, self.pinentry)


@dataclass(frozen=True)
class ShownBody:
    """A message's MIME tree, the part shown and that part as text (None: no text body);
    `secure` and `inline` say what OpenPGP made of it."""

    structure: BodyPart
    part: BodyPart | None
    body: RenderedBody | None
    secure: Secured | None = None
    inline: InlineBody | None = None

    @property
    def text(self) -> str:
        if self.inline is not None:
            return self.inline.marked_text()
        return self.body.text if self.body is not None else ""


def read_body(
    service: SyncService,
    folder: str,
    uid: int,
    *,
    prefer: str = "plain",
    secure: SecureReading | None = None,
) -> ShownBody:
    """The whole body of a message, for printing; blocking (the CLI, or a thread).

    Structure and part come from the cache when it holds them, else from the server
    (BODY.PEEK: reading does not set \\Seen). With `secure`, signed mail is verified
    and encrypted mail decrypted in memory, its body shown instead.
    """
    structure = service.run(commands.FetchStructure(folder=folder, uid=uid))
    secured = secure.examine(service, folder, uid, structure) if secure is not None else None
    tree = secured.structure if secured is not None and secured.structure is not None else structure
    part = shown_part(tree, prefer)
    if secured is not None:
        secured = secured.for_part(part)  # a signature elsewhere does not vouch for it
    if part is None:
        return ShownBody(tree, None, None, secured)
    if secured is not None and secured.message is not None:
        raw = secured.message.part_bytes(part.section)
        part = replace(part, encoding="binary")
    else:
        raw = service.run(commands.FetchPart(folder=folder, uid=uid, section=part.section))
    inline = secure.inline(service, folder, uid, part, raw) if secure is not None else None
    return ShownBody(tree, part, decode_body(part, raw, whole=True), secured, inline)


def quoted_body(message: ParsedMessage, prefer: str = "plain") -> str:
    """The body of a whole parsed message as the reader shows it (what a reply quotes).

    `part_bytes` has undone the transfer encoding already, so the part goes on as
    identity-encoded ("binary", RFC 2045 §6.2): decoding twice made "a=42" "aB".
    """
    part = shown_part(message.structure, prefer)
    if part is None:
        return ""
    payload = message.part_bytes(part.section)
    return decode_body(replace(part, encoding="binary"), payload, whole=True).text


def original_from_raw(
    raw: bytes, *, ref: MessageRef | None = None, prefer: str = "plain"
) -> Original:
    """The message to reply to or forward, from its full bytes (BODY.PEEK[]).

    The quoted text is the body the reader shows; attachments ride along for an
    inline forward, under safe names.
    """
    parsed = parse_message(raw)
    atts = tuple(
        AttachmentData(safe_filename(a.filename), parsed.part_bytes(a.section), a.mime_type)
        for a in attachments(parsed.structure, prefer)
    )
    body = quoted_body(parsed, prefer)
    return Original.from_parsed(parsed, body=body, raw=raw, attachments=atts, ref=ref)


def attachment_data(
    structure: BodyPart, section: str, raw: bytes, *, cancelled: CancelCheck = None
) -> bytes:
    """An attachment's bytes as its file holds them: the fetched part (`raw`) with its
    transfer encoding undone (7bit when the section is not in `structure`)."""
    part = structure.find(section)
    encoding = part.encoding if part is not None else "7bit"
    return transfer_decode(raw, encoding, cancelled=cancelled)


def read_attachment(
    service: SyncService, folder: str, uid: int, structure: BodyPart, section: str
) -> bytes:
    """An attachment's decoded bytes, for saving; blocking. Fetched past the part cache
    (which is size-capped and meant for bodies)."""
    command = commands.FetchPart(folder=folder, uid=uid, section=section, cache=False)
    return attachment_data(structure, section, service.run(command, timeout=600))
