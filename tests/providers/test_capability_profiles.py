"""The real Dovecot with each provider's capabilities switched off (its `imap_capability`,
per user: tests/support/dovecot.py), running sync, triage, undo and live updates, then
churn by another client: the cache must equal the server in every profile (issue 14).

Profiles, from what each provider advertises after login (docs/providers.md):
- m365: no CONDSTORE, QRESYNC, SPECIAL-USE, LIST-STATUS or ESEARCH (MOVE and UIDPLUS are
  there): the plain resync, special folders found by name;
- yahoo: no QRESYNC, LIST-STATUS or ESEARCH, and CONDSTORE unusable (its CLIENTBUG; the
  `no-condstore` quirk mailtui learns there is set by hand here);
- icloud: QRESYNC off by its quirk, no LIST-STATUS or ESEARCH: the CONDSTORE resync;
- minimal: IMAP4rev1 with IDLE and not one of the extensions above, MOVE and UIDPLUS
  included: COPY + \\Deleted + EXPUNGE, found again by Message-ID.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.model import FLAGGED, SEEN
from mailtui.sync import commands
from tests.support import mailgen
from tests.support.accounts import context_for, server_flags, wait_until
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot

PROFILES = {
    "m365": ({"CONDSTORE", "QRESYNC", "SPECIAL-USE", "LIST-STATUS", "ESEARCH"}, []),
    "yahoo": ({"QRESYNC", "LIST-STATUS", "ESEARCH"}, ["no-condstore"]),
    "icloud": ({"LIST-STATUS", "ESEARCH"}, ["no-qresync"]),
    "minimal": (
        {"CONDSTORE", "QRESYNC", "MOVE", "UIDPLUS", "SPECIAL-USE", "LIST-STATUS", "ESEARCH"},
        [],
    ),
}


def _ids(client, folder: str) -> set[str]:
    """The Message-IDs a folder holds on the server (without the angle brackets)."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    field = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
    return {v[field].decode().split(":", 1)[1].strip().strip("<>") for v in data.values()}


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_profile_sync_triage_undo_live_and_churn_keep_cache_equal_to_server(
    dovecot: Dovecot, tmp_path: Path, profile: str
) -> None:
    hidden, quirks = PROFILES[profile]
    user = dovecot.add_user(disable=hidden)
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(40, seed=21))
    for folder in ("Archive", "Trash", "Sent", "Drafts"):
        mailgen.write_maildir(user.maildir, folder, [])
    other = dovecot.client(user)
    ctx = context_for(dovecot, user, tmp_path, imap={"quirks": quirks})
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        inbox = service.envelopes("INBOX", service.view("INBOX"))
        mid = {uid: env.message_id for uid, env in inbox.items()}
        run = lambda command: service.run(command, timeout=30)  # noqa: E731

        # Triage: flag, read, label, move, delete, archive — and undo the label.
        run(commands.SetFlags(folder="INBOX", uids=(1, 2), add=frozenset({FLAGGED})))
        run(commands.SetFlags(folder="INBOX", uids=(3,), add=frozenset({SEEN})))
        run(commands.MoveMessages(folder="INBOX", uids=(4,), dest="Archive"))
        run(commands.DeleteMessages(folder="INBOX", uids=(5,)))
        run(commands.ArchiveMessages(folder="INBOX", uids=(6,)))
        run(commands.SetFlags(folder="INBOX", uids=(7,), add=frozenset({"Work"})))
        assert service.wait_writer_idle()
        run(commands.Undo())
        assert service.wait_writer_idle()
        flags = server_flags(other, "INBOX")
        assert FLAGGED in flags[1] and FLAGGED in flags[2] and SEEN in flags[3]
        assert "Work" not in flags[7]  # the label was undone on the server
        assert not {4, 5, 6} & set(flags)
        assert _ids(other, "Archive") == {mid[4], mid[6]}
        assert _ids(other, "Trash") == {mid[5]}

        # Live: mail delivered elsewhere reaches the watched INBOX.
        service.watch(None)
        wait_until(lambda: service.watcher("INBOX") is not None, what="the INBOX watcher")
        wait_until(service.watcher("INBOX").ready.is_set, timeout=30, what="watcher ready")
        mailgen.append_imap(other, "INBOX", mailgen.generate(3, seed=99))
        expected = len(server_flags(other, "INBOX"))
        wait_until(lambda: len(service.view("INBOX")) == expected, timeout=30, what="new mail")

        # Churn by another client, then a resync by this profile's path.
        other.select_folder("INBOX")
        uids = other.search(["ALL"])
        other.add_flags(uids[8:20:2], [SEEN.encode(), b"$Churn"])
        other.remove_flags(uids[1:2], [FLAGGED.encode()])
        other.delete_messages(uids[-6:-3])
        other.expunge()
        mailgen.append_imap(other, "INBOX", mailgen.generate(5, seed=7))
        service.run(commands.SyncAll(), timeout=60)
        assert assert_cache_matches_server(ctx, other) >= 40
    finally:
        other.logout()
        ctx.close()
