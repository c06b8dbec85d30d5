"""The CLI never hands a terminal a stranger's control characters: not in folder names
or subjects (text or --json), not in a server's refusal printed as an error.

--json output \\u-escapes what a terminal could act on (C1, bidi overrides, format
characters, separators), so it stays exact JSON — the consumer gets the real folder
name back — while no raw byte of it reaches a terminal when piped there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import mailgen
from tests.support.accounts import cli_env
from tests.support.dovecot import Dovecot, MailUser
from tests.support.scripted_imap import ScriptedImap, hooks

# C1 CSI (U+009B), a bidi override and isolate, a zero-width joiner, a line separator.
FOLDER = "Bills\u009b2J\u202etxt_exe\u2066x\u2069\u200d\u2028end"
SUBJECT = "Invoice \u009b31m\u202egpj.exe"
# What must never reach a terminal raw.
DANGEROUS = {chr(c) for c in (0x1B, *range(0x80, 0xA0), *range(0x202A, 0x202F))}
DANGEROUS |= {chr(c) for c in (*range(0x2066, 0x206A), 0x200D, 0x2028, 0x2029)}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _raw(text: str) -> set[str]:
    return {ch for ch in text if ch in DANGEROUS}


def test_folders_list_and_search_json_escape_controls_and_bidi(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    raw = mailgen.make_message(subject=SUBJECT, body="hello\n")
    mailgen.write_maildir(mail_user.maildir, "INBOX", [mailgen.from_bytes(raw)])
    mailgen.write_maildir(mail_user.maildir, FOLDER, [])
    client = dovecot.client(mail_user)
    server_names = [name for _flags, _delim, name in client.list_folders()]
    client.logout()
    assert FOLDER in server_names  # Dovecot keeps the name as it is
    env = cli_env(tmp_path, dovecot, mail_user)
    assert _run(env, "sync").returncode == 0

    folders = _run(env, "folders", "--json")
    assert folders.returncode == 0, folders.stderr
    assert not _raw(folders.stdout), sorted(map(hex, map(ord, _raw(folders.stdout))))
    assert "\\u009b" in folders.stdout and "\\u202e" in folders.stdout
    assert FOLDER in {row["name"] for row in json.loads(folders.stdout)}  # exact, parsed

    for args in (("list", "INBOX", "--json"), ("search", "INBOX", "invoice", "--json")):
        out = _run(env, *args)
        assert out.returncode == 0, out.stderr
        assert not _raw(out.stdout), args
        (row,) = json.loads(out.stdout)
        assert row["subject"].startswith("Invoice ") and "gpj.exe" in row["subject"]

    for args in (("folders",), ("list", "INBOX"), ("search", "INBOX", "invoice")):
        out = _run(env, *args)
        assert out.returncode == 0, out.stderr
        assert not _raw(out.stdout), args


def test_server_refusal_printed_by_the_cli_is_inert(
    scripted_imap: ScriptedImap, tmp_path: Path
) -> None:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(2, seed=13))
    hostile = "\x1b]52;c;cm0gLXJmIH4=\x07\u202eevil\x9b2J"
    scripted_imap.on("UID STORE", hooks.reply("NO", hostile, code="ALERT"))
    env = cli_env(tmp_path, scripted_imap, scripted_imap.user)  # type: ignore[arg-type]
    assert _run(env, "sync").returncode == 0
    out = _run(env, "mark", "INBOX", "1", "--flagged")
    assert out.returncode != 0
    assert "␛]52;c;cm0gLXJmIH4=␇" in out.stderr
    assert not _raw(out.stderr + out.stdout) and "\x07" not in out.stderr
