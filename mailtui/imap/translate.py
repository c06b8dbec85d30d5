"""Pure conversions from IMAP wire data to model objects (no I/O)."""

from __future__ import annotations

from dataclasses import replace

from mailtui.model import BodyPart, Folder, Role
from mailtui.text import utf7
from mailtui.text.encoded_words import decode_header, decode_rfc2231
from mailtui.text.safe import clean_line

# RFC 6154 special-use attributes, plus the names servers without SPECIAL-USE use.
_SPECIAL_USE = {
    b"\\SENT": Role.SENT,
    b"\\DRAFTS": Role.DRAFTS,
    b"\\TRASH": Role.TRASH,
    b"\\ARCHIVE": Role.ARCHIVE,
    b"\\JUNK": Role.JUNK,
    b"\\ALL": Role.ALL,
    b"\\FLAGGED": Role.FLAGGED,
    b"\\IMPORTANT": Role.IMPORTANT,
}
_ROLE_BY_NAME = {
    "sent": Role.SENT,
    "sent items": Role.SENT,
    "sent mail": Role.SENT,
    "sent messages": Role.SENT,
    "drafts": Role.DRAFTS,
    "draft": Role.DRAFTS,
    "trash": Role.TRASH,
    "deleted items": Role.TRASH,
    "deleted messages": Role.TRASH,
    "bin": Role.TRASH,
    "archive": Role.ARCHIVE,
    "archives": Role.ARCHIVE,
    "junk": Role.JUNK,
    "spam": Role.JUNK,
    "junk e-mail": Role.JUNK,
}


def decode_folder_name(raw: bytes | str) -> str:
    """A LIST name for display (`utf7.decode_name`): canonical modified UTF-7 decoded,
    anything else as sent (UTF-8 bytes from a UTF8=ACCEPT server read as UTF-8)."""
    raw_bytes = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    return utf7.decode_name(raw_bytes.decode("utf-8", "replace"))


def role_for(flags: list[bytes] | tuple[bytes, ...], name: str, delimiter: str | None) -> Role:
    """Special-use role from LIST attributes; well-known top-level names as a fallback."""
    if name.upper() == "INBOX":
        return Role.INBOX
    for flag in flags:
        role = _SPECIAL_USE.get(flag.upper())
        if role is not None:
            return role
    if delimiter and delimiter in name:
        return Role.NONE
    return _ROLE_BY_NAME.get(name.lower(), Role.NONE)


