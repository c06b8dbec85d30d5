"""Colour themes from `themes/*.toml`, loaded as Textual Themes with mail variables.

A theme file holds colours only (layout stays in mailtui.tcss), so a user theme cannot
break the app: every value is checked to be a colour (or, for `*-text-style`
variables, a text style) before it reaches Textual's CSS. Themes are looked up in the
package (`mailtui/themes`, as the wheel ships them), the repository's top-level
`themes/` (a dev checkout), then the user's themes_dir, later ones winning.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from textual.color import Color, ColorParseError
from textual.theme import Theme

from mailtui.mime.render import Palette

DEFAULT_THEME = "mailtui-dark"
SIXTEEN_COLOUR_THEME = "mailtui-16"

# The base colours a theme may set (Textual's Theme fields).
_COLOR_KEYS = frozenset(
    {
        "primary",
        "secondary",
        "accent",
        "warning",
        "error",
        "success",
        "foreground",
        "background",
        "surface",
        "panel",
        "boost",
    }
)
# Mail variables ([mail] table → $mail-NAME); all colours.
MAIL_KEYS = (
    "unread",
    "read",
    "flagged",
    "answered",
    "attachment",
    "date",
    "selected-background",
    "match-background",
    "quote-1",
    "quote-2",
    "quote-3",
    "quote-4",
    "signature",
    "link",
    "header",
    "banner-background",
)
_TEXT_STYLES = frozenset(
    {
        "none",
        "bold",
        "b",
        "dim",
        "d",
        "italic",
        "i",
        "underline",
        "u",
        "reverse",
        "r",
        "strike",
        "s",
    }
)
_TOP_KEYS = frozenset({"name", "dark", "ansi", "colors", "mail", "variables"})


class ThemeError(ValueError):
    """A theme file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class LoadedThemes:
    """Every theme found, and one sentence per file that was refused."""

    themes: dict[str, Theme]
    problems: list[str]


def _check_color(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeError(f'{where}: must be a colour string like "#1b1d23" or "ansi_red"')
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{where}: {value!r} is not a colour") from None
    return value


def _check_style(where: str, value: object) -> str:
    words = value.split() if isinstance(value, str) else None
    if not words or any(w.lower().removeprefix("not") not in _TEXT_STYLES for w in words):
        raise ThemeError(f'{where}: must be a text style such as "bold" or "reverse"')
    return str(value)


def _table(label: str, data: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ThemeError(f"{label}: [{key}] must be a table")
    return value


def theme_from_toml(text: str, label: str, default_name: str = "") -> Theme:
    """One theme file's text as a Textual Theme (raises ThemeError naming the key)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{label}: invalid TOML: {exc}") from None
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ThemeError(f"{label}: unknown key {sorted(unknown)[0]!r} (themes hold colours only)")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{label}: name must be a non-empty string")
    for flag in ("dark", "ansi"):
        if not isinstance(data.get(flag, False), bool):
            raise ThemeError(f"{label}: {flag} must be true or false")
    colors = _table(label, data, "colors")
    bad = set(colors) - _COLOR_KEYS
    if bad:
        raise ThemeError(f"{label}: [colors] has unknown key {sorted(bad)[0]!r}")
    checked = {k: _check_color(f"{label}: colors.{k}", v) for k, v in colors.items()}
    if "primary" not in checked:
        raise ThemeError(f"{label}: colors.primary is required")
    variables: dict[str, str] = {}
    for key, value in _table(label, data, "mail").items():
        if key not in MAIL_KEYS:
            raise ThemeError(f"{label}: [mail] has unknown key {key!r}")
        variables[f"mail-{key}"] = _check_color(f"{label}: mail.{key}", value)
    for key, value in _table(label, data, "variables").items():
        where = f"{label}: variables.{key}"
        if key.endswith("text-style"):
            variables[key] = _check_style(where, value)
        else:
            variables[key] = _check_color(where, value)
    return Theme(
        name=name.strip(),
        dark=bool(data.get("dark", True)),
        ansi=bool(data.get("ansi", False)),
        variables=variables,
        **checked,  # type: ignore[arg-type]
    )


def theme_dirs(user_dir: Path | None) -> list[Path]:
    """Where themes are looked up, lowest precedence first."""
    package = Path(__file__).resolve().parent.parent
    dirs = [package / "themes", package.parent / "themes"]
    if user_dir is not None:
        dirs.append(Path(user_dir).expanduser())
    return dirs


def load_themes(dirs: Iterable[Path]) -> LoadedThemes:
    """All `*.toml` themes in `dirs`; a later directory's theme replaces an earlier one."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for directory in dirs:
        try:
            files = sorted(directory.glob("*.toml")) if directory.is_dir() else []
        except OSError:
            continue
        for path in files:
            try:
                theme = theme_from_toml(path.read_text("utf-8"), str(path), path.stem)
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{path}: cannot read the theme: {exc}")
                continue
            except ThemeError as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    return LoadedThemes(themes, problems)


def mail_defaults(theme: Theme) -> dict[str, str]:
    """$mail-* values for themes that do not set them (Textual's built-ins, partial files)."""
    if theme.ansi:
        fg, muted = "ansi_default", "ansi_bright_black"
    elif theme.dark:
        fg, muted = "#e8e8e8", "#8a8a8a"
    else:
        fg, muted = "#101010", "#6a6a6a"
    primary = theme.primary
    secondary = theme.secondary or primary
    accent = theme.accent or primary
    error = theme.error or ("ansi_red" if theme.ansi else "#d75f5f")
    success = theme.success or secondary
    defaults = {
        "mail-unread": fg,
        "mail-read": theme.foreground or fg,
        "mail-flagged": error,
        "mail-answered": secondary,
        "mail-attachment": accent,
        "mail-date": muted,
        "mail-selected-background": "ansi_blue" if theme.ansi else f"{primary} 30%",
        "mail-match-background": "ansi_yellow" if theme.ansi else f"{accent} 30%",
        "mail-quote-1": primary,
        "mail-quote-2": success,
        "mail-quote-3": accent,
        "mail-quote-4": secondary,
        "mail-signature": muted,
        "mail-link": primary,
        "mail-header": muted,
        "mail-banner-background": error,
    }
    if theme.ansi:
        # Textual's ANSI colour system leaves these out, but its widgets refer to them.
        defaults["ansi-background"] = "ansi_default"
        defaults["ansi-foreground"] = "ansi_default"
    return defaults


def rich_color(value: str) -> str:
    """A theme colour as a Rich style string ("#6a9fd8", or "color(6)" for ansi_cyan)."""
    try:
        color = Color.parse(value.split()[0])
    except (ColorParseError, IndexError):
        return ""
    if color.ansi == -1:
        return ""
    return str(Style(color=color.rich_color))


def reader_palette(variables: Mapping[str, str]) -> Palette:
    """The reader's Rich styles, taken from the active theme's mail variables."""

    def get(name: str) -> str:
        return rich_color(variables.get(name, ""))

    quotes = tuple(get(f"mail-quote-{i}") or "" for i in range(1, 5))
    signature = get("mail-signature")
    header = get("mail-header")
    return Palette(
        quote=quotes if any(quotes) else Palette().quote,
        signature=f"{signature} italic" if signature else "dim",
        header_name=f"bold {header}".strip(),
        header_value="",
        subject="bold",
        link=f"underline {get('mail-link')}".strip(),
        dim=f"{get('mail-signature')} italic".strip() if signature else "dim",
        fold=f"italic {signature}".strip() if signature else "dim italic",
        attachment=get("mail-attachment") or "cyan",
    )
