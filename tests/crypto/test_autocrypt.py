"""Autocrypt Level 1: our header, parsing strangers' headers, peer state, key choice."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

from mailtui.crypto import (
    Engine,
    KeyValidity,
    MemoryPeerStore,
    build_header,
    encrypt_message,
    parse_headers,
    plan_recipients,
    recommend,
    update_peer,
    validate_keydata,
)
from mailtui.crypto.autocrypt import DISCOURAGE_AFTER, MAX_KEYDATA
from mailtui.crypto.keys import signing_key
from tests.crypto.keyring import Keyring, run_gpg
from tests.crypto.test_send import RAW_8BIT, armored

DAY = 24 * 3600


def test_our_header_survives_folding_and_gives_back_our_key(engine: Engine, keys: Keyring) -> None:
    keydata = engine.export_minimal(keys.me, "me@example.org")
    value = build_header("Me@Example.org", keydata, prefer_encrypt_mutual=True)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "me@example.org"
    msg["Autocrypt"] = value
    msg.set_content("hi")
    wire = msg.as_bytes()
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    back = message_from_bytes(wire)
    header = parse_headers([str(back["Autocrypt"])], "ME@example.org")
    assert header is not None
    assert header.keydata == keydata and header.prefer_encrypt == "mutual"
    key = validate_keydata(engine, header.keydata, "me@example.org")
    assert key is not None and key.fingerprint == keys.me
    assert len(key.user_ids) == 1 and len(key.subkeys) == 1  # minimal: one uid, one E subkey


def test_malformed_headers_are_ignored() -> None:
    good = base64.b64encode(b"\x99" * 50).decode()
    assert parse_headers([f"addr=a@b.example; keydata={good}"], "a@b.example") is not None
    assert parse_headers([f"addr=a@b.example; _extra=1; keydata={good}"], "a@b.example") is not None
    bad = [
        f"addr=a@b.example; critical=1; keydata={good}",  # unknown critical attribute
        "addr=a@b.example",  # no keydata
        f"keydata={good}",  # no addr
        "addr=a@b.example; keydata=!!!notbase64",
        f"addr=a@b.example; keydata={base64.b64encode(b'x' * (MAX_KEYDATA + 1)).decode()}",
        f"addr=a@b.example; addr=c@d.example; keydata={good}",  # repeated attribute
        f"addr=a@b.example; keydata={good}; junk",
    ]
    for value in bad:
        assert parse_headers([value], "a@b.example") is None, value
    # For another address, or twice for the sender: no header (§2.3).
    assert parse_headers([f"addr=c@d.example; keydata={good}"], "a@b.example") is None
    twice = [f"addr=a@b.example; keydata={good}"] * 2
    assert parse_headers(twice, "a@b.example") is None


def test_keydata_that_is_no_usable_key_is_refused(engine: Engine, keys: Keyring) -> None:
    assert validate_keydata(engine, b"\x99\x01garbage") is None
    expired = run_gpg(keys.sender, "--export", keys.old)
    assert validate_keydata(engine, expired) is None
    two = run_gpg(keys.sender, "--export", keys.bob, keys.mallory)
    assert validate_keydata(engine, two) is None
    mallory = run_gpg(keys.sender, "--export", keys.mallory)
    assert validate_keydata(engine, mallory, "someone@else.example") is None


def test_peer_state_follows_the_spec_update_rules() -> None:
    store = MemoryPeerStore()
    now = 1_800_000_000
    h1 = parse_headers(
        [f"addr=p@x.example; keydata={base64.b64encode(b'k1').decode()}"], "p@x.example"
    )
    h2 = parse_headers(
        [f"addr=p@x.example; prefer-encrypt=mutual; keydata={base64.b64encode(b'k2').decode()}"],
        "p@x.example",
    )
    peer = update_peer(store, "P@x.example", now - 10 * DAY, h1, "FPR1", now=now)
    assert peer is not None and peer.public_key == b"k1" and peer.prefer_encrypt == "nopreference"
    # An older message does not undo a newer one.
    update_peer(store, "p@x.example", now - 20 * DAY, h2, "FPR2", now=now)
    assert store.get("p@x.example").public_key == b"k1"  # type: ignore[union-attr]
    # A newer one replaces key and preference.
    peer = update_peer(store, "p@x.example", now - 5 * DAY, h2, "FPR2", now=now)
    assert peer is not None and peer.public_key == b"k2" and peer.prefer_encrypt == "mutual"
    assert recommend(peer, own_mutual=True) == "encrypt"
    assert recommend(peer, own_mutual=False) == "available"
    # Mail without a header moves last_seen only; long silence → discourage.
    peer = update_peer(store, "p@x.example", now, None, now=now)
    assert peer is not None and peer.public_key == b"k2" and peer.last_seen == now
    assert recommend(peer, own_mutual=True) == "encrypt"  # only 5 days
    peer = update_peer(
        store, "p@x.example", now + DISCOURAGE_AFTER, None, now=now + DISCOURAGE_AFTER
    )
    assert recommend(peer, own_mutual=True) == "discourage"
    # A date from the future counts as now.
    future = update_peer(store, "q@x.example", now + 999 * DAY, h1, now=now)
    assert future is None or future.autocrypt_timestamp == now
    assert recommend(None, own_mutual=True) == "disable"


def test_plan_uses_keyring_then_autocrypt_and_names_who_lacks_a_key(
    engine: Engine, keys: Keyring
) -> None:
    store = MemoryPeerStore()
    mallory_key = run_gpg(keys.sender, "--export", keys.mallory)
    header = parse_headers(
        [build_header("mallory@example.com", mallory_key)], "mallory@example.com"
    )
    info = validate_keydata(engine, header.keydata, "mallory@example.com")  # type: ignore[union-attr]
    assert info is not None
    update_peer(store, "mallory@example.com", 1_700_000_000, header, info.fingerprint)
    plan = plan_recipients(
        engine,
        [
            "Bob@Example.net",
            "old@example.net",  # expired
            "gone@example.net",  # revoked
            "mallory@example.com",  # Autocrypt only
            "nobody@example.com",
            "me@example.org",
        ],
        store,
    )
    chosen = {k.addr: (k.source, k.fingerprint) for k in plan.keys}
    assert chosen == {
        "bob@example.net": ("keyring", keys.bob),
        "mallory@example.com": ("autocrypt", keys.mallory),
        "me@example.org": ("keyring", keys.me),
    }
    assert plan.missing == ("old@example.net", "gone@example.net", "nobody@example.com")
    assert not plan.complete
    me = next(k for k in plan.keys if k.addr == "me@example.org")
    assert me.validity is KeyValidity.ULTIMATE
    # The plan feeds encryption directly; gpg (as mallory) reads the result.
    out = encrypt_message(engine, RAW_8BIT, plan.fingerprints(), plan.keydata())
    assert b"Caf\xc3\xa9 at noon?" in run_gpg(keys.sender, "--decrypt", data=armored(out))


def test_signing_key_by_address_or_fingerprint(engine: Engine, keys: Keyring) -> None:
    assert signing_key(engine, "me@example.org").fingerprint == keys.me  # type: ignore[union-attr]
    assert signing_key(engine, keys.locked).fingerprint == keys.locked  # type: ignore[union-attr]
    assert signing_key(engine, "bob@example.net") is None  # public key only
