"""A signed or encrypted message waiting in the outbox, edited again: it comes back as
the message it was built from (encrypted ones decrypted with our own key, in memory),
with the choices it was sent with (before, an encrypted one came back as an empty body
plus encrypted.asc, and a signed one was sent again unsigned)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.compose.build import build_message, message_bytes
from mailtui.compose.draft import Draft
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.model import Address
from mailtui.usecase.protect import PgpChoice, protect, unprotect
from mailtui.usecase.reading import original_from_raw
from tests.crypto.keyring import Keyring


@pytest.fixture
def account(keys: Keyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AccountSettings:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    acct = {"email": "me@example.org", "maildir": str(tmp_path / "m"), "autocrypt": True}
    return make_settings({"me": acct}).accounts["me"]


def built(account: AccountSettings) -> bytes:
    draft = Draft(
        from_=Address("Me Myself", "me@example.org"),
        to=(Address("Bob", "bob@example.net"),),
        subject="Caf\u00e9 plans",
        body="Caf\u00e9 at noon?\nFrom here on.\n",
    )
    return message_bytes(build_message(draft, account))


@pytest.mark.parametrize(
    "choice", [PgpChoice(True, "off"), PgpChoice(False, "on"), PgpChoice(True, "on")]
)
def test_a_queued_protected_message_edits_as_what_it_was(
    account: AccountSettings, choice: PgpChoice
) -> None:
    raw = built(account)
    sent = protect(account, raw, choice)
    before = original_from_raw(sent)
    if choice.encrypt == "on":
        # What editing showed before: no text, the ciphertext as an attachment.
        assert before.body.strip() == ""
        assert [a.filename for a in before.attachments] == ["encrypted.asc"]
    plain, was = unprotect(sent, account)
    assert was == PgpChoice(choice.sign, choice.encrypt)
    after = original_from_raw(plain)
    assert after.attachments == ()
    assert after.subject == "Café plans"
    assert after.body.replace("\r\n", "\n") == "Café at noon?\nFrom here on.\n"
    assert b"Autocrypt:" not in plain.split(b"\r\n\r\n", 1)[0]  # added again when sent


def test_a_plain_message_is_left_alone(account: AccountSettings) -> None:
    raw = built(account)
    assert unprotect(raw, account) == (raw, None)
