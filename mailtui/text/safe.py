"""Make text that came from a stranger safe to put on a terminal or on disk.

Why this exists (DESIGN.md §6): Rich strips only BEL/BS/VT/FF/CR from output, so an
ESC or a C1 control (U+009B is a one-byte CSI) in a subject would reach the terminal
and could recolour the screen, set the title, plant an OSC 8 link or write the
clipboard (OSC 52). Bidi overrides reorder what the user reads ("Trojan Source"), and
zero-width characters hide text. Everything decoded from a message passes through
`clean_line` (one-line fields) or `clean_text` (bodies) *after* decoding and after
html2text (which turns ``&#27;`` into a raw ESC), never before.
"""

from __future__ import annotations

import unicodedata

from mailtui.text.chunks import STEP, line_pieces

__all__ = ["clean_line", "clean_text", "fit_filename", "safe_filename", "split_ext"]

# Bidi embeddings/overrides/isolates and marks (Unicode TR9): removed, not shown, because
# a terminal does its own (or no) bidi and these only serve to disguise text order.
_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
# Invisible characters that hide or smuggle text: zero-width space/joiners, word joiner,
# invisible math operators, deprecated format controls, BOM, interlinear annotations.
_INVISIBLE = (
    *(0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0xFEFF),
    *range(0x2060, 0x2065),
    *range(0x206A, 0x2070),
    *range(0xFFF9, 0xFFFC),
)
# Unicode "tag" characters render as nothing and are used to hide instructions in text.
_TAGS = range(0xE0000, 0xE0080)

_REPLACEMENT = "\ufffd"


def _base_table() -> dict[int, str | None]:
    """Mapping shared by both cleaners: controls visible, bidi and invisibles gone."""
    table: dict[int, str | None] = {}
    for c in range(0x20):  # C0 → U+2400 "control pictures" (ESC → ␛, NUL → ␀)
        table[c] = chr(0x2400 + c)
    table[0x7F] = "\u2421"  # DEL → ␡
    for c in range(0x80, 0xA0):  # C1: U+009B is a CSI on some terminals
        table[c] = _REPLACEMENT
    for c in (*_BIDI, *_INVISIBLE):
        table[c] = None
    for c in _TAGS:
        table[c] = None
    for c in range(0xD800, 0xE000):  # lone surrogates (surrogateescape) cannot be printed
        table[c] = _REPLACEMENT
    return table


_LINE_TABLE = _base_table()
# On one-line fields the whitespace controls become a plain space (then folded): a
# header unfolded from "foo\r\n\tbar" should read "foo bar", not "foo␉bar".
for _c in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x2028, 0x2029):
    _LINE_TABLE[_c] = " "

_TEXT_TABLE = _base_table()
_TEXT_TABLE[0x09] = "\t"  # kept, expanded afterwards
_TEXT_TABLE[0x0A] = "\n"
_TEXT_TABLE[0x0D] = "\n"  # only lone CRs remain when the table is applied
_TEXT_TABLE[0x2028] = "\n"
_TEXT_TABLE[0x2029] = "\n"


def clean_line(s: str) -> str:
    """One-line field (subject, name, folder, filename) made inert and single-line."""
    # Fast path: printable text has no controls, bidi, invisibles or odd spaces at all
    # (they are all categories Cc/Cf/Zl/Zp/Zs-not-space/Cs), so only folding remains.
    if s.isprintable():
        if "  " not in s and s[:1] != " " and s[-1:] != " ":
            return s
        return " ".join(s.split())
    return " ".join(s.translate(_LINE_TABLE).split())


def clean_text(s: str, tabsize: int = 8) -> str:
    """A body made inert: newlines normalised to \\n, tabs expanded, controls visible.

    Long text is cleaned in slices of whole lines (see chunks), with the same result.
    """
    if len(s) > STEP:
        return "".join(_clean_text(piece, tabsize) for piece in line_pieces(s))
    return _clean_text(s, tabsize)


def _clean_text(s: str, tabsize: int) -> str:
    if "\r" in s:
        s = s.replace("\r\n", "\n")
    s = s.translate(_TEXT_TABLE)
    if "\t" in s:
        s = s.expandtabs(tabsize)
    return s


# Windows device names: opening "CON.txt" there opens the console, not a file.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
    | {f"COM{c}" for c in "¹²³"}
    | {f"LPT{c}" for c in "¹²³"}
)
# Characters that are path syntax or forbidden on common filesystems.
_FILENAME_TABLE = {ord(c): "_" for c in '<>:"|?*'}
_MAX_NAME_BYTES = 255
_MAX_EXT_BYTES = 32


def _utf8_truncate(s: str, limit: int) -> str:
    """Longest prefix of `s` whose UTF-8 encoding fits in `limit` bytes."""
    data = s.encode("utf-8", "replace")
    if len(data) <= limit:
        return s
    return data[:limit].decode("utf-8", "ignore")


def split_ext(name: str) -> tuple[str, str]:
    """("report", ".pdf") for "report.pdf"; a leading-dot-only or absurd suffix is no extension."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or " " in ext:
        return name, ""
    ext = "." + ext
    if len(ext.encode("utf-8")) > _MAX_EXT_BYTES:
        return name, ""
    return stem, ext


def fit_filename(stem: str, ext: str, limit: int = _MAX_NAME_BYTES) -> str:
    """Join stem and extension, trimming the stem so the UTF-8 name fits in `limit` bytes."""
    room = limit - len(ext.encode("utf-8"))
    return _utf8_truncate(stem, max(room, 1)).rstrip(" .") + ext


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A basename that cannot escape the download dir, hide, or name a device; never empty."""
    name = unicodedata.normalize("NFC", name.replace("\x00", ""))
    # Both separators: a name from Windows mail arrives as "C:\\Users\\x\\evil.exe".
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = clean_line(name)
    # Control pictures (␛…) are fine to display but not to keep in a file name.
    name = "".join("_" if 0x2400 <= ord(ch) <= 0x2421 or ch == _REPLACEMENT else ch for ch in name)
    name = name.translate(_FILENAME_TABLE)
    name = name.lstrip(". -").rstrip(". ")
    stem, ext = split_ext(name)
    if stem.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        stem = "_" + stem
    name = fit_filename(stem, ext) if stem else ""
    name = name.lstrip(". -").rstrip(". ")
    if not name:
        if not fallback or fallback == "attachment":
            return "attachment"
        return safe_filename(fallback, "attachment")
    return name
