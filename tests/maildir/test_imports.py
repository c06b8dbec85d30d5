"""A Maildir (or demo) account never loads the IMAP stack or the TUI (issue 13).

Each check runs in a fresh interpreter: build the account's context as the CLI does,
sync it, read a message through the sync service, then look at `sys.modules`.
Whatever pulls imapclient or Textual into that chain shows up here by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.maildir.helpers import make_tree
from tests.support import mailgen

_MAILDIR = """
import json, sys
from pathlib import Path
from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.sync import commands

root, cache = Path(sys.argv[1]), Path(sys.argv[2])
settings = make_settings({"local": {"email": "me@example.test", "maildir": root}})
ctx = AppContext(settings, cache_dir=cache)
service = ctx.service()
service.run(commands.SyncAll(), timeout=60)
uids = sorted(service.view("INBOX"))
raw = service.run(commands.FetchPart(folder="INBOX", uid=uids[0], section=""), timeout=30)
ctx.close()
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"imapclient", "textual"})
print(json.dumps({"messages": len(uids), "read": len(raw), "loaded": loaded}))
"""

_DEMO = """
import json, sys
from mailtui.demo import demo_context
from mailtui.sync import commands

ctx = demo_context()
service = ctx.service()
service.run(commands.SyncAll(), timeout=120)
uids = sorted(service.view("INBOX"))
raw = service.run(commands.FetchPart(folder="INBOX", uid=uids[0], section=""), timeout=30)
ctx.close()
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"imapclient", "textual"})
print(json.dumps({"messages": len(uids), "read": len(raw), "loaded": loaded}))
"""


def _run(code: str, *args: str, home: Path) -> dict[str, object]:
    """Run `code` in a new interpreter whose data and cache dirs are under `home`."""
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = str(home / "xdg-data")
    env["XDG_CACHE_HOME"] = str(home / "xdg-cache")
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_maildir_account_loads_neither_imapclient_nor_textual(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    make_tree(root, {"INBOX": mailgen.generate(5, seed=3), "Archive": []})
    out = _run(_MAILDIR, str(root), str(tmp_path / "cache"), home=tmp_path)
    assert out["messages"] == 5
    assert isinstance(out["read"], int) and out["read"] > 0
    assert out["loaded"] == []


def test_demo_account_loads_neither_imapclient_nor_textual(tmp_path: Path) -> None:
    out = _run(_DEMO, home=tmp_path)
    assert isinstance(out["messages"], int) and out["messages"] > 0
    assert isinstance(out["read"], int) and out["read"] > 0
    assert out["loaded"] == []
