"""Each triage key, on one message and on a selection, checked on the server over a second connection."""

from __future__ import annotations

from pathlib import Path

import imapclient

from mailtui.model import FLAGGED, SEEN
from mailtui.ui.app import MailApp
from tests.support.accounts import server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_server


def message_ids(client: imapclient.IMAPClient, folder: str) -> set[str]:
    """Message-IDs in a folder as the server holds them."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    if not uids:
        return set()
    data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    out = set()
    for item in data.values():
        raw = item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode()
        out.add(raw.partition(":")[2].strip())
    return out


def cursor_message_id(app: MailApp) -> str:
    uid = app.main.messages.cursor_uid
    assert uid is not None
    env = app.main.messages.envelope(uid)
    assert env is not None
    return env.message_id if env.message_id.startswith("<") else f"<{env.message_id}>"


def ids_at(app: MailApp, uids: list[int]) -> set[str]:
    out = set()
    for uid in uids:
        env = app.main.messages.envelope(uid)
        assert env is not None
        out.add(env.message_id if env.message_id.startswith("<") else f"<{env.message_id}>")
    return out


async def test_flag_read_label_keys(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        await pilot.press("j")
        uid = main.messages.cursor_uid
        assert uid is not None
        was_flagged = FLAGGED in server_flags(client, "INBOX")[uid]
        await pilot.press("s")
        await wait_server(
            lambda: (FLAGGED in server_flags(client, "INBOX")[uid]) != was_flagged, what="flag"
        )
        was_seen = SEEN in server_flags(client, "INBOX")[uid]
        await pilot.press("U")
        await wait_server(
            lambda: (SEEN in server_flags(client, "INBOX")[uid]) != was_seen, what="read"
        )
        # The list shows it at once (bold/● follow \Seen).
        env = main.messages.envelope(uid)
        assert env is not None and env.seen != was_seen
        # l: a label, typed new in the fuzzy picker.
        await pilot.press("l")
        await wait_for(pilot, lambda: "Label 1 message" in screen_text(app))
        await pilot.press(*"Work", "enter")
        await wait_server(lambda: "Work" in server_flags(client, "INBOX")[uid], what="label")
        # Shown by name in the row and the reader.
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: "[Work]" in screen_text(app) and "Labels:  Work" in screen_text(app),
            what="the label in the row and the reader",
        )
        # u undoes the label.
        await pilot.press("u")
        await wait_server(lambda: "Work" not in server_flags(client, "INBOX")[uid], what="undo")
        await wait_for(pilot, lambda: "[Work]" not in screen_text(app), what="the label gone")
    client.logout()


async def test_delete_archive_move_copy_and_undo(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        # d: to Trash; the cursor stays in place, on the next message.
        mid = cursor_message_id(app)
        index = main.messages.cursor
        await pilot.press("d")
        await wait_for(pilot, lambda: cursor_message_id(app) != mid, what="list updated")
        assert main.messages.cursor == index
        await wait_server(lambda: mid in message_ids(client, "Trash"), what="in Trash")
        assert mid not in message_ids(client, "INBOX")
        # a: to Archive.
        mid = cursor_message_id(app)
        await pilot.press("a")
        await wait_server(lambda: mid in message_ids(client, "Archive"), what="archived")
        assert mid not in message_ids(client, "INBOX")
        # m: fuzzy folder picker, typing part of the name.
        mid = cursor_message_id(app)
        await pilot.press("m")
        await wait_for(pilot, lambda: "Move 1 message to" in screen_text(app))
        await pilot.press(*"specs", "enter")
        await wait_server(lambda: mid in message_ids(client, "Projects/Alpha/Specs"), what="moved")
        # u: the move is undone (back in INBOX).
        await pilot.press("u")
        await wait_server(lambda: mid in message_ids(client, "INBOX"), what="move undone")
        assert mid not in message_ids(client, "Projects/Alpha/Specs")
        # c: copy keeps the original.
        await wait_for(pilot, lambda: main.messages.cursor_uid is not None)
        mid = cursor_message_id(app)
        await pilot.press("c")
        await wait_for(pilot, lambda: "Copy 1 message to" in screen_text(app))
        await pilot.press(*"junk", "enter")
        await wait_server(lambda: mid in message_ids(client, "Junk"), what="copied")
        assert mid in message_ids(client, "INBOX")
    client.logout()


async def test_actions_apply_to_the_whole_selection(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        # v starts a range; j j extends it; s flags all three.
        await pilot.press("v", "j", "j")
        chosen = main.messages.selected_uids()
        assert len(chosen) == 3
        assert "3 selected" in screen_text(app)
        before = server_flags(client, "INBOX")
        await pilot.press("s")
        want_flag = not all(FLAGGED in before[u] for u in chosen)
        await wait_server(
            lambda: all((FLAGGED in server_flags(client, "INBOX")[u]) == want_flag for u in chosen),
            what="three flagged",
        )
        assert main.messages.selected_uids() == []
        # shift+down selects a range too; d moves them all to Trash in one go.
        await pilot.press("G", "shift+up", "shift+up")
        chosen = main.messages.selected_uids()
        assert len(chosen) == 3
        ids = ids_at(app, chosen)
        await pilot.press("d")
        await wait_server(lambda: ids <= message_ids(client, "Trash"), what="three in Trash")
        assert not ids & message_ids(client, "INBOX")
        # * selects everything; U marks it all read (or unread).
        await pilot.press("asterisk", "U")
        inbox = set(main.messages.rows)

        def all_same() -> bool:
            flags = server_flags(client, "INBOX")
            return set(flags) == inbox and len({SEEN in f for f in flags.values()}) == 1

        await wait_server(all_same, what="all read")
    client.logout()


async def test_undo_never_undoes_the_automatic_mark_read(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """Marking read is a side effect of reading, not the user's action: `u` leaves it alone."""
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": 0})
    client = dovecot.client(filled_user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        unread = main.messages.find_unread(1)
        assert unread is not None
        main.messages.move_to(unread)
        uid = main.messages.cursor_uid
        await pilot.press("enter")
        await wait_server(
            lambda: SEEN in server_flags(client, "INBOX").get(uid, frozenset()), what="read"
        )
        await pilot.press("u")
        await wait_for(
            pilot,
            lambda: any("Nothing to undo" in n.message for n in app._notifications),
            what="nothing to undo",
        )
        assert SEEN in server_flags(client, "INBOX")[uid]
    client.logout()
