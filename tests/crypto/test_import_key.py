"""An unknown signer's key is fetched only when the user asks (the palette's "Import
key" in the palette, `:import-key` on the command line), from the keyserver gpg's dirmngr is set up with — here a real HKP server on
loopback serving the key gpg exported — and the message then verifies."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.crypto.keyring import Keyring, run_gpg
from tests.crypto.messages import Corpus
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader


@pytest.fixture
def keyserver(keys: Keyring) -> Iterator[tuple[str, list[str]]]:
    """An HKP server (draft-shaw-openpgp-hkp) answering op=get with Mallory's key."""
    armored = run_gpg(keys.sender, "--armor", "--export", keys.mallory)
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            if self.path.startswith("/pks/lookup") and "op=get" in self.path:
                body = armored
                self.send_response(200)
                self.send_header("Content-Type", "application/pgp-keys")
            else:
                body = b"not found"
                self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"hkp://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def home(keys: Keyring, tmp_path: Path, keyserver: tuple[str, list[str]]) -> Iterator[Path]:
    home = tmp_path / "gnupg"
    shutil.copytree(keys.reader, home, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    (home / "dirmngr.conf").write_text(f"keyserver {keyserver[0]}\n")
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)


async def test_import_key_fetches_only_when_asked_then_verifies(
    dovecot: Dovecot,
    tmp_path: Path,
    keys: Keyring,
    corpus: Corpus,
    home: Path,
    keyserver: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(home))
    user: MailUser = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(corpus.unknown)])
    app = make_app(dovecot, user, tmp_path / "app")
    async with app.run_test(size=(130, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        reader = app.main.reader
        assert [line.kind for line in reader.security.lines] == ["warn"]
        assert "key you do not have" in reader.security.lines[0].text
        assert keyserver[1] == []  # reading reached out to no one
        await pilot.press("ctrl+p")  # the command palette
        await wait_for(pilot, lambda: app.screen is not app.main)
        await pilot.press(*"import", "space", "key")
        await wait_for(pilot, lambda: "Import key" in screen_text(app), what="the command")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: reader.security.lines and reader.security.lines[0].kind == "good",
            timeout=60,
            what="the signature checked with the fetched key",
        )
        assert "Good signature from Mallory <mallory@example.com>" in reader.security.lines[0].text
    assert any(keys.mallory[-16:].upper() in p.upper() for p in keyserver[1])
