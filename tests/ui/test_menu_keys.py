"""The link and attachment menus move with j/k and jump with the digits shown."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from mailtui.ui.screens.picker import Menu
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text, wait_for, wait_reader
from tests.ui.test_reading import reading_user  # noqa: F401 (a fixture)


async def test_link_menu_j_k_and_digits(
    reading_user: MailUser,  # noqa: F811
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    app = make_app(dovecot, reading_user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        main = app.main
        main.messages.move_to(main.messages.index_of(2) or 0)
        await wait_reader(pilot, app, 2)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, Menu))
        options = app.screen.query_one(OptionList)
        count = options.option_count
        assert count >= 2
        await wait_for(pilot, lambda: "1 " in screen_text(app))
        assert options.highlighted == 0
        await pilot.press("j")
        assert options.highlighted == 1
        await pilot.press("k")
        assert options.highlighted == 0
        await pilot.press(str(count))
        assert options.highlighted == count - 1
        await pilot.press("1")
        assert options.highlighted == 0
        await pilot.press("escape")
