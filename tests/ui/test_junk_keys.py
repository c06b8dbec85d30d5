"""`!` in the app (issue 19 item 8), Pilot pressing the real keys against Dovecot: on
the selection it moves to Junk with $Junk, `u` brings it back, `!` in Junk says not
junk and moves to INBOX; each asserted on what Dovecot holds and what the list shows."""

from __future__ import annotations

from pathlib import Path

from tests.support import mailgen
from tests.support.accounts import server_flags, subjects_and_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_server


def _raw(subject: str, hour: int) -> bytes:
    return (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}@example.test>\r\nDate: Mon, 8 Jan 2024 {hour}:00:00 +0000\r\n"
        f"\r\nhello\r\n"
    ).encode()


def _toasts(app) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def test_bang_junks_the_selection_u_undoes_and_bang_in_junk_says_not_junk(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    client = dovecot.client(mail_user)
    mailgen.append_imap(
        client,
        "INBOX",
        [
            mailgen.from_bytes(_raw(s, h))
            for s, h in (("keep-me", 8), ("cheap-pills", 9), ("win-big", 10))
        ],
    )
    app = make_app(dovecot, mail_user, tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            await wait_for(pilot, lambda: "win-big" in screen_text(app), what="the list")
            # The newest two selected (x selects and moves down), then !.
            await pilot.press("g", "x", "x", "exclamation_mark")
            await wait_for(pilot, lambda: "Marked junk" in _toasts(app), what="the toast")
            await wait_server(
                lambda: {"cheap-pills", "win-big"} <= set(subjects_and_flags(client, "Junk")),
                what="both in Junk",
            )
            junk = subjects_and_flags(client, "Junk")
            assert all("$Junk" in junk[s] for s in ("cheap-pills", "win-big"))
            assert set(subjects_and_flags(client, "INBOX")) == {"keep-me"}
            await wait_for(pilot, lambda: "win-big" not in screen_text(app), what="gone")

            await pilot.press("u")
            await wait_server(
                lambda: (
                    set(subjects_and_flags(client, "INBOX"))
                    == {"keep-me", "cheap-pills", "win-big"}
                ),
                what="undone",
            )
            assert not any("$Junk" in f for f in subjects_and_flags(client, "INBOX").values())

            await pilot.press("F", *"Junk", "enter")
            await wait_for(pilot, lambda: app.screen.folder == "Junk", what="Junk open")
            client.select_folder("INBOX")
            client.move(client.search(["SUBJECT", "win-big"]), "Junk")
            await wait_for(pilot, lambda: "win-big" in screen_text(app), what="win-big in Junk")
            await pilot.press("g", "exclamation_mark")
            await wait_for(pilot, lambda: "Not junk" in _toasts(app), what="the toast")
            await wait_server(lambda: "win-big" in subjects_and_flags(client, "INBOX"), what="back")
            assert "$NotJunk" in subjects_and_flags(client, "INBOX")["win-big"]
            assert server_flags(client, "Junk") == {}
    finally:
        client.logout()


async def test_x_mutes_the_conversation_a_live_reply_leaves_the_inbox_and_x_unmutes(
    dovecot: Dovecot, mail_user: MailUser, tmp_path: Path
) -> None:
    client = dovecot.client(mail_user)
    plan = _raw("party-plan", 9).replace(
        b"Message-ID: <party-plan@example.test>", b"Message-ID: <plan@x>"
    )
    mailgen.append_imap(client, "INBOX", [mailgen.from_bytes(plan)])
    app = make_app(dovecot, mail_user, tmp_path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await ready(pilot, app)
            await wait_for(pilot, lambda: "party-plan" in screen_text(app), what="the list")
            await pilot.press("g", "X")
            await wait_for(pilot, lambda: "Muted 1 conversation" in _toasts(app), what="muted")
            reply = _raw("re-party", 10) + b""
            reply = reply.replace(b"\r\n\r\n", b"\r\nIn-Reply-To: <plan@x>\r\n\r\n", 1)
            mailgen.append_imap(client, "INBOX", [mailgen.from_bytes(reply)])
            await wait_server(
                lambda: "re-party" in subjects_and_flags(client, "Archive"),
                timeout=30,
                what="archived",
            )
            assert "\\Seen" in subjects_and_flags(client, "Archive")["re-party"]
            await wait_for(pilot, lambda: "re-party" not in screen_text(app), what="not listed")
            # The filter `muted` lists the muted conversation.
            await pilot.press("ampersand")
            await wait_for(pilot, lambda: "Show only messages matching" in screen_text(app))
            await pilot.press(*"muted", "enter")
            await wait_for(pilot, lambda: "party-plan" in screen_text(app), what="muted listed")
            await pilot.press("g", "X")
            await wait_for(pilot, lambda: "Unmuted 1 conversation" in _toasts(app), what="unmuted")
    finally:
        client.logout()
