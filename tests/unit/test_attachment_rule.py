"""One attachment rule (issue 13): the list's paperclip, from headers and then from the
structure, agrees with the attachments the reader offers.

`BodyPart.has_attachments` is the rule; the header-only guess (`guess_has_attachments`)
stands in for it until the structure is cached. Before, the cache counted an S/MIME
signature (smime.p7s, disposition attachment) as an attachment: a signed message gained
a paperclip once opened, though the reader listed nothing to save.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.cache.store import HeaderCache
from mailtui.mime.envelope import header_row
from mailtui.mime.parse import parse_message
from mailtui.mime.render import attachments
from mailtui.model import Folder


def _signed() -> bytes:
    return (
        b"From: a@example.test\r\nTo: b@example.test\r\nSubject: signed\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature";'
        b' micalg=sha-256; boundary="s"\r\n\r\n'
        b"--s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsigned text\r\n"
        b"--s\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=smime.p7s\r\n\r\nAAAA\r\n--s--\r\n"
    )


def _with_pdf() -> bytes:
    return (
        b"From: a@example.test\r\nTo: b@example.test\r\nSubject: report\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b"--m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--m\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=r.pdf\r\n\r\nJVBERg==\r\n--m--\r\n"
    )


def _plain() -> bytes:
    return b"From: a@example.test\r\nSubject: hi\r\nContent-Type: text/plain\r\n\r\nhello\r\n"


@pytest.mark.parametrize(
    ("raw", "expected"), [(_signed(), False), (_with_pdf(), True), (_plain(), False)]
)
def test_paperclip_before_and_after_the_structure_matches_the_reader(
    tmp_path: Path, raw: bytes, expected: bool
) -> None:
    parsed = parse_message(raw)
    assert bool(attachments(parsed.structure)) is expected  # what the reader offers
    cache = HeaderCache(tmp_path / "c.sqlite3")
    try:
        cache.replace_folders([Folder(name="INBOX", raw_name="INBOX")])
        head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
        cache.store_batch("INBOX", [header_row(1, (), 0, 1_700_000_000, len(raw), head)])
        assert cache.envelope("INBOX", 1).has_attachments is expected  # from headers
        cache.set_bodystructure("INBOX", 1, parsed.structure)
        assert cache.envelope("INBOX", 1).has_attachments is expected  # from the structure
        assert parsed.to_envelope(1).has_attachments is expected  # a Maildir's own rows
    finally:
        cache.close()
