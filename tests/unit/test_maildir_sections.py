"""BODY[section] from a file names the same bytes as the structure mime.parse reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.maildir import sections
from mailtui.mime.parse import parse_message, transfer_decode
from tests.support import mailgen

FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "mime").glob("*.eml"))
GENERATED = [m.raw for m in mailgen.generate(60, seed=11, attachment_ratio=0.3, html_ratio=0.5)]
# A bounce: its message/delivery-status part is a list of header blocks to `email`.
BOUNCE = (
    b"From: MAILER-DAEMON@example.test\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; example.test\r\n\r\n"
    b"Final-Recipient: rfc822; a@example.test\r\nAction: failed\r\n"
    b"--b--\r\n"
)


@pytest.mark.parametrize("raw", [p.read_bytes() for p in FIXTURES] + GENERATED + [BOUNCE])
def test_every_leaf_section_matches_the_parsed_part(raw: bytes) -> None:
    parsed = parse_message(raw)
    for part in parsed.structure.walk():
        if part.is_multipart:
            continue
        encoded = sections.extract(raw, part.section)
        if part.mime_type in ("message/rfc822", "message/global"):
            inner = parse_message(encoded)
            assert inner.subject == part.description
            continue
        assert transfer_decode(encoded, part.encoding) == parsed.part_bytes(part.section)


def test_a_delivery_status_part_reads_as_it_does_over_imap() -> None:
    """It was empty from a Maildir (the section walker there knew only leaves)."""
    report = parse_message(BOUNCE).structure.children[1]
    assert report.mime_type == "message/delivery-status"
    assert b"Action: failed" in sections.extract(BOUNCE, report.section)


def test_whole_header_and_text() -> None:
    raw = b"Subject: hi\r\nFrom: a@b\r\n\r\nline 1\r\nline 2\r\n"
    assert sections.extract(raw, "") == raw
    assert sections.extract(raw, "HEADER") == b"Subject: hi\r\nFrom: a@b\r\n\r\n"
    assert sections.extract(raw, "TEXT") == b"line 1\r\nline 2\r\n"
    assert sections.extract(raw, "1") == b"line 1\r\nline 2\r\n"
    assert sections.extract(raw, "2") == b""
    assert sections.extract(raw, "1.MIME").startswith(b"Subject: hi")


def test_nested_message_sections() -> None:
    raw = (Path(__file__).parents[1] / "fixtures" / "mime" / "nested_rfc822.eml").read_bytes()
    parsed = parse_message(raw)
    rfc822 = next(p for p in parsed.structure.walk() if p.mime_type == "message/rfc822")
    header = sections.extract(raw, f"{rfc822.section}.HEADER")
    assert b"Subject:" in header and header.endswith((b"\n\n", b"\r\n\r\n"))
    assert sections.extract(raw, f"{rfc822.section}.TEXT")


def test_read_header_stops_at_the_blank_line(tmp_path: Path) -> None:
    import os

    path = tmp_path / "m"
    path.write_bytes(b"Subject: x\n" + b"X-Long: " + b"y" * 40000 + b"\n\n" + b"z" * 10_000_000)
    fd = os.open(path, os.O_RDONLY)
    try:
        head = sections.read_header(fd)
        assert head.endswith(b"\n\n") and len(head) < 50_000
        assert os.lseek(fd, 0, os.SEEK_CUR) < 200_000  # did not read the 10 MB body
    finally:
        os.close(fd)
