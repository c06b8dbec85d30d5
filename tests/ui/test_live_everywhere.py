"""The folder tree counts every subscribed folder live on one connection, and new mail
is announced on the terminal (issue 19 items 4 and 5), against the real Dovecot.

Another client (a fresh imapclient connection) delivers into, reads in and expunges
from a folder that is not open; the tree follows without ctrl+r and without the
periodic poll (poll_interval is left at 60 s, the test's deadline is 15 s). The bytes
the app hands to Textual's driver are recorded: a subject full of ESC, BEL, ST and C1
OSC bytes stays inside its OSC 9 / OSC 777 sequence.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support import mailgen
from tests.support.dovecot import Dovecot
from tests.ui.helpers import make_app, ready, screen_text, wait_for

HOSTILE = "Pay \x1b]0;pwned\x07 now \x1b\\ \x9d52;c;AAAA\x9c \x07done"


def _user(dovecot: Dovecot):
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(5, seed=1))
    mailgen.write_maildir(user.maildir, "Work", mailgen.generate(4, seed=2, seen_ratio=1.0))
    return user


async def test_the_tree_counts_a_closed_folder_live_on_one_connection(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = _user(dovecot)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    other = dovecot.client(user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            service = app.ctx.service()
            tree = app.main.folder_tree
            await wait_for(
                pilot,
                lambda: (w := service.watcher("INBOX")) is not None and w.everywhere_live,
                what="NOTIFY on the watcher",
            )
            await wait_for(pilot, lambda: tree.folder("test", "Work").total == 4, what="Work")
            assert tree.folder("test", "Work").unread == 0
            raw = mailgen.make_message(subject="Quarterly numbers")
            (uid,) = mailgen.append_imap(other, "Work", [mailgen.from_bytes(raw)])
            await wait_for(
                pilot,
                lambda: (
                    (tree.folder("test", "Work").total, tree.folder("test", "Work").unread)
                    == (5, 1)
                ),
                what="Work's new message counted",
            )
            other.select_folder("Work")
            other.add_flags([uid], [b"\\Seen"])
            await wait_for(
                pilot, lambda: tree.folder("test", "Work").unread == 0, what="read elsewhere"
            )
            other.delete_messages([uid])
            other.expunge()
            await wait_for(
                pilot, lambda: tree.folder("test", "Work").total == 4, what="expunged elsewhere"
            )
            # The tree's row shows it, and one watcher served all of it.
            assert "Work" in screen_text(app)
            with service._watch_lock:
                assert list(service._watchers) == ["INBOX"]
    finally:
        other.logout()


async def test_new_mail_rings_and_its_osc_text_cannot_escape(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = _user(dovecot)
    app = make_app(
        dovecot,
        user,
        tmp_path,
        ui={"mark_read_delay": -1},
        account={"notify": ["bell", "osc9", "osc777"], "notify_folders": {"*": True}},
    )
    written: list[str] = []
    other = dovecot.client(user)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            driver = app._driver
            assert driver is not None
            passed_on = driver.write

            def record(data: str) -> None:
                written.append(data)
                passed_on(data)

            driver.write = record  # type: ignore[method-assign]
            raw = mailgen.make_message(subject=HOSTILE, sender="Mallory <m@example.test>")
            mailgen.append_imap(other, "Work", [mailgen.from_bytes(raw)])
            await wait_for(pilot, lambda: "\x1b]9;" in "".join(written), what="an OSC 9")
            out = "".join(written)
            # Each sequence runs from its introducer to the first BEL: the whole
            # subject is inside, and nothing in it could end or start a sequence.
            osc9 = re.search(r"\x1b\]9;([^\x07]*)\x07", out)
            osc777 = re.search(r"\x1b\]777;notify;([^\x07]*)\x07", out)
            assert osc9 and osc777, repr(out)
            for body in (osc9.group(1), osc777.group(1)):
                assert "pwned" in body and "done" in body, repr(body)
                assert not re.search(r"[\x00-\x1f\x7f-\x9f]", body), repr(body)
            assert "Work" in osc777.group(1)
            assert out.count("\x07") == 3  # the two terminators and the bell
    finally:
        other.logout()
