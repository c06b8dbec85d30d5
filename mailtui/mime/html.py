"""HTML mail as plain text: nothing fetched, nothing executed, links numbered and inert.

A stdlib HTMLParser pass first rewrites the document into a small, attribute-free HTML
(scripts, styles and frames gone; each link's text followed by "[n]"; images as
"[image: alt]"), then html2text lays it out. Its output is cleaned *after* conversion,
because html2text turns character references such as ``&#27;`` into raw controls.
"""

from __future__ import annotations

import html as _html
import re
from html.parser import HTMLParser

import html2text

from mailtui.mime.safe import clean_line, clean_text

__all__ = ["SAFE_SCHEMES", "html_to_text", "link_is_safe"]

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


def _normalize_url(url: str) -> str:
    # Browsers drop tabs/newlines inside URLs, so "java\nscript:" is javascript:.
    return _URL_JUNK.sub("", _html.unescape(url) if "&" in url else url)


class _Rewriter(HTMLParser):
    """Streaming (non-recursive) pass that leaves only safe, layout-relevant markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.urls: list[str] = []  # index + 1 is the link number
        self._numbers: dict[str, int] = {}
        self._skip: str | None = None
        self._skip_depth = 0
        self._link: int | None = None
        self._indent = 0

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
        a = {k.lower(): v or "" for k, v in attrs}
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


_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_WS = re.compile(r"[ \t]+$", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>?")
_DROPPED_BLOCK = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _strip_tags(html: str) -> str:
    """Last-resort conversion when html2text cannot cope: tags out, entities decoded."""
    text = _DROPPED_BLOCK.sub(" ", html)
    text = _TAG.sub(" ", text)
    return _html.unescape(text)


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


def html_to_text(html: str, width: int = 0) -> tuple[str, list[str]]:
    """HTML as readable text plus its links: links[n-1] is the URL of "[n]", "" if inert."""
    rewriter = _Rewriter()
    try:
        rewriter.feed(html)
        rewriter.close()
        body = _converter(width).handle(rewriter.result())
    except (RecursionError, MemoryError):
        body = _strip_tags(html)
    except Exception:
        # html2text has assertion and index errors on some malformed input; the text
        # still has to be shown.
        body = _strip_tags(html)
    text = clean_text(body)
    text = _TRAILING_WS.sub("", text)
    text = _BLANK_RUNS.sub("\n\n", text).strip("\n")
    footer, links = _link_footer(rewriter.urls)
    if footer:
        text = f"{text}\n\n{footer}" if text else footer
    return text, links
