"""A config file someone else can change is refused: its password_command would run as you.

Readable by others is allowed (the file holds commands, not secrets); writable by group
or others, or owned by another user, is not, and the message says `chmod 600`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.config.load import load_settings
from mailtui.errors import ConfigError

CONFIG = """\
[accounts.a]
email = "a@example.com"

[accounts.a.imap]
host = "127.0.0.1"
port = 1
security = "none"
password_command = "touch {marker}; printf secret"
"""


def _config(tmp_path: Path, mode: int) -> tuple[Path, Path]:
    marker = tmp_path / "password-command-ran"
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(marker=marker))
    path.chmod(mode)
    return path, marker


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o664, 0o666, 0o777], ids=oct)
def test_writable_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path, _marker = _config(tmp_path, mode)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    err = info.value
    assert str(path) in str(err) and "writable by" in str(err) and f"{mode:03o}" in str(err)
    assert f"chmod 600 {path}" in err.hint


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o640, 0o644], ids=oct)
def test_private_or_only_readable_is_accepted(tmp_path: Path, mode: int) -> None:
    path, _marker = _config(tmp_path, mode)
    assert load_settings(path).account("a").imap.port == 1


def test_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        path, _marker = _config(tmp_path, 0o600)
        os.chown(path, 65534, 65534)  # nobody
        owner = 65534
    else:
        # Not root: a file we cannot own is refused before it is even parsed.
        path, owner = Path("/etc/passwd"), 0
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    err = info.value
    assert "owned by another user" in str(err) and f"uid {owner}" in str(err)
    assert f"chmod 600 {path}" in err.hint


def test_cli_refuses_it_before_any_command_runs(tmp_path: Path) -> None:
    """End to end: `mailtui folders` on a group-writable config says what to do, exits 2,
    and never ran the password_command."""
    path, marker = _config(tmp_path, 0o660)
    env = dict(
        os.environ,
        MAILTUI_CONFIG=str(path),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mailtui", "folders", "--sync"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    assert "writable by its group" in proc.stderr and f"chmod 600 {path}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists()
