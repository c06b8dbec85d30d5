"""Another mailtui process sharing the cache: what it changes shows in the open app."""

from __future__ import annotations

from pathlib import Path

from mailtui.model import FLAGGED
from mailtui.sync import commands
from tests.support.accounts import context_for, server_flags
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, wait_for


async def test_a_flag_set_by_another_mailtui_on_the_same_cache_shows_in_the_open_app(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    """`mailtui mark --flag` in another terminal writes the shared cache itself, so the
    open app's resync finds nothing new on the server: only the cache's version tells it
    (FolderChanged). The row must show the flag without a key press."""
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        messages = app.main.messages
        uid = messages.rows[2]
        env = messages.envelope(uid)
        assert env is not None and FLAGGED not in env.flags
        other = context_for(dovecot, filled_user, tmp_path)  # the same cache file
        service = other.service()
        service.run(commands.SetFlags(folder="INBOX", uids=(uid,), add=frozenset({FLAGGED})))
        assert service.wait_writer_idle(30)
        other.close()
        # The STORE reaches the app's watcher through IDLE; its resync finds the cache
        # already holding \Flagged, so the row must follow the cache, not its old copy.

        def flagged() -> bool:
            seen = messages.envelope(uid)
            return seen is not None and FLAGGED in seen.flags

        await wait_for(pilot, flagged, timeout=30, what="the flag set elsewhere")
        client = dovecot.client(filled_user)
        assert FLAGGED in server_flags(client, "INBOX")[uid]
        client.logout()
