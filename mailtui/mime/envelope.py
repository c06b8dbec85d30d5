"""Raw list-header blocks (from IMAP or a Maildir file) → HeaderRow, fast.

This runs once per message on a cold sync, so it avoids the `email` parser: the block
holds only the fields the list needs, and most values take the ASCII fast paths of
`mime.headers`.
"""

from __future__ import annotations

import re

from mailtui.mime.headers import decode_header, parse_addresses, parse_date, parse_msgids
from mailtui.model import HeaderRow

_FOLD = re.compile(r"\r?\n[ \t]+")
_WANTED = frozenset(
    (
        "date",
        "from",
        "to",
        "cc",
        "reply-to",
        "subject",
        "message-id",
        "in-reply-to",
        "references",
        "list-id",
        "content-type",
    )
)


def split_header_block(block: bytes) -> dict[str, str | bytes]:
    """Field name (lower-case) → unfolded value; non-ASCII values stay bytes for decoding.

    The first occurrence of a field wins (RFC 5322 allows only one of each we read).
    """
    ascii_block = block.isascii()
    text = block.decode("ascii") if ascii_block else block.decode("latin-1")
    if "\n " in text or "\n\t" in text:
        text = _FOLD.sub(" ", text)
    out: dict[str, str | bytes] = {}
    for line in text.split("\n"):
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        if key in out or key not in _WANTED:
            continue
        value = value.strip()
        if not ascii_block and not value.isascii():
            out[key] = value.encode("latin-1")
        else:
            out[key] = value
    return out


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and "=?" not in value:
        return value
    return decode_header(value)


def _has_attachments(content_type: str | bytes | None) -> int:
    """A cheap guess until BODYSTRUCTURE is fetched: mixed multiparts and non-text singles."""
    if not content_type:
        return 0
    ct = content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type
    ct = ct.lstrip().lower()
    if ct.startswith("multipart/mixed"):
        return 1
    if ct.startswith(("application/", "image/", "audio/", "video/")) and not ct.startswith(
        ("application/pkcs7", "application/pgp")
    ):
        return 1
    return 0


def header_row(
    uid: int,
    flags: tuple[str, ...] | None,
    modseq: int,
    internaldate: int,
    size: int,
    block: bytes | None,
) -> HeaderRow:
    """One cache row from a message's list headers and its IMAP/Maildir metadata."""
    fields = split_header_block(block) if block else {}
    sender = fields.get("from")
    from_name = from_addr = ""
    if sender:
        raw = sender if isinstance(sender, str) else decode_header(sender)
        addrs = parse_addresses(raw)
        if addrs:
            from_name, from_addr = addrs[0].name, addrs[0].addr
        else:
            from_name = _text(sender)
    date_value = fields.get("date")
    date = 0
    if date_value:
        date = parse_date(date_value if isinstance(date_value, str) else date_value.decode("latin-1")) or 0
    msgid_value = fields.get("message-id")
    msgids = parse_msgids(_text(msgid_value)) if msgid_value else ()
    irt_value = fields.get("in-reply-to")
    irt = parse_msgids(_text(irt_value)) if irt_value else ()
    refs_value = fields.get("references")
    refs = parse_msgids(_text(refs_value)) if refs_value else ()
    return HeaderRow(
        uid,
        " ".join(flags) if flags else "",
        modseq,
        internaldate,
        size,
        date or internaldate,
        _text(fields.get("subject")),
        from_name,
        from_addr,
        _text(fields.get("to")),
        _text(fields.get("cc")),
        _text(fields.get("reply-to")),
        msgids[0] if msgids else _text(msgid_value).strip(),
        irt[0] if irt else "",
        " ".join(refs),
        _text(fields.get("list-id")),
        _has_attachments(fields.get("content-type")),
    )
