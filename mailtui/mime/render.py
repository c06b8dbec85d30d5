"""What the reader shows: which part is the body, its text, and rich Text to draw.

Every Text here is built from plain strings with `Text.append(str, style)`; nothing is
ever parsed as Rich or Textual markup, so "[bold]" or "[@click=app.quit]" in a mail
is shown literally (DESIGN.md §6). Styles come only from the `Palette`, never from mail.
Quotes, signatures and their colours are mime/blocks.py (re-exported here).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.text import Text

from mailtui.mime.blocks import (
    URL_RE,
    Block,
    Palette,
    Paragraph,
    Quote,
    Signature,
    quote_level,
    render_body,
    split_blocks,
)
from mailtui.mime.html import html_to_text, link_is_safe
from mailtui.mime.parse import decode_part
from mailtui.model import CONTROL_TYPES, Address, Attachment, BodyPart, Envelope
from mailtui.text.chunks import CancelCheck, check, line_pieces, split_lines
from mailtui.text.safe import clean_line, safe_filename

if TYPE_CHECKING:
    from mailtui.mime.parse import ParsedMessage

__all__ = [
    "Block",
    "Palette",
    "Paragraph",
    "Quote",
    "RenderedBody",
    "Signature",
    "alternatives",
    "attachments",
    "body_text",
    "choose_body",
    "human_size",
    "part_text",
    "plain_links",
    "quote_level",
    "reflow_flowed",
    "render_body",
    "render_headers",
    "render_message",
    "render_part",
    "split_blocks",
]

# BODYSTRUCTUREs come from servers and can nest deeper than parse.MAX_DEPTH allows.
_MAX_DEPTH = 100
_MESSAGE_TYPES = ("message/rfc822", "message/global")


# --------------------------------------------------------------------------- choosing


def _pick(part: BodyPart, prefer: str, depth: int) -> BodyPart | None:
    if depth > _MAX_DEPTH:
        return None
    if part.is_multipart:
        return _pick_multipart(part, prefer, depth)
    if part.mime_type in _MESSAGE_TYPES:
        return _pick(part.children[0], prefer, depth + 1) if part.children else None
    if part.maintype == "text" and not part.is_attachment:
        return part
    return None


def _pick_alternative(picks: list[BodyPart], prefer: str) -> BodyPart | None:
    """RFC 2046 §5.1.4: alternatives come plainest first, richest last."""
    plain = [p for p in picks if p.mime_type == "text/plain"]
    html = [p for p in picks if p.mime_type == "text/html"]
    if prefer == "html":
        order = [html[-1:], plain[:1], picks[-1:]]
    else:
        order = [plain[:1], html[-1:], picks[:1]]
    for candidates in order:
        if candidates:
            return candidates[0]
    return None


def _pick_multipart(part: BodyPart, prefer: str, depth: int) -> BodyPart | None:
    kids = part.children
    sub = part.subtype
    if not kids or sub == "encrypted":
        return None
    if sub == "alternative":
        picks = [p for p in (_pick(c, prefer, depth + 1) for c in kids) if p is not None]
        return _pick_alternative(picks, prefer)
    if sub == "related":
        # RFC 2387 §3.2: the "start" parameter names the root; else the first part.
        start = part.param("start").strip().strip("<>")
        root = next((c for c in kids if start and c.content_id == start), kids[0])
        return _pick(root, prefer, depth + 1)
    if sub == "signed":  # RFC 1847: the signed content is the first part
        return _pick(kids[0], prefer, depth + 1)
    # mixed, digest, report and unknown subtypes: the first readable inline part; an
    # attached message only when the outer message has no text of its own.
    for child in kids:
        if child.mime_type in _MESSAGE_TYPES:
            continue
        found = _pick(child, prefer, depth + 1)
        if found is not None:
            return found
    for child in kids:
        if child.mime_type in _MESSAGE_TYPES:
            found = _pick(child, prefer, depth + 1)
            if found is not None:
                return found
    return None


# A text part this small (per BODYSTRUCTURE) holds nothing but a line break or two.
_BLANK_PART_BYTES = 4


def choose_body(root: BodyPart, prefer: str = "plain") -> BodyPart | None:
    """The part to show as the message text (plain or HTML first), or None.

    An empty plain alternative next to an HTML one (common in HTML-only newsletters)
    is passed over, so the reader shows the HTML instead of nothing.
    """
    found = _pick(root, prefer, 0)
    if found is None and not root.is_multipart and root.maintype == "text":
        return root  # a lone text part, even if marked as an attachment, is the body
    if found is not None and found.subtype == "plain" and 0 < found.size <= _BLANK_PART_BYTES:
        other = _pick(root, "html", 0)
        if other is not None and other.size > found.size:
            return other
    return found


def _ancestors(root: BodyPart, target: BodyPart) -> list[BodyPart]:
    """The chain root … parent of `target` (by identity), or [] if it is not in the tree."""
    stack: list[tuple[BodyPart, int]] = [(root, 0)]
    path: list[BodyPart] = []
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        if node is target:
            return path
        if depth >= _MAX_DEPTH:
            continue
        path.append(node)
        for child in reversed(node.children):
            stack.append((child, depth + 1))
    return []


def alternatives(root: BodyPart) -> list[BodyPart]:
    """The displayable versions of the body (plain, HTML…) for a key that switches them."""
    body = choose_body(root)
    if body is None:
        return []
    for parent in reversed(_ancestors(root, body)):
        if parent.mime_type == "multipart/alternative":
            out: list[BodyPart] = []
            for child in parent.children:
                pick = _pick(child, "plain", 1) or _pick(child, "html", 1)
                if pick is not None and all(pick is not p for p in out):
                    out.append(pick)
            # An invitation's calendar part is drawn as its own block over the text
            # (usecase.invitation), not offered as another version of the body.
            readable = [p for p in out if p.mime_type != "text/calendar"]
            return readable or out
    return [body]


# --------------------------------------------------------------------------- attachments


def _estimated_size(part: BodyPart) -> int:
    """Decoded size from the encoded one: base64 is 57 bytes per 78 (76 + CRLF)."""
    if part.encoding == "base64":
        return part.size * 57 // 78
    return part.size


def _display_name(part: BodyPart) -> str:
    if part.filename:
        return safe_filename(part.filename, f"part-{part.section}")
    if part.mime_type in _MESSAGE_TYPES:
        subject = clean_line(part.description)[:100]
        return safe_filename(f"{subject}.eml" if subject else "message.eml", "message.eml")
    ext = {
        "text/plain": ".txt",
        "text/html": ".html",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "application/pdf": ".pdf",
    }
    return f"part-{part.section}{ext.get(part.mime_type, '')}"


def attachments(root: BodyPart, prefer: str = "plain") -> list[Attachment]:
    """Parts to offer for saving: named or non-text parts that are not the shown body."""
    body = choose_body(root, prefer)
    shown = {id(p) for p in alternatives(root)}
    if body is not None:
        shown.add(id(body))
        holders = {id(p) for p in _ancestors(root, body)}
    else:
        holders = set()
    out: list[Attachment] = []
    stack: list[tuple[BodyPart, int]] = [(root, 0)]
    while stack:
        part, depth = stack.pop()
        if id(part) in shown or depth > _MAX_DEPTH:
            continue
        if part.is_multipart or (part.mime_type in _MESSAGE_TYPES and id(part) in holders):
            # Descend; an attached message holding the shown body is unpacked, not listed.
            stack.extend((c, depth + 1) for c in reversed(part.children))
            continue
        if part.mime_type in CONTROL_TYPES:
            continue
        if part.maintype == "text" and not part.is_attachment and not part.filename:
            continue  # an inline text part: another body fragment, not a file
        out.append(
            Attachment(
                section=part.section,
                filename=_display_name(part),
                mime_type=clean_line(part.mime_type),
                size=_estimated_size(part),
            )
        )
    return out


# --------------------------------------------------------------------------- text


# Bodies longer than this (in characters, once decoded) are rendered cut, unless the
# whole is asked for: layout is linear, but 10 MB of HTML still takes seconds.
TEXT_CAP = 2_000_000
HTML_CAP = 5_000_000


@dataclass(frozen=True)
class RenderedBody:
    """A body part as display text: what the reader shows and the CLI prints."""

    text: str  # cleaned (HTML converted, flowed joined)
    links: list[str]  # link n is links[n-1]; "" for inert links
    cut: int = 0  # characters of the part left out by the cap (0: all of it)


def render_part(
    part: BodyPart,
    payload: bytes,
    *,
    width: int = 0,
    whole: bool = False,
    cancelled: CancelCheck = None,
) -> RenderedBody:
    """Decode and lay out a fetched body part, cut at TEXT_CAP/HTML_CAP unless `whole`.

    Linear in the payload; works in slices and asks `cancelled` between them (raising
    chunks.Cancelled), so it can run in a thread beside the UI and be abandoned.
    """
    text = decode_part(payload, part.encoding, part.charset, cancelled=cancelled)
    is_html = part.mime_type == "text/html"
    cap = HTML_CAP if is_html else TEXT_CAP
    cut = 0
    if not whole and len(text) > cap:
        end = text.rfind("\n", cap // 2, cap)
        end = cap if end < 0 else end + 1
        cut = len(text) - end
        text = text[:end]
    if is_html:
        body, links = html_to_text(text, width, cancelled=cancelled)
        return RenderedBody(body, links, cut)
    if part.param("format").lower() == "flowed":
        text = reflow_flowed(text, part.param("delsp").lower() == "yes", cancelled=cancelled)
    return RenderedBody(text, plain_links(text, cancelled=cancelled), cut)


def body_text(part: BodyPart, payload: bytes, *, width: int = 0) -> tuple[str, list[str]]:
    """A fetched body part as display text and its links (HTML converted, flowed joined).

    The whole part, however long; plain-text links are left to `plain_links`.
    """
    rendered = render_part(part, payload, width=width, whole=True)
    return rendered.text, rendered.links if part.mime_type == "text/html" else []


def plain_links(text: str, *, cancelled: CancelCheck = None) -> list[str]:
    """URLs written in a plain-text body, in order, each once (only openable schemes)."""
    seen: dict[str, None] = {}
    # A URL never spans lines, so slices of whole lines find the same ones.
    for piece in line_pieces(text, cancelled=cancelled):
        for m in URL_RE.finditer(piece):
            seen.setdefault(m.group(0).rstrip(".,;:!?"), None)
    return [u for u in seen if link_is_safe(u)]


def reflow_flowed(text: str, delsp: bool, *, cancelled: CancelCheck = None) -> str:
    """Join format=flowed soft line breaks (RFC 3676 §4) so the reader can rewrap."""
    out: list[str] = []
    para: list[str] = []
    para_depth = -1

    def flush() -> None:
        if para_depth >= 0:
            joined = "".join(para)
            if para_depth:
                joined = ">" * para_depth + " " + joined
            elif joined.startswith(">"):
                joined = " " + joined  # keep the stuffing: this is not a quote (§4.4)
            out.append(joined)
        para.clear()

    for n, line in enumerate(split_lines(text, cancelled)):
        if not n % 4096:
            check(cancelled)
        # §4.5: quote depth is the count of leading ">", then §4.4 removes one stuffed space.
        stripped = line.lstrip(">")
        depth = len(line) - len(stripped)
        if stripped.startswith(" "):
            stripped = stripped[1:]
        # §4.3: the signature separator "-- " is never a flowed line.
        flowed = stripped.endswith(" ") and stripped != "-- "
        if para_depth >= 0 and depth != para_depth:
            flush()  # §4.5: a depth change ends the paragraph, whatever the space says
            para_depth = -1
        if para_depth < 0:
            para_depth = depth
        if flowed and delsp:
            stripped = stripped[:-1]  # RFC 3676 §4.2: DelSp=yes, the space is not content
        para.append(stripped)
        if not flowed:
            flush()
            para_depth = -1
    if para_depth >= 0 and para:
        flush()
    return "\n".join(out)


# --------------------------------------------------------------------------- message


def human_size(n: int) -> str:
    """Byte counts as people read them: "512 B", "12.3 kB", "4.0 MB" (SI units)."""
    if n < 1000:
        return f"{max(n, 0)} B"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if round(value, 1) < 1000 or unit == "TB":
            return f"{value:.1f} {unit}"
    return f"{value:.1f} TB"


def _addresses_text(value: str | Iterable[Address]) -> str:
    if isinstance(value, str):
        return clean_line(value)
    return ", ".join(clean_line(a.full()) for a in value)


def format_date(ts: int | None) -> str:
    """Local date and time for the header block, or "" when unknown."""
    if not ts:
        return ""
    try:
        return time.strftime("%a, %d %b %Y %H:%M", time.localtime(ts))
    except (OverflowError, OSError, ValueError):
        return ""


def render_headers(fields: Sequence[tuple[str, str]], *, palette: Palette | None = None) -> Text:
    """ "Name: value" lines, names aligned; empty values left out."""
    palette = palette or Palette()
    shown = [(clean_line(k), clean_line(v)) for k, v in fields if v]
    width = max((len(k) for k, _ in shown), default=0) + 1
    out = Text(end="")
    for i, (name, value) in enumerate(shown):
        if i:
            out.append("\n")
        out.append(f"{name}:".ljust(width + 1), style=palette.header_name or None)
        style = palette.subject if name == "Subject" else palette.header_value
        out.append(value, style=style or None)
    return out


def message_headers(msg: Envelope | ParsedMessage) -> list[tuple[str, str]]:
    """The From/To/Cc/Date/Subject block of an envelope or a parsed message."""
    return [
        ("From", _addresses_text(msg.from_)),
        ("To", _addresses_text(msg.to)),
        ("Cc", _addresses_text(msg.cc)),
        ("Date", format_date(msg.date)),
        ("Subject", clean_line(msg.subject)),
    ]


def part_text(msg: ParsedMessage, part: BodyPart, *, width: int = 0) -> tuple[str, list[str]]:
    """A part of a whole parsed message as the reader shows it: through `body_text`.

    `part_bytes` has undone the transfer encoding already, so the part goes on as
    identity-encoded ("binary", RFC 2045 §6.2): decoding twice made "a=42" "aB"."""
    return body_text(replace(part, encoding="binary"), msg.part_bytes(part.section), width=width)


def _parsed_body(msg: Envelope | ParsedMessage, prefer: str, width: int) -> str:
    structure = getattr(msg, "structure", None)
    part = choose_body(structure, prefer) if structure is not None else None
    if part is None or not hasattr(msg, "part_bytes"):
        return ""
    return part_text(msg, part, width=width)[0]  # type: ignore[arg-type]


def render_message(
    msg: Envelope | ParsedMessage,
    body: str | None = None,
    attachment_list: Sequence[Attachment] | None = None,
    *,
    palette: Palette | None = None,
    prefer: str = "plain",
    width: int | None = None,
) -> Text:
    """Headers, body and attachment list as one Text, for `mailtui show` and printing.

    With a ParsedMessage, `body` and `attachment_list` default to what it contains; with
    an Envelope they are what the caller fetched.
    """
    palette = palette or Palette()
    structure: BodyPart | None = getattr(msg, "structure", None)
    if body is None:
        body = _parsed_body(msg, prefer, width or 0)
    if attachment_list is None:
        attachment_list = attachments(structure, prefer) if structure is not None else []
    out = render_headers(message_headers(msg), palette=palette)
    out.append("\n\n")
    if body.strip():
        out.append_text(render_body(body, palette=palette, width=width))
    else:
        out.append("(no text body)", style=palette.dim or None)
    if attachment_list:
        out.append("\n\n")
        out.append("Attachments:", style=palette.header_name or None)
        for i, att in enumerate(attachment_list, 1):
            out.append("\n")
            out.append(f"  [{i}] ", style=palette.dim or None)
            out.append(clean_line(att.filename), style=palette.attachment or None)
            details = f"  {clean_line(att.mime_type)}, {human_size(att.size)}"
            out.append(details, style=palette.dim or None)
    return out
