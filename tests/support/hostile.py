"""A corpus of hostile messages: what strangers send to break a mail client.

Each entry is (name, raw bytes). Built in code rather than stored as .eml files so the
megabyte-sized and deeply nested ones cost nothing in the repository and stay exact.
"""

from __future__ import annotations

import base64

ESC = "\x1b"
TERMINAL_NASTIES = [
    f"{ESC}[2J{ESC}[H",  # clear screen, home
    f"{ESC}[31mred{ESC}[0m",  # CSI colour
    f"{ESC}]0;pwned title\x07",  # OSC 0: window title
    f"{ESC}]8;;https://evil.example/\x07click me{ESC}]8;;\x07",  # OSC 8 hyperlink
    f"{ESC}]52;c;{base64.b64encode(b'rm -rf ~').decode()}\x07",  # OSC 52: clipboard write
    "\x07\x07bell",
    "\x9b31mC1 CSI\x9d0;c1 osc\x9c",  # C1 controls
    "\x00nul\x7fdel\x08back",
]
MARKUP_NASTIES = [
    "[bold red]loud[/]",
    "[link=https://evil.example]x[/link]",
    "[@click=app.quit]quit[/]",
    "[/]",
    "[b",
]
BIDI_NASTIES = ["\u202eevil\u202c.exe", "\u2066iso\u2069", "a\u200bb\u200dc\ufeffd", "\u061c\u200f"]


def _headers(subject: str, sender: str = "Mallory <mallory@evil.example>", extra: str = "") -> str:
    return (
        f"From: {sender}\r\nTo: you@example.test\r\nSubject: {subject}\r\n"
        f"Date: Mon, 2 Mar 2026 10:00:00 +0000\r\nMessage-ID: <{abs(hash(subject)) % 10**12}@evil.example>\r\n"
        f"MIME-Version: 1.0\r\n{extra}"
    )


def _simple(
    subject: str,
    body: str,
    *,
    sender: str = "Mallory <mallory@evil.example>",
    ctype: str = "text/plain; charset=utf-8",
    cte: str = "8bit",
) -> bytes:
    head = _headers(
        subject, sender, f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n"
    )
    return (
        head.encode("utf-8", "surrogateescape") + b"\r\n" + body.encode("utf-8", "surrogateescape")
    )


