"""Mail signed and encrypted by mailtui, checked by gpg itself (a subprocess), and the
Sent copy as the real Dovecot stores it."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from mailtui.compose.build import build_message, message_bytes
from mailtui.compose.draft import Draft
from mailtui.config.model import AccountSettings
from mailtui.crypto import CryptoError, Engine, encrypt_message, sign_message
from mailtui.model import Address
from tests.crypto.keyring import Keyring, run_gpg
from tests.support.dovecot import Dovecot, MailUser

RAW_8BIT = (
    b"From: Me Myself <me@example.org>\r\n"
    b"To: Bob Sender <bob@example.net>\r\n"
    b"Subject: Caf\xc3\xa9 plans\r\n"
    b"Message-ID: <sent-1@example.org>\r\n"
    b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Caf\xc3\xa9 at noon?\r\n"
    b"From here on, it is signed.\r\n"
    b"trailing blanks   \r\n" + b"x" * 1200 + b"\r\n"
)


def split_signed(raw: bytes) -> tuple[bytes, bytes, str]:
    """The signed bytes, the signature and micalg, found by plain byte search (not by
    mailtui's walker): what any receiving client would do."""
    head = raw[: raw.index(b"\r\n\r\n")]
    boundary = re.search(rb'boundary="([^"]+)"', head).group(1)  # type: ignore[union-attr]
    micalg = re.search(rb'micalg="?([\w-]+)', head).group(1).decode()  # type: ignore[union-attr]
    start = raw.index(b"--" + boundary + b"\r\n") + len(boundary) + 4
    end = raw.index(b"\r\n--" + boundary + b"\r\n", start)
    sig = raw[
        raw.index(b"-----BEGIN PGP SIGNATURE-----") : raw.index(b"-----END PGP SIGNATURE-----") + 27
    ]
    return raw[start:end], sig, micalg


def armored(raw: bytes) -> bytes:
    return raw[
        raw.index(b"-----BEGIN PGP MESSAGE-----") : raw.index(b"-----END PGP MESSAGE-----") + 25
    ]


def test_signed_mail_verifies_in_gpg_and_is_7bit(
    engine: Engine, keys: Keyring, tmp_path: Path
) -> None:
    out = sign_message(engine, RAW_8BIT, keys.me)
    assert out[out.index(b"\r\n\r\n") :].isascii()  # all below the (untouched) outer fields
    assert max(len(line) for line in out.split(b"\r\n")) <= 998
    assert b"\n" not in out.replace(b"\r\n", b"")  # CRLF throughout
    signed, sig, micalg = split_signed(out)
    check = keys.verify(signed, sig, tmp_path)
    assert check.returncode == 0, check.stderr
    status = check.stdout.decode()
    assert f"GOODSIG {keys.me[-16:]}" in status
    hash_id = re.search(r"VALIDSIG \S+ \S+ \S+ \S+ \S+ \S+ \S+ (\d+)", status).group(1)  # type: ignore[union-attr]
    assert micalg == {"8": "pgp-sha256", "10": "pgp-sha512", "9": "pgp-sha384"}[hash_id]
    # The signed part is quoted-printable with "From " and trailing blanks encoded …
    assert b"Content-Transfer-Encoding: quoted-printable" in signed
    assert b"\r\nFrom here" not in signed and b"=46rom here" in signed
    # … and still reads as what the user wrote.
    part = message_from_bytes(signed, policy=default)
    assert (
        part.get_content().replace("\r\n", "\n")
        == "Café at noon?\nFrom here on, it is signed.\ntrailing blanks   \n" + "x" * 1200 + "\n"
    )
    # The outer fields stay outside, untouched.
    assert out.startswith(b"From: Me Myself <me@example.org>\r\n")
    assert out.count(b"Subject: Caf\xc3\xa9 plans\r\n") == 1


def test_compose_built_mail_signs_unchanged(engine: Engine, keys: Keyring, tmp_path: Path) -> None:
    account = AccountSettings(name="me", email="me@example.org")
    draft = Draft(
        from_=Address("Me Myself", "me@example.org"),
        to=(Address("Bob", "bob@example.net"),),
        subject="Plain ASCII",
        body="Short ASCII body.\n",
    )
    raw = message_bytes(build_message(draft, account))
    out = sign_message(engine, raw, keys.me)
    signed, sig, _ = split_signed(out)
    assert keys.verify(signed, sig, tmp_path).returncode == 0
    # A 7-bit part is signed as it was written (not re-serialised).
    body = raw[raw.index(b"\r\n\r\n") + 4 :]
    assert signed.endswith(body)


@pytest.mark.imap
def test_sent_copy_in_dovecot_is_byte_identical_and_verifies(
    engine: Engine, keys: Keyring, dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    out = sign_message(engine, RAW_8BIT, keys.me)
    client = dovecot.client(mail_user)
    try:
        client.append("INBOX", out)
        client.select_folder("INBOX", readonly=True)
        (uid,) = client.search("ALL")
        got = client.fetch(
            [uid], ["BODY.PEEK[]", "BODY.PEEK[1.MIME]", "BODY.PEEK[1]", "BODY.PEEK[2]"]
        )[uid]
    finally:
        client.logout()
    assert got[b"BODY[]"] == out
    check = keys.verify(got[b"BODY[1.MIME]"] + got[b"BODY[1]"], got[b"BODY[2]"], tmp_path)
    assert check.returncode == 0 and b"GOODSIG" in check.stdout


def test_encrypted_mail_decrypts_in_gpg_for_recipient_and_self(
    engine: Engine, keys: Keyring
) -> None:
    out = encrypt_message(engine, RAW_8BIT, [keys.bob, keys.me], hide_subject=True)
    assert b"Caf" not in out.split(b"\r\n\r\n", 1)[1]
    assert b"\r\nSubject: ...\r\n" in out
    mine = keys.decrypt(armored(out))
    assert mine.returncode == 0, mine.stderr
    inner = message_from_bytes(mine.stdout, policy=default)
    assert inner["Subject"] == "Café plans"  # the protected header carries the real one
    assert 'protected-headers="v1"' in inner["Content-Type"]
    assert "Café at noon?" in inner.get_content()
    # Bob (the sender home holds his secret key) reads it too.
    bobs = run_gpg(keys.sender, "--decrypt", data=armored(out))
    assert b"Caf\xc3\xa9 at noon?" in bobs


def test_signed_and_encrypted_mail_verifies_after_gpg_decrypts(
    engine: Engine, keys: Keyring
) -> None:
    out = encrypt_message(engine, RAW_8BIT, [keys.bob, keys.me], sign_as=keys.me)
    mine = keys.decrypt(armored(out))
    assert mine.returncode == 0, mine.stderr
    assert f"GOODSIG {keys.me[-16:]}".encode() in mine.stderr


def test_encrypt_to_an_autocrypt_key_without_importing_it(engine: Engine, keys: Keyring) -> None:
    mallory_key = run_gpg(keys.sender, "--export", keys.mallory)
    out = encrypt_message(engine, RAW_8BIT, [keys.me], [mallory_key])
    assert b"Caf\xc3\xa9 at noon?" in run_gpg(keys.sender, "--decrypt", data=armored(out))
    listed = run_gpg(keys.reader, "--list-keys", check=False)
    assert b"mallory" not in listed  # the reader's keyring was not touched


def test_signing_with_a_key_whose_secret_we_lack_fails_instead_of_using_another(
    engine: Engine, keys: Keyring
) -> None:
    # gpg --default-key would quietly sign with the first secret key (me) instead.
    with pytest.raises(CryptoError, match="could not sign"):
        sign_message(engine, RAW_8BIT, keys.bob)  # the reader has bob's public key only
    with pytest.raises(CryptoError, match="could not sign"):
        encrypt_message(engine, RAW_8BIT, [keys.me], sign_as=keys.bob)


def test_encrypt_needs_own_key(engine: Engine) -> None:
    with pytest.raises(CryptoError, match="No key of your own"):
        encrypt_message(engine, RAW_8BIT, [])
