"""Maildir fixtures: a private data/cache dir per test, a Maildir++ tree, a synced account.

Everything is real files under the test's tmp_path and the real SyncService built by
the same app factory the CLI uses; "another program" is the test itself renaming,
linking and unlinking files the way mbsync or a mail filter would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtui.context import AppContext
from mailtui.sync import commands
from tests.maildir.helpers import maildir_context, make_tree
from tests.support import mailgen


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The UID map lives under XDG_DATA_HOME: keep each test's in its own temp dir."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    return tmp_path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A Maildir++ tree: 30 messages in INBOX; empty Work, Archive and Trash."""
    root = tmp_path / "Mail"
    make_tree(root, {"INBOX": mailgen.generate(30, seed=7), "Work": [], "Archive": [], "Trash": []})
    return root


@pytest.fixture
def ctx(tree: Path, tmp_path: Path) -> Iterator[AppContext]:
    """A maildir account on `tree`, fully synced."""
    context = maildir_context(tree, tmp_path / "cache")
    context.service().run(commands.SyncAll(), timeout=60)
    try:
        yield context
    finally:
        context.close()
