"""The headless commands, run as a user would: a real process, a config file, the test Dovecot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.model import FLAGGED, SEEN
from tests.support import mailgen
from tests.support.accounts import cli_env, server_flags
from tests.support.dovecot import Dovecot, MailUser


@pytest.fixture
def cli(dovecot: Dovecot, mail_user: MailUser, tmp_path: Path):
    env = cli_env(tmp_path, dovecot, mail_user)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [sys.executable, "-m", "mailtui", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert out.returncode == 0, out.stderr
        return out

    return run


def _append(dovecot: Dovecot, user: MailUser, folder: str, raw: bytes, flags=()) -> int:
    client = dovecot.client(user)
    (uid,) = mailgen.append_imap(client, folder, [mailgen.from_bytes(raw, flags=flags)])
    client.logout()
    return uid


def test_sync_then_list_json_newest_first(cli, dovecot: Dovecot, mail_user: MailUser) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(25, seed=30))
    out = cli("sync")
    assert out.stdout == ""  # quiet when piped
    rows = json.loads(cli("list", "INBOX", "--json", "--limit", "10").stdout)
    assert len(rows) == 10
    assert {"uid", "date", "from", "subject", "flags"} <= set(rows[0])
    dates = [r["timestamp"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    expected = {m.subject for m in mailgen.generate(25, seed=30)}
    assert {r["subject"] for r in rows} <= expected
    text = cli("list", "INBOX", "-n", "3").stdout.splitlines()
    assert len(text) == 3


def test_list_works_offline_from_the_cache(
    cli, dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(3, seed=31))
    cli("sync")
    # Point the config at a dead port: list must not need the network.
    config = tmp_path / "config.toml"
    config.write_text(config.read_text().replace(f"port = {dovecot.imap_port}", "port = 1"))
    assert len(json.loads(cli("list", "INBOX", "--json").stdout)) == 3


def test_list_unknown_folder_says_what_to_do(cli) -> None:
    out = cli("list", "Nope", check=False)
    assert out.returncode != 0
    assert out.stderr.count("\n") == 1 and "mailtui sync" in out.stderr


def test_show_prints_headers_text_and_attachments_without_escapes(
    cli, dovecot: Dovecot, mail_user: MailUser
) -> None:
    raw = mailgen.make_message(
        subject="Report \x1b]0;pwned\x07 [bold]now[/]",
        sender="Mallory \x1b[2J <m@example.test>",
        body="Hello \x1b[31mred\x1b[0m\n> quoted\n-- \nsig\n",
        attachments=[("data.csv", "text/csv", b"a,b\n1,2\n" * 100)],
    )
    uid = _append(dovecot, mail_user, "INBOX", raw)
    cli("sync")
    out = cli("show", "INBOX", str(uid)).stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold]now[/]" in out  # markup shown literally, not interpreted
    assert "Hello" in out and "quoted" in out and "Mallory" in out
    assert "data.csv" in out
    # Reading never marks the message read (BODY.PEEK).
    client = dovecot.client(mail_user)
    assert SEEN not in server_flags(client, "INBOX")[uid]
    client.logout()


def test_show_html_only_and_lying_charset(cli, dovecot: Dovecot, mail_user: MailUser) -> None:
    html_uid = _append(
        dovecot,
        mail_user,
        "INBOX",
        mailgen.make_message(
            subject="News",
            body="",
            html='<p>Hi <a href="https://example.test/x">there</a>&#27;[31m</p>',
        ),
    )
    lying = (
        b"From: a@example.test\r\nSubject: charset\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Grüße aus Köln\r\n".encode()
    )
    lying_uid = _append(dovecot, mail_user, "INBOX", lying)
    cli("sync")
    html = cli("show", "INBOX", str(html_uid)).stdout
    assert "there" in html and "https://example.test/x" in html and "\x1b" not in html
    assert "Grüße aus Köln" in cli("show", "INBOX", str(lying_uid)).stdout


def test_save_writes_attachments_byte_identical_and_never_overwrites(
    cli, dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    payload = bytes(range(256)) * 400
    uid = _append(
        dovecot,
        mail_user,
        "INBOX",
        mailgen.make_message(
            subject="files", attachments=[("../../evil.bin", "application/octet-stream", payload)]
        ),
    )
    cli("sync")
    target = tmp_path / "downloads"
    first = Path(cli("save", "INBOX", str(uid), "--dir", str(target)).stdout.strip())
    second = Path(cli("save", "INBOX", str(uid), "--dir", str(target)).stdout.strip())
    assert first.parent == target and second.parent == target and first != second
    assert first.read_bytes() == payload == second.read_bytes()
    assert first.stat().st_mode & 0o077 == 0
    assert not (tmp_path / "evil.bin").exists()


def test_folders_json_has_roles_and_counts(cli, mail_user: MailUser) -> None:
    counts = mailgen.populate_standard(mail_user, inbox=9)
    rows = {r["name"]: r for r in json.loads(cli("folders", "--json").stdout)}
    assert rows["INBOX"]["role"] == "inbox" and rows["INBOX"]["total"] == counts["INBOX"]
    assert rows["Sent"]["role"] == "sent"
    assert rows["日本語"]["total"] == counts["日本語"]


def test_mark_move_delete_archive_search_folder(cli, dovecot: Dovecot, mail_user: MailUser) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(8, seed=32, seen_ratio=0.0))
    cli("sync")
    cli("mark", "INBOX", "1", "2", "--seen", "--flagged", "--label", "Work")
    cli("folder", "create", "Clients/ACME")
    cli("move", "INBOX", "3", "4", "Clients/ACME")
    cli("delete", "INBOX", "5")
    cli("archive", "INBOX", "6")
    client = dovecot.client(mail_user)
    flags = server_flags(client, "INBOX")
    assert {SEEN, FLAGGED, "Work"} <= flags[1] and {SEEN, FLAGGED, "Work"} <= flags[2]
    assert set(flags) == {1, 2, 7, 8}
    assert len(server_flags(client, "Clients/ACME")) == 2
    assert len(server_flags(client, "Trash")) == 1 and len(server_flags(client, "Archive")) == 1
    found = json.loads(cli("search", "INBOX", "label:Work", "--json").stdout)
    assert sorted(r["uid"] for r in found) == [1, 2]
    assert json.loads(cli("search", "INBOX", "flagged", "--local", "--json").stdout)
    cli("folder", "rename", "Clients/ACME", "Clients/Acme Corp")
    cli("folder", "delete", "Clients/Acme Corp")
    names = {f[2] for f in client.list_folders()}
    assert "Clients/ACME" not in names and "Clients/Acme Corp" not in names
    client.logout()


def test_bad_config_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.x]\nemail = "x@example.test"\n[accounts.x.imap]\nhost = "h"\nsecurity = "ssl"\n'
    )
    env = dict(os.environ, MAILTUI_CONFIG=str(config), XDG_CACHE_HOME=str(tmp_path / "c"))
    out = subprocess.run(
        [sys.executable, "-m", "mailtui", "folders"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 2
    assert str(config) in out.stderr and "accounts.x.imap.security" in out.stderr
    assert out.stderr.count("\n") == 1


def _with_files(dovecot: Dovecot, user: MailUser, *files: tuple[str, str, bytes]) -> int:
    """Append to INBOX a message with these attachments (name, type, bytes); its UID."""
    message = mailgen.make_message(subject="files", attachments=list(files))
    return _append(dovecot, user, "INBOX", message)


def _one_line_error(out: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The failure a user sees: exit `code`, one `mailtui: …` line, never a traceback."""
    assert out.returncode == code, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    assert out.stderr.startswith("mailtui: ") and out.stderr.count("\n") == 1, out.stderr
    return out.stderr


