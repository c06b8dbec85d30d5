"""The soak's actor: a SyncService in a process of its own, taking the planned steps.

    python bench/soak_actor.py SPEC.json      (started by bench/soak.py, killed by it too)

It builds its service with the app factory the CLI uses (MAILTUI_CONFIG and the XDG
dirs come from the environment), syncs INBOX, then for each step submits the action
and, for undo steps, an Undo. It writes one line per milestone to the spec's log,
line-buffered so that a kill -9 loses nothing written before it:

    start <id>          about to submit
    journaled <id>      applied to the cache and journaled: from here it is promised
    refused <id> ...    the service said no: never sent
    undone <id>         the undo ended (reversed, or cancelled before it was sent)
    undo-failed <id> …  the undo was refused (e.g. still on its way); the action stands
    undo-unknown <id>   no ending in time: either may stand
    end <id>
and "drained" once the journal writer is idle at the end.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailtui.context import load_context  # noqa: E402
from mailtui.errors import MailtuiError  # noqa: E402
from mailtui.imap.errors import ConnectionLost  # noqa: E402
from mailtui.sync import commands  # noqa: E402
from mailtui.sync.service import ActionQueued  # noqa: E402

FLAGS = frozenset({"\\Flagged", "$Soak"})


def command_for(step: dict) -> commands.Command:
    uids = tuple(step["uids"])
    kind = step["kind"]
    if kind == "flag":
        return commands.SetFlags(folder="INBOX", uids=uids, add=FLAGS)
    if kind == "move":
        return commands.MoveMessages(folder="INBOX", uids=uids, dest="Moved")
    if kind == "copy":
        return commands.CopyMessages(folder="INBOX", uids=uids, dest="Copies")
    if kind == "delete":
        return commands.DeleteMessages(folder="INBOX", uids=uids)
    raise ValueError(kind)


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text())
    # Line-buffered: each line reaches the kernel at once, so a kill -9 loses none.
    with Path(spec["log"]).open("a", buffering=1) as log:
        return act(spec, lambda *words: log.write(_line(words)))


def _line(words: tuple[object, ...]) -> str:
    return " ".join(str(w).replace("\n", " ") for w in words) + "\n"


def act(spec: dict, note: Callable[..., object]) -> int:
    ctx = load_context(spec["config"])
    service = ctx.service()
    try:
        deadline = time.monotonic() + 60
        while True:  # the link may be cut during the sync too: try again
            try:
                service.run(commands.SyncFolder(folder="INBOX"), timeout=30)
                break
            except MailtuiError as exc:
                if time.monotonic() > deadline:
                    note("sync-failed", 0, type(exc).__name__, exc)
                    return 3
        for step in spec["steps"]:
            sid = step["id"]
            note("start", sid)
            try:
                service.run(command_for(step), timeout=spec.get("wait", 20))
                note("journaled", sid)
            except (ActionQueued, ConnectionLost):  # saved; sent when the link is back
                note("journaled", sid)
            except MailtuiError as exc:
                note("refused", sid, type(exc).__name__, exc)
                note("end", sid)
                continue
            if step["undo"]:
                try:
                    service.run(commands.Undo(), timeout=60)
                    note("undone", sid)
                except ConnectionLost:  # no ending in time: it may still go either way
                    note("undo-unknown", sid)
                except MailtuiError as exc:
                    note("undo-failed", sid, type(exc).__name__, exc)
            note("end", sid)
        note("drained" if service.wait_writer_idle(timeout=120) else "not-drained", 0)
        return 0
    finally:
        ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
