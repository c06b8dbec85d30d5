"""`mailtui thread FOLDER UID`: a conversation from every folder, from the cache alone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conversation import corpus
from tests.imap.test_cli import cli  # noqa: F401  (the `mailtui` subprocess fixture)
from tests.support.dovecot import Dovecot, MailUser


def test_thread_gathers_inbox_sent_and_archive_offline(
    cli,  # noqa: F811
    mail_user: MailUser,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    corpus.populate(mail_user)
    cli("sync")
    # From then on no network: the server's port is dead.
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace(f"port = {dovecot.imap_port}", "port = 1"))

    rows = json.loads(cli("thread", "INBOX", "2", "--json").stdout)  # C
    got = [(r["folder"], r["uid"], r["subject"]) for r in rows]
    assert got == [
        ("INBOX", 1, "Launch date"),  # A, shown once: its copy in Archive is named
        ("Sent", 1, "Re: Launch date"),  # B, my reply
        ("INBOX", 2, "Re: Launch date"),  # C, the one asked for
        ("Archive", 2, "Re: Launch date (room)"),  # D: In-Reply-To only, archived
    ]
    assert rows[0]["also_in"] == ["Archive"]
    assert [r["opened"] for r in rows] == [False, False, True, False]
    assert rows[1]["from"] == "Test User <user@example.test>"
    assert rows[0]["date"] < rows[1]["date"] < rows[2]["date"] < rows[3]["date"]

    # The same conversation from any of its messages, e.g. the archived reply; A's
    # copy shown is then the one in the folder opened.
    from_d = json.loads(cli("thread", "Archive", "2", "--json").stdout)
    assert [(r["folder"], r["uid"]) for r in from_d] == [
        ("Archive", 1),
        ("Sent", 1),
        ("INBOX", 2),
        ("Archive", 2),
    ]
    assert from_d[0]["also_in"] == ["INBOX"]

    # Text: one line per message, the opened one marked.
    lines = cli("thread", "Sent", "1").stdout.splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("*Sent") and "Re: Launch date" in lines[1]
    assert "Archive" in lines[3] and "Carol" in lines[3]


def test_unrelated_message_is_alone_and_missing_uid_is_an_error(
    cli,  # noqa: F811
    mail_user: MailUser,
) -> None:
    corpus.populate(mail_user)
    cli("sync")
    rows = json.loads(cli("thread", "INBOX", "3", "--json").stdout)
    assert [(r["folder"], r["uid"]) for r in rows] == [("INBOX", 3)]
    # Y replies to a message we do not have: alone too, not joined to A's conversation.
    rows = json.loads(cli("thread", "Sent", "2", "--json").stdout)
    assert [(r["folder"], r["uid"]) for r in rows] == [("Sent", 2)]
    out = cli("thread", "INBOX", "99", check=False)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "99" in out.stderr
