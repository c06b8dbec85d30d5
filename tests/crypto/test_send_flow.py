"""`mailtui send --sign/--encrypt` end to end: aiosmtpd receives it, gpg itself (not
mailtui) verifies and decrypts it, the Sent copy in Dovecot is the same bytes and
verifies too; a recipient without a key stops the send; Autocrypt puts our key in a
header and a peer's key learnt from their header makes opportunistic encryption work."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compose.smtpd import SmtpServer
from tests.crypto.keyring import Keyring, run_gpg
from tests.crypto.messages import headers
from tests.crypto.test_send import armored, split_signed
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = (
    "To: Bob Sender <bob@example.net>\nSubject: Caf\u00e9 plans\n\n"
    "Caf\u00e9 at noon?\nFrom here on, it is signed.\ntrailing blanks   \n"
).encode()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(mode="plain").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gnupghome(keys: Keyring, tmp_path: Path) -> Path:
    """A copy of the reader's home: Autocrypt tests must see it untouched by others."""
    home = tmp_path / "gnupg"
    shutil.copytree(keys.reader, home, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)


def env_for(
    tmp_path: Path,
    dovecot: Dovecot,
    user: MailUser,
    smtp: SmtpServer,
    gnupghome: Path,
    keys: Keyring,
    **account: Any,
) -> dict[str, str]:
    lines = [
        "[accounts.me]",
        'email = "me@example.org"',
        'name = "Me Myself"',
        f'pgp_key = "{keys.me}"',
    ]
    for key, value in account.items():
        lines.append(
            f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {str(value).lower()}"
        )
    lines += [
        "",
        "[accounts.me.imap]",
        f'host = "{dovecot.host}"',
        f"port = {dovecot.imap_port}",
        'security = "starttls"',
        f'username = "{user.name}"',
        f'password_command = "printf %s {user.password}"',
        f'ca_file = "{dovecot.ca_file}"',
        "",
        "[accounts.me.smtp]",
    ]
    for key, value in smtp.table().items():
        lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    return dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(tmp_path / "d"),
        GNUPGHOME=str(gnupghome),
        PYTHONPATH=str(ROOT),
    )


