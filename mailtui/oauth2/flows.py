"""Getting tokens: device authorization (RFC 8628), loopback redirect with PKCE (RFC 8252,
RFC 7636), and refresh (RFC 6749 §6).

Why hand-written on `mailtui.oauth2.http` rather than a client library: each grant is
one or two form POSTs and a JSON answer. oauthlib's client side builds bodies but
sends nothing, rejects http:// even on loopback unless a process-wide environment
variable is set, and raises on the scope changes Microsoft makes to every answer;
Authlib's and requests-oauthlib's clients bring `requests` or `httpx` for what
http.client already does, and neither runs the device-grant poll loop. The protocol
logic that matters — polling at the server's pace, slow_down, PKCE, state — is short
and is tested against Authlib's server implementation (tests/support/oauth_server.py).

Secrets (codes, verifiers, tokens) never reach a log or a repr.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from mailtui.oauth2.errors import OAuth2Error, SignInFailed, server_words
from mailtui.oauth2.http import HttpClient, HttpError, Response
from mailtui.oauth2.providers import Provider, ProviderError

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5  # RFC 8628 §3.5: "increased by 5 seconds for this and all subsequent"
DEFAULT_INTERVAL = 5
LOOPBACK_TIMEOUT = 300.0


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint granted. `expires_at` is on the time.time() clock."""

    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        return (time.time() if now is None else now) + seconds >= self.expires_at


