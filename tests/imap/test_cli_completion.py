"""`mailtui completion bash|zsh|fish`, `mailtui --man`, `folder --help`, and deleting a
folder that holds mail from the CLI (asks, or --force) — real processes, real Dovecot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import mailgen
from tests.support.accounts import cli_env
from tests.support.dovecot import Dovecot, MailUser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(dovecot: Dovecot, tmp_path: Path) -> dict[str, str]:
    user: MailUser = dovecot.add_user()
    mailgen.populate_standard(user, inbox=5)
    out = cli_env(tmp_path, dovecot, user)
    # `mailtui` in the completion script is this tree's, via a wrapper on PATH.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "mailtui"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m mailtui "$@"\n')
    wrapper.chmod(0o755)
    out["PATH"] = f"{bindir}{os.pathsep}{out['PATH']}"
    out["PYTHONPATH"] = str(ROOT)
    return out


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def _complete(env: dict[str, str], *words: str) -> list[str]:
    """What bash offers for the words typed (the last one being completed)."""
    array = " ".join(f"'{w}'" for w in ("mailtui", *words))
    script = (
        "source <(mailtui completion bash)\n"
        f"COMP_WORDS=({array}); COMP_CWORD={len(words)}\n"
        '_mailtui; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


def test_bash_completes_commands_flags_accounts_and_folders(env: dict[str, str]) -> None:
    assert _run(env, "sync").returncode == 0
    assert set(_complete(env, "fol")) == {"folder", "folders"}
    assert "--unseen" in _complete(env, "mark", "INBOX", "1", "--un")
    assert _complete(env, "move", "Arch") == ["Archive", "Archive/2025"]
    assert "Projects/Alpha/Specs" in _complete(env, "list", "")
    assert _complete(env, "--account", "") == ["test"]
    assert _complete(env, "folder", "del") == ["delete"]
    assert "Junk" in _complete(env, "folder", "delete", "J")
    assert set(_complete(env, "completion", "")) == {"bash", "zsh", "fish"}
    # Without a config (a new user), completion offers no names and says nothing.
    bare = dict(env, MAILTUI_CONFIG=str(Path(env["XDG_CONFIG_HOME"]) / "missing.toml"))
    assert _complete(bare, "list", "") == []


def test_zsh_and_fish_scripts(env: dict[str, str]) -> None:
    zsh = _run(env, "completion", "zsh")
    assert zsh.returncode == 0 and zsh.stdout.startswith("#compdef mailtui")
    assert "bashcompinit" in zsh.stdout and "_mailtui()" in zsh.stdout
    fish = _run(env, "completion", "fish").stdout
    assert "complete -c mailtui -n '__fish_use_subcommand' -a folder" in fish
    assert "(mailtui completion --list folders 2>/dev/null)" in fish
    if shutil.which("zsh"):
        assert subprocess.run(["zsh", "-n"], input=zsh.stdout, text=True).returncode == 0
    if shutil.which("fish"):
        assert subprocess.run(["fish", "-n"], input=fish, text=True).returncode == 0
    assert _run(env, "completion").returncode == 2


def test_man_page_lists_every_command(env: dict[str, str]) -> None:
    out = _run(env, "--man")
    assert out.returncode == 0 and out.stdout.startswith(".TH MAILTUI 1")
    for name in ("sync", "list", "show", "folder", "completion", "search", "send"):
        assert f".SS {name}\n" in out.stdout
    assert "\\fBfolder delete\\fR" in out.stdout
    if shutil.which("man"):
        shown = subprocess.run(
            ["man", "-l", "-"], input=out.stdout, capture_output=True, text=True, env=env
        )
        assert shown.returncode == 0 and "completion" in shown.stdout


def test_folder_help_and_deleting_a_folder_with_mail(env: dict[str, str]) -> None:
    helptext = _run(env, "folder", "--help").stdout
    for op in ("create", "rename", "delete", "subscribe", "unsubscribe", "--force"):
        assert op in helptext or (op == "--force" and "--force" in helptext)
    assert _run(env, "sync").returncode == 0
    # Not a terminal and no --force: refused, the folder stays.
    refused = _run(env, "folder", "delete", "Archive/2025", stdin="y\n")
    assert refused.returncode == 2
    assert "'Archive/2025' and its 10 messages" in refused.stderr
    assert "--force" in refused.stderr
    assert "Archive/2025" in _run(env, "folders").stdout
    assert _run(env, "folder", "delete", "Archive/2025", "--force").returncode == 0
    assert "Archive/2025" not in _run(env, "folders", "--sync").stdout
    # An empty folder goes without asking.
    assert _run(env, "folder", "create", "Empty").returncode == 0
    assert _run(env, "folder", "delete", "Empty").returncode == 0
