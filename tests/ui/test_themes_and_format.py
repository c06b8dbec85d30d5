"""Themes from TOML (colours only, validated), NO_COLOR, dates and row text helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.theme import Theme

from mailtui.model import Address, Envelope
from mailtui.ui import format as fmt
from mailtui.ui import themes
from mailtui.ui.loader import addresses, plain_links
from mailtui.ui.opener import opener_command
from mailtui.ui.screens.picker import Item, fuzzy_rank, item_text
from tests.support.dovecot import Dovecot, MailUser
from tests.ui.helpers import make_app, ready, screen_text

REPO_THEMES = Path(__file__).resolve().parents[2] / "themes"


def test_shipped_themes_load_with_every_mail_variable() -> None:
    loaded = themes.load_themes([REPO_THEMES])
    assert loaded.problems == []
    assert {"mailtui-dark", "mailtui-light", "mailtui-16"} <= set(loaded.themes)
    for name in ("mailtui-dark", "mailtui-light", "mailtui-16"):
        variables = loaded.themes[name].variables
        assert {f"mail-{k}" for k in themes.MAIL_KEYS} <= set(variables), name
    assert loaded.themes["mailtui-16"].ansi
    assert not loaded.themes["mailtui-light"].dark
    # The 16-colour theme uses only the terminal's own palette.
    sixteen = loaded.themes["mailtui-16"]
    colours = [v for k, v in sixteen.variables.items() if not k.endswith("text-style")]
    assert all(v.startswith("ansi_") for v in colours)


def test_theme_files_are_checked_key_by_key(tmp_path: Path) -> None:
    (tmp_path / "bad-colour.toml").write_text('[colors]\nprimary = "not a colour"\n')
    (tmp_path / "markup.toml").write_text(
        '[colors]\nprimary = "#000000"\n[mail]\nunread = "[b]x"\n'
    )
    (tmp_path / "layout.toml").write_text('[colors]\nprimary = "#000000"\nwidth = "10"\n')
    (tmp_path / "extra.toml").write_text('css = "Screen { display: none; }"\n')
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\ndark = false\n[colors]\nprimary = "#112233"\n[mail]\nflagged = "#ff0000"\n'
    )
    loaded = themes.load_themes([tmp_path])
    assert set(loaded.themes) == {"mine"}
    problems = "\n".join(loaded.problems)
    assert "bad-colour.toml: colors.primary: 'not a colour' is not a colour" in problems
    assert "markup.toml: mail.unread" in problems
    assert "layout.toml: [colors] has unknown key 'width'" in problems
    assert "extra.toml: unknown key 'css'" in problems


def test_defaults_fill_what_a_theme_leaves_out() -> None:
    bare = Theme(name="bare", primary="#336699", dark=True)
    defaults = themes.mail_defaults(bare)
    assert {f"mail-{k}" for k in themes.MAIL_KEYS} == set(defaults)
    palette = themes.reader_palette({**defaults, "mail-quote-1": "ansi_cyan"})
    assert palette.quote[0] == "color(6)"


async def test_user_theme_dir_and_config_theme(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path
) -> None:
    user_dir = tmp_path / "themes"
    user_dir.mkdir()
    (user_dir / "sea.toml").write_text(
        'name = "sea"\n[colors]\nprimary = "#0077be"\nbackground = "#001f2f"\n'
    )
    app = make_app(dovecot, filled_user, tmp_path, ui={"theme": "sea", "themes_dir": str(user_dir)})
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app, synced=False)
        assert app.theme == "sea"
        assert app.theme_variables["mail-flagged"]  # defaulted
    app.ctx.close()
    app = make_app(dovecot, filled_user, tmp_path, ui={"theme": "nope"})
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app, synced=False)
        assert app.theme == themes.DEFAULT_THEME
        assert any("Unknown theme 'nope'" in n.message for n in app._notifications)


async def test_no_color_is_respected(
    filled_user: MailUser, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(dovecot, filled_user, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot, app, synced=False)
        assert app.no_color
        assert "Inbox" in screen_text(app)


def test_list_dates_are_relative_to_now() -> None:
    now = datetime(2024, 3, 14, 15, 0, tzinfo=UTC)
    clock = fmt.fixed_clock(now)

    def date(**delta: float) -> str:
        return fmt.list_date(int((now - timedelta(**delta)).timestamp()), clock)

    assert date(hours=2) == "13:00"
    assert date(days=1) == "Wed 15:00"
    assert date(days=30) == "13 Feb"
    assert date(days=400) == "2023-02-08"
    assert fmt.list_date(int((now - timedelta(days=30)).timestamp()), clock, short=True) == "13 Feb"
    assert fmt.list_date(int((now - timedelta(days=400)).timestamp()), clock, short=True) == "2023"
    assert fmt.list_date(0, clock) == ""


def test_sender_column_and_subjects_are_cleaned() -> None:
    env = Envelope(
        uid=1,
        subject="\x1b[31mred\x1b[0m",
        from_=(Address("Eve\x1b]0;x\x07", "eve@example.com"),),
        to='"Bob" <bob@example.com>, carol@example.com',
    )
    assert fmt.subject(env) == "␛[31mred␛[0m"
    assert "\x1b" not in fmt.sender(env)
    assert fmt.sender(env, outgoing=True) == "To: Bob"
    assert fmt.subject(Envelope(uid=2)) == "(no subject)"


def test_links_addresses_and_opener() -> None:
    text = "see https://a.example/x, and mailto:bob@example.com. also https://a.example/x"
    assert plain_links(text) == ["https://a.example/x", "mailto:bob@example.com"]
    env = Envelope(
        uid=1,
        from_=(Address("Al", "al@example.com"),),
        to="Bob <bob@example.com>, AL@example.com",
        cc="carol@example.com",
    )
    assert [a.addr for a in addresses(env)] == [
        "al@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    assert opener_command("firefox --new-tab", "https://x") == ["firefox", "--new-tab", "https://x"]
    assert opener_command("open -a Preview {}", "/tmp/a b.pdf") == [
        "open",
        "-a",
        "Preview",
        "/tmp/a b.pdf",
    ]
    assert opener_command(None, "/f")[-1] == "/f"


def test_fuzzy_picker_ranks_and_never_parses_markup() -> None:
    items = [
        Item("Archive", "Archive"),
        Item("Projects/Alpha", "Projects/Alpha"),
        Item("x", "[b]Trap[/b]"),
    ]
    ranked = [i.value for i, _ in fuzzy_rank("pa", items)]
    assert ranked[0] == "Projects/Alpha"
    assert [i.value for i, _ in fuzzy_rank("", items)] == ["Archive", "Projects/Alpha", "x"]
    trap = fuzzy_rank("trap", items)[0]
    assert item_text(*trap).plain == "[b]Trap[/b]"