def test_actions_on_uids_that_do_not_exist_name_them_and_change_nothing(
    cli, dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(3, seed=33, seen_ratio=0.0))
    cli("sync")
    client = dovecot.client(mail_user)
    before = server_flags(client, "INBOX")
    assert set(before) == {1, 2, 3}
    for args in (
        ("mark", "INBOX", "999999", "--seen"),
        ("mark", "INBOX", "1", "999999", "--seen"),  # one exists: act on none
        ("move", "INBOX", "2", "999999", "Trash"),
        ("copy", "INBOX", "999999", "Trash"),
        ("delete", "INBOX", "3", "999999"),
        ("archive", "INBOX", "999999"),
        ("show", "INBOX", "999999"),
        ("save", "INBOX", "999999", "--dir", str(tmp_path / "dl")),
    ):
        err = _one_line_error(cli(*args, check=False))
        assert "999999" in err and "INBOX" in err, (args, err)
        assert "mailtui list INBOX" in err, err  # what to do next
    assert server_flags(client, "INBOX") == before
    assert server_flags(client, "Trash") == {}
    client.logout()


def test_actions_on_a_folder_never_synced_sync_it_first(
    cli, dovecot: Dovecot, mail_user: MailUser
) -> None:
    uid = _append(dovecot, mail_user, "INBOX", mailgen.make_message(subject="fresh"))
    err = _one_line_error(cli("mark", "INBOX", str(uid + 1), "--seen", check=False))
    assert str(uid + 1) in err
    cli("mark", "INBOX", str(uid), "--seen")
    client = dovecot.client(mail_user)
    assert SEEN in server_flags(client, "INBOX")[uid]
    client.logout()


