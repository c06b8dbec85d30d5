"""S/MIME signatures made by gpgsm (self-signed test certificates), checked by mailtui
in the reader's GNUPGHOME: trusted, changed, untrusted root, unknown certificate."""

from __future__ import annotations

import base64
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from mailtui.crypto import SigState
from mailtui.crypto.smime import smime_availability, smime_sections, verify_smime_message
from mailtui.mime.parse import parse_message
from tests.crypto.keyring import Keyring
from tests.crypto.messages import TEXT_ENTITY, headers
from tests.support import mailgen
from tests.support.accounts import cli_env
from tests.support.dovecot import Dovecot


def gpgsm(home: Path, *args: str, data: bytes = b"") -> bytes:
    proc = subprocess.run(
        [
            "gpgsm",
            "--homedir",
            str(home),
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            *args,
        ],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def _cert(home: Path, name: str, email: str) -> str:
    params = (
        "Key-Type: RSA\nKey-Length: 2048\nKey-Usage: sign, encrypt\nSerial: random\n"
        f"Name-DN: CN={name},O=Example,C=DE\nName-Email: {email}\nNot-After: 2036-01-01\n"
    )
    (home / f"{email}.params").write_text(params)
    cert = home / f"{email}.der"
    cert.write_bytes(gpgsm(home, "--gen-key", str(home / f"{email}.params")))
    gpgsm(home, "--import", str(cert))
    out = gpgsm(home, "--with-colons", "--list-keys", email).decode()
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


def smime_message(head: bytes, entity: bytes, signature_der: bytes) -> bytes:
    b = b"smime-boundary-1"
    sig = base64.encodebytes(signature_der).replace(b"\n", b"\r\n")
    return (
        head
        + b'Content-Type: multipart/signed; protocol="application/pkcs7-signature";\r\n'
        + b' micalg=sha-256; boundary="'
        + b
        + b'"\r\n\r\n--'
        + b
        + b"\r\n"
        + entity
        + b"\r\n--"
        + b
        + b'\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + sig
        + b"--"
        + b
        + b"--\r\n"
    )


@dataclass
class Smime:
    good: bytes
    bad: bytes
    untrusted: bytes
    unknown: bytes
    sam: str


@pytest.fixture(scope="module")
def smime(keys: Keyring, tmp_path_factory: pytest.TempPathFactory) -> Smime:
    home = tmp_path_factory.mktemp("gpgsm")
    home.chmod(0o700)
    sam = _cert(home, "Sam Smime", "sam@example.org")
    una = _cert(home, "Una Trusted", "una@example.org")
    zed = _cert(home, "Zed Unknown", "zed@example.org")
    (home / "trustlist.txt").write_text(f"{sam} S relax\n{una} S relax\n{zed} S relax\n")
    subprocess.run(
        ["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True
    )

    data = home / "entity"
    data.write_bytes(TEXT_ENTITY)

    def sign(who: str) -> bytes:
        # From a file: gpgsm signs stdin differently from what it then reads back.
        return gpgsm(home, "--disable-crl-checks", "-u", who, "--detach-sign", str(data))

    # The reader has sam's and una's certificates, and trusts only sam (a root of its own).
    for email in ("sam@example.org", "una@example.org"):
        gpgsm(keys.reader, "--import", str(home / f"{email}.der"))
    (keys.reader / "trustlist.txt").write_text(f"{sam} S relax\n")
    subprocess.run(["gpgconf", "--homedir", str(keys.reader), "--reload", "gpg-agent"], check=False)
    good = smime_message(
        headers("Sam <sam@example.org>", "smime"), TEXT_ENTITY, sign("sam@example.org")
    )
    try:
        return Smime(
            good=good,
            bad=good.replace(b"Hello from", b"Jello from"),
            untrusted=smime_message(
                headers("Una <una@example.org>", "s"), TEXT_ENTITY, sign("una@example.org")
            ),
            unknown=smime_message(
                headers("Zed <zed@example.org>", "s"), TEXT_ENTITY, sign("zed@example.org")
            ),
            sam=sam,
        )
    finally:
        subprocess.run(
            ["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True
        )


def test_gpgsm_is_here() -> None:
    assert smime_availability().on


def test_good_smime_signature(keys: Keyring, smime: Smime) -> None:
    assert smime_sections(parse_message(smime.good).structure) == [""]
    status = verify_smime_message(smime.good, "", "sam@example.org", gnupghome=str(keys.reader))
    assert status.state is SigState.GOOD and status.ok
    assert status.fingerprint == smime.sam
    assert status.from_matches is True and status.chain_trusted is True
    assert "CN=Sam Smime" in status.user_id
    assert status.signed_at and status.hash_algo == "sha256"
    assert "revocation not checked" in status.detail
    other = verify_smime_message(smime.good, "", "eve@example.org", gnupghome=str(keys.reader))
    assert other.from_matches is False and not other.ok


def test_changed_smime_part_is_bad(keys: Keyring, smime: Smime) -> None:
    status = verify_smime_message(smime.bad, "", "sam@example.org", gnupghome=str(keys.reader))
    assert status.state is SigState.BAD and not status.ok


def test_untrusted_root_is_good_but_not_ok(keys: Keyring, smime: Smime) -> None:
    before = keys.pinentry_calls()
    status = verify_smime_message(
        smime.untrusted, "", "una@example.org", gnupghome=str(keys.reader)
    )
    # No pinentry asked "do you trust this root?" (over the TUI), nothing was trusted.
    assert keys.pinentry_calls() == before
    assert (keys.reader / "trustlist.txt").read_text() == f"{smime.sam} S relax\n"
    assert status.state is SigState.GOOD
    assert status.chain_trusted is False and not status.ok
    assert "not from an authority you trust" in status.summary()


def test_unknown_certificate(keys: Keyring, smime: Smime) -> None:
    status = verify_smime_message(smime.unknown, "", "zed@example.org", gnupghome=str(keys.reader))
    assert status.state is SigState.UNKNOWN_KEY and not status.ok


def test_pgp_message_is_not_smime(keys: Keyring, corpus: object) -> None:
    status = verify_smime_message(corpus.good, "", gnupghome=str(keys.reader))  # type: ignore[attr-defined]
    assert status.state is SigState.ERROR


def test_mailtui_show_checks_smime_over_the_servers_bytes(
    keys: Keyring, smime: Smime, dovecot: Dovecot, tmp_path: Path
) -> None:
    """The same path as PGP/MIME: BODY.PEEK[1.MIME] + BODY.PEEK[1] from Dovecot."""
    user = dovecot.add_user()
    mail = [smime.good, smime.bad.replace(b"Subject: smime", b"Subject: changed"), smime.untrusted]
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(m) for m in mail])
    env = cli_env(tmp_path, dovecot, user)
    env["GNUPGHOME"] = str(keys.reader)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])

    def show(uid: int) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "mailtui", "show", "INBOX", str(uid)],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode()

    assert show(1).startswith("[GOOD] Good S/MIME signature from /CN=Sam Smime")
    assert "smime.p7s" not in show(1)
    assert show(2).startswith("[BAD] BAD S/MIME signature")
    untrusted = show(3).splitlines()[0]
    assert untrusted.startswith("[WARN] Good S/MIME signature from /CN=Una Trusted")
    assert "certificate not from an authority you trust" in untrusted
