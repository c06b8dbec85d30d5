"""The sign-in flows against a real authorization server (Authlib's, on loopback)."""

from __future__ import annotations

import io
import urllib.parse

import pytest

from mailtui.oauth2.errors import OAuth2Error, SignInFailed
from mailtui.oauth2.flows import (
    DeviceCode,
    device_sign_in,
    loopback_sign_in,
    osc52,
    poll_device,
    refresh,
    revoke,
    sign_in,
    start_device,
)
from mailtui.oauth2.http import HttpClient, HttpError, InsecureEndpoint, check_url
from mailtui.oauth2.providers import ProviderError, make_provider
from tests.oauth2.conftest import provider_for
from tests.support.oauth_server import OAuthServer


def test_device_sign_in_prints_url_and_code_and_returns_a_token(
    oauth_server: OAuthServer, http: HttpClient
) -> None:
    out = io.StringIO()
    seen: list[DeviceCode] = []

    def user_approves(code: DeviceCode) -> None:
        seen.append(code)
        oauth_server.approve(code.user_code, "alice")

    token = device_sign_in(
        provider_for(oauth_server), http, out, copy_to_clipboard=True, on_code=user_approves
    )
    text = out.getvalue()
    code = seen[0]
    assert f"open {oauth_server.base_url}/activate" in text
    assert f"enter the code {code.user_code}" in text
    assert osc52(code.user_code) in text  # the code is also on the clipboard
    assert text.endswith("Signed in.\n")
    assert token.access_token and token.refresh_token
    assert oauth_server.active_tokens("alice") == 1
    assert token.access_token not in repr(token) and token.refresh_token not in repr(token)


def test_poll_waits_while_authorization_is_pending(
    oauth_server: OAuthServer, http: HttpClient
) -> None:
    provider = provider_for(oauth_server)
    code = start_device(provider, http)
    waits: list[float] = []

    def approve_on_second_wait(interval: float) -> None:
        waits.append(interval)
        if len(waits) == 2:
            oauth_server.approve(code.user_code, "bob")

    token = poll_device(provider, http, code, on_wait=approve_on_second_wait)
    assert token.access_token
    assert oauth_server.polls == 2  # one authorization_pending, then the token
    assert waits == [code.interval, code.interval]


def test_slow_down_adds_five_seconds_to_every_later_wait(
    oauth_server: OAuthServer, http: HttpClient
) -> None:
    """RFC 8628 §3.5. The waits are recorded, not slept: the pacing is what is tested."""
    provider = provider_for(oauth_server)
    code = start_device(provider, http)
    oauth_server.slow_down_polls = 1
    waits: list[float] = []

    def on_wait(interval: float) -> None:
        waits.append(interval)
        if len(waits) == 3:
            oauth_server.approve(code.user_code, "carol")

    poll_device(provider, http, code, on_wait=on_wait, sleep=lambda _s: None)
    assert waits == [code.interval, code.interval + 5, code.interval + 5]


def test_denied_sign_in_says_so(oauth_server: OAuthServer, http: HttpClient) -> None:
    with pytest.raises(SignInFailed, match="declined") as caught:
        device_sign_in(
            provider_for(oauth_server),
            http,
            io.StringIO(),
            on_code=lambda c: oauth_server.deny(c.user_code),
        )
    assert caught.value.code == "access_denied"


def test_expired_code_says_to_start_again(oauth_server: OAuthServer, http: HttpClient) -> None:
    with pytest.raises(SignInFailed, match=r"expired.*again") as caught:
        device_sign_in(
            provider_for(oauth_server),
            http,
            io.StringIO(),
            on_code=lambda c: oauth_server.expire_device_codes(),
        )
    assert caught.value.code == "expired_token"


def _browser(http: HttpClient):
    """What a browser does with the authorization URL: load it, follow the redirect back
    to the loopback listener (the test server's /authorize signs in `authorize_as`)."""
    pages: list[str] = []

    def open_browser(url: str) -> None:
        resp = http.get(url)
        assert resp.status == 302, resp.body
        location = resp.headers["location"]
        pages.append(location)
        http.get(location)

    return open_browser, pages


