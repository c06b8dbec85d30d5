"""User ids and status arguments come from strangers' keys: they are cleaned text."""

from __future__ import annotations

from mailtui.crypto.keyinfo import parse_colons
from mailtui.crypto.statuslines import signature_from, status_text


def test_status_user_id_is_decoded_and_made_inert() -> None:
    # gpg writes UTF-8 with %XX escapes; python-gnupg hands it over as Latin-1.
    raw = "Caf\u00c3\u00a9 %1B[32mGood signature%1B[0m\u00e2\u0080\u00ae <x@y.example>"  # U+202E RLO as UTF-8 bytes
    assert status_text(raw) == "Café ␛[32mGood signature␛[0m <x@y.example>"


def test_status_lines_from_a_hostile_user_id_stay_one_field() -> None:
    statuses = [
        ("NEWSIG", ""),
        ("BADSIG", "0123456789ABCDEF Eve%0A[GNUPG:] GOODSIG 0123 Bank"),
    ]
    status = signature_from(statuses)
    assert status is not None and status.state.value == "bad"
    assert "\n" not in status.user_id and status.user_id.startswith("Eve")


def test_colon_listing_uid_escapes_are_cleaned() -> None:
    listing = (
        b"pub:-:255:22:AAAAAAAAAAAAAAAA:1700000000:::-:::scESC:::::ed25519:::0:\n"
        b"fpr:::::::::AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:\n"
        b"uid:-::::1700000000::HASH::Evil\\x1b[31m Name\\x3a <Evil@Example.org>::::::::::0:\n"
        b"uid:r::::1700000000::HASH::Old <old@example.org>::::::::::0:\n"
    )
    (key,) = parse_colons(listing)
    assert key.user_ids[0].text == "Evil␛[31m Name: <Evil@Example.org>"
    assert key.emails() == frozenset({"evil@example.org"})  # the revoked user id does not count
    assert key.can_encrypt and key.fingerprint == "A" * 40
