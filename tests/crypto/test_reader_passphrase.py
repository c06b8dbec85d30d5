"""A message encrypted to a passphrase-protected key, read in the TUI: mailtui's own
masked prompt asks (gpg in loopback mode), gpg-agent's pinentry never runs, a wrong
answer is asked again, and escape leaves the message closed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from mailtui.ui.screens.passphrase import PassphraseScreen
from tests.crypto.keyring import PASSPHRASE, Keyring
from tests.crypto.messages import SECRET, headers, multipart_encrypted
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for


@pytest.fixture
def locked_user(dovecot: Dovecot, keys: Keyring) -> MailUser:
    user = dovecot.add_user()
    entity = b"Content-Type: text/plain\r\n\r\nLocked " + SECRET + b"\r\n"
    raw = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "locked"), keys.encrypt(entity, keys.locked)
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw)])
    return user


async def test_the_app_asks_for_the_passphrase_in_its_own_masked_prompt(
    locked_user: MailUser,
    dovecot: Dovecot,
    tmp_path: Path,
    keys: Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    before = keys.pinentry_calls()
    app = make_app(dovecot, locked_user, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen), what="the prompt")
        assert app.screen.query_one(Input).password  # masked
        await wait_for(
            pilot, lambda: "Locked Key <locked@example.org>" in screen_text(app), what="whose key"
        )
        await pilot.press(*"wrong", "enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, PassphraseScreen) and app.screen.request.retry,
            what="the second prompt",
        )
        await wait_for(
            pilot, lambda: "That passphrase was wrong" in screen_text(app), what="the retry"
        )
        await pilot.press(*["space" if c == " " else c for c in PASSPHRASE], "enter")
        reader = app.main.reader
        await wait_for(
            pilot,
            lambda: reader.loaded is not None and SECRET.decode() in reader.loaded.text,
            what="the decrypted body",
        )
        kinds = [line.kind for line in reader.security.lines]
        assert kinds[0] == "encrypted"
        assert SECRET.decode() in screen_text(app)
    assert keys.pinentry_calls() == before  # gpg-agent's pinentry never drew anything
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_bytes(), path


async def test_escape_leaves_it_encrypted_and_says_so(
    locked_user: MailUser,
    dovecot: Dovecot,
    tmp_path: Path,
    keys: Keyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    app = make_app(dovecot, locked_user, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen), what="the prompt")
        await pilot.press("escape")
        reader = app.main.reader
        await wait_for(pilot, lambda: reader.security.lines, what="the status")
        assert reader.security.lines[0].kind == "encrypted"
        assert "not decrypted" in reader.security.lines[0].text
        assert SECRET.decode() not in screen_text(app)


def test_mailtui_show_lets_gpg_agents_pinentry_ask(
    locked_user: MailUser, dovecot: Dovecot, tmp_path: Path, keys: Keyring
) -> None:
    """The CLI never prompts itself: gpg-agent's pinentry (here the keyring's program,
    which answers from a file) is asked, once, and the text is printed."""
    import subprocess
    import sys

    from tests.support.accounts import cli_env

    env = cli_env(tmp_path, dovecot, locked_user)
    env["GNUPGHOME"] = str(keys.reader)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    before = keys.pinentry_calls()
    proc = subprocess.run(
        [sys.executable, "-m", "mailtui", "show", "INBOX", "1"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert out.startswith("[ENCRYPTED] Encrypted")
    assert f"Locked {SECRET.decode()}" in out
    assert keys.pinentry_calls() == before + 1
