import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from mailtui.config import make_settings, paths

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="XDG variables apply on Linux")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for kind in ("CONFIG", "CACHE", "DATA", "STATE"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))
    monkeypatch.delenv(paths.CONFIG_ENV, raising=False)
    return tmp_path


@linux_only
def test_dirs_follow_xdg_and_are_created_private(xdg: Path) -> None:
    assert paths.config_dir() == xdg / "config" / "mailtui"
    assert paths.cache_dir() == xdg / "cache" / "mailtui"
    assert paths.data_dir() == xdg / "data" / "mailtui"
    assert paths.state_dir() == xdg / "state" / "mailtui"
    for d in (paths.config_dir(), paths.cache_dir(), paths.data_dir(), paths.state_dir()):
        assert d.is_dir()
        assert mode_of(d) == 0o700


@linux_only
def test_create_false_does_not_touch_the_disk(xdg: Path) -> None:
    assert not paths.cache_dir(create=False).exists()
    assert not paths.config_dir(create=False).exists()


@linux_only
def test_existing_wide_dir_is_tightened(xdg: Path) -> None:
    d = xdg / "cache" / "mailtui"
    d.mkdir(parents=True)
    d.chmod(0o755)
    assert mode_of(paths.cache_dir()) == 0o700


@linux_only
def test_defaults_without_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for kind in ("CONFIG", "CACHE", "DATA"):
        monkeypatch.delenv(f"XDG_{kind}_HOME", raising=False)
    monkeypatch.delenv(paths.CONFIG_ENV, raising=False)
    assert paths.config_file() == tmp_path / ".config" / "mailtui" / "config.toml"
    assert paths.cache_dir(create=False) == tmp_path / ".cache" / "mailtui"
    assert paths.data_dir(create=False) == tmp_path / ".local" / "share" / "mailtui"


@linux_only
def test_relative_xdg_value_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert paths.cache_dir(create=False) == tmp_path / ".cache" / "mailtui"


@linux_only
def test_config_file_precedence(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = xdg / "config" / "mailtui" / "config.toml"
    assert paths.config_file() == default
    assert paths.locate_config()[1] == "the default location"
    monkeypatch.setenv(paths.CONFIG_ENV, str(xdg / "env.toml"))
    assert paths.config_file() == xdg / "env.toml"
    assert paths.config_file(str(xdg / "cli.toml")) == xdg / "cli.toml"
    assert "--config" in paths.locate_config(str(xdg / "cli.toml"))[1]


def test_config_file_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.config_file("~/m.toml") == tmp_path / "m.toml"


def test_private_file_is_0600_and_never_truncates(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "db.sqlite3"
    paths.private_file(target)
    assert target.exists()
    assert mode_of(target) == 0o600
    assert mode_of(target.parent) == 0o700
    target.write_text("keep me")
    target.chmod(0o644)
    paths.private_file(target)
    assert target.read_text() == "keep me"
    assert mode_of(target) == 0o600


def test_open_private_creates_0600_even_with_open_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with paths.open_private(tmp_path / "draft.eml") as fh:
            fh.write("hello")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "draft.eml") == 0o600
    assert (tmp_path / "draft.eml").read_text() == "hello"
    with pytest.raises(ValueError):
        paths.open_private(tmp_path / "draft.eml", "r")


def test_sqlite_and_siblings_made_private(tmp_path: Path) -> None:
    db = paths.private_file(tmp_path / "acct.sqlite3")
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        siblings = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        for s in siblings:
            if s.exists():
                s.chmod(0o644)
        paths.secure_sqlite_files(db)
        for f in [db, *siblings]:
            if f.exists():
                assert mode_of(f) & 0o077 == 0
    finally:
        conn.close()


def test_missing_file_is_left_missing(tmp_path: Path) -> None:
    paths.ensure_private_file(tmp_path / "nope")
    assert not (tmp_path / "nope").exists()


@linux_only
def test_account_cache_path(xdg: Path) -> None:
    p = paths.account_cache_path("work")
    assert p == xdg / "cache" / "mailtui" / "accounts" / "work.sqlite3"
    assert mode_of(p.parent) == 0o700
    odd = {paths.account_cache_path(n).name for n in ("a b", "a_b", "../../etc", "ü", "a/b")}
    assert len(odd) == 5
    for name in odd:
        assert "/" not in name and not name.startswith(".")


def test_safe_name_keeps_plain_names() -> None:
    assert paths.safe_name("bench-2.x") == "bench-2.x"
    assert paths.safe_name("..") != ".."
    assert paths.safe_name("").startswith("account-")
    assert "/" not in paths.safe_name("/" * 300)
    assert len(paths.safe_name("x" * 300)) < 80


def test_download_dir_created(tmp_path: Path) -> None:
    settings = make_settings(
        {"a": {"email": "a@example.test", "maildir": str(tmp_path / "mail")}},
        ui={"download_dir": str(tmp_path / "dl" / "here")},
    )
    d = paths.download_dir(settings)
    assert d == tmp_path / "dl" / "here"
    assert d.is_dir()
    assert paths.download_dir(settings.ui) == d
