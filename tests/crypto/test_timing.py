"""How long a 1 MB message takes to verify and to decrypt (printed, never asserted)."""

from __future__ import annotations

import base64
import os
import time

import pytest

from mailtui.crypto import Engine, Pinentry, SigState, decrypt_message, verify_message
from tests.crypto.keyring import Keyring
from tests.crypto.messages import headers, multipart_encrypted, multipart_signed

MB = 1024 * 1024


def _big_entity() -> bytes:
    """1 MB of base64 text from random bytes: it does not compress, as real mail with
    attachments does not."""
    text = base64.encodebytes(os.urandom(MB * 3 // 4)).replace(b"\n", b"\r\n")
    return (
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + text
    )


def _best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def test_one_megabyte(engine: Engine, keys: Keyring, capsys: pytest.CaptureFixture[str]) -> None:
    entity = _big_entity()
    signed = multipart_signed(
        headers("Bob <bob@example.net>", "big"), entity, keys.sign(keys.bob, entity)
    )
    encrypted = multipart_encrypted(
        headers("Bob <bob@example.net>", "big"), keys.encrypt(entity, keys.me, sign_as=keys.bob)
    )
    assert verify_message(engine, signed, "", "bob@example.net").state is SigState.GOOD
    out = decrypt_message(engine, encrypted, pinentry=Pinentry.never(), from_addr="bob@example.net")
    assert out.data == entity and out.signature is not None and out.signature.ok

    verify = _best_of(3, lambda: verify_message(engine, signed, "", "bob@example.net"))
    decrypt = _best_of(
        3,
        lambda: decrypt_message(
            engine, encrypted, pinentry=Pinentry.never(), from_addr="bob@example.net"
        ),
    )
    with capsys.disabled():
        print(
            f"\n1 MB message: verify {verify * 1000:.0f} ms, "
            f"decrypt+verify {decrypt * 1000:.0f} ms (best of 3, {len(signed)} / {len(encrypted)} bytes)"
        )
