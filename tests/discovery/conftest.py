"""Fixtures for discovery tests: a Dovecot that also offers OAUTHBEARER/XOAUTH2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.dovecot import Dovecot
from tests.support.oauth_server import OAuthServer, dovecot_oauth2_config


@pytest.fixture(scope="module")
def oauth_dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    base = tmp_path_factory.mktemp("probe-dovecot")
    with OAuthServer() as server:
        dovecot = Dovecot(base / "dovecot", extra_config=dovecot_oauth2_config(server, base))
        dovecot.start()
        try:
            yield dovecot
        finally:
            dovecot.close()
