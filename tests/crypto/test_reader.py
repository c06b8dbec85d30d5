"""Signed and encrypted mail made by gpg itself, in the real Dovecot, read in the TUI
(Pilot pressing keys) and with `mailtui show`: the status each one gets, that the body
cannot imitate it, and that the plaintext reaches neither the cache file nor a log."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.style import Style

from mailtui.ui.widgets.security import BADGES
from tests.crypto.keyring import Keyring
from tests.crypto.messages import SECRET, Corpus, headers
from tests.support import mailgen
from tests.support.accounts import cli_env
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_reader

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def inline_message(subject: str, body: bytes) -> bytes:
    return (
        headers("Bob Sender <bob@example.net>", subject)
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    )


def corpus_mail(corpus: Corpus) -> dict[str, bytes]:
    """Subject → message, in the order they are appended (oldest first)."""
    return {
        "good": corpus.good,
        "bad": corpus.bad.replace(b"Subject: good\r\n", b"Subject: bad\r\n", 1),
        "unknown": corpus.unknown,
        "expired": corpus.expired,
        "revoked": corpus.revoked,
        "not from bob": corpus.wrong_sender,
        "imitation": corpus.imitation,
        "combined": corpus.combined,
        "nested": corpus.nested,
        "encrypted": corpus.encrypted_only,
        "...": corpus.protected,
        "inline signed": inline_message("inline signed", corpus.inline_signed),
        "inline encrypted": inline_message("inline encrypted", corpus.inline_encrypted),
        "not for me": corpus.not_for_me,
    }


def fill(user: MailUser, corpus: Corpus) -> list[str]:
    msgs = []
    subjects = []
    for i, (subject, raw) in enumerate(corpus_mail(corpus).items()):
        when = T0 + timedelta(minutes=i)
        date = when.strftime("%a, %d %b %Y %H:%M:%S +0000").encode()
        raw = raw.replace(b"Date: Tue, 01 Dec 2026 10:00:00 +0000", b"Date: " + date, 1)
        msgs.append(mailgen.from_bytes(raw, internaldate=when))
        subjects.append(subject)
    mailgen.write_maildir(user.maildir, "INBOX", msgs)
    return subjects


@pytest.fixture
def signed_user(dovecot: Dovecot, corpus: Corpus) -> MailUser:
    user = dovecot.add_user()
    fill(user, corpus)
    return user


@pytest.fixture
def gnupghome(keys: Keyring, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    return keys.reader


# What each message must show: (kinds of the status lines, words in them).
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "good": (("good",), ("Good signature from Bob Sender <bob@example.net>", "validity")),
    "bad": (("bad",), ("BAD signature", "changed")),
    "unknown": (("warn",), ("key you do not have",)),
    "expired": (("warn",), ("EXPIRED key", "Old Timer")),
    "revoked": (("bad",), ("REVOKED key", "Gone Away")),
    "not from bob": (("warn",), ("NOT a key of the sender alice@example.com",)),
    "imitation": (("warn",), ("key you do not have",)),
    "combined": (("encrypted", "good"), ("decrypted in memory only", "Good signature inside")),
    "nested": (("encrypted", "good"), ("Good signature inside from Bob Sender",)),
    "encrypted": (("encrypted", "warn"), ("Not signed",)),
    "The real subject": (("encrypted", "warn"), ("Encrypted",)),
    "inline signed": (("good", "warn"), ("Good inline signature", "Only the text marked")),
    "inline encrypted": (("good", "warn"), ("Encrypted · Good inline signature",)),
    "not for me": (("warn",), ("not encrypted to any of your secret keys",)),
}


async def test_reader_shows_each_state_and_the_body_cannot_imitate_it(
    signed_user: MailUser, dovecot: Dovecot, tmp_path: Path, gnupghome: Path, corpus: Corpus
) -> None:
    app = make_app(dovecot, signed_user, tmp_path)
    seen: dict[str, tuple[tuple[str, ...], str]] = {}
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot, app)
        await pilot.press("g")
        for n in range(len(EXPECTED)):
            if n:
                await pilot.press("j")
            await pilot.press("enter")
            await wait_reader(pilot, app)
            reader = app.main.reader
            env = reader.envelope
            assert env is not None
            subject = (
                reader.loaded.secure.subject
                if reader.loaded.secure and reader.loaded.secure.subject
                else env.subject
            )
            kinds = tuple(line.kind for line in reader.security.lines)
            seen[subject] = (kinds, "\n".join(line.text for line in reader.security.lines))
            if subject == "imitation":
                # The body's fake "Good signature" lines are in the body widget, plain:
                # none of the status styles is on them, and the status says otherwise.
                body = reader.query_one("#reader-body").render()
                assert "Good signature" in body.plain
                badge_styles = {Style.parse(b[1]) for b in BADGES.values()} | {
                    Style.parse(b[2]) for b in BADGES.values()
                }
                for span in body.spans:
                    style = (
                        span.style
                        if isinstance(span.style, Style)
                        else Style.parse(str(span.style))
                    )
                    assert style not in badge_styles
                assert "Good signature" not in seen[subject][1]
                assert "✔ SIGNED" not in screen_text(app).split("Please pay")[1]
            if subject == "The real subject":
                assert "The real subject" in screen_text(app)
            if subject == "inline signed":
                shown = screen_text(app)
                assert "┃ Signed line one." in shown
                assert "┃ This intro is NOT covered." not in shown
                assert "This intro is NOT covered." in shown
            if subject == "good":
                assert "signature.asc" not in screen_text(app)
    assert set(seen) == set(EXPECTED), seen
    for subject, (kinds, words) in EXPECTED.items():
        got_kinds, text = seen[subject]
        assert got_kinds == kinds, (subject, got_kinds, text)
        for word in words:
            assert word in text, (subject, word, text)
    # Decrypted text never reached the disk: not the header cache (and its WAL), not
    # the part cache, not a log.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_bytes(), path


def test_show_prints_the_status_above_the_message(
    signed_user: MailUser, dovecot: Dovecot, tmp_path: Path, gnupghome: Path
) -> None:
    # With a debug log and the IMAP protocol log on: neither may hold the plaintext.
    env = cli_env(tmp_path, dovecot, signed_user, log_protocol=True)
    env["GNUPGHOME"] = str(gnupghome)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    debug_log = tmp_path / "debug.log"

    def show(uid: int) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "mailtui", "--log", str(debug_log), "show", "INBOX", str(uid)],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode()

    subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    good = show(1)
    assert good.startswith("[GOOD] Good signature from Bob Sender <bob@example.net>")
    assert "Hello from the signed part." in good
    assert "signature.asc" not in good
    bad = show(2)
    assert bad.startswith("[BAD] BAD signature")
    combined = show(8)
    assert combined.startswith("[ENCRYPTED] Encrypted")
    assert "[GOOD] Good signature inside" in combined
    assert SECRET.decode() in combined
    protected = show(11)
    assert "Subject: The real subject" in protected

    # The real Subject and the text live in memory only: the cache's search never sees them.
    def search(words: str) -> bytes:
        return subprocess.run(
            [sys.executable, "-m", "mailtui", "search", "INBOX", "--local", words],
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        ).stdout.strip()

    assert search("imitation").split()[0] == b"7"  # the index does answer
    assert search("real subject") == b""
    assert search(SECRET.decode()) == b""
    inline = show(12)
    assert "[-- begin signed text: Good inline signature" in inline
    before, _, rest = inline.partition("[-- begin")
    assert "This intro is NOT covered." in before
    assert "Signed line one." in rest.split("[-- end")[0]
    assert debug_log.stat().st_size > 0
    protocol_logs = list(Path(tmp_path).rglob("protocol.log"))
    assert protocol_logs and b"BODY.PEEK[2]" in protocol_logs[0].read_bytes()  # it logged the fetch
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_bytes(), path


def test_without_gpg_one_line_says_how_to_install_it(
    signed_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, dovecot, signed_user)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    empty = tmp_path / "bin"
    empty.mkdir()
    env["PATH"] = str(empty)
    proc = subprocess.run(
        [sys.executable, "-m", "mailtui", "show", "INBOX", "1"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    first = out.splitlines()[0]
    assert first.startswith("[OFF] OpenPGP is off: gpg was not found")
    assert "apt-get install gnupg" in first
    assert "Hello from the signed part." in out  # the message is still shown
    assert os.environ.get("PATH")  # (the test's own PATH is untouched)
