"""Pytest fixtures for the scripted IMAP server (tests/support/scripted_imap/).

- `scripted_imap`: a started server of this test's own (default capabilities, user
  "alice"/"secret", INBOX and the special-use folders), stopped after the test.
- `scripted_imap_factory`: start more, or differently built ones (`ScriptedImap` keyword
  arguments: capabilities, pre_login_capabilities, report_on, lies, users, rawlog).
- `scripted_context(server, cache_dir, **kwargs)`: a mailtui AppContext on it, built by
  the same helper the Dovecot tests use (`imap={"security": "tls"}` for implicit TLS).
- `store_rows` / `assert_cache_matches_store`: a mailtui cache compared with the server's
  Mailstore directly, as consistency.py compares it with what Dovecot holds.

Registered for the whole suite by `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.scripted_imap import ScriptedImap

if TYPE_CHECKING:
    # mailtui is imported where used: this module is loaded for every test run, and
    # must not turn one broken mailtui import into a failure of the whole suite.
    from mailtui.context import AppContext
    from tests.support.consistency import Row


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


def store_rows(server: ScriptedImap, folder: str) -> dict[int, Row]:
    """{uid: Row} straight from the server's Mailstore (no IMAP involved), in the shape
    tests/support/consistency.py compares a cache with."""
    from tests.support.consistency import Row, _header_fields
    from tests.support.scripted_imap import mime

    out: dict[int, Row] = {}
    for msg in server.store.messages(folder):
        block = mime.section(msg.raw, "HEADER.FIELDS (MESSAGE-ID SUBJECT)")
        message_id, subject = _header_fields(block)
        when = int(msg.internaldate.timestamp())
        out[msg.uid] = Row(frozenset(msg.flags), len(msg.raw), when, message_id, subject)
    return out


def assert_cache_matches_store(
    ctx: AppContext, server: ScriptedImap, folders: list[str] | None = None
) -> int:
    """Fail, naming the differences, unless every synced folder's cache holds what the
    server's store holds (UIDs, flags, sizes, dates, Message-IDs, subjects, counts).
    Returns how many messages were compared."""
    from tests.support.consistency import cache_rows

    service = ctx.service()
    if folders is None:
        folders = [f.name for f in service.folders() if service.folder_state(f.name).synced]
    compared = 0
    for folder in folders:
        stored, cached = store_rows(server, folder), cache_rows(ctx, folder)
        problems = [f"UID {u} only in the store" for u in sorted(set(stored) - set(cached))]
        problems += [f"UID {u} only in the cache" for u in sorted(set(cached) - set(stored))]
        problems += [
            f"UID {u}: store {stored[u]} != cache {cached[u]}"
            for u in sorted(set(stored) & set(cached))
            if stored[u] != cached[u]
        ]
        unread = sum(1 for r in stored.values() if "\\Seen" not in r.flags)
        if service.counts(folder) != (len(stored), unread):
            problems.append(f"counts: cache {service.counts(folder)}, store {len(stored)}/{unread}")
        assert not problems, f"{folder}: cache != store:\n  " + "\n  ".join(problems[:10])
        compared += len(stored)
    return compared
