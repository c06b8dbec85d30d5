"""A loopback OAuth2 authorization server for the tests, built on Authlib's server side.

Why Authlib: it implements the grants mailtui's client must interoperate with — device
authorization (RFC 8628), authorization code with PKCE (RFC 7636), refresh, revocation
(RFC 7009) and introspection (RFC 7662) — as a maintained library, so the client is
tested against someone else's reading of the RFCs rather than our own. Flask (through
Authlib's integration) and werkzeug's threaded server carry the HTTP.

What the tests drive from outside, as a user and an administrator would:
- `approve(user_code, username)` / `deny(user_code)`: the user at the verification page.
- `authorize_as`: who "signs in" at /authorize (the browser step of the loopback flow).
- `expire_access_tokens(username)`: time passing, without sleeping.
- `revoke_user(username)`: the user removes the app's access in their account settings.
- `slow_down_polls`: how many next polls answer `slow_down`.

Dovecot's oauth2 passdb validates tokens at /introspect with the `dovecot` client's
basic credentials (see `dovecot_oauth2_config`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import (
    DeviceAuthorizationEndpoint,
    DeviceCodeGrant,
    DeviceCredentialDict,
)
from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler, make_server

CLIENT_ID = "mailtui-test"
INTROSPECT_ID = "dovecot"
INTROSPECT_SECRET = "introspect-secret"
SCOPE = "mail"


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines would only clutter test output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class _Client(ClientMixin):
    client_id: str
    secret: str | None
    grant_types: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 8252 §7.3: any port on the loopback address.
        return redirect_uri.startswith("http://127.0.0.1:")

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret is not None and client_secret == self.secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.secret is None:
            return method == "none"
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class _Token(TokenMixin):
    client_id: str
    username: str
    access_token: str
    refresh_token: str | None
    scope: str
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str:
        return self.username

    def get_client(self) -> ClientMixin:
        raise NotImplementedError


@dataclass
class _AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    username: str
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthServer:
    """One authorization server on 127.0.0.1; see the module docstring."""

    def __init__(self, *, access_ttl: int = 3600, interval: int = 1) -> None:
        self.access_ttl = access_ttl
        self.interval = interval
        self.lock = threading.Lock()
        self.clients = {
            CLIENT_ID: _Client(
                CLIENT_ID,
                None,
                (
                    "authorization_code",
                    "refresh_token",
                    "urn:ietf:params:oauth:grant-type:device_code",
                ),
            ),
            INTROSPECT_ID: _Client(INTROSPECT_ID, INTROSPECT_SECRET, ()),
        }
        self.tokens: list[_Token] = []
        self.devices: dict[str, DeviceCredentialDict] = {}
        self.user_grants: dict[str, tuple[str, bool]] = {}
        self.codes: dict[str, _AuthCode] = {}
        self.authorize_as: str | None = None
        self.slow_down_polls = 0
        self.polls = 0
        self.introspections = 0
        self.app = self._make_app()
        self._http = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.port = self._http.server_port
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OAuthServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> OAuthServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the tests do --------------------------------------------------------

    def approve(self, user_code: str, username: str) -> None:
        with self.lock:
            self.user_grants[user_code] = (username, True)

    def deny(self, user_code: str) -> None:
        with self.lock:
            self.user_grants[user_code] = ("", False)

    def expire_device_codes(self) -> None:
        with self.lock:
            for cred in self.devices.values():
                cred["expires_at"] = time.time() - 1

    def expire_access_tokens(self, username: str) -> None:
        with self.lock:
            for tok in self.tokens:
                if tok.username == username:
                    tok.issued_at = time.time() - tok.expires_in - 1

    def revoke_user(self, username: str) -> None:
        with self.lock:
            for tok in self.tokens:
                if tok.username == username:
                    tok.revoked = True

    def token_owner(self, access_token: str) -> str | None:
        """Whose live access token this is (None: unknown, expired or revoked), as a
        resource server such as aiosmtpd would learn by introspection."""
        tok = self._find(access_token, "access_token")
        if tok is None or tok.revoked or tok.is_expired():
            return None
        return tok.username

    def secrets_issued(self, username: str) -> list[str]:
        """Every access and refresh token and device code issued so far (for leak checks)."""
        with self.lock:
            out = [t.access_token for t in self.tokens if t.username == username]
            out += [
                t.refresh_token for t in self.tokens if t.username == username and t.refresh_token
            ]
            out += list(self.devices)
        return out

    def active_tokens(self, username: str) -> int:
        with self.lock:
            return sum(
                1
                for t in self.tokens
                if t.username == username and not t.revoked and not t.is_expired()
            )

    # -- storage the grants call --------------------------------------------------

    def _save_token(self, token: dict[str, Any], req: Any) -> None:
        with self.lock:
            self.tokens.append(
                _Token(
                    client_id=req.client.get_client_id(),
                    username=req.user,
                    access_token=token["access_token"],
                    refresh_token=token.get("refresh_token"),
                    scope=token.get("scope", ""),
                    expires_in=int(token["expires_in"]),
                )
            )

    def _find(self, value: str, kind: str | None) -> _Token | None:
        with self.lock:
            for tok in self.tokens:
                if kind != "refresh_token" and tok.access_token == value:
                    return tok
                if kind != "access_token" and tok.refresh_token == value:
                    return tok
        return None

    def _make_app(self) -> Flask:
        app = Flask("mailtui-test-oauth")
        app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
            "authorization_code": self.access_ttl,
            "refresh_token": self.access_ttl,
            "urn:ietf:params:oauth:grant-type:device_code": self.access_ttl,
        }
        srv = AuthorizationServer(app, query_client=self.clients.get, save_token=self._save_token)
        outer = self

        class Device(DeviceAuthorizationEndpoint):
            INTERVAL = self.interval
            CLIENT_AUTH_METHODS: list[str] = ["none"]  # noqa: RUF012 (Authlib's own attribute)

            def get_verification_uri(self) -> str:
                return f"{outer.base_url}/activate"

            def save_device_credential(self, client_id: str, scope: str, data: dict) -> None:
                cred = DeviceCredentialDict(client_id=client_id, scope=scope, **data)
                cred["expires_at"] = time.time() + data["expires_in"]
                with outer.lock:
                    outer.devices[data["device_code"]] = cred

        class DeviceGrant(DeviceCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS: list[str] = ["none"]  # noqa: RUF012

            def query_device_credential(self, device_code: str) -> Any:
                with outer.lock:
                    outer.polls += 1
                    return outer.devices.get(device_code)

            def query_user_grant(self, user_code: str) -> Any:
                with outer.lock:
                    return outer.user_grants.get(user_code)

            def should_slow_down(self, credential: Any) -> bool:
                with outer.lock:
                    if outer.slow_down_polls > 0:
                        outer.slow_down_polls -= 1
                        return True
                return False

        class AuthCode(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS: list[str] = ["none"]  # noqa: RUF012

            def save_authorization_code(self, code: str, req: Any) -> None:
                with outer.lock:
                    outer.codes[code] = _AuthCode(
                        code=code,
                        client_id=req.client.get_client_id(),
                        redirect_uri=req.payload.redirect_uri,
                        scope=req.payload.scope,
                        username=req.user,
                        code_challenge=req.payload.data.get("code_challenge"),
                        code_challenge_method=req.payload.data.get("code_challenge_method"),
                    )

            def query_authorization_code(self, code: str, client: Any) -> Any:
                with outer.lock:
                    found = outer.codes.get(code)
                return found if found and found.client_id == client.get_client_id() else None

            def delete_authorization_code(self, authorization_code: Any) -> None:
                with outer.lock:
                    outer.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Any) -> str:
                return authorization_code.username

        class Refresh(grants.RefreshTokenGrant):
            TOKEN_ENDPOINT_AUTH_METHODS: list[str] = ["none"]  # noqa: RUF012
            INCLUDE_NEW_REFRESH_TOKEN = True  # rotation, as Microsoft does

            def authenticate_refresh_token(self, refresh_token: str) -> Any:
                tok = outer._find(refresh_token, "refresh_token")
                return tok if tok and not tok.revoked else None

            def authenticate_user(self, refresh_token: Any) -> str:
                return refresh_token.username

            def revoke_old_credential(self, refresh_token: Any) -> None:
                with outer.lock:
                    refresh_token.revoked = True

        class Revoke(RevocationEndpoint):
            CLIENT_AUTH_METHODS: list[str] = ["none"]  # noqa: RUF012

            def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
                return outer._find(token_string, token_type_hint)

            def revoke_token(self, token: Any, req: Any) -> None:
                outer.revoke_user(token.username)

        class Introspect(IntrospectionEndpoint):
            CLIENT_AUTH_METHODS: list[str] = ["client_secret_basic"]  # noqa: RUF012

            def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
                with outer.lock:
                    outer.introspections += 1
                return outer._find(token_string, token_type_hint)

            def check_permission(self, token: Any, client: Any, req: Any) -> bool:
                return client.get_client_id() == INTROSPECT_ID

            def introspect_token(self, token: Any) -> dict[str, Any]:
                return {
                    "active": True,
                    "client_id": token.client_id,
                    "username": token.username,
                    "scope": token.scope,
                    "exp": int(token.issued_at + token.expires_in),
                }

        srv.register_endpoint(Device)
        srv.register_grant(DeviceGrant)
        srv.register_grant(AuthCode, [CodeChallenge(required=True)])
        srv.register_grant(Refresh)
        srv.register_endpoint(Revoke)
        srv.register_endpoint(Introspect)

        @app.post("/device")
        def device() -> Any:
            return srv.create_endpoint_response("device_authorization")

        @app.post("/token")
        def token() -> Any:
            return srv.create_token_response()

        @app.get("/authorize")
        def authorize() -> Any:
            # No consent page: `authorize_as` is who signs in; None is "Cancel".
            grant = srv.get_consent_grant(end_user=outer.authorize_as)
            return srv.create_authorization_response(grant_user=outer.authorize_as, grant=grant)

        @app.post("/revoke")
        def revoke() -> Any:
            return srv.create_endpoint_response("revocation")

        @app.post("/introspect")
        def introspect() -> Any:
            return srv.create_endpoint_response("introspection")

        @app.get("/activate")
        def activate() -> Any:
            return f"enter the code {request.args.get('user_code', '')}"

        return app


def dovecot_oauth2_config(server: OAuthServer, directory: Path) -> str:
    """Dovecot `extra_config` that checks XOAUTH2/OAUTHBEARER tokens at `server`.

    Dovecot 2.3's oauth2 passdb (doc.dovecot.org, "Open Authentication v2.0 database"):
    `introspection_mode = post` sends `token=...` to `introspection_url`, whose userinfo
    part gives the basic credentials; `username_attribute` must equal the login name and
    `active_attribute`/`active_value` reject revoked or expired tokens (RFC 7662 `active`).
    The passwd-file passdb stays first for PLAIN/LOGIN; a token tried there fails and
    Dovecot continues to this one.
    """
    ext = directory / "dovecot-oauth2.conf.ext"
    host = server.base_url.removeprefix("http://")
    ext.write_text(
        f"introspection_mode = post\n"
        f"introspection_url = http://{INTROSPECT_ID}:{INTROSPECT_SECRET}@{host}/introspect\n"
        "force_introspection = yes\n"
        "username_attribute = username\n"
        "active_attribute = active\n"
        "active_value = true\n"
    )
    with contextlib.suppress(OSError):
        ext.chmod(0o644)
    return (
        "auth_mechanisms = plain login xoauth2 oauthbearer\n"
        "passdb {\n"
        "  driver = oauth2\n"
        "  mechanisms = xoauth2 oauthbearer\n"
        f"  args = {ext}\n"
        "}\n"
    )
