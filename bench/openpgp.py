"""OpenPGP figures for issue 18: time to verify and to decrypt a 1 MB message, and text
captures of the reader for a good and a bad signature.

    PYTHONPATH=. python bench/openpgp.py              # figures
    PYTHONPATH=. python bench/openpgp.py --captures   # also screenshots/reader-pgp-*.txt

Keys and mail are made by gpg itself (tests/crypto/keyring.py, messages.py) in a temp
GNUPGHOME. Engine figures are compared with the floor of running gpg by hand on the same
bytes; `mailtui show` figures with showing a plain 1 MB message from the same Maildir.
Best of N wall-clock times.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailtui.crypto import Engine, Pinentry, SigState, decrypt_message, verify_message
from tests.crypto.keyring import build_keyring
from tests.crypto.messages import build_corpus, headers, multipart_encrypted, multipart_signed
from tests.support import mailgen

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def best(n: int, fn: Callable[[], object]) -> float:
    out = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def text_entity() -> bytes:
    """1 MB of text that does not compress (random bytes as base64 lines), as real mail
    with attachments does not: gpg's compression would otherwise shrink the ciphertext
    to a few kB and the decrypt figure would say nothing."""
    text = base64.encodebytes(os.urandom(MB * 3 // 4)).replace(b"\n", b"\r\n")
    return b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + text


def gpg(home: Path, *args: str, data: bytes) -> None:
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", *args],
        input=data,
        capture_output=True,
        check=True,
    )


def main() -> None:
    captures = "--captures" in sys.argv
    tmp = Path(tempfile.mkdtemp(prefix="mailtui-pgp-bench-"))
    keys = build_keyring(tmp / "keys")
    try:
        run(keys, tmp, captures)
    finally:
        keys.close()


def run(keys, tmp: Path, captures: bool) -> None:  # type: ignore[no-untyped-def]
    entity = text_entity()
    sig = keys.sign(keys.bob, entity)
    signed = multipart_signed(headers("Bob Sender <bob@example.net>", "big signed"), entity, sig)
    encrypted = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "big encrypted"),
        keys.encrypt(entity, keys.me, sign_as=keys.bob),
    )
    plain = headers("Bob Sender <bob@example.net>", "big plain") + entity
    engine = Engine(str(keys.reader))
    assert verify_message(engine, signed, "", "bob@example.net").state is SigState.GOOD
    never = Pinentry.never()
    assert decrypt_message(engine, encrypted, pinentry=never).signature is not None

    sig_file = tmp / "sig.asc"
    sig_file.write_bytes(sig)
    armored = encrypted[encrypted.index(b"-----BEGIN PGP MESSAGE") :]
    floor_verify = best(5, lambda: gpg(keys.reader, "--verify", str(sig_file), "-", data=entity))
    floor_decrypt = best(5, lambda: gpg(keys.reader, "--decrypt", data=armored))
    verify = best(5, lambda: verify_message(engine, signed, "", "bob@example.net"))
    decrypt = best(5, lambda: decrypt_message(engine, encrypted, pinentry=never))
    print(f"message sizes: signed {len(signed):,} B, encrypted {len(encrypted):,} B")
    print(
        f"engine verify_message   {verify * 1000:6.0f} ms   (gpg --verify by hand: {floor_verify * 1000:.0f} ms)"
    )
    print(
        f"engine decrypt_message  {decrypt * 1000:6.0f} ms   (gpg --decrypt by hand: {floor_decrypt * 1000:.0f} ms; includes the inner signature check)"
    )

    # End to end: `mailtui show` on a Maildir account (a process each: start-up included).
    corpus = build_corpus(keys)
    t0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    bad = corpus.bad.replace(b"Subject: good", b"Subject: bad", 1)
    mail = [plain, signed, encrypted, bad, corpus.good, corpus.imitation]
    msgs = [
        mailgen.from_bytes(m, internaldate=t0 + timedelta(minutes=i)) for i, m in enumerate(mail)
    ]
    maildir = tmp / "Mail"
    mailgen.write_maildir(maildir, "INBOX", msgs)
    config = tmp / "config.toml"
    config.write_text(
        f'[accounts.me]\nemail = "me@example.org"\nname = "Me Myself"\nmaildir = "{maildir}"\n'
    )
    config.chmod(0o600)
    env = dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp / "cache"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        GNUPGHOME=str(keys.reader),
        PYTHONPATH=str(ROOT),
    )

    subprocess.run(
        [sys.executable, "-m", "mailtui", "sync"], env=env, capture_output=True, check=True
    )
    # In process: `read_body` as `mailtui show` runs it, without and with OpenPGP, so
    # start-up and printing (the same for all three) do not drown the difference.
    os.environ.update(env)
    from mailtui.context import load_context
    from mailtui.usecase import secure
    from mailtui.usecase.reading import SecureReading, read_body

    ctx = load_context()
    service = ctx.service()
    reading = SecureReading(ctx.account(), Pinentry.never())

    def body(uid: int, with_crypto: bool) -> None:
        secure.forget_session()  # no memo: each run verifies/decrypts again
        read_body(service, "INBOX", uid, secure=reading if with_crypto else None)

    body(1, True)  # the engine is made once per process: not part of a message's time
    base = best(5, lambda: body(1, False))
    sig_t = best(5, lambda: body(2, True))
    enc_t = best(5, lambda: body(3, True))
    ctx.close()
    print(
        f"read_body (mailtui show's use case), 1 MB from a Maildir: plain {base * 1000:.0f} ms, "
        f"signed+verified {sig_t * 1000:.0f} ms, encrypted+decrypted+verified {enc_t * 1000:.0f} ms"
    )
    if captures:
        capture(env, tmp)


def capture(env: dict[str, str], tmp: Path) -> None:
    """tmux text captures of the reader on the good and the bad signature."""
    session = f"pgp-bench-{os.getpid()}"
    cmd = " ".join(
        f"{k}={v!s}"
        for k, v in env.items()
        if k
        in (
            "MAILTUI_CONFIG",
            "XDG_CACHE_HOME",
            "XDG_DATA_HOME",
            "XDG_CONFIG_HOME",
            "GNUPGHOME",
            "PYTHONPATH",
        )
    )
    subprocess.run(
        [
            "tmux",
            "new",
            "-d",
            "-s",
            session,
            "-x",
            "120",
            "-y",
            "34",
            f"env {cmd} {sys.executable} -m mailtui",
        ],
        check=True,
    )
    out = ROOT / "screenshots"

    def screen() -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", session],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def wait(text: str, timeout: float = 30) -> str:
        """The screen once it shows `text` and no loading indicator."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown and "● ● ●" not in shown:
                return shown
            time.sleep(0.2)
        raise SystemExit(f"timed out waiting for {text!r}:\n{screen()}")

    def keys(*k: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", session, *k], check=True)

    try:
        wait("big plain")
        keys("g", "Enter")  # newest first: the body imitating a good signature (uid 6)
        (out / "reader-pgp-imitation.txt").write_text(wait("UNVERIFIED"))
        keys("j", "Enter")  # the good signature (uid 5)
        (out / "reader-pgp-good.txt").write_text(wait("SIGNED"))
        keys("j", "Enter")  # the bad one (uid 4)
        (out / "reader-pgp-bad.txt").write_text(wait("BAD"))
        keys("j", "Enter")
        (out / "reader-pgp-encrypted.txt").write_text(wait("ENCRYPTED"))
        keys("q")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    print("captures: screenshots/reader-pgp-{imitation,good,bad,encrypted}.txt")


if __name__ == "__main__":
    main()
