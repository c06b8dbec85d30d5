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
