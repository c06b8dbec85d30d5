"""What the reader shows: which part is the body, its blocks, and rich Text to draw.

Every Text here is built from plain strings with `Text.append(str, style)`; nothing is
ever parsed as Rich or Textual markup, so "[bold]" or "[@click=app.quit]" in a mail
is shown literally (DESIGN.md §6). Styles come only from the `Palette`, never from mail.
"""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rich.text import Text

from mailtui.mime.html import html_to_text
from mailtui.mime.parse import decode_part
from mailtui.mime.safe import clean_line, clean_text, safe_filename
from mailtui.model import Address, Attachment, BodyPart, Envelope

if TYPE_CHECKING:
    from mailtui.mime.parse import ParsedMessage

__all__ = [
    "Block",
    "Palette",
    "Paragraph",
    "Quote",
    "Signature",
    "alternatives",
    "attachments",
    "body_text",
    "choose_body",
    "human_size",
    "part_text",
    "quote_level",
    "reflow_flowed",
    "render_body",
    "render_headers",
    "render_message",
    "split_blocks",
]

# BODYSTRUCTUREs come from servers and can nest deeper than parse.MAX_DEPTH allows.
_MAX_DEPTH = 100
_MESSAGE_TYPES = ("message/rfc822", "message/global")
# Signature and encryption control parts are plumbing, not something to save.
_PLUMBING = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-encrypted",
    }
)


@dataclass(frozen=True)
class Palette:
    """Rich style strings for the reader; the UI fills it from its theme."""

    quote: tuple[str, ...] = ("cyan", "green", "yellow", "magenta")
    signature: str = "dim"
    header_name: str = "bold"
    header_value: str = ""
    subject: str = "bold"
    link: str = "underline"
    dim: str = "dim"
    fold: str = "dim italic"
    attachment: str = "cyan"

    def quote_style(self, level: int) -> str:
        """Quote colours cycle so the 7th level still differs from the 6th."""
        if level <= 0 or not self.quote:
            return ""
        return self.quote[(level - 1) % len(self.quote)]


# --------------------------------------------------------------------------- choosing


def is_attachment(part: BodyPart) -> bool:
    """True for parts meant to be saved rather than read inline."""
    if part.disposition and part.disposition != "inline":
        return True
    return bool(part.filename) and part.maintype != "text"


def _pick(part: BodyPart, prefer: str, depth: int) -> BodyPart | None:
    if depth > _MAX_DEPTH:
        return None
    if part.is_multipart:
        return _pick_multipart(part, prefer, depth)
    if part.mime_type in _MESSAGE_TYPES:
        return _pick(part.children[0], prefer, depth + 1) if part.children else None
    if part.maintype == "text" and not is_attachment(part):
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
            return out
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
        if part.mime_type in _PLUMBING:
            continue
        if part.maintype == "text" and not is_attachment(part) and not part.filename:
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


def body_text(part: BodyPart, payload: bytes, *, width: int = 0) -> tuple[str, list[str]]:
    """A fetched body part as display text and its links (HTML converted, flowed joined)."""
    text = decode_part(payload, part.encoding, part.charset)
    if part.mime_type == "text/html":
        return html_to_text(text, width)
    if part.param("format").lower() == "flowed":
        text = reflow_flowed(text, part.param("delsp").lower() == "yes")
    return text, []


