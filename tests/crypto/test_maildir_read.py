"""A Maildir account: signatures are checked over the message file's own bytes (the
Maildir section reader re-serialises headers, which would break them), and encrypted
mail is decrypted — through the same use case `mailtui show` runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.crypto import Pinentry
from mailtui.sync import commands
from mailtui.usecase.reading import SecureReading, read_body
from tests.crypto.keyring import Keyring
from tests.crypto.messages import SECRET, Corpus
from tests.support import mailgen

# Folded MIME headers in the signed part: re-serialised, they would unfold and the
# signature would no longer match the bytes.
FOLDED = (
    b"Content-Type: text/plain;\r\n"
    b"  charset=utf-8;\r\n"
    b"\tformat=flowed\r\n"
    b"Content-Transfer-Encoding:   7bit\r\n"
    b"\r\n"
    b"Folded headers, signed as written.\r\n"
)


def test_maildir_signed_and_encrypted(
    keys: Keyring, corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.crypto.messages import headers, multipart_signed

    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    folded = multipart_signed(
        headers("Bob Sender <bob@example.net>", "folded"), FOLDED, keys.sign(keys.bob, FOLDED)
    )
    mail = [corpus.good, corpus.bad, corpus.combined, folded]
    maildir = tmp_path / "Mail"
    mailgen.write_maildir(maildir, "INBOX", [mailgen.from_bytes(m) for m in mail])
    settings = make_settings({"me": {"email": "me@example.org", "maildir": str(maildir)}})
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        secure = SecureReading(ctx.account(), Pinentry.never())
        kinds = {}
        texts = {}
        for uid in (1, 2, 3, 4):
            shown = read_body(service, "INBOX", uid, secure=secure)
            assert shown.secure is not None
            kinds[uid] = [line.kind for line in shown.secure.lines]
            texts[uid] = shown.text
    finally:
        ctx.close()
    assert kinds == {1: ["good"], 2: ["bad"], 3: ["encrypted", "good"], 4: ["good"]}
    assert SECRET.decode() in texts[3]
    assert "Folded headers, signed as written." in texts[4]


def test_a_signed_part_beside_unsigned_text_does_not_vouch_for_it(
    keys: Keyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """multipart/mixed: unsigned "pay X" first, a genuinely signed part after it. The
    reader shows the first text; a good signature on the other part must not stand
    above it as if it covered it."""
    from tests.crypto.messages import TEXT_ENTITY, headers, multipart_signed

    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    signed_entity = multipart_signed(b"", TEXT_ENTITY, keys.sign(keys.bob, TEXT_ENTITY))
    raw = (
        headers("Bob Sender <bob@example.net>", "mixed")
        + b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
        + b"Content-Type: text/plain\r\n\r\nPay 1000 EUR to account X.\r\n--mix\r\n"
        + signed_entity
        + b"\r\n--mix--\r\n"
    )
    maildir = tmp_path / "Mail"
    mailgen.write_maildir(maildir, "INBOX", [mailgen.from_bytes(raw)])
    settings = make_settings({"me": {"email": "me@example.org", "maildir": str(maildir)}})
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        shown = read_body(
            service, "INBOX", 1, secure=SecureReading(ctx.account(), Pinentry.never())
        )
    finally:
        ctx.close()
    assert "Pay 1000 EUR" in shown.text
    assert shown.secure is not None
    kinds = [line.kind for line in shown.secure.lines]
    assert "good" not in kinds
    assert "NOT in the signed part" in shown.secure.lines[-1].text


def test_a_forwarded_signed_message_is_not_this_messages_signature(
    keys: Keyring, corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed message attached (message/rfc822) to an unsigned one: its signature is
    the attachment's, not the outer message's; no status line claims otherwise."""
    from tests.crypto.messages import headers

    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    raw = (
        headers("Mallory <mallory@example.com>", "fwd")
        + b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
        + b"Content-Type: text/plain\r\n\r\nSee the signed mail below.\r\n--mix\r\n"
        + b"Content-Type: message/rfc822\r\n\r\n"
        + corpus.good
        + b"\r\n--mix--\r\n"
    )
    maildir = tmp_path / "Mail"
    mailgen.write_maildir(maildir, "INBOX", [mailgen.from_bytes(raw)])
    settings = make_settings({"me": {"email": "me@example.org", "maildir": str(maildir)}})
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        shown = read_body(
            service, "INBOX", 1, secure=SecureReading(ctx.account(), Pinentry.never())
        )
    finally:
        ctx.close()
    assert "See the signed mail below." in shown.text
    assert shown.secure is None
