"""PGP/MIME encrypted mail made by gpg, decrypted by mailtui: plain, signed in one pass,
signed then encrypted, protected headers, not for us, tampered."""

from __future__ import annotations

import pytest

from mailtui.crypto import CryptoError, Engine, SigState, decrypt_message, protected_headers
from mailtui.crypto.rawmime import encrypted_payload
from mailtui.mime.parse import parse_message
from mailtui.mime.render import render_message
from tests.crypto.keyring import Keyring
from tests.crypto.messages import Corpus


def test_encrypted_only_has_no_signature(engine: Engine, corpus: Corpus) -> None:
    out = decrypt_message(engine, corpus.encrypted_only, from_addr="bob@example.net")
    assert corpus.secret_text in out.data
    assert out.signature is None
    assert out.recipients  # the key ids it was encrypted to


def test_one_pass_signed_and_encrypted(engine: Engine, corpus: Corpus, keys: Keyring) -> None:
    out = decrypt_message(engine, corpus.combined, from_addr="bob@example.net")
    assert corpus.secret_text in out.data
    assert out.signature is not None
    assert out.signature.state is SigState.GOOD and out.signature.ok
    assert out.signature.fingerprint == keys.bob


def test_signed_then_encrypted_verifies_the_inner_multipart_signed(
    engine: Engine, corpus: Corpus
) -> None:
    out = decrypt_message(engine, corpus.nested, from_addr="bob@example.net")
    assert out.signature is not None and out.signature.state is SigState.GOOD
    assert out.signature.from_matches is True
    # The decrypted entity reads as mail: the reader parses it in memory like any other.
    text = render_message(parse_message(out.data)).plain
    assert corpus.secret_text.decode() in text


def test_inner_signature_against_another_sender(engine: Engine, corpus: Corpus) -> None:
    out = decrypt_message(engine, corpus.nested, from_addr="alice@example.com")
    assert out.signature is not None and out.signature.from_matches is False
    assert not out.signature.ok


def test_protected_subject_wins(engine: Engine, corpus: Corpus) -> None:
    out = decrypt_message(engine, corpus.protected)
    assert out.protected is not None
    assert out.protected.subject == "The real subject"
    assert out.protected.marked and out.protected.source == "part"


def test_legacy_display_part_gives_the_subject(engine: Engine, corpus: Corpus) -> None:
    out = decrypt_message(engine, corpus.legacy_display)
    assert out.protected is not None
    assert out.protected.subject == "Legacy subject café"
    assert out.protected.source == "legacy-display"
    assert out.protected.legacy_section == "1"


def test_signed_part_protected_headers() -> None:
    entity = (
        b'Content-Type: text/plain; protected-headers="v1"\r\nSubject: \x1b[31mred\r\n\r\nx\r\n'
    )
    found = protected_headers(entity)
    assert found is not None and found.subject == "␛[31mred"  # cleaned, not a colour


def test_not_encrypted_to_us(engine: Engine, corpus: Corpus) -> None:
    with pytest.raises(CryptoError, match="not encrypted to any of your secret keys"):
        decrypt_message(engine, corpus.not_for_me)


def test_tampered_ciphertext_shows_nothing(engine: Engine, corpus: Corpus) -> None:
    cipher = encrypted_payload(corpus.encrypted_only)
    assert cipher is not None
    lines = cipher.split(b"\r\n")
    mid = next(i for i, line in enumerate(lines) if len(line) > 60 and i > 3)
    flipped = bytearray(lines[mid])
    flipped[10] = ord("A") if flipped[10] != ord("A") else ord("B")
    lines[mid] = bytes(flipped)
    raw = corpus.encrypted_only.replace(cipher.rstrip(b"\r\n"), b"\r\n".join(lines).rstrip(b"\r\n"))
    assert raw != corpus.encrypted_only
    with pytest.raises(CryptoError):
        decrypt_message(engine, raw)


def test_no_encrypted_part(engine: Engine, corpus: Corpus) -> None:
    with pytest.raises(CryptoError, match="no PGP/MIME encrypted part"):
        decrypt_message(engine, corpus.good)
