"""A sync with nothing changed asks the server once (issue 17, target 2).

`mailtui sync` with nothing new sent LIST ... RETURN (STATUS (MESSAGES UNSEEN)), then
one STATUS per folder to prove it unchanged: Dovecot opened a 100k INBOX's index for
each of the two (~300 ms apiece on a new connection here). The LIST-STATUS now carries
the proof (UIDNEXT UIDVALIDITY HIGHESTMODSEQ) and the syncs use its answer while no
other command was sent. Asserted against Dovecot's rawlog (what the client sent) and
the cache against the server: changes made elsewhere are still found.
"""

from __future__ import annotations

from pathlib import Path

from mailtui.model import FLAGGED
from mailtui.sync import commands
from tests.support import mailgen
from tests.support.accounts import context_for
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot

FOLDERS = ["INBOX", "Archive", "Sent", "Trash"]


def _verbs(dovecot: Dovecot, user) -> list[str]:
    return [line.split(" ", 1)[0].upper() for line in dovecot.commands_sent(user)]


def test_a_no_change_sync_sends_one_list_and_no_status(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user(rawlog=True)
    mailgen.populate_standard(user, inbox=40)
    ctx = context_for(dovecot, user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    ctx.close()
    before = _verbs(dovecot, user)
    ctx = context_for(dovecot, user, tmp_path)  # the next `mailtui sync`
    try:
        stats = ctx.service().run(commands.SyncAll(), timeout=60)
    finally:
        ctx.close()
    assert stats and {s.mode for s in stats} == {"status"}
    after = _verbs(dovecot, user)
    assert after.count("LIST") == before.count("LIST") + 1
    assert after.count("STATUS") == before.count("STATUS")
    assert after.count("SELECT") == before.count("SELECT")


def test_changes_elsewhere_are_still_found(dovecot: Dovecot, tmp_path: Path) -> None:
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=40)
    ctx = context_for(dovecot, user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    ctx.close()
    other = dovecot.client(user)
    try:
        other.select_folder("INBOX")
        other.add_flags([3], [FLAGGED.encode()])
        mailgen.append_imap(other, "Archive", mailgen.generate(2, seed=77))
        ctx = context_for(dovecot, user, tmp_path)
        stats = {s.folder: s for s in ctx.service().run(commands.SyncAll(), timeout=60)}
        assert stats["Archive"].fetched == 2 and stats["INBOX"].mode != "status"
        assert stats["Sent"].mode == "status"
        assert_cache_matches_server(ctx, other, FOLDERS)
    finally:
        other.logout()
        ctx.close()
