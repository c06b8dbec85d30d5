"""Replying in the TUI with OpenPGP: the review screen's S and X, then aiosmtpd gets
mail that Bob's own gpg decrypts and whose signature is mine; the Sent copy in Dovecot
is the same bytes. With a passphrase-protected key, mailtui's masked prompt asks while
sending."""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import TextArea

from mailtui.ui.screens.passphrase import PassphraseScreen
from tests.compose.smtpd import SmtpServer
from tests.crypto.keyring import PASSPHRASE, Keyring
from tests.crypto.messages import SECRET, Corpus
from tests.crypto.test_send import armored, split_signed
from tests.crypto.test_send_flow import sent_copies
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_server


@pytest.fixture(autouse=True)
def no_external_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keys: Keyring) -> None:
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        server = SmtpServer(mode="plain").start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def bob_wrote(dovecot: Dovecot) -> MailUser:
    user = dovecot.add_user()
    raw = mailgen.make_message(
        subject="Plans",
        sender="Bob Sender <bob@example.net>",
        to="Me Myself <me@example.org>",
        body="Lunch?\n",
        date=NOW,
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "Sent", [])
    return user


async def reply_and_review(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await ready(pilot, app)
    await pilot.press("r")
    await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
    area = app.screen.query_one(TextArea)
    area.insert("Yes, at noon.\n", (area.text.split("\n").index("") + 1, 0))
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: "OpenPGP" in screen_text(app), what="the review's OpenPGP line")


async def test_reply_signed_and_encrypted_from_the_review_screen(
    bob_wrote: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring
) -> None:
    account = {"email": "me@example.org", "smtp": smtp.table(), "pgp_key": keys.me}
    app = make_app(dovecot, bob_wrote, tmp_path, ui={"mark_read_delay": -1}, account=account)
    async with app.run_test(size=(120, 40)) as pilot:
        await reply_and_review(app, pilot)
        assert "sign: no · encrypt: no" in screen_text(app)
        await pilot.press("S", "X")
        await wait_for(pilot, lambda: "sign: yes · encrypt: yes" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        copies = await wait_server(lambda: sent_copies(dovecot, bob_wrote), what="the Sent copy")
    raw = smtp.messages[0].content
    assert copies == [raw]  # Sent holds exactly the bytes that were sent
    assert b"multipart/encrypted" in raw and b"Yes, at noon." not in raw
    proc = subprocess.run(
        ["gpg", "--homedir", str(keys.sender), "--batch", "--status-fd", "2", "--decrypt"],
        input=armored(raw),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Yes, at noon." in proc.stdout
    assert f"GOODSIG {keys.me[-16:]}".encode() in proc.stderr


async def test_signing_with_a_locked_key_asks_in_mailtuis_prompt(
    bob_wrote: MailUser, dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring
) -> None:
    account = {
        "email": "me@example.org",
        "smtp": smtp.table(),
        "pgp_key": keys.locked,
        "pgp_sign": True,
    }
    before = keys.pinentry_calls()
    app = make_app(dovecot, bob_wrote, tmp_path, ui={"mark_read_delay": -1}, account=account)
    async with app.run_test(size=(120, 40)) as pilot:
        await reply_and_review(app, pilot)
        assert "sign: yes · encrypt: no" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen), what="the prompt")
        await pilot.press(*["space" if c == " " else c for c in PASSPHRASE], "enter")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
    signed, sig, _ = split_signed(smtp.messages[0].content)
    check = keys.verify(signed, sig, tmp_path)
    assert f"GOODSIG {keys.locked[-16:]}" in check.stdout.decode(), check.stderr
    assert keys.pinentry_calls() == before  # gpg-agent's own pinentry never ran


async def test_replying_to_encrypted_mail_quotes_it_and_encrypts_by_default(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring, corpus: Corpus
) -> None:
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(corpus.protected)])
    mailgen.write_maildir(user.maildir, "Sent", [])
    account = {"email": "me@example.org", "smtp": smtp.table(), "pgp_key": keys.me}
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1}, account=account)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query(TextArea), what="the editor")
        text = app.screen.query_one(TextArea).text
        assert "Subject: Re: The real subject" in text  # the protected Subject
        assert f"> Protected body {SECRET.decode()}" in text  # the decrypted text, quoted
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "encrypt: yes" in screen_text(app), what="encrypt on")
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
        await wait_server(lambda: sent_copies(dovecot, user), what="the Sent copy")
    raw = smtp.messages[0].content
    assert SECRET not in raw and b"multipart/encrypted" in raw
    # The quote went out encrypted; nothing decrypted reached the app's files.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_bytes(), path
