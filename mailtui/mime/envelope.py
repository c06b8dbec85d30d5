"""Raw list-header blocks (from IMAP or a Maildir file) → HeaderRow, fast.

This runs once per message on a cold sync (100k messages → every microsecond counts
as 0.1 s), so the common shapes take shortcuts done in C by `re` and `bytes` methods:
printable-ASCII values without encoded words are used as they are, `Name <a@b>` is
matched by one regex, RFC 5322 dates reuse a per-day epoch. Anything else goes to the
complete, tolerant parsers in `mailtui.text`, which also make controls visible.
"""

from __future__ import annotations

import re

from mailtui.model import HeaderRow, guess_has_attachments
from mailtui.text.addresses import parse_addresses
from mailtui.text.dates import MONTHS_BYTES, day_epoch, parse_date
from mailtui.text.encoded_words import decode_header
from mailtui.text.msgids import parse_msgids
from mailtui.text.safe import clean_line

# Header blocks are cut here before parsing: the fields a list needs fit many times
# over, and no sender can make one message cost more than this much work.
HEADER_BLOCK_CAP = 64 * 1024
_RAW_SUBJECT_CHARS = 1000

_UNFOLD = re.compile(rb"\r?\n[ \t]+")
_PRINTABLE = re.compile(rb"[ -~]*")
# Bytes that may not appear in a display name / an address of the fast path.
_NOT_IN_NAME = b'"<>\\=(),;:@'
_NOT_IN_ADDR = b'<>"(),;: \t\n\r\x0b\x0c'
_DATE = re.compile(
    rb"(?:[A-Za-z]{3},[ \t]*)?(\d{1,2})[ \t]+([A-Za-z]{3})[ \t]+(\d{4})[ \t]+"
    rb"(\d{1,2}):(\d\d)(?::(\d\d))?[ \t]+([+-])(\d\d)(\d\d)"
)
_DAYS: dict[tuple[bytes, bytes, bytes], int] = {}
_MSGID = re.compile(rb"<([^<>\s\x00-\x1f\x7f]+)>")

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


def split_header_block(block: bytes) -> dict[str, bytes]:
    """Field name (lower-case) → unfolded raw value; the first occurrence wins."""
    if b"\n " in block or b"\n\t" in block:
        block = _UNFOLD.sub(b" ", block)
    out: dict[str, bytes] = {}
    keys = _KEYS
    for line in block.split(b"\n"):
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        key = keys.get(name) if name in keys else _key(name.rstrip())
        if key is not None and key not in out:
            out[key] = value.strip()
    return out


def _text(value: bytes | None) -> str:
    """Decoded and cleaned: printable ASCII without encoded words is already both."""
    if not value:
        return ""
    if b"=?" not in value and _PRINTABLE.fullmatch(value):
        return value.decode("ascii")
    return decode_header(value)


def _plain_addr(addr: bytes) -> bool:
    """One "local@domain" with neither side empty and no specials or whitespace."""
    at = addr.find(b"@")
    return (
        0 < at < len(addr) - 1
        and addr.count(b"@") == 1
        and len(addr.translate(None, _NOT_IN_ADDR)) == len(addr)
    )


def _simple_sender(value: bytes) -> tuple[bytes, bytes] | None:
    """(name, addr) of a printable-ASCII `Name <a@b>`, `"Name" <a@b>` or `a@b`, else None.

    String operations only: the regex this replaces was quadratic on a name followed by
    a long run of blanks.
    """
    v = value.strip()
    if v.endswith(b">"):
        lt = v.rfind(b"<")
        if lt < 0 or not _plain_addr(v[lt + 1 : -1]):
            return None
        name = v[:lt].rstrip(b" \t")
        if name.startswith(b'"'):
            name = name[1:]
        if name.endswith(b'"'):
            name = name[:-1]
        if len(name.translate(None, _NOT_IN_NAME)) != len(name):
            return None
        return name.strip(), v[lt + 1 : -1]
    if _plain_addr(v):
        return b"", v
    return None


