"""Live counts for every folder: event latency and connections, NOTIFY against fallback.

    python bench/notify.py                 # 10 subscribed folders, 15 deliveries each way
    python bench/notify.py --folders 30 --rounds 5 --json PATH

What `mailtui watch` (and the app) does, against the private Dovecot:
1. NOTIFY (RFC 5465): another client APPENDs into a subscribed folder that is not
   open and not INBOX; time to the listener's NewMail event for it (median), against
   a bare imapclient connection with the same `NOTIFY SET` seeing its `* STATUS` (the
   floor: Dovecot's own notification delay). Connections the account holds while
   watching, counted by the server (`doveadm who`).
2. Without NOTIFY (hidden by Dovecot's per-user imap_capability): the same delivery
   is found by the periodic LIST-STATUS round (`poll_interval`, here --poll seconds),
   so its latency is about half the interval on average; INBOX and the open folder
   each hold an IDLE connection.

Writes bench/results/notify.json; no target is judged (the figures are reported).
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import Figure, add_json_option, finish  # noqa: E402
from mailtui.sync import commands, events  # noqa: E402
from tests.support import mailgen  # noqa: E402
from tests.support.accounts import context_for  # noqa: E402
from tests.support.dovecot import Dovecot, MailUser  # noqa: E402

EVENTS = b"(MessageNew MessageExpunge FlagChange)"


def make_user(dc: Dovecot, folders: int, **kwargs) -> tuple[MailUser, list[str]]:
    user = dc.add_user(**kwargs)
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(20, seed=1))
    names = [f"Lists/f{i:02d}" for i in range(folders)]
    for i, name in enumerate(names):
        mailgen.write_maildir(user.maildir, name, mailgen.generate(20, seed=10 + i))
    return user, names


def sessions(dc: Dovecot, user: MailUser) -> int:
    """The user's IMAP connections as the server counts them."""
    out = dc.doveadm("who", "-1", user.name, check=False).stdout
    return sum(1 for line in out.splitlines() if line.split()[:1] == [user.name])


def bare_notify_latency(dc: Dovecot, user: MailUser, names: list[str], rounds: int) -> float:
    """APPEND → `* STATUS` on a bare connection with NOTIFY set: Dovecot's own delay."""
    client = dc.client(user, tls=False)
    imap = client._imap
    tag = imap._new_tag()
    imap.send(tag + b" NOTIFY SET (selected " + EVENTS + b") (subscribed " + EVENTS + b")\r\n")
    while not imap._get_line().startswith(tag):
        pass
    other = dc.client(user, tls=False)
    sock = client.socket()
    times = []
    for i in range(rounds):
        folder = names[i % len(names)]
        start = time.perf_counter()
        mailgen.append_imap(other, folder, mailgen.generate(1, seed=3000 + i))
        while True:
            ready, _, _ = select.select([sock], [], [], 10)
            assert ready, "no STATUS from the bare NOTIFY connection"
            line = imap._get_line()
            if line.startswith(b"* STATUS") and folder.encode() in line:
                break
        times.append(time.perf_counter() - start)
    other.logout()
    client.logout()
    return statistics.median(times)


def watch_latency(
    dc: Dovecot, user: MailUser, names: list[str], work: Path, rounds: int, **account
) -> tuple[float, int, int]:
    """(median APPEND → NewMail, server-counted connections, watchers) for `mailtui
    watch`: the service watching INBOX with the open folder names[0]."""
    before = sessions(dc, user)
    ctx = context_for(dc, user, work, account=account)
    service = ctx.service()
    service.run(commands.SyncAll(), timeout=300)
    arrived: dict[str, threading.Event] = {}
    lock = threading.Lock()

    def listen(event: events.Event) -> None:
        if isinstance(event, events.NewMail):
            with lock:
                flag = arrived.get(event.folder)
            if flag is not None:
                flag.set()

    service.subscribe(listen)
    service.watch(names[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        w = service.watcher(names[0])
        if w is not None and w.ready.is_set():
            break
        time.sleep(0.05)
    other = dc.client(user, tls=False)
    connections = sessions(dc, user) - before - 1  # less `other`
    with service._watch_lock:
        watchers = len(service._watchers)
    times = []
    for i in range(rounds):
        folder = names[1 + i % (len(names) - 1)]  # never the open folder, never INBOX
        flag = threading.Event()
        with lock:
            arrived.clear()
            arrived[folder] = flag
        start = time.perf_counter()
        mailgen.append_imap(other, folder, mailgen.generate(1, seed=5000 + i))
        assert flag.wait(120), f"no NewMail for {folder}"
        times.append(time.perf_counter() - start)
    other.logout()
    ctx.close()
    return statistics.median(times), connections, watchers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=10, help="subscribed folders")
    parser.add_argument("--rounds", type=int, default=15, help="deliveries timed each way")
    parser.add_argument("--poll", type=int, default=10, help="poll_interval without NOTIFY")
    add_json_option(parser, "notify")
    args = parser.parse_args()
    load = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="mailtui-bench-notify-"))
    dc = Dovecot(work / "dovecot")
    dc.start()
    try:
        user, names = make_user(dc, args.folders)
        floor = bare_notify_latency(dc, user, names, args.rounds)
        ours, conns, watchers = watch_latency(dc, user, names, work / "n", args.rounds)
        print(f"NOTIFY: APPEND elsewhere → NewMail (median of {args.rounds})  {ours * 1000:.0f} ms")
        print(f"  floor: bare NOTIFY connection sees STATUS            {floor * 1000:.0f} ms")
        print(f"  connections held (doveadm who) {conns}, of them watching {watchers}")
        user2, names2 = make_user(dc, args.folders, disable={"NOTIFY"})
        fb, fb_conns, fb_watchers = watch_latency(
            dc,
            user2,
            names2,
            work / "f",
            max(3, args.rounds // 3),
            poll_interval=args.poll,
            max_connections=5,
        )
        print(f"no NOTIFY: APPEND elsewhere → NewMail (poll {args.poll} s)  {fb * 1000:.0f} ms")
        print(f"  connections held (doveadm who) {fb_conns}, of them watching {fb_watchers}")
        figures = [
            Figure(
                "notify_ratio",
                f"another client's APPEND into one of {args.folders} subscribed folders, not "
                "open → the NewMail event, with NOTIFY (floor: a bare NOTIFY client's STATUS;"
                " Dovecot delays news by 500 ms)",
                ours / floor,
                "× floor",
                floor=floor * 1000,
                floor_unit="ms",
                detail=f"{ours * 1000:.0f} ms in all; a bare NOTIFY client {floor * 1000:.0f} ms",
            ),
            Figure(
                "notify_connections",
                f"IMAP connections held while every one of {args.folders + 1} folders is live "
                "(NOTIFY; `doveadm who`)",
                conns,
                "",
                detail=f"{watchers} watching; without NOTIFY {fb_conns} ({fb_watchers} "
                f"watching) and other folders {fb:.1f} s late with poll_interval {args.poll}",
            ),
        ]
    finally:
        dc.close()
    return finish(
        "notify",
        figures,
        args.json,
        {"folders": args.folders, "rounds": args.rounds, "poll": args.poll},
        load_at_start=load,
    )


if __name__ == "__main__":
    raise SystemExit(main())
