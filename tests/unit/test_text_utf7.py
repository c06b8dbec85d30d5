"""Modified UTF-7 (RFC 3501 §5.1.3), mailtui's one codec (text.utf7) for both backends, checked against imapclient's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient import imap_utf7

from mailtui.imap.translate import folder_from_list
from mailtui.maildir import layout
from mailtui.text import utf7


@given(st.text())
def test_round_trip(name: str) -> None:
    encoded = utf7.encode(name)
    assert encoded.isascii() and all(" " <= c <= "~" for c in encoded)
    assert utf7.decode(encoded) == name
    assert utf7.is_canonical(encoded)


@given(st.text())
def test_same_spelling_as_imapclient(name: str) -> None:
    """The sync layer names new folders with imapclient's encoder: ours must agree."""
    assert utf7.encode(name) == imap_utf7.encode(name).decode("ascii")
    assert utf7.decode(imap_utf7.encode(name).decode("ascii")) == name


@pytest.mark.parametrize(
    ("name", "encoded"),
    [
        ("INBOX", "INBOX"),
        ("Entwürfe", "Entw&APw-rfe"),
        ("R&D", "R&-D"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501's example
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("😀", "&2D3eAA-"),
    ],
)
def test_known_spellings(name: str, encoded: str) -> None:
    assert utf7.encode(name) == encoded
    assert utf7.decode(encoded) == name


@pytest.mark.parametrize(
    "bad",
    [
        "&",  # unterminated
        "&Jjo",  # unterminated run
        "&AGE-",  # base64 for "a": printable ASCII must stand for itself
        "&Jj-",  # pad bits set / truncated
        "&A-",  # too short to be a UTF-16 unit
        "tab\there",  # control characters are not allowed
        "Entwürfe",  # not ASCII at all
    ],
)
def test_invalid_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        utf7.decode(bad)
    assert not utf7.is_canonical(bad)


def test_non_canonical_runs_decode_but_are_not_canonical() -> None:
    """Two adjacent runs decode, but an encoder would have written one."""
    assert utf7.decode("&U,BTFw-&ZeVnLIqe-") == "台北日本語"
    assert not utf7.is_canonical("&U,BTFw-&ZeVnLIqe-")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"&AEkATgBCAE8AWA-", "&AEkATgBCAE8AWA-"),  # "INBOX" spelled in base64: not canonical
        (b"&AGE-", "&AGE-"),
        ("Entwürfe".encode(), "Entwürfe"),  # UTF-8 from a UTF8=ACCEPT server
        (b"Entw&APw-rfe", "Entwürfe"),
        (b"R&-D", "R&D"),
        (b"&AOQ-&APY-", "&AOQ-&APY-"),  # two runs where one would do: not canonical
        (b"&AOQA9g-", "\u00e4\u00f6"),
    ],
)
def test_imap_and_maildir_read_a_folder_name_alike(raw: bytes, shown: str) -> None:
    """One codec: a LIST name that imitates another folder is shown as sent, as on disk.

    Before, the IMAP side used imapclient's lenient decoder, which read the first as a
    second "INBOX" and UTF-8 bytes as Latin-1 ("EntwÃ¼rfe")."""
    folder = folder_from_list([], b"/", raw)
    assert folder.name == shown
    assert layout.decode_part(raw.decode("utf-8")) == shown
