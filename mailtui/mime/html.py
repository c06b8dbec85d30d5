"""HTML mail as plain text: nothing fetched, nothing executed, links numbered and inert.

A tokenizer of our own first rewrites the document into a small, attribute-free HTML
(scripts, styles and frames gone; each link's text followed by "[n]"; images as
"[image: alt]"), then html2text lays it out. Its output is cleaned *after* conversion,
because html2text turns character references such as ``&#27;`` into raw controls.

Why not the stdlib HTMLParser for the first pass: on malformed input it is quadratic
(CPython 3.11: 180 KB of `<a b="x" ` took 160 s; runs of `<!--`, `<a`, `</`, `<?`
likewise). The tokenizer here reads each character a bounded number of times: every
search moves forward from where the last one stopped, and a construct left open at the
end of the document takes the rest of it (as HTML5 says), so nothing is read again.
html2text then only ever sees our own well-formed markup, fed in slices (see chunks).
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterator
from textwrap import TextWrapper

import html2text
from html2text.utils import skipwrap

from mailtui.text.chunks import STEP, CancelCheck, check, split_lines
from mailtui.text.safe import clean_line, clean_text

__all__ = ["SAFE_SCHEMES", "html_to_text", "link_is_safe", "unescape"]

# Schemes a link may be opened with. Everything else (javascript:, data:, vbscript:,
# file:, cid:, relative URLs…) is listed for the reader but never actionable.
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})

# Elements whose content is never text for the reader.
_DROP_CONTENT = frozenset(
    {
        "script",
        "style",
        "head",
        "title",
        "iframe",
        "object",
        "applet",
        "noembed",
        "noframes",
        "template",
        "svg",
        "math",
        "select",
        "canvas",
        "video",
        "audio",
        "frameset",
    }
)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "frame",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# Block and list structure html2text lays out; passed through without attributes.
_KEEP = frozenset(
    {
        "p",
        "div",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "code",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
    }
)
# Table layout (ubiquitous in mail) becomes rows of space-separated cells.
_TABLE_AS = {"tr": "div", "table": "div", "caption": "div"}
_CELL = frozenset({"td", "th"})
# Elements html2text indents per level; past this many open at once, further ones are
# passed as plain text (10k nested lists would otherwise make a 100 MB indentation).
_INDENTING = frozenset({"ul", "ol", "li", "dl", "dd", "blockquote", "pre"})
_MAX_INDENT_DEPTH = 12
_URL_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_MAX_SHOWN_URL = 200
_PIXEL = ("0", "1", "0px", "1px")


def link_is_safe(url: str) -> bool:
    """True when a link may be opened (http, https, mailto, ftp)."""
    m = _SCHEME.match(url)
    return bool(m) and m.group(1).lower() in SAFE_SCHEMES


# --------------------------------------------------------------------------- references

# A character reference: numeric (digits kept whole, checked below) or a name of up to
# 32 letters and digits, as html.unescape reads them. Every repetition is followed by an
# optional ";" only, so the pattern cannot backtrack.
_CHARREF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]{0,31};?)")
_MAX_CODE_DIGITS = 8  # more significant digits than this is past U+10FFFF in any base


def _charref(m: re.Match[str]) -> str:
    ref = m.group(0)
    if ref[1] == "#":
        digits = (ref[3:] if ref[2] in "xX" else ref[2:]).rstrip(";").lstrip("0")
        if len(digits) > _MAX_CODE_DIGITS:
            return "\ufffd"  # html.unescape would int() it: 5,000 digits raise ValueError
    return _html.unescape(ref)


def unescape(text: str) -> str:
    """html.unescape in linear time, for any input (a huge numeric reference included)."""
    if "&" not in text:
        return text
    return _CHARREF.sub(_charref, text)


def _normalize_url(url: str) -> str:
    # Browsers drop tabs/newlines inside URLs, so "java\nscript:" is javascript:.
    return _URL_JUNK.sub("", unescape(url))


# --------------------------------------------------------------------------- tokenizer

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# HTML5 tokenizer classes (WHATWG §13.2.5): whitespace is TAB LF FF CR SPACE.
_TAG_NAME_REST = re.compile(r"[^\t\n\f\r />]*")
_BEFORE_ATTR = re.compile(r"[\t\n\f\r /]*")
_ATTR_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_BLANKS = re.compile(r"[\t\n\f\r ]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")
_CLOSE_TAG_END = frozenset("\t\n\f\r />")
# Elements whose content is text up to their end tag, never markup (HTML5 raw text and
# escapable raw text). Their content is passed on as data (script/style/title are then
# dropped by the rewriter, textarea/xmp shown).
_RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes"})
_ESCAPABLE_RAW_TEXT = frozenset({"title", "textarea"})


def _is_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


class _Rewriter:
    """One forward pass over the document that leaves only safe, layout-relevant markup."""

    def __init__(self, cancelled: CancelCheck = None) -> None:
        self.out: list[str] = []
        self.urls: list[str] = []  # index + 1 is the link number
        self._numbers: dict[str, int] = {}
        self._skip: str | None = None
        self._skip_depth = 0
        self._link: int | None = None
        self._indent = 0
        self._cancelled = cancelled

    # --- tokenizing ------------------------------------------------------------------

    def run(self, html: str) -> None:
        """Tokenize `html` (HTML5's rules, simplified) and rewrite each token."""
        n = len(html)
        pos = 0  # everything before this is handled
        text_from = 0  # start of pending text (a "<" that starts nothing is text)
        next_check = STEP
        while pos < n:
            if pos >= next_check:
                check(self._cancelled)
                next_check = pos + STEP
            lt = html.find("<", pos)
            if lt < 0:
                break
            c = html[lt + 1 : lt + 2]
            if _is_letter(c):
                self._text(html, text_from, lt)
                pos = self._start_tag(html, lt)
            elif c == "/":
                c2 = html[lt + 2 : lt + 3]
                if _is_letter(c2):
                    self._text(html, text_from, lt)
                    end = _TAG_NAME_REST.match(html, lt + 3).end()
                    gt = html.find(">", end)
                    if gt < 0:
                        return  # EOF in a tag: the tag is dropped (HTML5)
                    self.handle_endtag(html[lt + 2 : end].translate(_ASCII_LOWER))
                    pos = gt + 1
                elif c2 == ">":  # "</>" is ignored
                    self._text(html, text_from, lt)
                    pos = lt + 3
                elif not c2:  # "</" at the very end is text
                    pos = n
                    continue
                else:  # "</ x>", "</3>": a bogus comment up to ">"
                    self._text(html, text_from, lt)
                    pos = self._bogus_comment(html, lt + 2)
            elif c == "!":
                self._text(html, text_from, lt)
                pos = self._markup_declaration(html, lt)
            elif c == "?":
                self._text(html, text_from, lt)
                pos = self._bogus_comment(html, lt + 2)
            else:
                pos = lt + 1  # a "<" that starts nothing: stays in the pending text
                continue
            text_from = pos
        self._text(html, text_from, n)

    def _text(self, html: str, start: int, end: int) -> None:
        """Pending text, with character references decoded, in slices."""
        while end - start > STEP:
            cut = start + STEP
            amp = html.rfind("&", start, cut)  # never split a reference
            if amp >= 0:
                ref = _CHARREF.match(html, amp, end)
                if ref is not None and ref.end() > cut:
                    cut = amp if amp > start else ref.end()
            self.handle_data(unescape(html[start:cut]))
            check(self._cancelled)
            start = cut
        if end > start:
            self.handle_data(unescape(html[start:end]))

    @staticmethod
    def _bogus_comment(html: str, start: int) -> int:
        gt = html.find(">", start)
        return len(html) if gt < 0 else gt + 1

    def _markup_declaration(self, html: str, lt: int) -> int:
        """`<!--…-->` comments, `<!DOCTYPE…>`, `<![CDATA[…>` (a bogus comment in HTML)."""
        if not html.startswith("<!--", lt):
            return self._bogus_comment(html, lt + 2)
        if html.startswith(">", lt + 4):  # "<!-->" is an empty comment
            return lt + 5
        if html.startswith("->", lt + 4):  # so is "<!--->"
            return lt + 6
        end = html.find("-->", lt + 4)
        return len(html) if end < 0 else end + 3  # an open comment runs to the end

    def _start_tag(self, html: str, lt: int) -> int:
        """Read `<name attr=value …>` from `lt`; return where reading goes on."""
        n = len(html)
        name_end = _TAG_NAME_REST.match(html, lt + 2).end()
        name = html[lt + 1 : name_end].translate(_ASCII_LOWER)
        attrs: list[tuple[str, str | None]] = []
        pos = name_end
        while True:
            pos = _BEFORE_ATTR.match(html, pos).end()
            if pos >= n:
                return n  # EOF in a tag: the tag is dropped (HTML5)
            if html[pos] == ">":
                break
            attr_end = _ATTR_NAME.match(html, pos).end()
            attr = html[pos:attr_end].translate(_ASCII_LOWER)
            pos = attr_end
            after = _BLANKS.match(html, pos).end()
            value: str | None = None
            if html.startswith("=", after):
                pos = _BLANKS.match(html, after + 1).end()
                quote = html[pos : pos + 1]
                if quote in ('"', "'"):
                    close = html.find(quote, pos + 1)
                    if close < 0:
                        return n  # EOF in an attribute value: the tag is dropped
                    value = html[pos + 1 : close]
                    pos = close + 1
                else:
                    end = _UNQUOTED.match(html, pos).end()
                    value = html[pos:end]
                    pos = end
            attrs.append((attr, unescape(value) if value else value))
        self_closing = html[pos - 1] == "/"  # "<br/>"; the name itself holds no "/"
        pos += 1  # the ">"
        if self_closing:
            self.handle_startendtag(name, attrs)
        else:
            self.handle_starttag(name, attrs)
        if name in _RAW_TEXT or name in _ESCAPABLE_RAW_TEXT:
            pos = self._raw_text(html, name, pos)
        return pos

    def _raw_text(self, html: str, name: str, start: int) -> int:
        """Content of a raw-text element, up to `</name` + a delimiter, as text."""
        n = len(html)
        close_len = len(name) + 2
        search = start
        while True:
            i = html.find("</", search)
            if i < 0:
                content, after = html[start:], n
                break
            if (
                html[i + 2 : i + close_len].translate(_ASCII_LOWER) == name
                and html[i + close_len : i + close_len + 1] in _CLOSE_TAG_END
            ):
                gt = html.find(">", i + close_len)
                content, after = html[start:i], (n if gt < 0 else gt + 1)
                break
            search = i + 2
        if name in _ESCAPABLE_RAW_TEXT:
            self._text(content, 0, len(content))
        elif content:
            self.handle_data(content)
        self.handle_endtag(name)
        return after

    # --- rewriting --------------------------------------------------------------------

    def _number(self, url: str) -> int:
        n = self._numbers.get(url)
        if n is None:
            self.urls.append(url)
            n = self._numbers[url] = len(self.urls)
        return n

    def _close_link(self) -> None:
        if self._link is not None:
            self.out.append(f"[{self._link}]")
            self._link = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is not None:
            if tag == self._skip:
                self._skip_depth += 1
            elif self._skip == "head" and tag == "body":  # an unclosed <head>
                self._skip = None
            return
        if tag in _DROP_CONTENT:
            self._skip, self._skip_depth = tag, 1
            return
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self._close_link()
            href = _normalize_url(a.get("href", ""))
            if href and not href.startswith("#"):
                self._link = self._number(href)
        elif tag == "img":
            if a.get("width", "").strip() in _PIXEL or a.get("height", "").strip() in _PIXEL:
                return  # tracking pixel
            alt = clean_line(a.get("alt", ""))
            label = f"[image: {alt}]" if alt else "[image]"
            self.out.append(_html.escape(label, quote=False))
        elif tag in _CELL:
            self.out.append(" ")
        elif tag in _TABLE_AS:
            self.out.append(f"<{_TABLE_AS[tag]}>")
        elif tag in _INDENTING:
            self._indent += 1
            if self._indent <= _MAX_INDENT_DEPTH:
                self.out.append(f"<{tag}>")
            elif tag == "li":
                self.out.append("<br>")
        elif tag in _KEEP:
            self.out.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None:
            if tag == self._skip:
                self._skip_depth -= 1
                if self._skip_depth <= 0:
                    self._skip = None
            return
        if tag == "a":
            self._close_link()
        elif tag in _CELL:
            self.out.append(" ")
        elif tag in _TABLE_AS:
            self.out.append(f"</{_TABLE_AS[tag]}>")
        elif tag in _INDENTING:
            if 0 < self._indent <= _MAX_INDENT_DEPTH:
                self.out.append(f"</{tag}>")
            self._indent = max(self._indent - 1, 0)
        elif tag in _KEEP and tag not in _VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._skip is None:
            self.out.append(_html.escape(data, quote=False))

    def result(self) -> str:
        self._close_link()
        return "".join(self.out)


# --------------------------------------------------------------------------- layout


class _PlainHTML2Text(html2text.HTML2Text):
    """html2text without Markdown escaping: the reader sees text, not Markdown source."""

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        # entity_char=True is html2text's own switch for "do not backslash-escape this".
        super().handle_data(data, entity_char=True)


def _converter(width: int) -> html2text.HTML2Text:
    h = _PlainHTML2Text()
    h.body_width = max(width, 0)
    h.ignore_links = True  # links were already turned into "text[n]"
    h.ignore_images = True
    h.ignore_emphasis = True
    h.ignore_tables = True
    h.unicode_snob = True
    h.single_line_break = False
    return h


def _tag_pieces(markup: str) -> Iterator[str]:
    """Our markup in slices of about STEP, each ending after a ">" (so never inside a
    tag or a reference: the text between tags holds no "<" or ">")."""
    n = len(markup)
    start = 0
    while n - start > STEP:
        gt = markup.find(">", start + STEP)
        if gt < 0:
            break
        yield markup[start : gt + 1]
        start = gt + 1
    yield markup[start:]


def _wrap(para: str, width: int, indent: str) -> list[str]:
    """textwrap.wrap as html2text calls it, but never breaking at hyphens (textwrap's
    hyphen-aware word regex is quadratic on a long run of dashes) and taking a very
    long paragraph a slice at a time (cut at a space)."""
    first = TextWrapper(
        width, break_long_words=False, break_on_hyphens=False, subsequent_indent=indent
    )
    if len(para) <= STEP:
        return first.wrap(para)
    rest = TextWrapper(
        width,
        break_long_words=False,
        break_on_hyphens=False,
        initial_indent=indent,
        subsequent_indent=indent,
    )
    lines: list[str] = []
    start = 0
    while start < len(para):
        cut = para.find(" ", start + STEP)
        cut = len(para) if cut < 0 else cut
        lines.extend((rest if start else first).wrap(para[start:cut]))
        start = cut
    return lines


def _optwrap(h: html2text.HTML2Text, text: str, cancelled: CancelCheck) -> str:
    """html2text's optwrap (every paragraph wrapped to the body width), line for line,
    with the wrapping above and the text read a slice at a time."""
    out: list[str] = []
    newlines = 0
    for n, para in enumerate(split_lines(text, cancelled)):
        if not n % 4096:
            check(cancelled)
        if not para:
            if newlines < 2:
                out.append("\n")
                newlines += 1
        elif not skipwrap(para, h.wrap_links, h.wrap_list_items, h.wrap_tables):
            indent = ""
            if para.startswith("  " + h.ul_item_mark):
                indent = "    "  # a list item's continuation
            elif para.startswith("> "):
                indent = "> "  # a quote's continuation
            out.append("\n".join(_wrap(para, h.body_width, indent)))
            if para.endswith("  "):
                out.append("  \n")
                newlines = 1
            elif indent:
                out.append("\n")
                newlines = 1
            else:
                out.append("\n\n")
                newlines = 2
        elif not _H2T_BLANK.match(para):
            out.append(para + "\n")
            newlines = 1
    return "".join(out)


# html2text's own test for "this line is blank" (config.RE_SPACE), kept as it is.
_H2T_BLANK = html2text.config.RE_SPACE


def _layout(markup: str, width: int, cancelled: CancelCheck) -> str:
    """html2text's handle(), fed in slices and wrapped in slices, checking for cancel."""
    h = _converter(width)
    h.start = True
    for piece in _tag_pieces(markup):
        h.feed(piece)
        check(cancelled)
    h.feed("")
    text = h.finish()
    if not h.body_width:
        return text
    return _optwrap(h, text, cancelled)


_TAG = re.compile(r"<[^>]*>")


def _strip_tags(markup: str) -> str:
    """Last resort when html2text cannot cope: our own markup's tags out, text kept."""
    return _html.unescape(_TAG.sub(" ", markup))


def _tidy(text: str, cancelled: CancelCheck) -> str:
    """Trailing blanks off every line, at most one empty line in a row, none at the ends."""
    out: list[str] = []
    blank = False
    for line in split_lines(text, cancelled):
        line = line.rstrip(" \t")
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out)