def _sender(value: bytes) -> tuple[str, str]:
    if _PRINTABLE.fullmatch(value):
        simple = _simple_sender(value)
        if simple is not None:
            name, addr = simple
            return _text(name) if name else "", addr.decode("ascii")
    addrs = parse_addresses(value)
    if addrs:
        return addrs[0].name, addrs[0].addr
    return _text(value), ""


def _date(value: bytes) -> int:
    m = _DATE.match(value)
    if m:
        day, mon, year, hh, mm, ss, sign, zh, zm = m.groups()
        base = _DAYS.get((day, mon, year))
        if base is None:
            base = day_epoch(int(year), MONTHS_BYTES.get(mon.lower()), int(day))
            if base is not None and len(_DAYS) < 100_000:
                _DAYS[(day, mon, year)] = base
        h, mi, s = int(hh), int(mm), int(ss or 0)
        if base is not None and h < 24 and mi < 60 and s <= 60 and int(zm) < 60:
            offset = int(zh) * 3600 + int(zm) * 60
            t = base + h * 3600 + mi * 60 + s
            return t - offset if sign == b"+" else t + offset
    return parse_date(value) or 0


def _ids(value: bytes | None) -> list[str]:
    if not value:
        return []
    if _PRINTABLE.fullmatch(value):
        found = [i.decode("ascii") for i in _MSGID.findall(value)]
        if found:
            return found
    return list(parse_msgids(_text(value)))


def header_row(
    uid: int,
    flags: tuple[str, ...] | None,
    modseq: int,
    internaldate: int,
    size: int,
    block: bytes | None,
    message_key: int = 0,
    thread_key: int = 0,
) -> HeaderRow:
    """One cache row from a message's list headers and its IMAP/Maildir metadata (and
    the store's message and thread keys, Gmail's X-GM-MSGID/X-GM-THRID, where it has them).

    Never raises and never takes long: the block is cut at HEADER_BLOCK_CAP, and a block
    that still cannot be parsed gives a row with its raw subject, made safe, so the
    message is listed and the sync batch goes on.
    """
    if block and len(block) > HEADER_BLOCK_CAP:
        block = block[:HEADER_BLOCK_CAP]
    try:
        row = _parsed_row(uid, flags, modseq, internaldate, size, block)
    except Exception:  # a stranger's bytes must not stop a sync; the row is still listed
        # The row of a message without headers (dated by INTERNALDATE), with its subject.
        empty = _parsed_row(uid, flags, modseq, internaldate, size, None)
        row = empty._replace(subject=_raw_subject(block))
    if message_key or thread_key:
        row = row._replace(message_key=message_key, thread_key=thread_key)
    return row


def _raw_subject(block: bytes | None) -> str:
    """The Subject line as it is (no decoding beyond UTF-8), made safe; "" if none."""
    try:
        for line in (block or b"").split(b"\n"):
            if line[:8].lower() == b"subject:":
                return clean_line(line[8:].decode("utf-8", "replace"))[:_RAW_SUBJECT_CHARS]
    except Exception:
        pass
    return ""


def _parsed_row(
    uid: int,
    flags: tuple[str, ...] | None,
    modseq: int,
    internaldate: int,
    size: int,
    block: bytes | None,
) -> HeaderRow:
    get = split_header_block(block).get if block else {}.get
    sender = get("from")
    from_name, from_addr = _sender(sender) if sender else ("", "")
    date_value = get("date")
    date = _date(date_value) if date_value else 0
    msgid_value = get("message-id")
    msgids = _ids(msgid_value)
    irt = _ids(get("in-reply-to"))
    # Deduplicated, order kept: References are written back into replies.
    refs = list(dict.fromkeys(_ids(get("references"))))
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
        msgids[0] if msgids else _text(msgid_value).strip(),
        irt[0] if irt else "",
        " ".join(refs),
        _text(get("list-id")),
        int(guess_has_attachments(get("content-type"))),
    )
