"""The TUI on the scripted Gmail, keys pressed with Pilot: labels are shown as Gmail
spells them, `l` removes a Gmail label (with a space in its name) and `a` archives by
removing the inbox label — asserted on what Gmail then holds."""

from __future__ import annotations

from pathlib import Path

from mailtui.ui.app import MailApp
from tests.support.scripted_fixture import scripted_context
from tests.support.scripted_imap import gmail
from tests.support.scripted_imap.gmail import GmailStore
from tests.ui.helpers import NOW, fixed_clock, ready, screen_text, wait_for, wait_server


def _raw(subject: str) -> bytes:
    return (
        f"From: Ann <ann@example.test>\r\nTo: me@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n"
        f"\r\nhello\r\n"
    ).encode()


async def test_labels_shown_l_unlabels_and_a_archives_on_gmail(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.create("Muy Importante")
    store.add_mail(_raw("planning"), labels={"\\Inbox", "Muy Importante"})
    ui = {"download_dir": str(tmp_path / "dl"), "themes_dir": str(tmp_path / "themes")}
    ctx = scripted_context(server, tmp_path / "cache", ui=ui)
    app = MailApp(ctx, clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: "Muy Importante" in screen_text(app), what="the label")
        assert "Muy%20" not in screen_text(app)
        mail = store.find("planning")
        await pilot.press("l")
        await wait_for(pilot, lambda: "Label 1 message" in screen_text(app), what="the picker")
        await pilot.press(*"Muy", "enter")
        await wait_server(lambda: store.user_labels(mail) == set(), what="label removed")
        await pilot.press("a")
        await wait_server(lambda: "\\Inbox" not in mail.labels, what="archived")
        assert mail.place == ""  # still in All Mail: archived, not deleted


async def test_the_filter_takes_gmail_syntax_to_the_server(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    store.add_mail(_raw("unread-one"), labels={"\\Inbox"})
    store.add_mail(_raw("read-one"), labels={"\\Inbox"}, flags={"\\Seen"})
    ui = {"download_dir": str(tmp_path / "dl"), "themes_dir": str(tmp_path / "themes")}
    app = MailApp(scripted_context(server, tmp_path / "cache", ui=ui), clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("&")
        await wait_for(pilot, lambda: "Show only messages matching" in screen_text(app))
        await pilot.press(*"gmail:is:unread", "enter")
        await wait_for(pilot, lambda: "1 shown" in screen_text(app), what="one match")
        await wait_for(pilot, lambda: len(app.main.messages.rows) == 1, what="one row")
        service = app.main.service
        shown = service.envelopes("INBOX", list(app.main.messages.rows))
        assert [e.subject for e in shown.values()] == ["unread-one"]


async def test_a_new_label_with_a_space_typed_in_the_picker_is_created_on_gmail(
    scripted_imap_factory, tmp_path: Path
) -> None:
    """`l`, type a label that does not exist yet with a space in it, enter: Gmail holds the
    label (the picker refused spaces before, as it must for IMAP keywords elsewhere)."""
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    mail = store.add_mail(_raw("plans"), labels={"\\Inbox"})
    ui = {"download_dir": str(tmp_path / "dl"), "themes_dir": str(tmp_path / "themes")}
    app = MailApp(scripted_context(server, tmp_path / "cache", ui=ui), clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: "plans" in screen_text(app), what="the message")
        await pilot.press("l")
        await wait_for(pilot, lambda: "Label 1 message" in screen_text(app), what="the picker")
        await pilot.press(*"Big Project", "enter")
        await wait_server(lambda: store.user_labels(mail) == {"Big Project"}, what="labelled")
        await wait_for(
            pilot, lambda: "Big Project" in screen_text(app), what="the label on the row"
        )


async def test_bang_on_gmail_files_the_message_in_spam_and_u_brings_it_back(
    scripted_imap_factory, tmp_path: Path
) -> None:
    server = gmail.start(scripted_imap_factory)
    store: GmailStore = server.store
    mail = store.add_mail(_raw("cheap-pills"), labels={"\\Inbox"})
    ui = {"download_dir": str(tmp_path / "dl"), "themes_dir": str(tmp_path / "themes")}
    app = MailApp(scripted_context(server, tmp_path / "cache", ui=ui), clock=fixed_clock(NOW))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: "cheap-pills" in screen_text(app), what="the message")
        await pilot.press("exclamation_mark")
        await wait_server(lambda: mail.place == "spam", what="in Spam")
        assert "$Junk" in mail.flags
        await wait_for(pilot, lambda: "cheap-pills" not in screen_text(app), what="gone")
        await pilot.press("u")
        await wait_server(lambda: mail.place == "" and "\\Inbox" in mail.labels, what="back")
        await wait_server(lambda: "$Junk" not in mail.flags, what="keyword cleared")