@dataclass(frozen=True)
class DeviceCode:
    """The device authorization answer (RFC 8628 §3.2); `device_code` is a secret."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


def _error_of(resp: Response) -> OAuth2Error:
    """The RFC 6749 §5.2 error of a non-200 answer, in words safe to print."""
    try:
        body = resp.json()
    except HttpError:
        return OAuth2Error(f"the authorization server answered HTTP {resp.status}")
    code = server_words(body.get("error", ""), 60)
    desc = server_words(body.get("error_description", ""))
    text = f"the authorization server said {code or f'HTTP {resp.status}'}"
    return OAuth2Error(f"{text}: {desc}" if desc else text, code=code)


def _post(http: HttpClient, url: str, form: dict[str, str]) -> Response:
    try:
        return http.post_form(url, form)
    except HttpError as exc:
        raise OAuth2Error(f"cannot reach the authorization server: {exc}") from exc


def parse_token(resp: Response, now: float | None = None) -> TokenSet:
    """A TokenSet from a token endpoint's answer, or its error as OAuth2Error."""
    if resp.status != 200:
        raise _error_of(resp)
    try:
        body = resp.json()
    except HttpError as exc:
        raise OAuth2Error(str(exc)) from exc
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuth2Error("the authorization server answered without an access token")
    try:
        lifetime = float(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        lifetime = 3600.0
    refresh = body.get("refresh_token")
    return TokenSet(
        access_token=access,
        expires_at=(time.time() if now is None else now) + lifetime,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        scope=str(body.get("scope", "")),
    )


# -- device authorization grant (RFC 8628) ------------------------------------------


def start_device(provider: Provider, http: HttpClient) -> DeviceCode:
    """Ask for a device code and user code (RFC 8628 §3.1)."""
    if not provider.device_grant or not provider.device_url:
        raise ProviderError(
            f"{provider.name} does not allow the device sign-in for mail; "
            "use the browser sign-in (`--browser`)"
        )
    resp = _post(http, provider.device_url, {**provider.client_form(), "scope": provider.scope})
    if resp.status != 200:
        raise _error_of(resp)
    body = resp.json()
    # Google and Microsoft's v1 endpoint spell it verification_url.
    uri = body.get("verification_uri") or body.get("verification_url")
    if not body.get("device_code") or not body.get("user_code") or not uri:
        raise OAuth2Error("the device authorization answer lacks a code or a URL")
    try:
        interval = max(1, int(body.get("interval", DEFAULT_INTERVAL)))
        expires_in = int(body.get("expires_in", 900))
    except (TypeError, ValueError) as exc:
        raise OAuth2Error("the device authorization answer has a bad interval") from exc
    complete = body.get("verification_uri_complete")
    return DeviceCode(
        device_code=str(body["device_code"]),
        user_code=server_words(body["user_code"], 40),
        verification_uri=server_words(uri),
        verification_uri_complete=server_words(complete) if complete else None,
        expires_in=expires_in,
        interval=interval,
    )


_DEVICE_WORDS = {
    "access_denied": "the sign-in was declined in the browser",
    "expired_token": "the code expired before the sign-in was finished; run the sign-in again",
}


def poll_device(
    provider: Provider,
    http: HttpClient,
    code: DeviceCode,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_wait: Callable[[float], None] | None = None,
) -> TokenSet:
    """Poll the token endpoint at the server's pace until the user has answered.

    authorization_pending → wait `interval`; slow_down → interval + 5 s from then on;
    access_denied / expired_token → SignInFailed in plain words. Our own deadline is
    the code's `expires_in`, so a server that never says expired_token cannot hang us.
    """
    interval = float(code.interval)
    deadline = clock() + code.expires_in
    form = {**provider.client_form(), "grant_type": DEVICE_GRANT, "device_code": code.device_code}
    while True:
        if clock() + interval > deadline:
            raise SignInFailed(_DEVICE_WORDS["expired_token"], code="expired_token")
        if on_wait is not None:
            on_wait(interval)
        sleep(interval)
        resp = _post(http, provider.token_url, form)
        if resp.status == 200:
            return parse_token(resp)
        err = _error_of(resp)
        if err.code == "authorization_pending":
            continue
        if err.code == "slow_down":
            interval += SLOW_DOWN_STEP
            continue
        if err.code in _DEVICE_WORDS:
            raise SignInFailed(_DEVICE_WORDS[err.code], code=err.code)
        raise err


def osc52(text: str) -> str:
    """The terminal sequence that puts `text` on the clipboard (works over SSH)."""
    return "\x1b]52;c;" + base64.b64encode(text.encode()).decode("ascii") + "\x07"


def device_sign_in(
    provider: Provider,
    http: HttpClient,
    out: TextIO,
    *,
    copy_to_clipboard: bool = False,
    on_code: Callable[[DeviceCode], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TokenSet:
    """The whole device sign-in as `mailtui setup`/`login` run it: print, wait, token.

    Printed text works with no terminal on stdin; the OSC 52 copy is only sent when the
    caller knows `out` is a terminal.
    """
    code = start_device(provider, http)
    out.write(
        f"To sign in, open {code.verification_uri}\n"
        f"and enter the code {code.user_code}\n"
        f"(the code is valid for {max(1, code.expires_in // 60)} minutes)\n"
    )
    if code.verification_uri_complete:
        out.write(f"or open {code.verification_uri_complete}\n")
    if copy_to_clipboard:
        out.write(osc52(code.user_code))
    out.flush()
    if on_code is not None:
        on_code(code)
    token = poll_device(provider, http, code, sleep=sleep)
    out.write("Signed in.\n")
    out.flush()
    return token


# -- loopback redirect with PKCE (RFC 8252 §7.3, RFC 7636) ----------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _Catcher(http.server.BaseHTTPRequestHandler):
    """Takes the one redirect the browser brings back; answers a short page."""

    server: _CatchServer

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if self.server.result is None and ("code" in query or "error" in query):
            self.server.result = {k: v[0] for k, v in query.items()}
            self.server.done.set()
            page = b"mailtui: sign-in received. You can close this tab."
            self.send_response(200)
        else:
            page = b"mailtui: waiting for the sign-in."
            self.send_response(404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the code
        pass


class _CatchServer(http.server.HTTPServer):
    result: dict[str, str] | None
    done: threading.Event


def loopback_sign_in(
    provider: Provider,
    http: HttpClient,
    open_browser: Callable[[str], object],
    *,
    login_hint: str | None = None,
    timeout: float = LOOPBACK_TIMEOUT,
) -> TokenSet:
    """Browser sign-in: listen on 127.0.0.1, open the authorization URL, take the code.

    The redirect URI is the literal loopback IP with a port the kernel picks (RFC 8252
    §7.3, §8.3); `state` ties the answer to this request and PKCE ties the code to this
    process, so another local program that sees the redirect cannot use it.
    """
    if not provider.authorize_url:
        raise ProviderError(f"{provider.name} has no oauth2_authorize_url for a browser sign-in")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    catcher = _CatchServer(("127.0.0.1", 0), _Catcher)
    catcher.result, catcher.done = None, threading.Event()
    redirect_uri = f"http://127.0.0.1:{catcher.server_port}/"
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",  # Google: issue a refresh token
    }
    if login_hint:
        params["login_hint"] = login_hint
    sep = "&" if "?" in provider.authorize_url else "?"
    url = provider.authorize_url + sep + urllib.parse.urlencode(params)
    thread = threading.Thread(
        target=catcher.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        open_browser(url)
        if not catcher.done.wait(timeout):
            raise SignInFailed("no answer from the browser sign-in in time", code="timeout")
    finally:
        catcher.shutdown()
        catcher.server_close()
    result = catcher.result or {}
    if not secrets.compare_digest(result.get("state", ""), state):
        raise SignInFailed("the browser answer does not belong to this sign-in (state mismatch)")
    if "error" in result:
        if result["error"] == "access_denied":
            raise SignInFailed(_DEVICE_WORDS["access_denied"], code="access_denied")
        raise SignInFailed(
            f"the sign-in failed: {server_words(result['error'], 60)}", code=result["error"]
        )
    form = {
        **provider.client_form(),
        "grant_type": "authorization_code",
        "code": result.get("code", ""),
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return parse_token(_post(http, provider.token_url, form))


def sign_in(
    provider: Provider,
    http: HttpClient,
    out: TextIO,
    *,
    browser: bool = False,
    open_browser: Callable[[str], object] | None = None,
    copy_to_clipboard: bool = False,
    login_hint: str | None = None,
    on_code: Callable[[DeviceCode], None] | None = None,
) -> TokenSet:
    """The sign-in `mailtui setup` and `mailtui login` run: the device grant by default
    (works over SSH, no local browser needed); the loopback redirect with `browser`, or
    when the provider has no device grant for mail (Google)."""
    if not browser and provider.device_grant and provider.device_url:
        return device_sign_in(
            provider, http, out, copy_to_clipboard=copy_to_clipboard, on_code=on_code
        )

    def system_browser(url: str) -> object:
        out.write(f"Opening the sign-in page in your browser; if none opens, go to\n{url}\n")
        out.flush()
        import webbrowser

        return webbrowser.open(url)

    return loopback_sign_in(provider, http, open_browser or system_browser, login_hint=login_hint)


# -- refresh and revocation ----------------------------------------------------------------------------


def refresh(provider: Provider, http: HttpClient, refresh_token: str) -> TokenSet:
    """New access token from a refresh token; OAuth2Error(code="invalid_grant") when the
    refresh token itself is dead (revoked, expired, password changed)."""
    form = {
        **provider.client_form(),
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
    }
    if provider.scopes:  # Microsoft wants them again; RFC 6749 allows the same set
        form["scope"] = provider.scope
    return parse_token(_post(http, provider.token_url, form))


def revoke(provider: Provider, http: HttpClient, refresh_token: str) -> bool:
    """Ask the server to forget a refresh token (RFC 7009), e.g. on `--reauth` or when an
    account is removed. False when the provider has no revocation endpoint or refused;
    the local copy is deleted by the caller either way."""
    if not provider.revoke_url:
        return False
    form = {**provider.client_form(), "token": refresh_token, "token_type_hint": "refresh_token"}
    try:
        return http.post_form(provider.revoke_url, form).status == 200
    except HttpError:
        return False
