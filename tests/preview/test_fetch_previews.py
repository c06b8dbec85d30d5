"""Preview lines from the real Dovecot: PREVIEW (RFC 8970) and, with it switched off,
the capped partial fetch of the text part; decoded, unquoted, cached, never \\Seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.cache.previews import cached_previews
from mailtui.model import SEEN
from mailtui.sync import commands
from tests.support import mailgen
from tests.support.accounts import context_for, server_flags
from tests.support.dovecot import Dovecot, MailUser

LONG = "Ünïcode words " * 80


def _populate(user: MailUser) -> None:
    plain = mailgen.make_message(
        subject="Plain",
        body="On Mon, Bob wrote:\n> quoted line\n\nThe launch moves to Thursday.\nSee you.\n",
    )
    html = (
        b"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: HTML only\r\n"
        b"Message-ID: <html@example.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p {color: red}</style></head>"
        b"<body><p>Hello &amp; <b>welcome</b> to the list</p></body></html>\r\n"
    )
    long = mailgen.make_message(subject="Long", body=LONG)  # base64 or QP: utf-8, long
    hostile = mailgen.make_message(subject="Hostile", body="Click \x1b[31mhere\x1b[0m now\n")
    mailgen.write_maildir(
        user.maildir,
        "INBOX",
        [mailgen.from_bytes(m) for m in (plain, html, long, hostile)],
    )


@pytest.mark.parametrize("ignore", [(), ("PREVIEW", "SNIPPET=FUZZY", "PREVIEW=FUZZY")])
def test_previews_from_the_server_are_plain_short_cached_and_leave_mail_unread(
    dovecot: Dovecot, tmp_path: Path, ignore: tuple[str, ...]
) -> None:
    user = dovecot.add_user()
    _populate(user)
    ctx = context_for(dovecot, user, tmp_path, imap={"ignore_capabilities": list(ignore)})
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"))
        got = service.run(commands.FetchPreviews(folder="INBOX", uids=(1, 2, 3, 4, 99)))
        assert set(got) == {1, 2, 3, 4}  # 99 does not exist: left out
        assert got[1].startswith("The launch moves to Thursday. See you.")
        assert "quoted line" not in got[1] and "wrote" not in got[1]
        assert got[2].startswith("Hello & welcome to the list")
        assert "color" not in got[2] and "<" not in got[2]
        assert got[3].startswith("Ünïcode words Ünïcode words")
        assert len(got[3]) <= 200 and "\ufffd" not in got[3]
        assert "\x1b" not in got[4] and "here" in got[4]
        # Without PREVIEW the structures were fetched (and kept) to find the text part.
        assert (service.cached_structure("INBOX", 1) is not None) == bool(ignore)
        # Cached: the cache alone answers now.
        assert cached_previews(service.cache(), "INBOX", [1, 2, 3, 4]) == got
        # BODY.PEEK / PREVIEW never set \Seen.
        client = dovecot.client(user)
        assert all(SEEN not in flags for flags in server_flags(client, "INBOX").values())
        client.logout()
    finally:
        ctx.close()


def test_a_maildir_account_previews_from_its_files(tmp_path: Path) -> None:
    from mailtui.config.load import make_settings
    from mailtui.context import AppContext

    root = tmp_path / "Mail"
    raw = mailgen.make_message(subject="Local", body="Local words first.\n> old\n")
    mailgen.write_maildir(root, "INBOX", [mailgen.from_bytes(raw)])
    settings = make_settings({"local": {"email": "me@example.test", "maildir": str(root)}})
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.RefreshFolders())
        service.run(commands.SyncFolder(folder="INBOX"))
        (uid,) = service.view("INBOX")
        got = service.run(commands.FetchPreviews(folder="INBOX", uids=(uid,)))
        assert got == {uid: "Local words first."}
    finally:
        ctx.close()
