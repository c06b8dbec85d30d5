"""Reading one TOML table: typed getters whose every error names the file and the key.

A config error is the first thing a new user meets, so each one says where (file,
dotted key), what is wrong and what is allowed. Unknown keys are refused up front
(typos must not be silently ignored), and a key left out takes the default written
in the settings dataclass the table is read into (model.py).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

from mailtui.config.model import file_default, file_keys
from mailtui.errors import ConfigError

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _FromModel:
    """The default of a getter's `default`: take the one the model's dataclass gives."""

    def __repr__(self) -> str:
        return "FROM_MODEL"


FROM_MODEL: Final = _FromModel()


def dotted_key(prefix: str, key: str) -> str:
    """Append `key` to a dotted TOML path, quoting it when it is not a bare key."""
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{prefix}.{part}" if prefix else part


def type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, os.PathLike):
        return "a path"
    return f"a {type(value).__name__}"


def show(value: str, limit: int = 40) -> str:
    """A short, quoted rendering of a user value for an error message."""
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _choices(values: Sequence[str]) -> str:
    return ", ".join(json.dumps(v) for v in values)


@dataclass(frozen=True)
class Source:
    """Where the data came from: names the file in errors and anchors relative paths."""

    label: str
    base: Path | None

    def fail(self, key: str, problem: str, hint: str = "") -> NoReturn:
        where = f"{self.label}: {key}" if key else self.label
        raise ConfigError(f"{where}: {problem}", hint=hint)


class Reader:
    """One table read into `model`: unknown keys are refused up front, then typed getters
    whose left-out keys take the model's default (or are required when it has none)."""

    def __init__(self, src: Source, key: str, data: object, model: type) -> None:
        if not isinstance(data, Mapping):
            src.fail(key, f"must be a table, not {type_name(data)}")
        self.src = src
        self.key = key
        self.model = model
        self.data: Mapping[Any, Any] = data
        allowed = file_keys(model)
        for k in data:
            if not isinstance(k, str):
                src.fail(key, f"keys must be strings, not {type_name(k)}")
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1, cutoff=0.6)
                if not close:
                    close = [a for a in allowed if a.lower() == k.lower()]
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                src.fail(
                    dotted_key(key, k),
                    f"unknown key{guess}; allowed here: {', '.join(allowed)}",
                )

    def at(self, name: str) -> str:
        return dotted_key(self.key, name)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str) -> object:
        return self.data.get(name)

    def table(self, name: str) -> object | None:
        return self.data.get(name)

    def default(self, name: str) -> Any:
        """What the model says a left-out `name` means."""
        return file_default(self.model, name)

    def _value(self, name: str, default: Any) -> Any:
        """The file's value, else `default` (FROM_MODEL: the model's; none: required)."""
        if name in self.data:
            return self.data[name]
        if default is FROM_MODEL:
            default = self.default(name)
        if default is dataclasses.MISSING:
            self.src.fail(self.at(name), "is required but missing")
        return default

    def text(
        self,
        name: str,
        default: Any = FROM_MODEL,
        *,
        multiline: bool = False,
        choices: Sequence[str] | None = None,
        allow_empty: bool = False,
    ) -> Any:
        """A non-empty string (or the default when absent); `choices` are case-insensitive."""
        if name not in self.data:
            return self._value(name, default)
        value = self.data[name]
        if not isinstance(value, str):
            self.src.fail(self.at(name), f"must be a string, not {type_name(value)}")
        check_text(self.src, self.at(name), value, multiline=multiline)
        if choices is not None:
            lowered = value.strip().lower()
            if lowered not in choices:
                close = difflib.get_close_matches(lowered, choices, n=1)
                guess = f" (did you mean {json.dumps(close[0])}?)" if close else ""
                self.src.fail(
                    self.at(name),
                    f"{show(value)} is not allowed{guess}; use one of {_choices(choices)}",
                )
            return lowered
        if not value.strip() and not allow_empty:
            self.src.fail(self.at(name), "must not be empty")
        return value

    def boolean(self, name: str, default: Any = FROM_MODEL) -> bool:
        value = self._value(name, default)
        if not isinstance(value, bool):
            self.src.fail(self.at(name), f"must be true or false, not {type_name(value)}")
        return value

    def integer(self, name: str, lo: int, hi: int, *, default: Any = FROM_MODEL) -> int:
        value = self._value(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.src.fail(self.at(name), f"must be an integer, not {type_name(value)}")
        if not lo <= value <= hi:
            self.src.fail(self.at(name), f"{value} is out of range; allowed: {lo} to {hi}")
        return value

    def number(
        self,
        name: str,
        lo: float,
        hi: float,
        *,
        lo_open: bool = False,
        default: Any = FROM_MODEL,
    ) -> float:
        value = self._value(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.src.fail(self.at(name), f"must be a number, not {type_name(value)}")
        number = float(value)
        if not math.isfinite(number):
            self.src.fail(self.at(name), "must be a finite number")
        if number > hi or number < lo or (lo_open and number == lo):
            low = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
            self.src.fail(
                self.at(name), f"{number:g} is out of range; allowed: {low}, at most {hi:g}"
            )
        return number

    def path(self, name: str, default: Any = FROM_MODEL) -> Path | None:
        """A path: `~` expanded, relative paths taken from the config file's directory."""
        if name not in self.data:
            return self._value(name, default)
        value = self.data[name]
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            self.src.fail(self.at(name), f"must be a path string, not {type_name(value)}")
        check_text(self.src, self.at(name), value)
        if not value.strip():
            self.src.fail(self.at(name), "must not be empty")
        try:
            path = Path(value).expanduser()
        except RuntimeError:
            self.src.fail(self.at(name), f"cannot expand {show(value)}: unknown user or no home")
        if not path.is_absolute() and self.src.base is not None:
            path = self.src.base / path
        return path


def check_text(src: Source, key: str, value: str, *, multiline: bool = False) -> None:
    """Refuse text that cannot be valid here: lone surrogates, NUL, terminal controls."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        src.fail(key, "is not valid text (contains lone surrogate characters)")
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL
    bad = pattern.search(value)
    if bad:
        what = (
            "line breaks"
            if bad.group() in "\r\n"
            else f"control character U+{ord(bad.group()):04X}"
        )
        src.fail(key, f"must not contain {what}")