def test_save_names_the_attachments_there_are(
    cli, dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    uid = _with_files(
        dovecot,
        mail_user,
        ("a.txt", "text/plain", b"a\n"),
        ("b.bin", "application/octet-stream", b"\x00\x01"),
    )
    plain = _append(dovecot, mail_user, "INBOX", mailgen.make_message(subject="no files"))
    cli("sync")
    target = tmp_path / "dl"
    target.mkdir()
    err = _one_line_error(cli("save", "INBOX", str(uid), "5", "--dir", str(target), check=False))
    assert f"Message {uid} has 2 attachments (1–2); there is no attachment 5" in err
    assert "index" not in err
    for bad in ("0", "-1", "x"):
        out = cli("save", "INBOX", str(uid), bad, "--dir", str(target), check=False)
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert list(target.iterdir()) == []  # nothing saved by any of them
    err = _one_line_error(cli("save", "INBOX", str(plain), "--dir", str(target), check=False))
    assert "no attachments" in err
    assert (
        cli("save", "INBOX", str(uid), "2", "--dir", str(target)).stdout.strip().endswith("b.bin")
    )


def test_save_says_when_it_creates_the_directory(
    cli, dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    uid = _with_files(dovecot, mail_user, ("f.txt", "text/plain", b"f\n"))
    cli("sync")
    target = tmp_path / "new" / "sub"
    out = cli("save", "INBOX", str(uid), "--dir", str(target))
    assert out.stderr == f"mailtui: created {target}\n"
    assert (target / "f.txt").read_bytes() == b"f\n"
    again = cli("save", "INBOX", str(uid), "--dir", str(target))
    assert again.stderr == ""  # it exists now: nothing to say


def test_limits_must_be_positive(cli, dovecot: Dovecot, mail_user: MailUser) -> None:
    _append(dovecot, mail_user, "INBOX", mailgen.make_message(subject="one"))
    cli("sync")
    for args in (
        ("list", "INBOX", "--limit", "-1"),
        ("list", "INBOX", "-n", "0"),
        ("list", "INBOX", "-n", "many"),
        ("search", "INBOX", "one", "--limit", "-1"),
    ):
        out = cli(*args, check=False)
        assert out.returncode == 2, (args, out.returncode, out.stdout)
        assert "limit" in out.stderr and "Traceback" not in out.stderr


def test_list_of_a_folder_known_but_never_synced_says_what_to_run(
    cli, dovecot: Dovecot, mail_user: MailUser
) -> None:
    _append(dovecot, mail_user, "INBOX", mailgen.make_message(subject="one"))
    cli("folders")  # the folder list is cached; INBOX's messages are not
    err = _one_line_error(cli("list", "INBOX", check=False))
    assert "mailtui sync" in err and "--sync" in err
    err = _one_line_error(cli("search", "INBOX", "one", "--local", check=False))
    assert "mailtui sync" in err
    assert "one" in cli("list", "INBOX", "--sync").stdout
