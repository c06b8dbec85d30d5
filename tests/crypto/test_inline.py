"""Inline PGP in a text part: what is covered, what is not, and decryption."""

from __future__ import annotations

from mailtui.crypto import Engine, Pinentry, SigState, has_inline_pgp, process_inline
from mailtui.crypto.inline import find_blocks
from tests.crypto.keyring import Keyring
from tests.crypto.messages import Corpus


def test_clearsigned_block_covers_only_its_text(
    engine: Engine, corpus: Corpus, keys: Keyring
) -> None:
    result = process_inline(engine, corpus.inline_signed, "utf-8", from_addr="bob@example.net")
    kinds = [s.kind for s in result.segments]
    assert kinds == ["plain", "signed", "plain"]
    intro, signed, outro = result.segments
    assert intro.text == "This intro is NOT covered.\n" and not intro.covered
    assert "not covered either" in outro.text and not outro.covered
    # What is shown as covered is gpg's output: dash-escaping undone, no armor lines.
    assert signed.text == "Signed line one.\n- dashed line\nSigned line three.\n"
    assert signed.signature is not None and signed.signature.ok
    assert signed.signature.fingerprint == keys.bob
    assert not result.fully_covered
    # The spans point at the bytes of each run.
    start, end = signed.span
    assert corpus.inline_signed[start:end].startswith(b"-----BEGIN PGP SIGNED MESSAGE-----")


def test_changed_clearsigned_text_is_bad_and_not_covered(engine: Engine, corpus: Corpus) -> None:
    tampered = corpus.inline_signed.replace(b"Signed line three.", b"Signed line THREE.")
    result = process_inline(engine, tampered, "utf-8", from_addr="bob@example.net")
    signed = result.segments[1]
    assert signed.signature is not None and signed.signature.state is SigState.BAD
    assert not signed.covered


def test_text_imitating_a_signed_block_outside_armor_is_plain(engine: Engine) -> None:
    text = (
        b'gpg: Good signature from "Bob" [ultimate]\n-----BEGIN PGP SIGNED MESSAGE-----\nno end\n'
    )
    assert not has_inline_pgp(text)  # an unterminated block is not a block
    result = process_inline(engine, text)
    assert [s.kind for s in result.segments] == ["plain"]


def test_quoted_block_is_not_a_block() -> None:
    text = b"> -----BEGIN PGP MESSAGE-----\n> abc\n> -----END PGP MESSAGE-----\n"
    assert find_blocks(text) == []


def test_inline_encrypted_and_signed(engine: Engine, corpus: Corpus) -> None:
    result = process_inline(
        engine, corpus.inline_encrypted, "utf-8", Pinentry.never(), from_addr="bob@example.net"
    )
    assert [s.kind for s in result.segments] == ["plain", "signed+encrypted", "plain"]
    secret = result.segments[1]
    assert secret.text == f"Inline secret {corpus.secret_text.decode()}\n"
    assert secret.signature is not None and secret.signature.ok


def test_inline_encrypted_to_someone_else_is_broken_not_fatal(
    engine: Engine, keys: Keyring
) -> None:
    block = keys.encrypt(b"for mallory\n", keys.mallory)
    result = process_inline(engine, b"hi\n" + block)
    assert [s.kind for s in result.segments] == ["plain", "broken"]
    assert "not encrypted to any of your secret keys" in result.segments[1].error
