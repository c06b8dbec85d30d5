"""`mailtui --demo`: the real app on a generated local mailbox, no server needed.

The demo Maildir lives in mailtui's data dir and is kept between runs (so triage done
in the demo stays done); `prepare_demo(reset=True)` makes it anew. It is written into
a temporary directory first and renamed into place, so an interrupted generation
never leaves half a mailbox behind.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from mailtui.config import paths
from mailtui.config.load import make_settings
from mailtui.config.model import Settings
from mailtui.context import AppContext
from mailtui.demo import content
from mailtui.demo.corpus import ME, SIGNATURE
from mailtui.maildir.uidmap import UidMap
from mailtui.maildir.uidmap import default_path as uid_db_path

DEMO_ACCOUNT = "demo"
MARKER = "mailtui-demo"
# Bump when the generator changes, so an old demo mailbox is replaced by the new one.
VERSION = "1"

__all__ = [
    "DEMO_ACCOUNT",
    "demo_cache_dir",
    "demo_context",
    "demo_root",
    "demo_settings",
    "prepare_demo",
]


def demo_root() -> Path:
    """Where the demo Maildir lives: `<data dir>/demo`."""
    return paths.data_dir() / "demo"


def _current(root: Path) -> bool:
    try:
        return (root / MARKER).read_text("utf-8").strip() == VERSION
    except OSError:
        return False


def prepare_demo(reset: bool = False, *, seed: int = 0) -> Path:
    """The demo Maildir root, generated on first use, on `reset`, or after an upgrade."""
    root = demo_root()
    if not reset and _current(root):
        return root
    parent = paths.ensure_private_dir(root.parent)
    staging = parent / f".demo-new-{os.getpid()}-{time.monotonic_ns()}"
    staging.mkdir(mode=0o700)
    try:
        content.write(staging, seed=seed)
        (staging / MARKER).write_text(VERSION + "\n", "utf-8")
        old = None
        if root.exists():
            old = parent / f".demo-old-{os.getpid()}-{time.monotonic_ns()}"
            os.rename(root, old)
        os.rename(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    _forget_uids()
    return root


def _forget_uids() -> None:
    """A new demo tree: drop the old UIDs (the counter stays, so UIDVALIDITY changes)."""
    path = uid_db_path(DEMO_ACCOUNT)
    if not path.exists():
        return
    db = UidMap(path)
    try:
        db.forget_all()
    finally:
        db.close()


def demo_settings(root: Path) -> Settings:
    """One account, "demo", reading the demo Maildir; UI settings at their defaults."""
    return make_settings(
        {
            DEMO_ACCOUNT: {
                "email": ME.addr,
                "name": ME.name,
                "signature": SIGNATURE,
                "maildir": root,
            }
        }
    )


def demo_cache_dir() -> Path:
    """The demo's header cache, apart from real accounts' (one may be called "demo" too)."""
    return paths.ensure_private_dir(paths.cache_dir() / "demo")


def demo_context(reset: bool = False) -> AppContext:
    """Everything `mailtui --demo` needs: the prepared mailbox, its settings, its own cache.

    A reset also empties the demo's header cache, so nothing of the old mailbox shows.
    """
    root = prepare_demo(reset)
    cache = demo_cache_dir()
    if reset:
        for entry in cache.iterdir():
            if entry.is_file():
                entry.unlink()
    return AppContext(demo_settings(root), cache_dir=cache)
