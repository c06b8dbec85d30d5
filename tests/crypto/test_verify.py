"""PGP/MIME signatures made by gpg, checked by mailtui: every state, from raw bytes and
from a real IMAP server's BODY[n.MIME] + BODY[n]."""

from __future__ import annotations

from dataclasses import fields

import pytest

from mailtui.crypto import (
    Engine,
    KeyValidity,
    SigState,
    imap_signed_bytes,
    pgp_parts,
    signed_parts,
    verify_detached,
    verify_message,
)
from mailtui.mime.parse import parse_message
from tests.crypto.keyring import Keyring
from tests.crypto.messages import Corpus
from tests.support.dovecot import Dovecot, MailUser


def test_good_signature_names_signer_key_and_validity(
    engine: Engine, corpus: Corpus, keys: Keyring
) -> None:
    status = verify_message(engine, corpus.good, "", "bob@example.net")
    assert status.state is SigState.GOOD
    assert status.ok
    assert status.user_id == "Bob Sender <bob@example.net>"
    assert status.fingerprint == keys.bob
    assert status.validity is KeyValidity.UNDEFINED  # imported, nobody certified it
    assert status.from_matches is True
    assert status.hash_algo == "sha256"
    assert status.signed_at and status.signed_at > 1_700_000_000
    assert status.summary().startswith("Good signature from Bob Sender <bob@example.net>")


def test_one_changed_byte_is_a_bad_signature(engine: Engine, corpus: Corpus) -> None:
    status = verify_message(engine, corpus.bad, "", "bob@example.net")
    assert status.state is SigState.BAD
    assert not status.ok
    assert "BAD signature" in status.summary()


def test_unknown_key_gives_its_fingerprint(engine: Engine, corpus: Corpus, keys: Keyring) -> None:
    status = verify_message(engine, corpus.unknown, "", "mallory@example.com")
    assert status.state is SigState.UNKNOWN_KEY
    assert status.fingerprint == keys.mallory  # gpg ≥ 2.2.7 gives the issuer fingerprint
    assert status.from_matches is None  # no key: cannot tell
    assert not status.ok


def test_expired_key(engine: Engine, corpus: Corpus, keys: Keyring) -> None:
    status = verify_message(engine, corpus.expired, "", "old@example.net")
    assert status.state is SigState.EXPIRED_KEY
    assert status.fingerprint == keys.old
    assert not status.ok


def test_revoked_key(engine: Engine, corpus: Corpus, keys: Keyring) -> None:
    status = verify_message(engine, corpus.revoked, "", "gone@example.net")
    assert status.state is SigState.REVOKED_KEY
    assert status.fingerprint == keys.gone
    assert "REVOKED" in status.summary()


def test_signer_other_than_from_is_flagged(engine: Engine, corpus: Corpus) -> None:
    status = verify_message(engine, corpus.wrong_sender, "", "Alice@Example.com")
    assert status.state is SigState.GOOD  # the signature itself is fine …
    assert status.from_matches is False  # … but not by the sender
    assert not status.ok
    assert "not for the sender alice@example.com" in status.summary()


def test_a_body_imitating_good_signature_cannot_make_one(engine: Engine, corpus: Corpus) -> None:
    status = verify_message(engine, corpus.imitation, "", "bank@example.org")
    # Signed by a key we lack, its body full of fake gpg output and ANSI colour.
    assert status.state is SigState.UNKNOWN_KEY
    assert not status.ok
    text = " ".join(str(getattr(status, f.name)) for f in fields(status)) + status.summary()
    assert "Your Bank" not in text and "\x1b" not in text and "GOODSIG" not in text


def test_unsigned_message_is_not_a_signature(engine: Engine) -> None:
    raw = b"From: a@b.example\r\nContent-Type: text/plain\r\n\r\n[GNUPG:] GOODSIG 1 x\r\n"
    status = verify_message(engine, raw, "", "a@b.example")
    assert status.state is SigState.ERROR
    assert not status.ok


def test_maildir_lf_copy_verifies_like_the_crlf_original(engine: Engine, corpus: Corpus) -> None:
    lf = corpus.good.replace(b"\r\n", b"\n")
    assert verify_message(engine, lf, "", "bob@example.net").state is SigState.GOOD


def test_verify_honours_gnupghome(
    monkeypatch: pytest.MonkeyPatch, corpus: Corpus, keys: Keyring
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    status = verify_message(Engine(), corpus.good, "", "bob@example.net")
    assert status.state is SigState.GOOD


def test_structure_tells_what_to_fetch(corpus: Corpus) -> None:
    parts = pgp_parts(parse_message(corpus.good).structure)
    assert [(p.section, p.kind, p.fetch) for p in parts] == [("", "signed", ("1.MIME", "1", "2"))]
    enc = pgp_parts(parse_message(corpus.combined).structure)
    assert [(p.section, p.kind, p.fetch) for p in enc] == [("", "encrypted", ("2",))]


@pytest.mark.imap
def test_signed_bytes_from_imap_sections_verify(
    engine: Engine, corpus: Corpus, dovecot: Dovecot, mail_user: MailUser
) -> None:
    client = dovecot.client(mail_user)
    try:
        client.append("INBOX", corpus.good)
        client.append("INBOX", corpus.bad)
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        got = client.fetch(
            uids, ["BODYSTRUCTURE", "BODY.PEEK[1.MIME]", "BODY.PEEK[1]", "BODY.PEEK[2]"]
        )
    finally:
        client.logout()
    states = []
    for uid in sorted(uids):
        item = got[uid]
        signed = imap_signed_bytes(item[b"BODY[1.MIME]"], item[b"BODY[1]"])
        states.append(verify_detached(engine, signed, item[b"BODY[2]"], "bob@example.net").state)
    assert states == [SigState.GOOD, SigState.BAD]
    # And the server's bytes are exactly what the offset walker cuts from the raw message.
    assert signed_parts(corpus.bad).signed == signed  # type: ignore[union-attr]