def mailtui(
    env: dict[str, str], *args: str, stdin: bytes = b""
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def sent_copies(dovecot: Dovecot, user: MailUser) -> list[bytes]:
    client = dovecot.client(user)
    try:
        client.select_folder("Sent", readonly=True)
        uids = client.search("ALL")
        return [v[b"BODY[]"] for v in client.fetch(uids, ["BODY.PEEK[]"]).values()]
    finally:
        client.logout()


def test_send_sign_verifies_in_gpg_and_sent_holds_the_same_bytes(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring, gnupghome: Path
) -> None:
    user = dovecot.add_user()
    env = env_for(tmp_path, dovecot, user, smtp, gnupghome, keys)
    out = mailtui(env, "send", "--sign", stdin=MESSAGE)
    assert out.returncode == 0, out.stderr.decode()
    (got,) = smtp.messages
    raw = got.content
    assert raw[raw.index(b"\r\n\r\n") :].isascii()  # 7-bit below the outer fields
    signed, sig, micalg = split_signed(raw)
    check = keys.verify(signed, sig, tmp_path)
    status = check.stdout.decode()
    assert f"GOODSIG {keys.me[-16:]}" in status, check.stderr
    hash_id = re.search(r"VALIDSIG \S+ \S+ \S+ \S+ \S+ \S+ \S+ (\d+)", status).group(1)  # type: ignore[union-attr]
    assert micalg == {"8": "pgp-sha256", "10": "pgp-sha512", "9": "pgp-sha384"}[hash_id]
    (copy,) = sent_copies(dovecot, user)
    assert copy == raw  # byte for byte what was signed and sent
    signed2, sig2, _ = split_signed(copy)
    assert f"GOODSIG {keys.me[-16:]}" in keys.verify(signed2, sig2, tmp_path).stdout.decode()


def test_send_encrypt_reaches_every_recipient_and_sent_stays_readable(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring, gnupghome: Path
) -> None:
    user = dovecot.add_user()
    env = env_for(tmp_path, dovecot, user, smtp, gnupghome, keys, autocrypt=True)
    out = mailtui(env, "send", "--sign", "--encrypt", stdin=MESSAGE)
    assert out.returncode == 0, out.stderr.decode()
    (got,) = smtp.messages
    raw = got.content
    assert b"multipart/encrypted" in raw and "Café at noon".encode() not in raw
    # Bob decrypts it with his own gpg, and the one-pass signature is mine.
    proc = subprocess.run(
        ["gpg", "--homedir", str(keys.sender), "--batch", "--status-fd", "2", "--decrypt"],
        input=armored(raw),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert "Café at noon?".encode() in proc.stdout.replace(b"=C3=A9", "é".encode())
    assert f"GOODSIG {keys.me[-16:]}".encode() in proc.stderr
    assert b'protected-headers="v1"' in proc.stdout and b"Subject:" in proc.stdout
    # The Sent copy is the same bytes, and I can read it with my own key.
    (copy,) = sent_copies(dovecot, user)
    assert copy == raw
    assert keys.decrypt(armored(copy)).returncode == 0
    # Autocrypt: my key rides in a header gpg reads as my key.
    field = re.search(rb"Autocrypt: (.*?)\r\n(?=\S)", raw, re.S).group(1)  # type: ignore[union-attr]
    assert field.startswith(b"addr=me@example.org;")
    keydata = base64.b64decode(b"".join(field.split(b"keydata=")[1].split()))
    shown = run_gpg(
        keys.sender, "--with-colons", "--import-options", "show-only", "--import", data=keydata
    )
    assert keys.me.encode() in shown


def test_a_recipient_without_a_key_stops_the_send_and_names_them(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring, gnupghome: Path
) -> None:
    user = dovecot.add_user()
    env = env_for(tmp_path, dovecot, user, smtp, gnupghome, keys)
    message = b"To: bob@example.net, Nobody <nokey@example.com>\nSubject: s\n\nsecret\n"
    out = mailtui(env, "send", "--encrypt", stdin=message)
    assert out.returncode == 65
    assert "no OpenPGP key for nokey@example.com" in out.stderr.decode()
    assert "bob@example.net" not in out.stderr.decode()
    assert smtp.messages == []
    assert mailtui(env, "outbox").stdout == b""  # nothing queued for later either
    # pgp_encrypt = "always" says the same without the flag.
    env = env_for(tmp_path, dovecot, user, smtp, gnupghome, keys, pgp_encrypt="always")
    out = mailtui(env, "send", stdin=message)
    assert out.returncode == 65 and "nokey@example.com" in out.stderr.decode()
    assert smtp.messages == []


def test_autocrypt_peer_learnt_from_mail_makes_opportunistic_encryption(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path, keys: Keyring, gnupghome: Path
) -> None:
    user = dovecot.add_user()
    # Mallory's mail carries her key in an Autocrypt header; her key is not in my keyring.
    keydata = run_gpg(keys.sender, "--export", "--export-options", "export-minimal", keys.mallory)
    b64 = base64.b64encode(keydata).decode()
    folded = "\r\n ".join(b64[i : i + 72] for i in range(0, len(b64), 72))
    incoming = (
        headers("Mallory <mallory@example.com>", "hello")
        + f"Autocrypt: addr=mallory@example.com; prefer-encrypt=mutual; keydata=\r\n {folded}\r\n".encode()
        + b"Content-Type: text/plain\r\n\r\nHi!\r\n"
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(incoming)])
    env = env_for(
        tmp_path, dovecot, user, smtp, gnupghome, keys, autocrypt=True, pgp_encrypt="opportunistic"
    )
    message = b"To: mallory@example.com\nSubject: back\n\nOpportunistic secret\n"
    # Before reading her mail: no key, so opportunistic means plaintext.
    assert mailtui(env, "send", stdin=message).returncode == 0
    assert b"Opportunistic secret" in smtp.messages[-1].content
    assert mailtui(env, "sync").returncode == 0
    shown = mailtui(env, "show", "INBOX", "1")
    assert shown.returncode == 0, shown.stderr.decode()
    assert mailtui(env, "send", stdin=message).returncode == 0
    raw = smtp.messages[-1].content
    assert b"multipart/encrypted" in raw and b"Opportunistic secret" not in raw
    proc = subprocess.run(
        ["gpg", "--homedir", str(keys.sender), "--batch", "--decrypt"],
        input=armored(raw),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and b"Opportunistic secret" in proc.stdout, proc.stderr
    # Her key was used, not imported into my keyring (Autocrypt keeps them apart).
    listed = subprocess.run(
        ["gpg", "--homedir", str(gnupghome), "--batch", "--list-keys", keys.mallory],
        capture_output=True,
        check=False,
    )
    assert listed.returncode != 0
