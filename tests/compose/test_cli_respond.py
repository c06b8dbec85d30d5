"""`mailtui unsubscribe` and `mailtui invite`: the app's B and i, headless, run as the
real command against Dovecot, a loopback HTTPS server and aiosmtpd."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from collections.abc import Iterator
from email.policy import default as default_policy
from pathlib import Path

import icalendar
import pytest
import trustme

from mailtui.model import ANSWERED
from tests.compose.test_cli_send import _config
from tests.support import mailgen
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.support.https_server import HttpsServer, serve, write_ca
from tests.ui.helpers import NOW
from tests.ui.test_invitations import UID, calendar, invitation_message

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def https(tmp_path: Path) -> Iterator[HttpsServer]:
    authority = trustme.CA()
    yield from serve(authority, write_ca(authority, tmp_path / "https-ca.pem"))


def _env(tmp_path: Path, dovecot: Dovecot, user: MailUser, smtp: dict, ca: Path) -> dict[str, str]:
    config = _config(tmp_path / "config.toml", dovecot, user, smtp)
    with config.open("a") as f:
        f.write(f'\n[ui]\nhttps_ca_file = "{ca}"\n')
    return dict(
        os.environ,
        MAILTUI_CONFIG=str(config),
        XDG_CACHE_HOME=str(tmp_path / "c"),
        XDG_DATA_HOME=str(tmp_path / "d"),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        TZ="Europe/Berlin",
    )


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailtui", *args],
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal: only --yes confirms
        capture_output=True,
        text=True,
        timeout=120,
    )


def _deliver(user: MailUser, raw: bytes) -> None:
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "Sent", [])


def _list_mail(user: MailUser, unsubscribe: str, post: str = "") -> bytes:
    headers = {"List-Unsubscribe": unsubscribe}
    if post:
        headers["List-Unsubscribe-Post"] = post
    return mailgen.make_message(
        subject="Weekly news", to=user.address, body="News.\n", date=NOW, headers=headers
    )


def test_unsubscribe_one_click_needs_a_yes_then_posts_once(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, https: HttpsServer, tmp_path: Path
) -> None:
    _deliver(mail_user, _list_mail(mail_user, f"<{https.url('/u/1')}>", ONE_CLICK))
    env = _env(tmp_path, dovecot, mail_user, smtp_server(mode="plain").table(), https.ca_file)
    asked = _run(env, "unsubscribe", "INBOX", "1")
    assert asked.returncode == 2, asked.stderr
    assert "one-click request to 127.0.0.1" in asked.stdout
    assert "Nothing was sent" in asked.stderr
    assert https.requests == []
    done = _run(env, "unsubscribe", "INBOX", "1", "--yes")
    assert done.returncode == 0, done.stderr
    assert "Unsubscribe request accepted by 127.0.0.1 (200)" in done.stderr
    assert [(s.method, s.path, s.body) for s in https.requests] == [
        ("POST", "/u/1", ONE_CLICK.encode())
    ]


@pytest.mark.parametrize(
    "header", ["<http://127.0.0.1:{port}/u>", "<https://bank.example@127.0.0.1:{port}/u>"]
)
def test_unsubscribe_refuses_http_and_disguised_urls(
    dovecot: Dovecot, smtp_server, https: HttpsServer, tmp_path: Path, header: str
) -> None:
    user = dovecot.add_user()
    _deliver(user, _list_mail(user, header.format(port=https.port), ONE_CLICK))
    env = _env(tmp_path, dovecot, user, smtp_server(mode="plain").table(), https.ca_file)
    out = _run(env, "unsubscribe", "INBOX", "1", "--yes")
    assert out.returncode == 1
    assert "names no way to unsubscribe" in out.stderr
    assert https.requests == []


def test_unsubscribe_by_mail_sends_the_prefilled_message(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, https: HttpsServer, tmp_path: Path
) -> None:
    _deliver(mail_user, _list_mail(mail_user, "<mailto:leave@lists.example?subject=stop>"))
    smtp = smtp_server(mode="plain")
    env = _env(tmp_path, dovecot, mail_user, smtp.table(), https.ca_file)
    out = _run(env, "unsubscribe", "INBOX", "1", "--yes")
    assert out.returncode == 0, out.stderr
    assert "To: leave@lists.example" in out.stdout and "Subject: stop" in out.stdout
    (got,) = smtp.messages
    assert got.rcpt_tos == ("leave@lists.example",)
    client = dovecot.client(mail_user)
    assert len(server_flags(client, "Sent")) == 1
    client.logout()


def test_invite_prints_the_block_and_sends_the_answer(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, https: HttpsServer, tmp_path: Path
) -> None:
    _deliver(mail_user, invitation_message(mail_user, calendar(mail_user.address, seq=0)))
    smtp = smtp_server(mode="plain")
    env = _env(tmp_path, dovecot, mail_user, smtp.table(), https.ca_file)
    shown = _run(env, "invite", "INBOX", "1")
    assert shown.returncode == 0, shown.stderr
    assert "Invitation: Planning" in shown.stdout
    assert "Mon 5 Jul 2027 10:00–11:00 CEST" in shown.stdout
    assert smtp.messages == []
    out = _run(env, "invite", "INBOX", "1", "decline", "--yes")
    assert out.returncode == 0, out.stderr
    assert "Subject: Declined: Planning" in out.stdout
    (got,) = smtp.messages
    assert got.rcpt_tos == ("amy@example.org",)
    parsed = email.message_from_bytes(got.content, policy=default_policy)
    cal = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    event = next(
        c
        for c in icalendar.Calendar.from_ical(cal.get_content()).subcomponents
        if c.name == "VEVENT"
    )
    assert str(event["UID"]) == UID and int(event["SEQUENCE"]) == 0
    assert event["ATTENDEE"].params["PARTSTAT"] == "DECLINED"
    client = dovecot.client(mail_user)
    assert len(server_flags(client, "Sent")) == 1
    assert ANSWERED in server_flags(client, "INBOX")[1]
    client.logout()


def test_invite_on_a_message_without_one(
    dovecot: Dovecot, mail_user: MailUser, smtp_server, https: HttpsServer, tmp_path: Path
) -> None:
    _deliver(mail_user, _list_mail(mail_user, "<mailto:x@lists.example>"))
    env = _env(tmp_path, dovecot, mail_user, smtp_server(mode="plain").table(), https.ca_file)
    out = _run(env, "invite", "INBOX", "1", "accept", "--yes")
    assert out.returncode == 1
    assert "holds no calendar invitation" in out.stderr
