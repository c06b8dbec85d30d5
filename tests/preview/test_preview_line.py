"""The preview line in the list (P, `[ui] preview`) for the rows on screen only, and
`mailtui list --json` with `preview` (`--preview` fetches it)."""

from __future__ import annotations

import json
from pathlib import Path

from mailtui.cache.previews import cached_previews
from tests.imap.test_cli import cli  # noqa: F401  (the `mailtui` subprocess fixture)
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for

COUNT = 300


def _fill(user) -> None:
    messages = [
        mailgen.make_message(
            subject=f"Status {i:03d}",
            body=f"Body number {i:03d} says hello.\n\n> an old quote\n",
            date=mailgen.DEFAULT_START.replace(minute=i % 60, hour=i // 60),
        )
        for i in range(COUNT)
    ]
    mailgen.write_maildir(user.maildir, "INBOX", [mailgen.from_bytes(m) for m in messages])


def listed(app) -> str:
    """The list's rows as shown (the reader below may show a body too)."""
    return "\n".join(line for line in screen_text(app).splitlines() if "Status " in line)


async def test_preview_line_for_the_rows_on_screen_and_p_toggles_it(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    user = dovecot.add_user()
    _fill(user)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1, "preview": True})
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        newest = f"Status {COUNT - 1:03d}  Body number {COUNT - 1:03d} says hello."
        await wait_for(pilot, lambda: newest in listed(app), what="the preview line")
        assert "an old quote" not in listed(app)
        # Only the rows on screen were fetched (and cached), not the folder.
        height = rows.scrollable_content_region.height
        service = app.main.service
        known = cached_previews(service.cache(), "INBOX", list(rows.rows))
        assert height <= len(known) < COUNT // 2
        # Scrolled: the new screen's rows get theirs.
        await pilot.press("G")
        oldest = "Status 000  Body number 000 says hello."
        await wait_for(pilot, lambda: oldest in listed(app), what="previews after G")
        # P turns it off and on again (from memory: no new fetch).
        fetches = app.main.previews.fetches
        await pilot.press("P")
        await wait_for(pilot, lambda: "Body number" not in listed(app), what="off")
        assert "Status 000" in listed(app)
        await pilot.press("P")
        await wait_for(pilot, lambda: oldest in listed(app), what="on again")
        assert app.main.previews.fetches == fetches


def test_list_json_has_preview_when_known_and_preview_fetches_it(
    cli,  # noqa: F811
    mail_user: MailUser,
) -> None:
    _fill(mail_user)

    def run(*args: str) -> list[dict]:
        return json.loads(cli(*args).stdout)

    rows = run("list", "INBOX", "--json", "--sync", "-n", "5")
    assert len(rows) == 5 and all("preview" not in r for r in rows)
    rows = run("list", "INBOX", "--json", "--preview", "-n", "5")
    assert [r["preview"] for r in rows] == [
        f"Body number {i:03d} says hello." for i in range(COUNT - 1, COUNT - 6, -1)
    ]
    # Known now: listed from the cache without --preview; older ones still unknown.
    rows = run("list", "INBOX", "--json", "-n", "6")
    assert [("preview" in r) for r in rows] == [True] * 5 + [False]