def reflow_flowed(text: str, delsp: bool) -> str:
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

    for line in text.split("\n"):
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


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Unquoted text."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """A run of quoted lines; `level` is the outermost depth (lines may go deeper)."""

    level: int
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Signature:
    """Lines after a "-- " separator, up to the next quote."""

    lines: tuple[str, ...]


Block = Paragraph | Quote | Signature

# "> ", ">>", "> > " from column 0; a line starting " >" is not a quote (it is how
# format=flowed space-stuffs a literal ">", RFC 3676 §4.4).
_QUOTE_PREFIX = re.compile(r">(?:[ \t]*>)*")
# A separator "--" without its space (stripped by many mailers) only counts near the end.
_BARE_SIG_MAX_LINES = 15


def quote_level(line: str) -> int:
    """How many ">" quote markers start the line."""
    m = _QUOTE_PREFIX.match(line)
    return m.group(0).count(">") if m else 0


def _levels(lines: list[str]) -> list[int]:
    levels = [quote_level(line) for line in lines]
    # A blank line between two quoted lines belongs to the quote, not the reply.
    prev = 0
    for i, line in enumerate(lines):
        if levels[i]:
            prev = levels[i]
        elif not line.strip() and prev:
            nxt = next((levels[j] for j in range(i + 1, len(lines)) if lines[j].strip()), 0)
            if nxt:
                levels[i] = min(prev, nxt)
        else:
            prev = 0
    return levels


def _is_sig_separator(lines: list[str], levels: list[int], i: int) -> bool:
    line = lines[i]
    if line == "-- ":
        return True
    if line != "--":
        return False
    rest = 0
    for j in range(i + 1, len(lines)):
        if levels[j]:
            break
        rest += 1
    return rest <= _BARE_SIG_MAX_LINES


def split_blocks(text: str) -> list[Block]:
    """Paragraphs, quotes and signatures, in order; joining their lines gives the text."""
    lines = text.split("\n")
    levels = _levels(lines)
    blocks: list[Block] = []
    run: list[str] = []
    kind = ""  # "p", "q" or "s"
    in_sig = False

    def close() -> None:
        if not run:
            return
        if kind == "q":
            blocks.append(Quote(min(levels[i] for i in run_idx), tuple(run)))
        elif kind == "s":
            blocks.append(Signature(tuple(run)))
        else:
            blocks.append(Paragraph(tuple(run)))
        run.clear()
        run_idx.clear()

    run_idx: list[int] = []
    for i, line in enumerate(lines):
        if levels[i]:
            in_sig = False
            this = "q"
        elif in_sig:
            this = "s"
        elif _is_sig_separator(lines, levels, i):
            in_sig = True
            this = "s"
        else:
            this = "p"
        if this != kind:
            close()
            kind = this
        run.append(line)
        run_idx.append(i)
    close()
    return blocks


_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'\]\[)]+|\bmailto:[^\s<>\"'\]\[)]+", re.IGNORECASE)


def _append_line(out: Text, line: str, style: str, link_style: str) -> None:
    """One line with URLs tinted (colour only: no hyperlink, no click action)."""
    start = len(out)
    out.append(line, style=style or None)
    if link_style and ("://" in line or "mailto:" in line):
        for m in _URL.finditer(line):
            end = m.start() + len(m.group(0).rstrip(".,;:!?"))
            out.stylize(link_style, start + m.start(), start + end)


def _wrap(line: str, width: int | None, level: int) -> list[str]:
    """Hard-wrap a long quoted line, repeating its quote marker on each piece."""
    if not width or level == 0 or len(line) <= width:
        return [line]
    m = _QUOTE_PREFIX.match(line)
    marker = m.group(0) if m else ""
    content = line[len(marker) :].lstrip(" ")
    prefix = marker + " "
    room = max(width - len(prefix), 10)
    pieces = textwrap.wrap(content, room, break_on_hyphens=False) or [""]
    return [prefix + p for p in pieces]


def render_body(
    text: str,
    *,
    palette: Palette | None = None,
    folded: set[int] | None = None,
    width: int | None = None,
    fold_hint: str = "press z to expand",
) -> Text:
    """The body as styled Text; quote blocks whose index is in `folded` become one line."""
    palette = palette or Palette()
    folded = folded or set()
    out = Text(end="")
    first = True
    # Cleaning again is cheap (one str.translate) and makes this safe for any caller.
    for index, block in enumerate(split_blocks(clean_text(text))):
        if isinstance(block, Quote) and index in folded:
            if not first:
                out.append("\n")
            n = len(block.lines)
            label = f"[… {n} quoted line{'s' if n != 1 else ''} — {clean_line(fold_hint)}]"
            out.append(label, style=palette.fold or None)
            first = False
            continue
        for line in block.lines:
            if isinstance(block, Quote):
                level = quote_level(line) or block.level
                pieces, style = _wrap(line, width, level), palette.quote_style(level)
            elif isinstance(block, Signature):
                pieces, style = [line], palette.signature
            else:
                pieces, style = [line], ""
            for piece in pieces:
                if not first:
                    out.append("\n")
                _append_line(out, piece, style, palette.link)
                first = False
    return out


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