def test_loopback_redirect_with_pkce(oauth_server: OAuthServer, http: HttpClient) -> None:
    oauth_server.authorize_as = "dave"
    open_browser, pages = _browser(http)
    token = loopback_sign_in(provider_for(oauth_server), http, open_browser)
    assert token.access_token and token.refresh_token
    assert oauth_server.active_tokens("dave") == 1
    redirect = urllib.parse.urlsplit(pages[0])
    assert redirect.hostname == "127.0.0.1"  # RFC 8252 §7.3: the literal, not "localhost"
    assert "code=" in redirect.query and "state=" in redirect.query


def test_loopback_refuses_an_answer_with_another_state(
    oauth_server: OAuthServer, http: HttpClient
) -> None:
    def forged_browser(url: str) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        http.get(f"{query['redirect_uri'][0]}?code=stolen&state=not-the-one")

    with pytest.raises(SignInFailed, match="state mismatch"):
        loopback_sign_in(provider_for(oauth_server), http, forged_browser)


def test_loopback_declined_in_the_browser(oauth_server: OAuthServer, http: HttpClient) -> None:
    oauth_server.authorize_as = None  # the user clicks "Cancel": access_denied comes back
    open_browser, _pages = _browser(http)
    with pytest.raises(SignInFailed, match="declined"):
        loopback_sign_in(provider_for(oauth_server), http, open_browser)


def test_plain_http_is_refused_off_loopback() -> None:
    with pytest.raises(ProviderError, match="only https"):
        make_provider("custom", client_id="x", token_url="http://auth.example.com/token")
    with pytest.raises(InsecureEndpoint):
        check_url("http://10.0.0.1/token")
    with pytest.raises(InsecureEndpoint):
        check_url("ftp://127.0.0.1/token")
    assert check_url("http://127.0.0.1:8080/token").port == 8080
    assert check_url("https://auth.example.com/token").hostname == "auth.example.com"


def test_presets_carry_the_mail_scopes() -> None:
    google = make_provider("google", client_id="g")
    assert google.scopes == ("https://mail.google.com/",)
    assert google.token_url == "https://oauth2.googleapis.com/token"
    assert not google.device_grant  # Google refuses the mail scope on the device flow
    ms = make_provider("microsoft", client_id="m", tenant="contoso.onmicrosoft.com")
    assert ms.scopes == (
        "https://outlook.office.com/IMAP.AccessAsUser.All",
        "https://outlook.office.com/SMTP.Send",
        "offline_access",
    )
    assert ms.device_url == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
    )
    with pytest.raises(ProviderError, match="client id"):
        make_provider("microsoft")
    with pytest.raises(ProviderError, match="browser"):
        start_device(google, HttpClient())


def test_an_unreachable_server_is_one_clear_error(http: HttpClient) -> None:
    with OAuthServer() as gone:
        provider = provider_for(gone)
    with pytest.raises(Exception, match="cannot reach the authorization server") as caught:
        start_device(provider, http)
    assert isinstance(caught.value.__cause__, HttpError)


def test_sign_in_uses_the_device_grant_by_default_and_the_browser_on_request(
    oauth_server: OAuthServer, http: HttpClient
) -> None:
    provider = provider_for(oauth_server)
    out = io.StringIO()
    device = sign_in(
        provider, http, out, on_code=lambda c: oauth_server.approve(c.user_code, "ivy")
    )
    assert "enter the code" in out.getvalue() and device.access_token
    oauth_server.authorize_as = "ivy"
    open_browser, pages = _browser(http)
    browser = sign_in(provider, http, io.StringIO(), browser=True, open_browser=open_browser)
    assert browser.access_token and len(pages) == 1
    assert oauth_server.active_tokens("ivy") == 2


def test_revocation_ends_the_sign_in_at_the_server(
    oauth_server: OAuthServer, http: HttpClient
) -> None:
    provider = provider_for(oauth_server)
    token = sign_in(
        provider, http, io.StringIO(), on_code=lambda c: oauth_server.approve(c.user_code, "jo")
    )
    assert token.refresh_token
    assert revoke(provider, http, token.refresh_token)
    assert oauth_server.active_tokens("jo") == 0
    with pytest.raises(OAuth2Error) as caught:
        refresh(provider, http, token.refresh_token)
    assert caught.value.code == "invalid_grant"
