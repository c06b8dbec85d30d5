"""SVG snapshots of the main screens (MAILTUI_UPDATE_SNAPSHOTS=1 rewrites tests/ui/snapshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.dovecot import Dovecot, MailUser
from tests.ui import scenes
from tests.ui.helpers import check_snapshot, make_app


@pytest.fixture(scope="module")
def snap_user(dovecot: Dovecot) -> MailUser:
    """One fixed-name account for every snapshot (the name shows in To: lines)."""
    user = dovecot.add_user(scenes.SNAPSHOT_USER)
    scenes.populate(user)
    return user


@pytest.mark.parametrize(
    ("scene", "theme", "size"),
    [
        ("main", "mailtui-dark", (120, 40)),
        ("reader", "mailtui-dark", (120, 40)),
        ("help", "mailtui-dark", (120, 40)),
        ("move-picker", "mailtui-dark", (120, 40)),
        ("main", "mailtui-light", (120, 40)),
        ("main", "mailtui-16", (120, 40)),
        ("main", "mailtui-dark", (80, 24)),
    ],
)
async def test_snapshot(
    scene: str,
    theme: str,
    size: tuple[int, int],
    snap_user: MailUser,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    app = make_app(dovecot, snap_user, tmp_path, ui={"mark_read_delay": -1}, theme=theme)
    async with app.run_test(size=size) as pilot:
        await scenes.SCENES[scene](pilot, app)
        check_snapshot(app, f"{scene}-{theme.removeprefix('mailtui-')}-{size[0]}x{size[1]}")
