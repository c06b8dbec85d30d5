"""The headless face starts without the app: `mailtui list` and `mailtui send` on a
local account run as a user runs them (`python -m mailtui`, a real process) and never
load Textual or mailtui.ui — the CLI is a second face of the service, not the app's —
nor imapclient, which a Maildir or demo account has no use for.

Each run goes through a small driver that reports, when the process ends, which of
those modules it had loaded; the command's own output and exit status are checked too.
On the code before issue 13 both tests failed: the service imported imapclient for
every account.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
from email.policy import default
from pathlib import Path

from tests.maildir.helpers import make_tree
from tests.support import mailgen

# Runs `mailtui ARGS…` as `python -m mailtui` would, then says which of those it loaded.
DRIVER = """
import atexit, runpy, sys

def loaded():
    names = ("textual", "imapclient")
    found = sorted(m for m in sys.modules if m.split(".")[0] in names or m.startswith("mailtui.ui"))
    sys.stderr.write("LOADED:" + ",".join(found) + "\\n")

atexit.register(loaded)
sys.argv = ["mailtui", *sys.argv[1:]]
runpy.run_module("mailtui", run_name="__main__", alter_sys=True)
"""


def _run(env: dict[str, str], *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        env=env,
        input=stdin,
        capture_output=True,
        timeout=120,
    )
    stderr = out.stderr.decode()
    *lines, report = stderr.rstrip("\n").split("\n")
    assert report.startswith("LOADED:"), stderr
    loaded = report.removeprefix("LOADED:")
    return out.returncode, out.stdout.decode(), "\n".join(lines) + f"\n(loaded: {loaded or '-'})"


def _env(tmp_path: Path, config: Path | None = None) -> dict[str, str]:
    env = dict(
        os.environ,
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
    )
    if config is not None:
        env["MAILTUI_CONFIG"] = str(config)
    return env


def _loaded_none(stderr: str) -> bool:
    return stderr.endswith("(loaded: -)")


def test_list_on_the_demo_and_a_maildir_loads_loaded_none(tmp_path: Path) -> None:
    env = _env(tmp_path)
    code, stdout, stderr = _run(env, "--demo", "--reset", "list", "INBOX", "-n", "3")
    assert code == 0 and len(stdout.splitlines()) == 3, stderr
    assert _loaded_none(stderr), stderr

    root = tmp_path / "Mail"
    make_tree(root, {"INBOX": mailgen.generate(4, seed=13), "Sent": []})
    config = tmp_path / "config.toml"
    config.write_text(f'[accounts.local]\nemail = "me@example.test"\nmaildir = "{root}"\n')
    code, stdout, stderr = _run(_env(tmp_path, config), "list", "INBOX", "--json")
    assert code == 0 and stdout.count('"uid"') == 4, stderr
    assert _loaded_none(stderr), stderr


def test_send_from_a_maildir_account_loads_loaded_none(smtp_server, tmp_path: Path) -> None:
    smtp = smtp_server(mode="plain")
    root = tmp_path / "Mail"
    make_tree(root, {"INBOX": [], "Sent": []})
    lines = [
        "[accounts.local]",
        'email = "me@example.test"',
        f'maildir = "{root}"',
        "",
        "[accounts.local.smtp]",
    ]
    for key, value in smtp.table().items():
        lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    message = b"To: zoe@example.test\nSubject: no app needed\n\nHello.\n"
    code, _stdout, stderr = _run(_env(tmp_path, config), "send", stdin=message)
    assert code == 0, stderr
    (got,) = smtp.messages
    assert email.message_from_bytes(got.content, policy=default)["Subject"] == "no app needed"
    assert _loaded_none(stderr), stderr
