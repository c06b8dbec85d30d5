"""Refresh-token stores and TokenManager against the real authorization server."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest

from mailtui.config import logs
from mailtui.oauth2.errors import ReauthRequired
from mailtui.oauth2.flows import TokenSet, device_sign_in
from mailtui.oauth2.http import HttpClient
from mailtui.oauth2.tokens import FileStore, KeyringStore, TokenManager, UnsafeTokenFile
from tests.oauth2.conftest import provider_for
from tests.support.filekeyring import FileKeyring
from tests.support.oauth_server import OAuthServer


def sign_in(server: OAuthServer, http: HttpClient, username: str) -> TokenSet:
    return device_sign_in(
        provider_for(server),
        http,
        io.StringIO(),
        on_code=lambda c: server.approve(c.user_code, username),
    )


def test_token_file_is_created_0600_and_read_back(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "tokens" / "work.token")
    assert store.load() is None
    store.save("refresh-abc")
    assert os.stat(store.path).st_mode & 0o777 == 0o600
    assert store.load() == "refresh-abc"
    store.save("refresh-def")  # replaced whole, still 0600
    assert store.load() == "refresh-def"
    assert os.stat(store.path).st_mode & 0o777 == 0o600
    assert list(store.path.parent.iterdir()) == [store.path]  # no temp file left
    store.delete()
    assert store.load() is None


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_token_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "work.token"
    path.write_text("refresh-abc\n")
    path.chmod(mode)
    with pytest.raises(UnsafeTokenFile, match="other users") as caught:
        FileStore(path).load()
    assert "chmod 600" in caught.value.hint
    assert "refresh-abc" not in caught.value.sentence()


def test_keyring_store_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILTUI_TEST_KEYRING", str(tmp_path / "keyring.json"))
    store = KeyringStore("work", FileKeyring())
    assert store.load() is None
    store.save("refresh-xyz")
    assert KeyringStore("work", FileKeyring()).load() == "refresh-xyz"
    assert KeyringStore("home", FileKeyring()).load() is None
    store.delete()
    store.delete()  # nothing left to delete is not an error
    assert store.load() is None


def test_refreshes_before_expiry_and_stores_the_rotated_token(tmp_path: Path) -> None:
    http = HttpClient()
    with OAuthServer(access_ttl=30) as server:  # shorter than the 60 s margin
        store = FileStore(tmp_path / "t")
        manager = TokenManager("work", provider_for(server), http, store)
        first = sign_in(server, http, "erin")
        manager.adopt(first)
        assert store.load() == first.refresh_token
        token = manager.access_token()
        assert token != first.access_token
        assert manager.refreshes == 1
        rotated = store.load()
        assert rotated and rotated != first.refresh_token  # the server rotates
        assert server.active_tokens("erin") == 1


def test_valid_token_is_reused_without_asking_the_server(tmp_path: Path) -> None:
    http = HttpClient()
    with OAuthServer() as server:
        manager = TokenManager("work", provider_for(server), http, FileStore(tmp_path / "t"))
        first = sign_in(server, http, "frank")
        manager.adopt(first)
        assert manager.access_token() == first.access_token
        assert manager.refreshes == 0


def test_revoked_sign_in_gives_the_reauth_sentence(tmp_path: Path) -> None:
    http = HttpClient()
    with OAuthServer() as server:
        manager = TokenManager("work", provider_for(server), http, FileStore(tmp_path / "t"))
        manager.adopt(sign_in(server, http, "gina"))
        server.revoke_user("gina")
        with pytest.raises(ReauthRequired) as caught:
            manager.force_refresh()
        assert caught.value.sentence() == (
            "the OAuth2 sign-in for work has expired or was revoked — "
            "run `mailtui setup --reauth work`"
        )


def test_no_stored_sign_in_asks_for_one(tmp_path: Path) -> None:
    with OAuthServer() as server:
        manager = TokenManager(
            "home", provider_for(server), HttpClient(), FileStore(tmp_path / "none")
        )
        with pytest.raises(ReauthRequired, match="no stored sign-in"):
            manager.access_token()


def test_tokens_are_registered_with_the_log_redactor(tmp_path: Path) -> None:
    http = HttpClient()
    with OAuthServer() as server:
        manager = TokenManager("work", provider_for(server), http, FileStore(tmp_path / "t"))
        token = sign_in(server, http, "hank")
        manager.adopt(token)
        assert token.refresh_token
        line = f"sent {token.access_token} and {token.refresh_token}"
        redacted = logs.redact(line)
        assert token.access_token not in redacted
        assert token.refresh_token not in redacted


def test_no_token_or_code_reaches_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    http = HttpClient()
    caplog.set_level(logging.DEBUG)
    with OAuthServer(access_ttl=30) as server:
        manager = TokenManager("work", provider_for(server), http, FileStore(tmp_path / "t"))
        codes: list[str] = []
        first = device_sign_in(
            provider_for(server),
            http,
            io.StringIO(),
            on_code=lambda c: (codes.append(c.device_code), server.approve(c.user_code, "lee")),
        )
        manager.adopt(first)
        second = manager.access_token()  # refreshed: shorter than the margin
    assert manager.refreshes == 1
    secrets = [codes[0], first.access_token, first.refresh_token, second]
    # Only mailtui's own records: the in-process test server (Authlib) logs what it issues.
    ours = [r for r in caplog.records if r.name.startswith("mailtui")]
    logged = "".join(f"{r.getMessage()} {r.args}" for r in ours)
    assert "refreshed the OAuth2 access token for work" in logged
    assert not [s for s in secrets if s and s in logged]