def folder_from_list(
    flags: list[bytes], delimiter: bytes | None, raw_name: bytes, *, subscribed: bool = True
) -> Folder:
    name = decode_folder_name(raw_name)
    if name.upper() == "INBOX":
        name = "INBOX"
    delim = delimiter.decode("ascii", "replace") if delimiter else None
    upper = {f.upper() for f in flags}
    return Folder(
        name=name,
        raw_name=raw_name.decode("ascii", "replace") if raw_name.isascii() else name,
        delimiter=delim,
        role=role_for(flags, name, delim),
        subscribed=subscribed or b"\\SUBSCRIBED" in upper,
        selectable=not ({b"\\NOSELECT", b"\\NONEXISTENT"} & upper),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _params(value: object) -> tuple[tuple[str, str], ...]:
    """A BODYSTRUCTURE parameter list ("charset" "utf-8" "name" "x.pdf") → pairs."""
    if not isinstance(value, (list, tuple)):
        return ()
    items = list(value)
    pairs = []
    for i in range(0, len(items) - 1, 2):
        key = _text(items[i]).lower()
        pairs.append((key, _param_value(key, _text(items[i + 1]))))
    return tuple(pairs)


def _param_value(key: str, value: str) -> str:
    """A parameter value decoded as `mime.parse` decodes the same one from the file.

    RFC 2231 "name*" values (Dovecot folds the continuations) and the RFC 2047 words
    sloppy senders put in names go through the one decoder in `text.encoded_words`, so
    an attachment is named alike from an IMAP server and from a Maildir.
    """
    if key.endswith("*"):
        value = decode_rfc2231(value)
        key = key[:-1]
    return decode_header(value) if key in ("name", "filename") else clean_line(value)


def _filename(params: tuple[tuple[str, str], ...], disp_params: tuple[tuple[str, str], ...]) -> str:
    for key in ("filename", "filename*"):
        for k, v in disp_params:
            if k == key:
                return v
    for key in ("name", "name*"):
        for k, v in params:
            if k == key:
                return v
    return ""


def bodystructure_to_part(bs: object, section: str = "") -> BodyPart:
    """imapclient's BODYSTRUCTURE tuples → BodyPart with IMAP section numbers (RFC 9051 §7.5.2).

    A multipart is (child, child, ..., subtype, [params, disposition, ...]); a single
    part is (type, subtype, params, id, description, encoding, size, ...).
    """
    items = list(bs) if isinstance(bs, (list, tuple)) else []
    if items and isinstance(items[0], (list, tuple)):
        # imapclient groups a multipart's children into one list: ([c1, c2], b"mixed", …);
        # on the wire they are spread out: ((c1)(c2) "mixed" …). Accept both.
        if isinstance(items[0], list) and items[0] and isinstance(items[0][0], (list, tuple)):
            parts = list(items[0])
            idx = 1
        else:
            idx = 0
            while idx < len(items) and isinstance(items[idx], (list, tuple)):
                idx += 1
            parts = items[:idx]
        children = [
            bodystructure_to_part(child, f"{section}.{n}" if section else str(n))
            for n, child in enumerate(parts, start=1)
        ]
        subtype = _text(items[idx]).lower() if idx < len(items) else "mixed"
        ext = items[idx + 1 :]
        params = _params(ext[0]) if ext else ()
        disposition, _ = _disposition(ext[1] if len(ext) > 1 else None)
        return BodyPart(
            section=section or "",
            mime_type=f"multipart/{subtype}",
            params=params,
            disposition=disposition,
            children=tuple(children),
        )
    own_section = section or "1"
    if len(items) < 7:
        return BodyPart(section=own_section, mime_type="application/octet-stream")
    maintype = _text(items[0]).lower() or "text"
    subtype = _text(items[1]).lower() or "plain"
    params = _params(items[2])
    content_id = _text(items[3])
    description = _text(items[4])
    encoding = _text(items[5]).lower() or "7bit"
    try:
        size = int(items[6])
    except (TypeError, ValueError):
        size = 0
    rest = items[7:]
    children: tuple[BodyPart, ...] = ()
    if maintype == "message" and subtype in ("rfc822", "global") and len(rest) >= 2:
        # envelope, body structure, lines — inner parts are numbered under this part.
        envelope = rest[0]
        subject = ""
        if isinstance(envelope, (list, tuple)) and len(envelope) > 1:
            subject = decode_header(_text(envelope[1]))
        inner = bodystructure_to_part(rest[1], own_section)
        if not inner.is_multipart:
            inner = replace(inner, section=f"{own_section}.1")
        children = (inner,)
        description = description or subject
        ext = rest[3:]
    elif maintype == "text":
        ext = rest[1:]  # skip line count
    else:
        ext = rest
    # ext: md5, disposition, language, location
    disposition, disp_params = _disposition(ext[1] if len(ext) > 1 else None)
    return BodyPart(
        section=own_section,
        mime_type=f"{maintype}/{subtype}",
        params=params,
        encoding=encoding,
        size=size,
        disposition=disposition,
        filename=_filename(params, disp_params),
        content_id=content_id.strip("<>"),
        children=children,
        description=description,
    )


def _disposition(value: object) -> tuple[str, tuple[tuple[str, str], ...]]:
    if isinstance(value, (list, tuple)) and value:
        kind = _text(value[0]).lower()
        params = _params(value[1]) if len(value) > 1 else ()
        return kind, params
    return "", ()
