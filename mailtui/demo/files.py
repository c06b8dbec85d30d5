"""Small but valid attachment files for the demo mailbox: PDF, PNG and CSV, built in code.

Real viewers must open them (a demo whose attachments are broken would look broken),
so each follows its format exactly: the PDF has a correct cross-reference table, the
PNG correct chunk CRCs. All are deterministic functions of their arguments.
"""

from __future__ import annotations

import random
import struct
import zlib


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(title: str, lines: list[str]) -> bytes:
    """A one-page A4 PDF showing a title and some lines of Helvetica text."""
    ops = ["BT", "/F1 20 Tf", "72 770 Td", f"({_pdf_escape(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        ops += ["0 -18 Td", f"({_pdf_escape(line)}) Tj"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode()
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png(width: int, height: int, seed: int) -> bytes:
    """An RGB PNG: a soft two-colour gradient with a few blocks, different per seed."""
    rng = random.Random(seed)
    a = [rng.randrange(40, 220) for _ in range(3)]
    b = [rng.randrange(40, 220) for _ in range(3)]
    blocks = [
        (rng.randrange(width), rng.randrange(height), rng.randrange(4, width // 3 + 5))
        for _ in range(4)
    ]
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type None
        t = y / max(height - 1, 1)
        for x in range(width):
            colour = [int(a[i] * (1 - t) + b[i] * t) for i in range(3)]
            for bx, by, size in blocks:
                if bx <= x < bx + size and by <= y < by + size:
                    colour = [255 - c for c in colour]
            rows += bytes(colour)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def csv(header: list[str], rows: list[list[object]]) -> bytes:
    """RFC 4180 CSV (CRLF line ends), quoting fields that need it."""

    def field(value: object) -> str:
        text = str(value)
        if any(c in text for c in ',"\r\n'):
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [",".join(field(v) for v in row) for row in [header, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
