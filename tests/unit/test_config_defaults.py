"""Each setting's default is written once, in its dataclass: a config that leaves a key
out loads exactly the dataclass's default, and changing the default there changes what
such a config loads (the loader has no copy of its own)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from mailtui.config import AccountSettings, ServerSettings, UiSettings, load_settings

MINIMAL = """\
[accounts.work]
email = "me@example.com"

[accounts.work.imap]
host = "imap.example.com"

[ui]
"""


def load(tmp_path: Path) -> Any:
    path = tmp_path / "config.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    path.chmod(0o600)
    return load_settings(path)


def field_of(cls: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


# Left out of the first test: the login name's default is the account's email address
# (not a constant), and the config does give an imap table.
CONTEXTUAL = {(ServerSettings, "username"), (AccountSettings, "imap")}


def defaulted(cls: type) -> list[tuple[type, str]]:
    return [
        (cls, f.name)
        for f in dataclasses.fields(cls)
        if (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)
        and (cls, f.name) not in CONTEXTUAL
    ]


CASES = defaulted(AccountSettings) + defaulted(ServerSettings) + defaulted(UiSettings)


def loaded(settings: Any, cls: type) -> Any:
    account = settings.account("work")
    return {AccountSettings: account, ServerSettings: account.imap, UiSettings: settings.ui}[cls]


@pytest.mark.parametrize(("cls", "name"), CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
def test_a_left_out_key_loads_the_dataclass_default(tmp_path: Path, cls: type, name: str) -> None:
    f = field_of(cls, name)
    default = f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]
    assert getattr(loaded(load(tmp_path), cls), name) == default


@pytest.mark.parametrize(
    ("cls", "name", "changed"),
    [
        (AccountSettings, "poll_interval", 61),
        (AccountSettings, "part_cache_mb", 7),
        (AccountSettings, "delete", "expunge"),
        (AccountSettings, "idle", False),
        (ServerSettings, "timeout", 12.5),
        (ServerSettings, "log_protocol", True),
        (UiSettings, "sort", "subject"),
        (UiSettings, "mark_read_delay", 2.0),
    ],
)
def test_a_default_changed_in_the_dataclass_is_what_the_loader_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cls: type, name: str, changed: object
) -> None:
    monkeypatch.setattr(field_of(cls, name), "default", changed)
    assert getattr(loaded(load(tmp_path), cls), name) == changed
