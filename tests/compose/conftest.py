"""Fixtures for compose tests: loopback SMTP servers, a private data dir, accounts."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.compose.smtpd import SmtpServer, cert_context, write_ca


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The outbox lives under XDG_DATA_HOME: keep every test's in its own temp dir."""
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return data


@pytest.fixture(scope="session")
def smtp_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def smtp_ca_file(smtp_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ca(smtp_ca, tmp_path_factory.mktemp("smtp-ca") / "ca.pem")


@pytest.fixture
def smtp_server(smtp_ca: trustme.CA) -> Iterator[Any]:
    """Make SMTP servers: `smtp_server(mode="starttls", users={...})`; all stopped after."""
    servers: list[SmtpServer] = []

    def make(*, start: bool = True, cert_ca: trustme.CA | None = None, **kwargs: Any) -> SmtpServer:
        if kwargs.get("mode", "plain") != "plain":
            kwargs.setdefault("ssl_context", cert_context(cert_ca or smtp_ca))
        server = SmtpServer(**kwargs)
        servers.append(server)
        return server.start() if start else server

    with warnings.catch_warnings():
        # aiosmtpd warns when AUTH is allowed without TLS; the plain servers are loopback.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        try:
            yield make
        finally:
            for server in servers:
                server.stop()
