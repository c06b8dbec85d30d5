"""A draft as the text the user edits: a header block, a blank line, the body.

`$EDITOR` (or the built-in editor) shows `draft_to_editable_text`; `parse_edited_text`
reads it back, strictly: a bad header line is a DraftError naming the line, and headers
mailtui writes itself (Message-ID, Date, MIME framing, threading) cannot be set here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from mailtui.compose.addresses import (
    AddressError,
    dedupe,
    format_address,
    format_addresses,
    parse_address_list,
)
from mailtui.compose.draft import Draft, DraftError

__all__ = ["draft_to_editable_text", "parse_edited_text"]

# Headers the user may not set: mailtui writes them, and a wrong one breaks the message.
_RESERVED = frozenset(
    {
        "message-id",
        "date",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
        "content-id",
        "in-reply-to",
        "references",
        "received",
        "return-path",
    }
)
_ADDRESS_EXTRAS = frozenset({"reply-to", "mail-followup-to", "mail-reply-to"})
_HEADER_LINE = re.compile(r"([!-9;-~]+)[ \t]*:(.*)")
_EDITABLE = ("From", "To", "Cc", "Bcc", "Subject")


def draft_to_editable_text(draft: Draft) -> str:
    """Headers block + blank line + body: what $EDITOR shows (Unicode, unencoded)."""
    lines = [
        f"From: {format_address(draft.from_)}",
        f"To: {format_addresses(draft.to)}",
        f"Cc: {format_addresses(draft.cc)}",
        f"Bcc: {format_addresses(draft.bcc)}",
        f"Subject: {draft.subject}",
    ]
    lines.extend(f"{name}: {value}" for name, value in draft.extra_headers)
    return "\n".join(line.rstrip(" ") for line in lines) + "\n\n" + draft.body


def _clean_value(value: str) -> str:
    # Header values are one line: stray control characters from a paste become spaces.
    return " ".join("".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value).split())


def parse_edited_text(text: str, base: Draft) -> Draft:
    """Read back `draft_to_editable_text` after editing; DraftError names the bad line.

    The header block is authoritative: a header line the user deleted is cleared
    (From falls back to `base.from_`). Lines that start with white space continue the
    header above; the first empty line ends the headers.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    headers: list[tuple[int, str, str]] = []  # (line number, name, value)
    body_start = len(lines)
    for i, line in enumerate(lines):
        if not line.strip():
            body_start = i + 1
            break
        if line[0] in " \t" and headers:
            n, name, value = headers[-1]
            headers[-1] = (n, name, f"{value} {line.strip()}")
            continue
        m = _HEADER_LINE.fullmatch(line)
        if not m:
            raise DraftError(
                f"Line {i + 1}: {line[:60]!r} is not a header line (Name: value)",
                hint="keep the headers at the top and leave one empty line before the message",
            )
        headers.append((i + 1, m.group(1), m.group(2)))
    body = "\n".join(lines[body_start:])

    fields: dict[str, Any] = {"to": [], "cc": [], "bcc": []}
    extras: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, name, raw_value in headers:
        key = name.lower()
        value = _clean_value(raw_value)
        where = f"Line {n} ({name})"
        if key in _RESERVED:
            raise DraftError(f"{where}: mailtui sets {name} itself", hint=f"remove the {name} line")
        if key in ("subject", "from") and key in seen:
            raise DraftError(f"{where}: {name} appears twice", hint="keep one of them")
        seen.add(key)
        try:
            if key in ("to", "cc", "bcc"):
                fields[key].extend(parse_address_list(value))
            elif key == "from":
                found = parse_address_list(value)
                if len(found) > 1:
                    raise DraftError(f"{where}: a message has one sender, not {len(found)}")
                fields["from_"] = found[0] if found else base.from_
            elif key == "subject":
                fields["subject"] = value
            else:
                if key in _ADDRESS_EXTRAS:
                    value = format_addresses(parse_address_list(value))
                if value:
                    extras.append((name, value))
        except AddressError as exc:
            raise DraftError(f"{where}: {exc}", hint=exc.hint) from None
    return replace(
        base,
        from_=fields.get("from_", base.from_),
        to=dedupe(fields["to"]),
        cc=dedupe(fields["cc"]),
        bcc=dedupe(fields["bcc"]),
        subject=fields.get("subject", ""),
        body=body,
        extra_headers=tuple(extras),
    )
