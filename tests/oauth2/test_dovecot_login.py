"""The whole path on real parts: device sign-in at the test authorization server, then
IMAP login to a Dovecot whose oauth2 passdb introspects the token at that server."""

from __future__ import annotations

import io
import time
from pathlib import Path

import imapclient
import pytest
from imapclient.exceptions import LoginError

from mailtui.oauth2 import sasl
from mailtui.oauth2.errors import ReauthRequired
from mailtui.oauth2.flows import TokenSet, device_sign_in
from mailtui.oauth2.http import HttpClient
from mailtui.oauth2.tokens import FileStore, TokenManager
from tests.oauth2.conftest import provider_for
from tests.support.dovecot import Dovecot, MailUser
from tests.support.oauth_server import OAuthServer


def _connect(dovecot: Dovecot) -> imapclient.IMAPClient:
    return imapclient.IMAPClient(
        dovecot.host, dovecot.imaps_port, ssl=True, ssl_context=dovecot.ssl_context(), timeout=30
    )


def token_login(dovecot: Dovecot, user: str, token: str, mechanism: str | None = None) -> int:
    """Log in with `token` by the mechanism the server offers (or the one given) and
    return the INBOX message count the server reports; LoginError when refused."""
    client = _connect(dovecot)
    try:
        offered = [
            c.decode().partition("=")[2] for c in client.capabilities() if c.startswith(b"AUTH=")
        ]
        mech = mechanism or sasl.choose(offered)
        assert mech, offered
        client.sasl_login(mech, sasl.Responder(mech, user, token, dovecot.host, dovecot.imaps_port))
        return int(client.select_folder("INBOX", readonly=True)[b"EXISTS"])
    finally:
        client.shutdown()


def sign_in(server: OAuthServer, http: HttpClient, user: MailUser) -> TokenSet:
    return device_sign_in(
        provider_for(server),
        http,
        io.StringIO(),
        on_code=lambda c: server.approve(c.user_code, user.name),
    )


def test_device_sign_in_to_first_imap_login(
    oauth_stack: tuple[OAuthServer, Dovecot], capsys: pytest.CaptureFixture[str]
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    http = HttpClient()
    started = time.perf_counter()
    token = sign_in(server, http, user)
    signed_in = time.perf_counter()
    assert token_login(dovecot, user.name, token.access_token) == 0
    done = time.perf_counter()
    # Figures for the closing note: the poll interval of the test server is 1 s.
    with capsys.disabled():
        print(
            f"\n[figure] device sign-in {signed_in - started:.3f} s "
            f"(server poll interval 1 s) + first IMAP login {done - signed_in:.3f} s"
        )
    assert done - started < 3.0


def test_both_mechanisms_are_accepted_and_oauthbearer_is_chosen(
    oauth_stack: tuple[OAuthServer, Dovecot],
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    token = sign_in(server, HttpClient(), user)
    assert sasl.choose(["PLAIN", "XOAUTH2", "OAUTHBEARER"]) == "OAUTHBEARER"
    assert token_login(dovecot, user.name, token.access_token, "OAUTHBEARER") == 0
    assert token_login(dovecot, user.name, token.access_token, "XOAUTH2") == 0
    for builtin in ("oauth2_login", "oauthbearer_login"):  # imapclient's own, as sessions use
        client = _connect(dovecot)
        try:
            getattr(client, builtin)(user.name, token.access_token)
            assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
        finally:
            client.shutdown()


def test_a_token_is_only_good_for_its_own_user(oauth_stack: tuple[OAuthServer, Dovecot]) -> None:
    server, dovecot = oauth_stack
    alice, mallory = dovecot.add_user(), dovecot.add_user()
    token = sign_in(server, HttpClient(), mallory)
    with pytest.raises(LoginError):
        token_login(dovecot, alice.name, token.access_token)
    with pytest.raises(LoginError):
        token_login(dovecot, alice.name, "not-a-token")


def test_expired_access_token_is_refreshed_once_and_login_succeeds(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    http = HttpClient()
    manager = TokenManager(user.name, provider_for(server), http, FileStore(tmp_path / "t"))
    manager.adopt(sign_in(server, http, user))
    server.expire_access_tokens(user.name)  # early expiry the client cannot see
    attempts: list[str] = []

    def login(token: str) -> int:
        attempts.append(token)
        return token_login(dovecot, user.name, token)

    assert manager.with_token(login, refused=LoginError) == 0
    assert manager.refreshes == 1
    assert len(attempts) == 2 and attempts[0] != attempts[1]


def test_revoked_sign_in_ends_in_the_reauth_sentence(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    http = HttpClient()
    manager = TokenManager(user.name, provider_for(server), http, FileStore(tmp_path / "t"))
    manager.adopt(sign_in(server, http, user))
    server.revoke_user(user.name)  # the user removed mailtui's access in their account
    with pytest.raises(ReauthRequired) as caught:
        manager.with_token(lambda t: token_login(dovecot, user.name, t), refused=LoginError)
    assert f"run `mailtui setup --reauth {user.name}`" in caught.value.sentence()
