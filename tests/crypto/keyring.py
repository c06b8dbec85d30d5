"""A throw-away GnuPG world for the crypto tests, made by gpg itself (not by mailtui).

Two homes: `reader` is the mailtui user's GNUPGHOME (their own keys, correspondents'
public keys); `sender` holds the correspondents' secret keys and signs and encrypts the
test mail. Keys are fast ECC (ed25519 + cv25519):

- me@example.org: the user's key, no passphrase
- locked@example.org: the user's second key, passphrase-protected
- bob@example.net: a correspondent
- old@example.net: a correspondent whose key expired (made in 2020, valid a day)
- gone@example.net: a correspondent whose key is revoked (in the reader's keyring)
- mallory@example.com: a key the reader does not have

The reader's gpg-agent uses a pinentry program written here that answers from a file
and logs each call, and caches no passphrase (so every test that needs one asks).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PASSPHRASE = "correct horse battery staple"
PAST = "20200101T120000"  # signing time for the expired key (within its one day of life)

PINENTRY = """#!{python}
import os, sys
here = {here!r}
with open(os.path.join(here, "pinentry.log"), "a") as log:
    log.write("started\\n")
print("OK Pleased to meet you", flush=True)
for line in sys.stdin:
    cmd = line.strip().split(" ", 1)[0].upper()
    if cmd == "GETPIN":
        with open(os.path.join(here, "passphrase")) as f:
            secret = f.read().strip()
        print("D " + secret.replace("%", "%25"), flush=True)
        print("OK", flush=True)
    elif cmd == "BYE":
        print("OK closing connection", flush=True)
        break
    else:
        print("OK", flush=True)
"""


def run_gpg(home: Path, *args: str, data: bytes = b"", check: bool = True) -> bytes:
    """gpg in `home`, batch mode; returns stdout."""
    proc = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--yes", "--no-tty", *args],
        input=data,
        capture_output=True,
        check=False,
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"gpg {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def _fpr(home: Path, pattern: str, secret: bool = False) -> str:
    out = run_gpg(home, "--with-colons", "--list-secret-keys" if secret else "--list-keys", pattern)
    for line in out.decode().splitlines():
        if line.startswith("fpr:"):
            return line.split(":")[9]
    raise AssertionError(f"no key for {pattern}")


def _make_home(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True)
    return path


@dataclass
class Keyring:
    """The two homes, the fingerprints, and helpers that drive gpg directly."""

    reader: Path
    sender: Path
    pinentry_dir: Path
    me: str
    locked: str
    bob: str
    old: str
    gone: str
    mallory: str

    @property
    def pinentry_log(self) -> Path:
        return self.pinentry_dir / "pinentry.log"

    def pinentry_calls(self) -> int:
        """How often the agent ran our pinentry program."""
        if not self.pinentry_log.exists():
            return 0
        return self.pinentry_log.read_text().count("started")

    def sign(self, signer: str, data: bytes, *, faked: str = "") -> bytes:
        """An armored detached signature made by the sender's gpg."""
        extra = ["--faked-system-time", f"{faked}!"] if faked else []
        return run_gpg(self.sender, *extra, "--armor", "--detach-sign", "-u", signer, data=data)

    def clearsign(self, signer: str, text: bytes) -> bytes:
        return run_gpg(self.sender, "--clearsign", "-u", signer, data=text)

    def encrypt(self, data: bytes, *recipients: str, sign_as: str = "") -> bytes:
        """Armored ciphertext to `recipients` (and signed, one pass, when asked)."""
        args = ["--trust-model", "always", "--armor", "--encrypt"]
        for r in recipients:
            args += ["-r", r]
        if sign_as:
            args += ["--sign", "-u", sign_as]
        return run_gpg(self.sender, *args, data=data)

    def verify(
        self, signed: bytes, signature: bytes, tmp: Path
    ) -> subprocess.CompletedProcess[bytes]:
        """gpg --verify in the reader's home (for checking mail mailtui produced)."""
        sig = tmp / "check.asc"
        sig.write_bytes(signature)
        return subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.reader),
                "--batch",
                "--status-fd",
                "1",
                "--verify",
                str(sig),
                "-",
            ],
            input=signed,
            capture_output=True,
            check=False,
            timeout=60,
        )

    def decrypt(self, ciphertext: bytes) -> subprocess.CompletedProcess[bytes]:
        """gpg --decrypt in the reader's home, output captured (never written to disk)."""
        return subprocess.run(
            [
                "gpg",
                "--homedir",
                str(self.reader),
                "--batch",
                "--pinentry-mode",
                "error",
                "--status-fd",
                "2",
                "--decrypt",
            ],
            input=ciphertext,
            capture_output=True,
            check=False,
            timeout=60,
        )

    def close(self) -> None:
        for home in (self.reader, self.sender):
            subprocess.run(
                ["gpgconf", "--homedir", str(home), "--kill", "all"],
                capture_output=True,
                check=False,
                timeout=30,
            )


def build_keyring(base: Path) -> Keyring:
    """Make both homes and all keys (about a second on ECC)."""
    reader = _make_home(base / "reader")
    sender = _make_home(base / "sender")
    pin = base / "pinentry"
    pin.mkdir()
    (pin / "passphrase").write_text(PASSPHRASE + "\n")
    script = pin / "pinentry.py"
    script.write_text(PINENTRY.format(python=sys.executable, here=str(pin)))
    script.chmod(0o755)
    (reader / "gpg-agent.conf").write_text(
        f"pinentry-program {script}\ndefault-cache-ttl 0\nmax-cache-ttl 0\nallow-loopback-pinentry\n"
    )

    def gen(
        home: Path, uid: str, *, passphrase: str = "", expire: str = "never", faked: str = ""
    ) -> str:
        extra = ["--faked-system-time", f"{faked}!"] if faked else []
        run_gpg(
            home,
            *extra,
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            uid,
            "future-default",
            "default",
            expire,
        )
        return _fpr(home, uid.split("<")[1].rstrip(">"), secret=True)

    me = gen(reader, "Me Myself <me@example.org>")
    locked = gen(reader, "Locked Key <locked@example.org>", passphrase=PASSPHRASE)
    bob = gen(sender, "Bob Sender <bob@example.net>")
    old = gen(sender, "Old Timer <old@example.net>", expire="1d", faked="20200101T000000")
    gone = gen(sender, "Gone Away <gone@example.net>")
    mallory = gen(sender, "Mallory <mallory@example.com>")
    # The reader knows bob, old and gone (not mallory); gone's key arrives revoked.
    pub = run_gpg(sender, "--export", bob, old, gone)
    run_gpg(reader, "--import", data=pub)
    rev = (sender / "openpgp-revocs.d" / f"{gone}.rev").read_bytes()
    run_gpg(reader, "--import", data=rev.replace(b":-----BEGIN", b"-----BEGIN"))
    # The sender can encrypt to the reader's keys.
    run_gpg(sender, "--import", data=run_gpg(reader, "--export", me, locked))
    return Keyring(reader, sender, pin, me, locked, bob, old, gone, mallory)
