"""`B` (and `:unsubscribe`) in the app: one-click asks, naming the host, then POSTs
once to a real loopback HTTPS server; mailto: opens the review screen and sends
through aiosmtpd with a Sent copy; a plain link is only offered; http:// and
disguised URLs are refused. Nothing is ever fetched without a yes, and never a GET."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.policy import default as default_policy
from pathlib import Path

import pytest
import trustme

from tests.compose.smtpd import SmtpServer
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.support.https_server import HttpsServer, serve, write_ca
from tests.ui.helpers import NOW, make_app, ready, screen_text, wait_for, wait_server
from tests.ui.test_triage import message_ids

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture(autouse=True)
def private_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)


@pytest.fixture
def https(tmp_path: Path) -> Iterator[HttpsServer]:
    authority = trustme.CA()
    yield from serve(authority, write_ca(authority, tmp_path / "ca.pem"))


def list_user(dovecot: Dovecot, unsubscribe: str, post: str = "") -> MailUser:
    user = dovecot.add_user()
    headers = {"List-Unsubscribe": unsubscribe, "List-Id": "News <news.lists.example>"}
    if post:
        headers["List-Unsubscribe-Post"] = post
    raw = mailgen.make_message(
        subject="Weekly news",
        sender="News <news@lists.example>",
        to=f"Me <{user.address}>",
        body="This week: nothing.\n",
        date=NOW,
        headers=headers,
    )
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    mailgen.write_maildir(user.maildir, "Sent", [])
    return user


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_one_click_asks_naming_the_host_then_posts_once(
    dovecot: Dovecot, https: HttpsServer, tmp_path: Path
) -> None:
    header = f"<mailto:leave@lists.example>, <{https.url('/u/Xy12?l=9')}>"
    user = list_user(dovecot, header, ONE_CLICK)
    ui = {"mark_read_delay": -1, "https_ca_file": str(https.ca_file)}
    app = make_app(dovecot, user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("B")
        await wait_for(pilot, lambda: "Unsubscribe from this list?" in screen_text(app))
        assert "to 127.0.0.1" in screen_text(app)
        await pilot.press("n")  # no: nothing is sent
        await wait_for(pilot, lambda: "Not unsubscribed" in toasts(app))
        assert https.requests == []
        await pilot.press("colon")
        await pilot.press(*"unsubscribe", "enter")  # the command line does the same
        await wait_for(pilot, lambda: "Unsubscribe from this list?" in screen_text(app))
        await pilot.press("y")
        accepted = "Unsubscribe request accepted by 127.0.0.1 (200)"
        await wait_for(pilot, lambda: accepted in toasts(app), what="the result")
    (seen,) = https.requests
    assert (seen.method, seen.path, seen.body) == ("POST", "/u/Xy12?l=9", ONE_CLICK.encode())
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "cookie" not in seen.headers and "authorization" not in seen.headers


async def test_a_redirect_is_reported_and_not_followed(
    dovecot: Dovecot, https: HttpsServer, tmp_path: Path
) -> None:
    user = list_user(dovecot, f"<{https.url('/redirect302')}>", ONE_CLICK)
    ui = {"mark_read_delay": -1, "https_ca_file": str(https.ca_file)}
    app = make_app(dovecot, user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("B")
        await wait_for(pilot, lambda: "Unsubscribe from this list?" in screen_text(app))
        await pilot.press("y")
        await wait_for(pilot, lambda: any("redirect" in t for t in toasts(app)))
    assert [(s.method, s.path) for s in https.requests] == [("POST", "/redirect302")]


async def test_mailto_opens_the_review_screen_and_sends_with_a_sent_copy(
    dovecot: Dovecot, smtp: SmtpServer, tmp_path: Path
) -> None:
    user = list_user(dovecot, "<mailto:leave@lists.example?subject=remove%20me>")
    app = make_app(
        dovecot, user, tmp_path, ui={"mark_read_delay": -1}, account={"smtp": smtp.table()}
    )
    client = dovecot.client(user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("B")
        await wait_for(pilot, lambda: "remove me" in screen_text(app), what="the review screen")
        assert "leave@lists.example" in screen_text(app)
        assert smtp.messages == []  # nothing until y
        await pilot.press("y")
        await wait_for(pilot, lambda: smtp.messages, timeout=30, what="the SMTP delivery")
    (sent,) = smtp.messages
    assert sent.rcpt_tos == ("leave@lists.example",)
    parsed = email.message_from_bytes(sent.content, policy=default_policy)
    assert parsed["Subject"] == "remove me"
    await wait_server(lambda: len(message_ids(client, "Sent")) == 1, what="the Sent copy")
    client.logout()


async def test_a_plain_link_is_only_offered_never_fetched(
    dovecot: Dovecot, https: HttpsServer, tmp_path: Path
) -> None:
    user = list_user(dovecot, f"<{https.url('/page?u=1')}>")  # no List-Unsubscribe-Post
    ui = {"mark_read_delay": -1, "https_ca_file": str(https.ca_file)}
    app = make_app(dovecot, user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("B")
        await wait_for(pilot, lambda: "Unsubscribe on the list's page" in screen_text(app))
        assert https.url("/page?u=1") in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
    assert https.requests == []


@pytest.mark.parametrize(
    "header",
    [
        "<http://127.0.0.1:{port}/u>",  # readable and changeable on the way
        "<https://bank.example@127.0.0.1:{port}/u>",  # a disguised host
        "<javascript:alert(1)>",
    ],
)
async def test_http_and_hostile_urls_are_refused(
    dovecot: Dovecot, https: HttpsServer, tmp_path: Path, header: str
) -> None:
    user = list_user(dovecot, header.format(port=https.port), ONE_CLICK)
    ui = {"mark_read_delay": -1, "https_ca_file": str(https.ca_file)}
    app = make_app(dovecot, user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("B")
        await wait_for(pilot, lambda: any("names no way to unsubscribe" in t for t in toasts(app)))
        assert "Unsubscribe from this list?" not in screen_text(app)
    assert https.requests == []
