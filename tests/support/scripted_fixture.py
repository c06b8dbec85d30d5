"""Pytest fixtures for the scripted IMAP server (tests/support/scripted_imap/).

- `scripted_imap`: a started server of this test's own (default capabilities, user
  "alice"/"secret", INBOX and the special-use folders), stopped after the test.
- `scripted_imap_factory`: start more, or differently built ones (`ScriptedImap` keyword
  arguments: capabilities, pre_login_capabilities, report_on, lies, users, rawlog).
- `scripted_context(server, cache_dir, **kwargs)`: a mailtui AppContext on it, built by
  the same helper the Dovecot tests use (`security="starttls"` by default, or "tls").

Registered for the whole suite by `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mailtui.context import AppContext
from tests.support.scripted_imap import ScriptedImap


@pytest.fixture
def scripted_imap_factory(tmp_path: Path) -> Iterator[Callable[..., ScriptedImap]]:
    """Start scripted servers with `ScriptedImap` keyword arguments; all closed after."""
    servers: list[ScriptedImap] = []

    def make(**kwargs: Any) -> ScriptedImap:
        kwargs.setdefault("base", tmp_path / f"scripted{len(servers)}")
        server = ScriptedImap(**kwargs)
        servers.append(server)
        return server.start()

    try:
        yield make
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def scripted_imap(scripted_imap_factory: Callable[..., ScriptedImap]) -> ScriptedImap:
    """A scripted IMAP server of this test's own, already listening."""
    return scripted_imap_factory()


def scripted_context(server: ScriptedImap, cache_dir: Path, **kwargs: Any) -> AppContext:
    """A mailtui account on the scripted server (see tests/support/accounts.py)."""
    from tests.support.accounts import context_for

    # ScriptedImap has the attributes context_for reads from a Dovecot, and its user
    # those of a MailUser (host, ports, ca_file; name, password).
    return context_for(server, server.user, cache_dir, **kwargs)  # type: ignore[arg-type]
