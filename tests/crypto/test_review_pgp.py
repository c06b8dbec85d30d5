"""The review screen's OpenPGP line: S toggles sign, X toggles encrypt, and sending with
encryption on checks every recipient's key first (real gpg, real keyring), staying on
the review and naming who lacks one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from mailtui.compose.draft import Draft
from mailtui.config.load import make_settings
from mailtui.model import Address
from mailtui.ui.composing import _openpgp_review
from mailtui.ui.screens.review import ReviewResult, ReviewScreen
from mailtui.usecase.protect import PgpChoice
from tests.crypto.keyring import Keyring
from tests.ui.helpers import wait_for

ME = Address("Me Myself", "me@example.org")


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[ReviewResult] = []

    def compose(self) -> ComposeResult:
        yield Static("host")


class Service:
    """Only what the key check asks of a service: where the account's cache lives."""

    def __init__(self, path: Path) -> None:
        self.cache_path = path


def line(app: App[Any]) -> str:
    return str(app.screen.query_one("#review-pgp", Static).render())


async def test_s_and_x_toggle_and_a_missing_key_keeps_the_review(
    keys: Keyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    settings = make_settings(
        {"me": {"email": "me@example.org", "maildir": str(tmp_path / "mail"), "pgp_sign": True}}
    )
    account = settings.accounts["me"]
    pgp, check = _openpgp_review(account, Service(tmp_path / "me.sqlite3"))  # type: ignore[arg-type]
    assert pgp == PgpChoice(sign=True, encrypt="off")
    draft = Draft(
        from_=ME,
        to=(Address("Bob", "bob@example.net"), Address("", "nokey@example.com")),
        subject="Hello",
        body="Hi\n",
    )
    app = Host()
    async with app.run_test(size=(110, 30)) as pilot:
        app.push_screen(ReviewScreen(draft, pgp=pgp, check_keys=check), app.results.append)
        await wait_for(pilot, lambda: "OpenPGP" in line(app), what="the OpenPGP line")
        assert "sign: yes · encrypt: no" in line(app)
        await pilot.press("S")
        assert "sign: no · encrypt: no" in line(app)
        await pilot.press("S", "X")
        assert "sign: yes · encrypt: yes" in line(app)
        await pilot.press("y")
        error = app.screen.query_one("#review-error", Static)
        await wait_for(pilot, lambda: error.display, what="the missing-key error")
        assert "no OpenPGP key for nokey@example.com" in str(error.render())
        assert "bob@example.net" not in str(error.render())
        assert app.results == []  # still reviewing: nothing was sent
        await pilot.press("X", "y")
        await wait_for(pilot, lambda: app.results, what="the result")
    assert app.results[0].action == "send"
    assert app.results[0].pgp == PgpChoice(sign=True, encrypt="off")


async def test_without_gpg_an_account_that_encrypts_does_not_send_in_plaintext(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no gpg here
    settings = make_settings(
        {
            "me": {
                "email": "me@example.org",
                "maildir": str(tmp_path / "mail"),
                "pgp_encrypt": "always",
            }
        }
    )
    account = settings.accounts["me"]
    pgp, check = _openpgp_review(account, Service(tmp_path / "me.sqlite3"))  # type: ignore[arg-type]
    assert pgp == PgpChoice(sign=False, encrypt="on")
    draft = Draft(from_=ME, to=(Address("Bob", "bob@example.net"),), subject="s", body="x\n")
    app = Host()
    async with app.run_test(size=(110, 30)) as pilot:
        app.push_screen(ReviewScreen(draft, pgp=pgp, check_keys=check), app.results.append)
        await wait_for(pilot, lambda: "encrypt: yes" in line(app), what="the OpenPGP line")
        await pilot.press("y")
        error = app.screen.query_one("#review-error", Static)
        await wait_for(pilot, lambda: error.display, what="the error")
        assert "OpenPGP is off: gpg was not found" in str(error.render())
        assert "apt-get install gnupg" in str(error.render())
        assert app.results == []


def test_without_gpg_opportunistic_sends_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailtui.usecase.protect import protect

    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    acct = {"email": "me@example.org", "maildir": str(tmp_path / "m"), "autocrypt": True}
    account = make_settings({"me": acct}).accounts["me"]
    raw = b"From: me@example.org\r\nTo: bob@example.net\r\nSubject: s\r\n\r\nx\r\n"
    assert protect(account, raw, PgpChoice(False, "auto")) == raw
