"""Fixtures for the OAuth2 tests: the loopback authorization server, and a Dovecot that
checks tokens against it (tests/support/oauth_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailtui.oauth2.http import HttpClient
from mailtui.oauth2.providers import Provider, make_provider
from tests.support.dovecot import Dovecot
from tests.support.oauth_server import CLIENT_ID, SCOPE, OAuthServer, dovecot_oauth2_config


def provider_for(server: OAuthServer) -> Provider:
    """A `custom` provider pointed at the test server, as a user would configure it."""
    base = server.base_url
    return make_provider(
        "custom",
        client_id=CLIENT_ID,
        device_url=f"{base}/device",
        authorize_url=f"{base}/authorize",
        token_url=f"{base}/token",
        revoke_url=f"{base}/revoke",
        scopes=SCOPE,
    )


@pytest.fixture
def oauth_server() -> Iterator[OAuthServer]:
    """A fresh authorization server of the test's own (tests change its behaviour)."""
    with OAuthServer() as server:
        yield server


@pytest.fixture
def http() -> HttpClient:
    return HttpClient(timeout=10)


@pytest.fixture(scope="module")
def oauth_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OAuthServer, Dovecot]]:
    """An authorization server and a Dovecot whose oauth2 passdb introspects at it."""
    base = tmp_path_factory.mktemp("oauth-dovecot")
    with OAuthServer() as server:
        dovecot = Dovecot(base / "dovecot", extra_config=dovecot_oauth2_config(server, base))
        dovecot.start()
        try:
            yield server, dovecot
        finally:
            dovecot.close()
