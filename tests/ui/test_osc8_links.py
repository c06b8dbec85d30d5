"""`[ui] osc8_links = true`: the reader's http(s) links become OSC 8 hyperlinks whose
target is exactly the text on screen; off by default; hostile URLs never put control
characters into the terminal stream."""

from __future__ import annotations

import re
from pathlib import Path

from textual.strip import Strip

from mailtui.mime.blocks import MAX_HYPERLINK, hyperlink_target
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import NOW, make_app, ready, wait_for, wait_reader

LONG = "https://long.example/" + "a" * (MAX_HYPERLINK + 10)
BODY = (
    "Plain: https://example.org/path?q=1&r=2.\n"
    "Hostile: https://evil.example/a\x1b]8;;https://phish.example/\x1b\\click\x07 here\n"
    "C1: https://c1.example/x\x9c\x1b[2J and ftp://files.example/f and mailto:a@b.example\n"
    f"Long: {LONG}\n"
)
HTML = (
    "<p>Your bank: <a href='https://evil.example/steal'>https://bank.example/login</a></p>"
    "<p><a href='https://docs.example/guide'>the guide</a></p>"
)
OSC8 = re.compile(r"\x1b\]8;id=[^;\x1b\x07]*;([^\x1b\x07]*)\x1b\\")
SGR = re.compile(r"\x1b\[[0-9;]*m")


def user_with(dovecot: Dovecot, body: str, html: str | None = None) -> MailUser:
    user = dovecot.add_user()
    raw = mailgen.make_message(subject="Links", to=user.address, body=body, html=html, date=NOW)
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(raw, internaldate=NOW)])
    return user


def body_strips(app) -> list[Strip]:
    body = app.main.reader.query_one("#reader-body")
    return [body.render_line(y) for y in range(body.size.height)]


def links(strips: list[Strip]) -> dict[str, str]:
    """{target: the text shown under it, joined across wrapped lines}."""
    found: dict[str, str] = {}
    for strip in strips:
        for segment in strip:
            if segment.style is not None and segment.style.link:
                found[segment.style.link] = found.get(segment.style.link, "") + segment.text
    return found


async def test_links_carry_exactly_the_url_shown_and_nothing_hostile_reaches_the_terminal(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = user_with(dovecot, BODY)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1, "osc8_links": True})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        strips = body_strips(app)
        # Only the clean http(s) link: the hostile ones (ESC/BEL/C1 shown as stand-ins,
        # so not ASCII), ftp:, mailto: and the over-long one are shown, not linked.
        assert links(strips) == {
            "https://example.org/path?q=1&r=2": "https://example.org/path?q=1&r=2"
        }
        # What the driver writes for these lines: only Textual's own SGR and OSC 8
        # sequences, OSC 8 targets free of controls.
        written = "".join(strip.render(app.console) for strip in strips)
        assert OSC8.findall(written) == ["https://example.org/path?q=1&r=2"]
        rest = SGR.sub("", OSC8.sub("", written.replace("\x1b]8;;\x1b\\", "")))
        assert not any(ch in rest for ch in "\x1b\x07\x9c"), repr(rest[:200])
        assert "phish.example" in rest  # shown, as text


async def test_a_link_text_that_differs_from_its_target_never_hides_the_target(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = user_with(dovecot, "", html=HTML)
    ui = {"mark_read_delay": -1, "osc8_links": True, "prefer_html": True}
    app = make_app(dovecot, user, tmp_path, ui=ui)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        found = links(body_strips(app))
    # The anchor text "https://bank.example/login" links only to itself; the real
    # targets are shown in full in the numbered list and link to themselves.
    for target, shown in found.items():
        assert shown == target
    assert set(found) == {
        "https://bank.example/login",
        "https://evil.example/steal",
        "https://docs.example/guide",
    }


async def test_off_by_default(dovecot: Dovecot, tmp_path: Path) -> None:
    user = user_with(dovecot, BODY)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        assert links(body_strips(app)) == {}
        assert "\x1b]8;" not in "".join(s.render(app.console) for s in body_strips(app))


def test_hyperlink_targets() -> None:
    assert hyperlink_target("https://example.org/a?b=1;c") == "https://example.org/a?b=1;c"
    assert hyperlink_target("HTTP://example.org/") == "HTTP://example.org/"
    for bad in (
        "https://",
        "ftp://example.org/",
        "javascript:alert(1)",
        "https://example.org/\x1b\\",
        "https://example.org/\x07",
        "https://example.org/\x9c",
        "https://example.org/a…",
        "https://exämple.org/",
        "https://example.org/a b",
        "https://example.org/" + "a" * MAX_HYPERLINK,
    ):
        assert hyperlink_target(bad) == "", bad


async def test_a_long_body_drawn_in_the_render_thread_keeps_its_links(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    """Bodies past DRAW_HERE_CHARS are laid out in a thread (BodyLines): same links."""
    filler = "".join(f"line {n} of a long newsletter, nothing to see\n" for n in range(400))
    user = user_with(dovecot, filler + "Read more: https://news.example/full?id=7\n")
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1, "osc8_links": True})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("enter")
        await wait_reader(pilot, app)
        lines = app.main.reader.query_one("#reader-lines")
        await wait_for(pilot, lambda: lines.display and lines.size.height > 400)
        strips = [lines.render_line(y) for y in range(lines.size.height)]
    assert links(strips) == {"https://news.example/full?id=7": "https://news.example/full?id=7"}
