"""An account's new-mail notification keys (issue 19 item 5): `notify`,
`new_mail_command`, `quiet_hours`, `notify_folders`.

Read here so a mistake names its key and says what to write; what they mean is in
config/model.py (`AccountSettings`), what is done with them in usecase/notify.py.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from mailtui.config.reader import Reader, check_text, dotted_key, show, type_name

__all__ = ["METHODS", "notify_keys"]

METHODS = ("bell", "osc9", "osc777", "command")
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d|24:00"
_QUIET = re.compile(rf"\s*(?:{_CLOCK})\s*-\s*(?:{_CLOCK})\s*")


def notify_keys(r: Reader) -> dict[str, Any]:
    """The four keys of an account table, checked, as AccountSettings fields."""
    methods = _methods(r)
    command = r.text("new_mail_command", allow_empty=True).strip()
    if command:
        try:
            words = shlex.split(command)
        except ValueError as exc:
            r.src.fail(r.at("new_mail_command"), f"cannot be split into words: {exc}")
        if not words:
            r.src.fail(r.at("new_mail_command"), "names no program")
    if "command" in methods and not command:
        r.src.fail(
            r.at("notify"),
            '"command" needs new_mail_command',
            hint='e.g. new_mail_command = "notify-send-mail"',
        )
    quiet = r.text("quiet_hours", allow_empty=True).strip()
    if quiet and not _QUIET.fullmatch(quiet):
        r.src.fail(
            r.at("quiet_hours"),
            f"{show(quiet)} is not a time range",
            hint='write it like quiet_hours = "22:00-07:00" (local time)',
        )
    return {
        "notify": methods,
        "new_mail_command": command,
        "quiet_hours": quiet,
        "notify_folders": _folders(r),
    }


def _methods(r: Reader) -> tuple[str, ...]:
    if not r.has("notify"):
        return tuple(r.default("notify"))
    raw = r.raw("notify")
    if not isinstance(raw, list):
        r.src.fail(
            r.at("notify"),
            f"must be an array of strings, not {type_name(raw)}",
            hint='e.g. notify = ["bell", "osc9"]',
        )
    out: list[str] = []
    for i, item in enumerate(raw):
        name = item.strip().lower() if isinstance(item, str) else None
        if name not in METHODS:
            shown = show(item) if isinstance(item, str) else type_name(item)
            r.src.fail(
                f"{r.at('notify')}[{i}]",
                f"{shown} is not a way to notify; use any of {', '.join(METHODS)}",
            )
        if name not in out:
            out.append(name)
    return tuple(out)


def _folders(r: Reader) -> dict[str, bool]:
    if not r.has("notify_folders"):
        return dict(r.default("notify_folders"))
    raw = r.raw("notify_folders")
    if not isinstance(raw, Mapping):
        r.src.fail(
            r.at("notify_folders"),
            f"must be a table of folder = true/false, not {type_name(raw)}",
            hint='e.g. notify_folders = { INBOX = true, "Lists/rust" = true }',
        )
    out: dict[str, bool] = {}
    for name, on in raw.items():
        where = dotted_key(r.at("notify_folders"), str(name))
        check_text(r.src, where, str(name))
        if not isinstance(on, bool):
            r.src.fail(where, f"must be true or false, not {type_name(on)}")
        out[str(name)] = on
    return out
