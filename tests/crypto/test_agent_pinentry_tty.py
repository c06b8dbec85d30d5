"""pgp_pinentry = "agent" in a real terminal (tmux): when a locked key needs its
passphrase, the app is suspended, gpg-agent's pinentry has the terminal to itself, and
the app comes back with the message decrypted. The pinentry here is a small program
speaking the pinentry protocol that writes its prompt to the tty gpg-agent names, and
answers only when the test has looked at the screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crypto.keyring import PASSPHRASE, Keyring
from tests.crypto.messages import SECRET, headers, multipart_encrypted
from tests.support import mailgen
from tests.support.tmux import TmuxSession

ROOT = Path(__file__).resolve().parents[2]

PINENTRY = """#!{python}
import os, sys, time
tty = ""
print("OK Pleased to meet you", flush=True)
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd.upper() == "OPTION" and arg.startswith("ttyname="):
        tty = arg.split("=", 1)[1]
    if cmd.upper() == "GETPIN":
        with open(tty or "/dev/tty", "w") as term:
            term.write("\\n\\nPINENTRY HAS THE TERMINAL: passphrase for the locked key\\n")
        while not os.path.exists({go!r}):
            time.sleep(0.05)
        print("D " + {secret!r}.replace("%", "%25"), flush=True)
        print("OK", flush=True)
    elif cmd.upper() == "BYE":
        print("OK closing connection", flush=True)
        break
    else:
        print("OK", flush=True)
"""


@pytest.fixture
def home(keys: Keyring, tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "gnupg"
    shutil.copytree(keys.reader, home, ignore=shutil.ignore_patterns("S.*", "*.lock", ".#*"))
    script = tmp_path / "pinentry.py"
    script.write_text(
        PINENTRY.format(python=sys.executable, go=str(tmp_path / "go"), secret=PASSPHRASE)
    )
    script.chmod(0o755)
    (home / "gpg-agent.conf").write_text(
        f"pinentry-program {script}\ndefault-cache-ttl 0\nmax-cache-ttl 0\n"
    )
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True)


def test_agent_pinentry_draws_while_the_app_is_suspended(
    keys: Keyring, home: Path, tmp_path: Path
) -> None:
    entity = b"Content-Type: text/plain\r\n\r\nAgent " + SECRET + b"\r\n"
    raw = multipart_encrypted(
        headers("Bob Sender <bob@example.net>", "locked"), keys.encrypt(entity, keys.locked)
    )
    maildir = tmp_path / "Mail"
    mailgen.write_maildir(maildir, "INBOX", [mailgen.from_bytes(raw)])
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.me]\nemail = "me@example.org"\nmaildir = "{maildir}"\npgp_pinentry = "agent"\n'
    )
    config.chmod(0o600)
    env = dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        GNUPGHOME=str(home),
        PYTHONPATH=str(ROOT),
        TERM="xterm-256color",
    )
    env.pop("GPG_TTY", None)
    with TmuxSession([sys.executable, "-m", "mailtui"], env=env, cols=100, rows=30) as term:
        term.wait_for(lambda ls: any("locked" in line for line in ls), "the message list")
        term.send("Enter")
        asking = term.wait_for(
            lambda ls: any("PINENTRY HAS THE TERMINAL" in line for line in ls), "the pinentry"
        )
        # The app is not on the screen while pinentry asks: no status bar, no list.
        assert not any("Inbox" in line or "Quit" in line for line in asking), asking
        (tmp_path / "go").touch()
        shown = term.wait_for(
            lambda ls: any(SECRET.decode() in line for line in ls),
            "the decrypted body back in the app",
        )
        assert any("ENCRYPTED" in line for line in shown)
        assert not any("PINENTRY HAS THE TERMINAL" in line for line in shown)
        term.send("q")
