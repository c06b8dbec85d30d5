"""Decrypted text never reaches a file: not in the GnuPG home, HOME, the cache dir, the
temp or runtime dir, nor a DEBUG log of the app (python-gnupg logs data at DEBUG)."""

from __future__ import annotations

import logging
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gnupg
import pytest

from mailtui.crypto import (
    Engine,
    Pinentry,
    decrypt_message,
    encrypt_message,
    process_inline,
)
from tests.crypto.keyring import PASSPHRASE, Keyring
from tests.crypto.messages import SECRET, Corpus, headers, multipart_encrypted
from tests.crypto.test_send import armored


@pytest.fixture
def world(tmp_path: Path, keys: Keyring, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private HOME, XDG dirs, TMPDIR and a copy of the reader's GNUPGHOME, plus the
    root logger at DEBUG into a file there."""
    home = tmp_path / "home"
    for sub in ("cache", "runtime", "tmp"):
        (home / sub).mkdir(parents=True, mode=0o700)
    gpghome = home / "gnupg"
    shutil.copytree(keys.reader, gpghome, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GNUPGHOME", str(gpghome))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "runtime"))
    monkeypatch.setenv("TMPDIR", str(home / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(home / "tmp"))
    # python-gnupg's most talkative setting: it then logs every chunk of gpg's stdout
    # (the plaintext) at DEBUG. mailtui.crypto caps that logger, so none may arrive.
    monkeypatch.setattr(gnupg, "log_everything", True)
    handler = logging.FileHandler(home / "cache" / "mailtui.log")
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield home
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(old_level)
        # Stop the agent this copy of the home started.
        subprocess.run(
            ["gpgconf", "--homedir", str(gpghome), "--kill", "all"],
            check=False,
            capture_output=True,
        )


def _files(root: Path) -> list[Path]:
    out = []
    for path in root.rglob("*"):
        mode = path.lstat().st_mode
        if stat.S_ISREG(mode):
            out.append(path)
    return out


def test_decrypting_writes_no_plaintext_anywhere(
    world: Path, keys: Keyring, corpus: Corpus
) -> None:
    engine = Engine()  # GNUPGHOME from the environment: the copy in `world`
    seen: list[bytes] = []
    for raw in (corpus.combined, corpus.nested, corpus.protected, corpus.legacy_display):
        seen.append(decrypt_message(engine, raw, pinentry=Pinentry.never()).data)
    inline = process_inline(engine, corpus.inline_encrypted, "utf-8", Pinentry.never())
    seen.append(inline.segments[1].text.encode())
    locked = multipart_encrypted(
        headers("Bob <bob@example.net>", "locked"),
        keys.encrypt(b"Content-Type: text/plain\r\n\r\n" + SECRET + b"\r\n", keys.locked),
    )
    seen.append(
        decrypt_message(engine, locked, pinentry=Pinentry.loopback(lambda _: PASSPHRASE)).data
    )
    # Our own encryption of the secret, decrypted again.
    sent = encrypt_message(
        engine,
        b"From: me@example.org\r\nTo: bob@example.net\r\nSubject: s\r\n\r\n" + SECRET + b"\r\n",
        [keys.me],
        sign_as=keys.me,
    )
    assert SECRET not in sent
    seen.append(decrypt_message(engine, sent, pinentry=Pinentry.never()).data)
    assert all(SECRET in s for s in seen)  # the check below would catch a real leak
    assert armored(sent)

    files = _files(world)
    assert any(p.name == "pubring.kbx" for p in files)  # gpg did write its own files
    assert (world / "cache" / "mailtui.log").exists()
    leaks = [str(p) for p in files if SECRET in p.read_bytes()]
    assert leaks == []
    # No FIFO directory (nor anything else) is left behind in the temp/runtime dirs.
    assert list((world / "tmp").iterdir()) == []
    assert [p.name for p in (world / "runtime").iterdir() if p.name.startswith("mailtui-")] == []