def _link_footer(urls: list[str]) -> tuple[str, list[str]]:
    lines: list[str] = []
    actionable: list[str] = []
    for n, url in enumerate(urls, 1):
        shown = url if len(url) <= _MAX_SHOWN_URL else url[:_MAX_SHOWN_URL] + "…"
        if link_is_safe(url):
            actionable.append(url)
            lines.append(f"[{n}] {clean_line(shown)}")
        else:
            actionable.append("")
            lines.append(f"[{n}] {clean_line(shown)} (inert: not opened)")
    return "\n".join(lines), actionable


def html_to_text(
    html: str, width: int = 0, *, cancelled: CancelCheck = None
) -> tuple[str, list[str]]:
    """HTML as readable text plus its links: links[n-1] is the URL of "[n]", "" if inert.

    Linear in the size of `html`; `cancelled` is asked between slices and raises
    chunks.Cancelled when it says so.
    """
    rewriter = _Rewriter(cancelled)
    rewriter.run(html)
    markup = rewriter.result()
    try:
        body = _layout(markup, width, cancelled)
    except Exception:  # Cancelled is a BaseException and passes
        # html2text has assertion and index errors on some nesting; the text still has
        # to be shown.
        body = _strip_tags(markup)
    text = _tidy(clean_text(body), cancelled)
    footer, links = _link_footer(rewriter.urls)
    if footer:
        text = f"{text}\n\n{footer}" if text else footer
    return text, links
