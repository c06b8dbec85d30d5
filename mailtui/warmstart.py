"""Start-up: the methods `@dataclass` generates, compiled once and kept across runs.

Python's dataclasses write each class's __init__, __repr__, __eq__, __hash__ (and
__setattr__ for frozen ones) as source text and compile it with `exec` every time the
module is imported: ~150 dataclasses reach the app's first screen, and compiling
their methods was half of mailtui's own import time (0.19 s of 0.47 s CPU on the
project's 2-core machines; issue 17). Bytecode files do not help: the text is made at
run time. So the `exec` the dataclasses module calls is replaced by one that looks
the text up in a table of code objects, loaded from the cache directory at start and
written back when a run compiled new ones. The code run is the code `compile` gives
for the same text; a table that cannot be read, belongs to someone else, or was made
by another Python is ignored (and rewritten).

`install()` runs when the `mailtui` package is imported; `save()` at exit (and in
main.leave_now, which skips the interpreter's exit handlers).
"""

from __future__ import annotations

import atexit
import builtins
import marshal
import os
import sys
import threading
from pathlib import Path
from types import CodeType
from typing import Any

from mailtui.fileio import atomic_write

__all__ = ["install", "release", "save"]

_table: dict[str, CodeType] = {}
_used: set[str] = set()  # the texts this run compiled or looked up: what save() keeps
_new = 0
_lock = threading.Lock()
_path = ""


def _cache_file() -> str:
    """$XDG_CACHE_HOME/mailtui (~/.cache/mailtui), named for this Python build."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"{sys.implementation.cache_tag}-{sys.hexversion:x}"
    return os.path.join(base, "mailtui", f"dataclasses-{tag}.marshal")


def _load(path: str) -> dict[str, CodeType]:
    """The stored table, or {} when it is missing, unreadable or not safely ours."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            # Code from this file runs: only a file of ours that nobody else may write.
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return {}
            data = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, CodeType)}


def _exec(source: Any, globals_: Any = None, locals_: Any = None, /) -> None:
    """`exec` for the dataclasses module: source text compiled once, ever."""
    global _new
    if isinstance(source, str) and _path:
        code = _table.get(source)
        if code is None:
            code = compile(source, "<string>", "exec")
            with _lock:
                _table[source] = code
                _new += 1
        _used.add(source)
        source = code
    builtins.exec(source, globals_, locals_)


def install() -> None:
    """Load the table and give the dataclasses module the caching `exec`."""
    global _path
    if _path or not hasattr(os, "getuid"):
        return
    import dataclasses

    _path = _cache_file()
    _table.update(_load(_path))
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # shadows the builtin there
    atexit.register(save)


def save() -> None:
    """Write the table if this run compiled methods it did not hold (fileio's atomic
    0600 replace). Only what this run used is kept, so the methods of an older
    mailtui (or Python library) do not pile up across upgrades."""
    global _new
    if not _path or not _new:
        return
    with _lock:
        table = {k: v for k, v in _table.items() if k in _used}
        _new = 0
    try:
        os.makedirs(os.path.dirname(_path), mode=0o700, exist_ok=True)
        atomic_write(Path(_path), marshal.dumps(table))
    except (OSError, ValueError):
        pass  # a start-up cache: the next run compiles and tries again


def release() -> None:
    """Save, then let the table go: the app holds what it imported (the table was
    2.4 MB of a 100k folder's RSS, issue 17). Later imports compile as usual."""
    global _path
    save()
    with _lock:
        _table.clear()
        _used.clear()
        _path = ""
