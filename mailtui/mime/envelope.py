"""Raw list-header blocks (from IMAP or a Maildir file) → HeaderRow, fast.

This runs once per message on a cold sync, so it avoids the `email` parser: the block
holds only the fields the list needs, and most values take the ASCII fast paths of
`mime.headers`.
"""

from __future__ import annotations

from mailtui.mime.headers import decode_header, parse_addresses, parse_date, parse_msgids
from mailtui.model import HeaderRow

_WANTED = {
    name.encode(): name
    for name in (
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
}
_KEYS: dict[bytes, str | None] = {}


def _key(raw_name: bytes) -> str | None:
    key = _KEYS.get(raw_name)
    if key is None and raw_name not in _KEYS:
        key = _WANTED.get(raw_name.lower())
        if len(_KEYS) < 4096:
            _KEYS[raw_name] = key
    return key


def split_header_block(block: bytes) -> dict[str, str | bytes]:
    """Field name (lower-case) → unfolded value; non-ASCII values stay bytes for decoding.

    The first occurrence of a field wins (RFC 5322 allows only one of each we read).
    """
    raw: dict[str, bytes] = {}
    current: str | None = None
    for line in block.split(b"\n"):
        if not line:
            continue
        first = line[0]
        if first == 32 or first == 9:  # folded continuation (RFC 5322 §2.2.3)
            if current is not None:
                raw[current] += b" " + line.strip()
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            current = None
            continue
        key = _key(name.rstrip())
        if key is None or key in raw:
            current = None
            continue
        current = key
        raw[key] = value.strip()
    return {k: (v.decode("ascii") if v.isascii() else v) for k, v in raw.items()}


def _text(value: str | bytes | None) -> str:
    """Decoded and cleaned (controls made visible): the cache only holds safe text."""
    if not value:
        return ""
    return decode_header(value)


def _first_id(value: str | bytes | None) -> str:
    """The first <id> without brackets; the common single-id case without a regex."""
    if not value:
        return ""
    if value.__class__ is str:
        v: str = value  # type: ignore[assignment]
        if v.startswith("<") and v.endswith(">") and v.count("<") == 1 and " " not in v:
            return v[1:-1]
    ids = parse_msgids(_text(value))
    return ids[0] if ids else ""


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
    get = fields.get
    sender = get("from")
    from_name = from_addr = ""
    if sender:
        addrs = parse_addresses(sender)
        if addrs:
            from_name, from_addr = addrs[0].name, addrs[0].addr
        else:
            from_name = _text(sender)
    date_value = get("date")
    date = parse_date(date_value) or 0 if date_value else 0
    refs_value = get("references")
    refs = parse_msgids(_text(refs_value)) if refs_value else ()
    msgid_value = get("message-id")
    return HeaderRow(
        uid,
        " ".join(flags) if flags else "",
        modseq,
        internaldate,
        size,
        date or internaldate,
        _text(get("subject")),
        from_name,
        from_addr,
        _text(get("to")),
        _text(get("cc")),
        _text(get("reply-to")),
        _first_id(msgid_value) or _text(msgid_value).strip(),
        _first_id(get("in-reply-to")),
        " ".join(refs),
        _text(get("list-id")),
        _has_attachments(get("content-type")),
    )
