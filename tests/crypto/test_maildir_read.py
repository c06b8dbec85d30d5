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
