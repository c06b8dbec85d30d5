"""`!` junk and not junk (issue 19 item 8, sync/ops/junk.py) against the real Dovecot:
the messages move to the \\Junk folder with $Junk set and $NotJunk cleared, back to
INBOX with the opposite; both faces' command is one journaled action, confirmed by the
server's answers, undone by `u`. Each test asserts what Dovecot then holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.errors import MailtuiError
from mailtui.sync import commands
from tests.imap.test_cli import cli  # noqa: F401  (the `mailtui` subprocess fixture)
from tests.support import mailgen
from tests.support.accounts import context_for, server_flags, subjects_and_flags
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import Mailstore


@pytest.fixture
def account(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path):
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(6, seed=19))
    mailgen.write_maildir(mail_user.maildir, "Junk", mailgen.generate(2, seed=20))
    other = dovecot.client(mail_user)
    ctx = context_for(dovecot, mail_user, tmp_path)
    ctx.service().run(commands.SyncAll(), timeout=60)
    try:
        yield ctx, other
    finally:
        other.logout()
        ctx.close()


def test_junk_moves_to_the_junk_folder_with_the_keywords_and_undo_brings_it_back(
    account,
) -> None:
    ctx, other = account
    service = ctx.service()
    uids = tuple(service.view("INBOX")[:2])
    subjects = {e.subject for e in service.envelopes("INBOX", list(uids)).values()}
    other.select_folder("INBOX")
    other.add_flags([uids[0]], ["$NotJunk"])  # said "not junk" once before, elsewhere
    service.run(commands.SyncFolder(folder="INBOX"), timeout=30)

    service.run(commands.MarkJunk(folder="INBOX", uids=uids), timeout=30)
    assert not set(uids) & set(service.view("INBOX"))  # gone from the list at once
    assert service.wait_writer_idle()
    junk = subjects_and_flags(other, "Junk")
    assert subjects <= set(junk)
    for subject in subjects:
        assert "$Junk" in junk[subject] and "$NotJunk" not in junk[subject]
    assert not subjects & set(subjects_and_flags(other, "INBOX"))

    assert service.run(commands.Undo(), timeout=30) == "reversed"
    assert service.wait_writer_idle()
    inbox = subjects_and_flags(other, "INBOX")
    assert subjects <= set(inbox)
    assert not any("$Junk" in inbox[s] for s in subjects)
    assert sum("$NotJunk" in inbox[s] for s in subjects) == 1  # put back where it was
    assert not subjects & set(subjects_and_flags(other, "Junk"))
    service.run(commands.SyncAll(), timeout=60)
    assert_cache_matches_server(ctx, other, ["INBOX", "Junk"])


def test_bang_in_the_junk_folder_means_not_junk_back_to_the_inbox(account) -> None:
    ctx, other = account
    service = ctx.service()
    uids = tuple(service.view("Junk"))
    subjects = {e.subject for e in service.envelopes("Junk", list(uids)).values()}
    other.select_folder("Junk")
    other.add_flags(list(uids), ["$Junk"])
    service.run(commands.SyncFolder(folder="Junk"), timeout=30)
    service.run(commands.MarkJunk(folder="Junk", uids=uids), timeout=30)
    assert service.wait_writer_idle()
    inbox = subjects_and_flags(other, "INBOX")
    for subject in subjects:
        assert "$NotJunk" in inbox[subject] and "$Junk" not in inbox[subject]
    assert subjects_and_flags(other, "Junk") == {}
    assert server_flags(other, "Junk") == {}


def test_not_junk_outside_the_junk_folder_is_refused_with_a_sentence(account) -> None:
    ctx, _other = account
    service = ctx.service()
    uid = service.view("INBOX")[0]
    with pytest.raises(MailtuiError, match="Only messages in the Junk folder"):
        service.run(commands.MarkJunk(folder="INBOX", uids=(uid,), junk=False), timeout=30)
    assert uid in service.view("INBOX")


def test_an_account_without_a_junk_folder_is_told_so_and_nothing_moves(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = scripted_imap_factory(store=Mailstore(special_use={"Sent": "\\Sent"}))
    server.store.add_messages("INBOX", mailgen.generate(3, seed=4))
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        with pytest.raises(MailtuiError, match="no Junk folder"):
            service.run(commands.MarkJunk(folder="INBOX", uids=(1,)), timeout=30)
        assert service.wait_writer_idle()
        assert sorted(server.store.flags("INBOX")) == [1, 2, 3]
        assert service.view("INBOX") and 1 in service.view("INBOX")
    finally:
        ctx.close()


def test_mailtui_junk_on_the_command_line(
    cli,  # noqa: F811
    dovecot: Dovecot,
    mail_user: MailUser,
) -> None:
    """`mailtui junk FOLDER UID...` as `!` does; in Junk (or with --not) back to INBOX."""
    client = dovecot.client(mail_user)
    try:
        (uid,) = mailgen.append_imap(client, "INBOX", mailgen.generate(1, seed=31))
        cli("sync")
        cli("junk", "INBOX", str(uid))
        client.select_folder("Junk", readonly=True)
        (there,) = client.search(["ALL"])
        assert b"$Junk" in client.get_flags([there])[there]
        cli("sync")
        cli("junk", "Junk", str(there))
        client.select_folder("INBOX", readonly=True)
        (back,) = client.search(["ALL"])
        assert b"$NotJunk" in client.get_flags([back])[back]
        out = cli("junk", "--not", "INBOX", str(back), check=False)
        assert out.returncode != 0 and "Only messages in the Junk folder" in out.stderr
    finally:
        client.logout()