def _b2047(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogateescape")).decode() + "?="


def _multipart(
    subject: str,
    parts: list[bytes],
    boundary: str = "BOUND",
    close: bool = True,
    ctype: str = "multipart/mixed",
) -> bytes:
    head = _headers(subject, extra=f'Content-Type: {ctype}; boundary="{boundary}"\r\n').encode()
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    if close:
        body += b"--" + boundary.encode() + b"--\r\n"
    return head + b"\r\n" + body


def _attachment(
    filename: str, data: bytes = b"payload", ctype: str = "application/octet-stream"
) -> bytes:
    fn = filename.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'Content-Type: {ctype}; name="{fn}"\r\nContent-Disposition: attachment; filename="{fn}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("utf-8", "surrogateescape") + base64.encodebytes(data)


def _text_part(body: str = "hello") -> bytes:
    return b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode()


def _nested(depth: int) -> bytes:
    inner = _text_part(f"deep at {depth}")
    for level in range(depth):
        b = f"L{level}"
        inner = (
            f'Content-Type: multipart/mixed; boundary="{b}"\r\n\r\n--{b}\r\n'.encode()
            + inner
            + f"\r\n--{b}--\r\n".encode()
        )
    return _headers("50-deep nesting").encode() + inner


def corpus() -> list[tuple[str, bytes]]:
    items: list[tuple[str, bytes]] = []
    add = items.append
    # Terminal escapes and markup in every field a user sees.
    for i, nasty in enumerate(TERMINAL_NASTIES + MARKUP_NASTIES + BIDI_NASTIES):
        add((f"subject-raw-{i}", _simple(f"Hi {nasty} there", f"body {nasty} end\r\n")))
        add(
            (
                f"subject-2047-{i}",
                _simple(
                    _b2047(f"enc {nasty}"),
                    "x\r\n",
                    sender=f"{_b2047('Name ' + nasty)} <n@evil.example>",
                ),
            )
        )
        add(
            (
                f"body-{i}",
                _simple(
                    "body nasties",
                    f"line 1\r\n{nasty}\r\n> quoted {nasty}\r\n-- \r\nsig {nasty}\r\n",
                ),
            )
        )
        add(
            (
                f"filename-{i}",
                _multipart("filename nasties", [_text_part(), _attachment(f"file {nasty}.txt")]),
            )
        )
    # Malformed MIME.
    add(
        (
            "no-boundary-param",
            _headers("no boundary", extra="Content-Type: multipart/mixed\r\n").encode()
            + b"\r\n--x\r\nhello\r\n--x--\r\n",
        )
    )
    add(
        (
            "never-closed-boundary",
            _multipart("never closed", [_text_part("one"), _text_part("two")], close=False),
        )
    )
    add(
        (
            "boundary-in-body",
            _multipart(
                "tricky boundary", [_text_part("--BOUND is not a boundary"), _text_part("b")]
            ),
        )
    )
    add(("nested-50", _nested(50)))
    add(("nested-500", _nested(500)))
    add(
        ("bad-base64", _simple("bad base64", "!!!!not*base64====\r\nYWJj\r\n@@@\r\n", cte="base64"))
    )
    add(
        ("bad-qp", _simple("bad qp", "=ZZ=4=\r\nsoft=\r\nbreak=3D=E9=\r\n", cte="quoted-printable"))
    )
    add(("wrong-cte", _simple("wrong cte", "plain text really", cte="x-uuencode")))
    add(("binary-in-7bit", _simple("binary", "\x00\x01\x02\xff\xfe text", cte="7bit")))
    # Charsets.
    add(
        (
            "unknown-charset",
            _simple("unknown charset", "caf\xe9", ctype="text/plain; charset=x-no-such-charset"),
        )
    )
    add(
        (
            "lying-charset",
            (
                _headers("lying charset", extra="Content-Type: text/plain; charset=us-ascii\r\n")
                + "\r\n"
            ).encode()
            + "Grüße \u65e5\u672c".encode(),
        )
    )
    add(
        (
            "latin1-as-utf8",
            (
                _headers("latin1 bytes", extra="Content-Type: text/plain; charset=utf-8\r\n")
                + "\r\n"
            ).encode()
            + b"caf\xe9 na\xefve",
        )
    )
    add(
        (
            "base64-charset",
            _simple("charset base64", "aGVsbG8=", ctype="text/plain; charset=base64"),
        )
    )
    # Encoded words.
    add(("unclosed-encoded-word", _simple("=?utf-8?B?SGVsbG8gd29ybGQ", "x")))
    add(
        (
            "overlong-encoded-word",
            _simple("=?utf-8?b?" + base64.b64encode(b"A" * 20000).decode() + "?=", "x"),
        )
    )
    add(("unknown-charset-word", _simple("=?x-klingon?Q?qapla=27?= ok", "x")))
    add(("garbage-words", _simple("=?utf-8?Q?=ZZ=?= =?=?= =??= =?utf-8?X?abc?=", "x")))
    # Size.
    add(("one-megabyte-line", _simple("1 MB single line", "x" * (1024 * 1024) + "\r\n")))
    add(
        (
            "thousands-of-headers",
            (
                _headers("5000 headers", extra="".join(f"X-Spam-{i}: {i}\r\n" for i in range(5000)))
                + "Content-Type: text/plain\r\n\r\nbody"
            ).encode(),
        )
    )
    add(("huge-subject", _simple("S" * 100_000, "x")))
    # Attachment names.
    for name in (
        "../../../etc/passwd",
        "/etc/shadow",
        "C:\\Windows\\system32\\evil.dll",
        "nul\x00byte.txt",
        "CON",
        "NUL.txt",
        "com1.log",
        "a" * 1000 + ".pdf",
        " .. ",
        "...",
        "\u202egnp.exe",
        "",
    ):
        add(
            (
                f"attachment-name-{name[:12]!r}",
                _multipart("bad attachment name", [_text_part(), _attachment(name)]),
            )
        )
    # HTML.
    html_body = (
        "<html><head><script>alert(1)</script><style>body{color:red}</style></head><body>"
        '<iframe src="https://evil.example/frame"></iframe>'
        '<img src="https://tracker.example/pixel.gif?u=you" width="1" height="1">'
        '<a href="javascript:alert(1)">js link</a> <a href="data:text/html,<script>x</script>">data link</a>'
        '<a href="https://good.example/">good link</a> &#27;[31m entity escape &#x9b;'
        "<p>[@click=app.quit]markup in html[/]</p></body></html>"
    )
    add(("html-hostile", _simple("hostile html", html_body, ctype="text/html; charset=utf-8")))
    add(
        (
            "html-10k-nested",
            _simple(
                "deep html", "<div>" * 10_000 + "bottom" + "</div>" * 10_000, ctype="text/html"
            ),
        )
    )
    add(
        (
            "html-only-alternative",
            _multipart(
                "alt",
                [
                    b"Content-Type: text/plain\r\n\r\n",
                    b"Content-Type: text/html\r\n\r\n" + html_body.encode(),
                ],
                ctype="multipart/alternative",
            ),
        )
    )
    # Headers that lie about structure.
    add(("no-headers-at-all", b"\r\njust a body\r\n"))
    add(("no-body-separator", b"Subject: never ends\r\nX-Header: and no blank line"))
    add(("empty", b""))
    return items


# --------------------------------------------------------------------------- generated
# Adversarial input of a chosen size, for the complexity tests (tests/unit/
# test_complexity.py): each shape is what makes a backtracking regex or a naive scanner
# re-read its input — runs of one character class, openers that never close, escapes
# that shift alignment. Sizes are in characters (bytes for the header blocks).

# Every character `\s` matches in a str pattern, ASCII and not: each must be as harmless
# as a space.
WHITESPACE_CLASS = {
    "space": " ",
    "tab": "\t",
    "lf": "\n",
    "cr": "\r",
    "vt": "\x0b",
    "ff": "\x0c",
    "fs": "\x1c",
    "gs": "\x1d",
    "rs": "\x1e",
    "us": "\x1f",
    "nel": "\x85",
    "nbsp": "\xa0",
    "em-space": "\u2003",
    "ideographic-space": "\u3000",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
}


def _fill(unit: str, size: int, tail: str = "") -> str:
    """`unit` repeated to about `size` characters, then `tail`."""
    return unit * max(size // max(len(unit), 1), 1) + tail


def header_values(size: int) -> dict[str, str]:
    """Header field values (From/To/Subject/References…) of about `size` characters."""
    shapes: dict[str, str] = {}
    for name, ch in WHITESPACE_CLASS.items():
        shapes[f"run-of-{name}-then-x"] = _fill(ch, size, "x")
        shapes[f"name-then-{name}-run-then-angle"] = "x" + _fill(ch, size, "<")
        shapes[f"angle-{name}-run"] = "<" + _fill(ch, size, ">x")
    shapes |= {
        "folded-blank-lines": _fill("\r\n ", size, "x"),
        "folded-mixed-eol": _fill("a\r\n b\n\tc\r d", size),
        "lt-run": _fill("<", size),
        "gt-run": _fill(">", size),
        "lt-a-run": _fill("<a", size),
        "lt-at-run": _fill("<a@", size),
        "unclosed-angle-addr": "Name <" + _fill("a", size),
        "at-run": _fill("@", size),
        "quote-run": _fill('"', size),
        "open-quote": '"' + _fill("a ", size),
        "quoted-pairs": '"' + _fill('\\"', size),
        "paren-run": _fill("(", size),
        "close-paren-run": _fill(")", size),
        "escaped-parens": "(" + _fill("\\(", size),
        "escaped-parens-ws": _fill("(\\( ", size),
        "backslash-run": _fill("\\", size),
        "comma-run": _fill(",", size),
        "semicolon-run": _fill(";", size),
        "colon-run": _fill("a:", size),
        "group-run": _fill("g: a@b;", size),
        "long-word": _fill("a", size),
        "long-word-then-at": _fill("a", size, "@"),
        "long-address": _fill("a", size, "@example.com"),
        "many-addresses": _fill('"N, x" <a@b.example>, ', size),
        "encoded-word-openers": _fill("=?", size),
        "encoded-word-heads": _fill("=?utf-8?q?", size),
        "encoded-word-unclosed": "=?utf-8?b?" + _fill("QUJD", size),
        "encoded-words": _fill("=?utf-8?q?=C3=A9?= ", size),
        "encoded-words-b": _fill("=?utf-8?b?w6k=?=", size),
        "encoded-word-bad-charset": _fill("=?x-\u00e9?q?a?= ", size),
        "msgid-run": _fill("<a@b>", size),
        "msgid-unclosed": _fill("<a@b", size),
        "bare-msgid-run": _fill("a@b ", size),
        "re-prefix-blanks": "re" + _fill(" ", size, "x"),
        "re-colon-run": _fill("Re: ", size, "x"),
        "re-counter-run": _fill("Re[2]: ", size, "x"),
        "fw-run": _fill("Fw", size),
        "list-tag-run": _fill("[x]", size, "y"),
        "unclosed-list-tag": "[" + _fill("a", size),
        "bracket-run": _fill("[", size),
        "date-blanks": "1" + _fill(" ", size, "x"),
        "date-tokens": _fill("1 Jan ", size),
        "date-digits": _fill("9", size),
        "controls": "".join(chr(c) for c in range(32)) * max(size // 32, 1),
        "bidi-run": _fill("\u202e\u2066", size),
        "non-ascii-run": _fill("é", size),
        "surrogate-run": _fill("\udce9", size),
    }
    return shapes


def header_blocks(size: int) -> dict[str, bytes]:
    """Whole header blocks: each hostile value in the fields a sync parses."""
    blocks: dict[str, bytes] = {}
    for shape, value in header_values(size).items():
        raw = value.encode("utf-8", "surrogateescape")
        for field in ("From", "To", "Subject", "Date", "References", "Content-Type"):
            blocks[f"{field}:{shape}"] = (
                f"{field}: ".encode() + raw + b"\r\nMessage-ID: <x@y>\r\n\r\n"
            )
    blocks["many-fields"] = _fill("X-A: b\r\n", size).encode() + b"\r\n"
    blocks["no-colon-lines"] = _fill("garbage line\r\n", size).encode()
    blocks["binary"] = bytes(range(256)) * max(size // 256, 1)
    return blocks


def html_documents(size: int) -> dict[str, str]:
    """HTML bodies of about `size` characters: tag runs that never close, and worse."""
    return {
        "text": _fill("word ", size),
        "one-long-word": _fill("x", size),
        "lt-run": _fill("<", size),
        "lt-a-run": _fill("<a", size),
        "lt-space-run": _fill("< ", size),
        "end-tag-openers": _fill("</", size),
        "comment-openers": _fill("<!--", size),
        "comment-unclosed": "<!--" + _fill("a", size),
        "dash-run-in-comment": "<!--" + _fill("-", size),
        "bang-openers": _fill("<!", size),
        "cdata-openers": _fill("<![x[", size),
        "cdata-forcing-fallback": "<![x[ ]]>" + _fill("<style>", size),
        "pi-openers": _fill("<?", size),
        "attr-value-runs": _fill('<a b="x" ', size),
        "attr-unclosed-quote": '<a b="' + _fill("x", size),
        "attr-name-run": "<a " + _fill("b ", size),
        "attr-equals-run": "<a " + _fill("=", size),
        "script-openers": _fill("<script>", size),
        "style-openers": _fill("<style>", size),
        "script-unclosed": "<script>" + _fill("</scrip", size),
        "title-unclosed": "<title>" + _fill("</", size),
        "textarea-lt-run": "<textarea>" + _fill("<", size),
        "pre-spaces": "<pre>" + _fill(" ", size, "x"),
        "pre-tabs": "<pre>" + _fill("\t", size, "x"),
        "pre-newlines": "<pre>" + _fill("\n", size, "x"),
        "pre-crlf": "<pre>" + _fill("a \r\n", size),
        "spaces-then-x": _fill(" ", size, "x"),
        "nbsp-run": _fill("&nbsp;", size),
        "entity-run": _fill("&amp;", size),
        "entity-openers": _fill("&", size),
        "numeric-openers": _fill("&#", size),
        "hex-openers": _fill("&#x", size),
        "huge-numeric-ref": "&#" + _fill("9", size) + ";",
        "named-ref-prefixes": _fill("&notit;", size),
        "control-refs": _fill("&#27;[31m", size),
        "paragraphs": _fill("<p>x</p>", size),
        "line-breaks": _fill("<br>", size),
        "divs-unclosed": _fill("<div>", size),
        "deep-lists": _fill("<ul><li>", size),
        "deep-quotes": _fill("<blockquote>", size),
        "table-cells": _fill("<td>x", size),
        "links": _fill('<a href="https://e.example/x">y</a>', size),
        "js-links": _fill('<a href="java&#x09;script:x">y</a>', size),
        "images": _fill('<img alt="a" src="x">', size),
        "headings": _fill("<h1>x</h1>", size),
        "hyphen-run": _fill("-", size),
        "word-hyphen-run": _fill("a-", size),
        "em-dash-run": "a" + _fill("-", size, "b"),
        "crlf-mix": _fill("a\r\nb\nc\rd ", size),
        "upper-case-tags": _fill("<P CLASS=X>Y</P>", size),
    }


def text_bodies(size: int) -> dict[str, str]:
    """Plain-text bodies of about `size` characters for quote, flowed and link handling."""
    bodies = {f"run-of-{name}": _fill(ch, size, "x") for name, ch in WHITESPACE_CLASS.items()}
    bodies |= {
        "one-long-line": _fill("x", size),
        "short-lines": _fill("a\n", size),
        "blank-lines": _fill("\n", size),
        "quote-then-blank-lines": "> a\n" + _fill("\n", size, "b"),
        "quote-blank-quote": _fill("> a\n\n", size),
        "bare-sig-separators": _fill("--\n", size),
        "sig-separators": _fill("-- \n", size),
        "quote-markers": _fill(">", size),
        "spaced-quote-markers": _fill("> ", size),
        "quote-marker-then-blanks": ">" + _fill(" ", size),
        "long-quoted-word": "> " + _fill("x", size),
        "long-quoted-words": "> " + _fill("word ", size),
        "long-quoted-line-tabs": "> " + _fill("\t", size, "x"),
        "flowed-soft-breaks": _fill("a \n", size),
        "flowed-stuffed": _fill(" >a \n", size),
        "flowed-depth-changes": _fill("> a \n>> b \n", size),
        "crlf-mix": _fill("a\r\nb\nc\rd", size),
        "urls": _fill("https://e.example/a ", size),
        "url-prefixes": _fill("http://", size),
        "mailto-run": _fill("mailto:", size),
        "controls": "".join(chr(c) for c in range(32)) * max(size // 32, 1),
        "tabs": _fill("\t", size),
        "mixed-bidi": _fill("a\u202eb\u2066", size),
    }
    return bodies


def transfer_encoded(size: int) -> dict[str, tuple[str, bytes]]:
    """(Content-Transfer-Encoding, payload) pairs of about `size` bytes."""
    return {
        "base64-lines": ("base64", _fill("QUJDRA==\r\n", size).encode()),
        "base64-equals": ("base64", _fill("=", size).encode()),
        "base64-junk": ("base64", _fill("!*~", size).encode()),
        "base64-padding-inside": ("base64", _fill("QQ==", size).encode()),
        "base64-8bit": ("base64", b"\xff\xfe" * (size // 2)),
        "qp-soft-breaks": ("quoted-printable", _fill("=\r\n", size).encode()),
        "qp-escapes": ("quoted-printable", _fill("=C3=A9", size).encode()),
        "qp-broken": ("quoted-printable", _fill("=Z", size).encode()),
        "qp-one-line": ("quoted-printable", _fill("a", size).encode()),
    }


CHARSETS = (
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "gb2312",
    "shift_jis",
    "iso-2022-jp",
    "utf-7",
    "utf-16",
    "big5",
    "x-unknown",
)


def charset_payloads(size: int) -> dict[str, bytes]:
    """Byte strings that make charset guessing try every fallback."""
    return {
        "high-bytes": bytes(range(128, 256)) * max(size // 128, 1),
        "broken-utf8": _fill("\xe9a", size).encode("latin-1"),
        "utf8-then-junk": _fill("é", size).encode() + b"\xff",
        "escape-sequences": _fill("\x1b$B", size).encode(),
        "plus-minus": _fill("+-+A", size).encode(),
        "nul-run": b"\x00" * size,
    }


def mime_messages(size: int) -> dict[str, bytes]:
    """Whole messages of about `size` bytes whose structure is the attack."""
    head = b"From: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
    mixed = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    return {
        "param-semicolons-quoted": head
        + b'Content-Type: text/plain; a="'
        + b";" * size
        + b'"\r\n\r\nx',
        "param-semicolons": head + b"Content-Type: text/plain" + b";" * size + b"\r\n\r\nx",
        "param-escaped-quotes": head
        + b'Content-Type: text/plain; a="'
        + b'\\";' * (size // 3)
        + b"\r\n\r\nx",
        "param-many": head + b"Content-Type: text/plain" + b"; a=b" * (size // 5) + b"\r\n\r\nx",
        "param-rfc2231-pieces": head
        + b"Content-Type: text/plain"
        + b"".join(b"; name*%d*=x" % i for i in range(size // 14))
        + b"\r\n\r\nx",
        "disposition-semicolons": head
        + b'Content-Type: text/plain\r\nContent-Disposition: attachment; filename="'
        + b";" * size
        + b'"\r\n\r\nx',
        "many-parts": head + mixed + b"--b\r\n\r\nx\r\n" * (size // 10) + b"--b--\r\n",
        "repeated-boundaries": head + mixed + b"--b\r\n" * (size // 5) + b"--b--\r\n",
        "near-boundaries": head + mixed + b"--b\r\n\r\n" + b"--bx\r\n" * (size // 6),
        "nested-multiparts": head
        + b"".join(
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
            for i in range(size // 60)
        ),
        "nested-messages": head + b"Content-Type: message/rfc822\r\n\r\n" * (size // 33),
        "long-lines": head + b"\r\n" + b"a" * size,
        "crlf-mix": head + b"\r\n" + b"a\r\nb\nc\r" * (size // 7),
        "bare-cr-body": head + b"\r\n" + b"\r" * size,
        "folded-header": head + b"X-A: a" + b"\r\n a" * (size // 4) + b"\r\n\r\nx",
        "many-headers": head + b"X-A: a\r\n" * (size // 8) + b"\r\nx",
        "base64-body": head
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + b"QUJD\r\n" * (size // 6),
    }


def queries(size: int) -> dict[str, str]:
    """Search strings of about `size` characters."""
    return {
        "long-word": _fill("a", size),
        "long-quoted": '"' + _fill("a b ", size) + '"',
        "escaped-quotes": '"' + _fill('\\"', size) + '"',
        "backslashes": _fill("\\\\", size),
        "single-quoted": _fill("'a' ", size),
        "many-terms": _fill("from:a ", size),
        "negations": _fill("-x ", size),
        "blanks": _fill(" \t", size, "x"),
        "colons": _fill(":", size),
        "flag-words": _fill("unseen ", size),
        "unicode-words": _fill("grüße ", size),
    }


def generated_corpus(size: int) -> list[tuple[str, bytes]]:
    """Whole messages built from every generated shape above: the header shapes in From
    and Subject, the HTML and text shapes as bodies, the MIME ones as they are."""
    items: list[tuple[str, bytes]] = []
    for shape, value in header_values(size).items():
        v = value.encode("utf-8", "surrogateescape")
        head = b"From: " + v + b"\r\nSubject: " + v
        items.append((f"headers/{shape}", head + b"\r\nContent-Type: text/plain\r\n\r\nbody\r\n"))
    for shape, doc in html_documents(size).items():
        items.append((f"html/{shape}", _simple(shape, doc, ctype="text/html; charset=utf-8")))
    for shape, text in text_bodies(size).items():
        items.append((f"text/{shape}", _simple(shape, text)))
        items.append(
            (f"flowed/{shape}", _simple(shape, text, ctype="text/plain; format=flowed; delsp=yes"))
        )
    items.extend((f"mime/{shape}", raw) for shape, raw in mime_messages(size).items())
    return items
