"""Where mailtui keeps its files, and the permissions they get.

Config, cache and data live in the platform's per-user directories (XDG on Linux, via
platformdirs). Everything mailtui creates itself is private: directories 0700, files
0600, because a mail cache is as sensitive as the mailbox it mirrors.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import IO, Any, Protocol

import platformdirs

APP_NAME = "mailtui"
CONFIG_ENV = "MAILTUI_CONFIG"
CONFIG_FILENAME = "config.toml"

DIR_MODE = 0o700
FILE_MODE = 0o600
# SQLite creates these next to a database; they hold the same data, so the same mode.
SQLITE_SIBLINGS = ("-wal", "-shm", "-journal")

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class _Named(Protocol):
    """An account's settings, as far as its file names go (paths never import the model)."""

    @property
    def name(self) -> str: ...


class _Downloads(Protocol):
    """The UI settings, or the settings holding them, as far as downloads go."""

    @property
    def download_dir(self) -> Path: ...


class _HoldsUi(Protocol):
    @property
    def ui(self) -> _Downloads: ...


_XDG_FALLBACK = {
    "config": ".config",
    "cache": ".cache",
    "data": ".local/share",
    "state": ".local/state",
}


def _user_dir(kind: str) -> Path:
    """The per-user directory of `kind` for mailtui (XDG_* honoured on Linux)."""
    getter = {
        "config": platformdirs.user_config_path,
        "cache": platformdirs.user_cache_path,
        "data": platformdirs.user_data_path,
        "state": platformdirs.user_state_path,
    }[kind]
    path = getter(APP_NAME, appauthor=False)
    if not path.is_absolute():
        # XDG Base Directory spec: "If an implementation encounters a relative path in any
        # of these variables it should consider the path invalid and ignore it."
        path = Path.home() / _XDG_FALLBACK[kind] / APP_NAME
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing; make it 0700 even if it existed wider."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def config_dir(create: bool = True) -> Path:
    """mailtui's config directory (`$XDG_CONFIG_HOME/mailtui`), 0700 when created."""
    path = _user_dir("config")
    return ensure_private_dir(path) if create else path


def cache_dir(create: bool = True) -> Path:
    """Disposable data: header caches, part caches (`$XDG_CACHE_HOME/mailtui`)."""
    path = _user_dir("cache")
    return ensure_private_dir(path) if create else path


def data_dir(create: bool = True) -> Path:
    """Data that must survive a cache wipe, e.g. unsent drafts (`$XDG_DATA_HOME/mailtui`)."""
    path = _user_dir("data")
    return ensure_private_dir(path) if create else path


def state_dir(create: bool = True) -> Path:
    """Logs and protocol traces (`$XDG_STATE_HOME/mailtui`)."""
    path = _user_dir("state")
    return ensure_private_dir(path) if create else path


def default_config_file() -> Path:
    """Where the config lives when neither --config nor $MAILTUI_CONFIG says otherwise."""
    return config_dir(create=False) / CONFIG_FILENAME


def locate_config(cli_path: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """The config file to read and why that one, so a "not found" error can explain itself.

    Precedence: `--config PATH`, then `$MAILTUI_CONFIG`, then the XDG default.
    """
    if cli_path is not None and str(cli_path) != "":
        return Path(cli_path).expanduser(), "given with --config"
    env = os.environ.get(CONFIG_ENV, "")
    if env:
        return Path(env).expanduser(), f"from ${CONFIG_ENV}"
    return default_config_file(), "the default location"


def config_file(cli_path: str | os.PathLike[str] | None = None) -> Path:
    """The config file path by precedence: `--config`, `$MAILTUI_CONFIG`, XDG default."""
    return locate_config(cli_path)[0]


def ensure_private_file(path: Path) -> Path:
    """Tighten an existing file to 0600 (if it is wider); a missing file is left missing."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return path
    if mode & 0o077:
        path.chmod(mode & 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing (never truncating); fix a wider mode.

    Call before handing the path to SQLite or anything else that would create it with
    the umask's mode: the file is private from its first byte. An existing file is
    never opened: closing any descriptor of a file drops every POSIX lock this process
    holds on it — another thread's SQLite locks included, which corrupts the database.
    """
    ensure_private_dir(path.parent)
    try:
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE
        )
    except FileExistsError:
        return ensure_private_file(path)
    os.close(fd)
    return ensure_private_file(path)


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """Open `path` for writing, creating it 0600 (no window where it is world-readable)."""
    if not any(c in mode for c in "wax+"):
        raise ValueError(f"open_private is for writing; got mode {mode!r}")
    flags = os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_RDWR if "+" in mode else os.O_WRONLY
    if "w" in mode:
        flags |= os.O_TRUNC
    if "a" in mode:
        flags |= os.O_APPEND
    if "x" in mode:
        flags |= os.O_EXCL
    ensure_private_dir(path.parent)
    fd = os.open(path, flags, FILE_MODE)
    try:
        ensure_private_file(path)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def secure_sqlite_files(db_path: Path) -> None:
    """Make a SQLite database and its -wal/-shm/-journal siblings 0600, where they exist."""
    ensure_private_file(db_path)
    for suffix in SQLITE_SIBLINGS:
        ensure_private_file(db_path.with_name(db_path.name + suffix))


def safe_name(name: str) -> str:
    """A file-name-safe, collision-free stand-in for an account name.

    Plain names (`work`, `bench-2`) are kept as they are; anything else is reduced to
    safe characters plus a short hash of the original, so "a b" and "a_b" never share
    a cache.
    """
    if _SAFE_NAME.fullmatch(name):
        return name
    reduced = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")[:40] or "account"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{reduced}-{digest}"


def account_cache_path(account: _Named | str) -> Path:
    """The header-cache SQLite file of one account; its directory exists, 0700."""
    name = account if isinstance(account, str) else account.name
    directory = ensure_private_dir(cache_dir() / "accounts")
    return directory / f"{safe_name(name)}.sqlite3"


def download_dir(settings: _HoldsUi | _Downloads) -> Path:
    """Where attachments are saved; created (0700) if missing, an existing dir untouched."""
    ui = getattr(settings, "ui", settings)
    path: Path = ui.download_dir
    if not path.exists():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    return path
