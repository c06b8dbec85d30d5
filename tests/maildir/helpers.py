"""Helpers for Maildir tests: build trees, read them back, run commands."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mailtui.config.load import make_settings
from mailtui.context import AppContext
from mailtui.maildir import layout
from mailtui.maildir.names import split_name
from tests.support import mailgen


def make_tree(root: Path, folders: Mapping[str, Iterable[mailgen.GenMessage]]) -> Path:
    """A Dovecot-style Maildir++ tree (mailgen writes it the way Dovecot does)."""
    root.mkdir(parents=True, exist_ok=True)
    for folder, messages in folders.items():
        mailgen.write_maildir(root, folder, messages)
    return root


def maildir_context(root: Path, cache_dir: Path, **account: Any) -> AppContext:
    settings = make_settings({"local": {"email": "me@example.test", "maildir": root, **account}})
    return AppContext(settings, cache_dir=cache_dir)


def folder_dir(root: Path, folder: str) -> Path:
    return layout.folder_path(root, layout.MAILDIRPP, folder)


def files(root: Path, folder: str) -> dict[str, tuple[str, str]]:
    """unique name → (subdir, file name) of every message file in a folder."""
    base = folder_dir(root, folder)
    out = {}
    for sub in ("new", "cur"):
        for name in os.listdir(base / sub):
            out[split_name(name).unique] = (sub, name)
    return out


def message_ids(root: Path, folder: str) -> dict[str, str]:
    """Message-ID → file name, read from the files themselves."""
    base = folder_dir(root, folder)
    out = {}
    for sub, name in files(root, folder).values():
        head = (base / sub / name).read_bytes().split(b"\n\n", 1)[0]
        for line in head.split(b"\n"):
            if line.lower().startswith(b"message-id:"):
                out[line.split(b":", 1)[1].strip().decode()] = name
    return out


def deliver(root: Path, folder: str, raw: bytes, name: str, *, info: str | None = None) -> Path:
    """Deliver as another program does: write into tmp/, then rename into new/ (or cur/)."""
    base = folder_dir(root, folder)
    tmp = base / "tmp" / name
    tmp.write_bytes(raw)
    final = base / "new" / name if info is None else base / "cur" / f"{name}:2,{info}"
    os.rename(tmp, final)
    return final


def wait_until(
    predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll with a deadline (never a bare sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)
