"""Settings chosen in the app stick (ui-state.json, never the config): sort, threads,
theme, the list/reader split ([ / ]), the folder pane."""

from __future__ import annotations

from pathlib import Path

from mailtui.ui.app import STATE_FILE
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, wait_for


async def test_choices_persist_across_starts(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    app = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    config = app.ctx.settings.path
    config_bytes = config.read_bytes() if config is not None else None
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, app, synced=False)
        rows = app.main.messages
        before = rows.size.height
        assert before <= 8  # 80x24: the list gets 45% of the height
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: rows.size.height > before + 2, what="a taller list")
        await pilot.press("left_square_bracket")
        await pilot.press("o", "t", "backslash")
        await wait_for(pilot, lambda: app.main.listing.spec.threaded)
        app.theme = "mailtui-light"
        await pilot.pause()
    app.ctx.close()
    assert (tmp_path / STATE_FILE).exists() or any(tmp_path.rglob(STATE_FILE))
    if config is not None:
        assert config.read_bytes() == config_bytes  # the user's config is never rewritten

    again = make_app(dovecot, filled_user, tmp_path, ui={"mark_read_delay": -1})
    async with again.run_test(size=(80, 24)) as pilot:
        await ready(pilot, again, synced=False)
        main = again.main
        spec = main.listing.spec
        assert (spec.sort, spec.threaded) == ("from", True)
        assert main.navigation.split() == 55  # 45 + 3 × 5 - 5
        assert not main.folder_tree.display
        assert again.theme == "mailtui-light"
    again.ctx.close()
