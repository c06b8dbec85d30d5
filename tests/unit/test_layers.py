"""The architecture holds: ui → sync → imap/cache/maildir, mime and compose below, model/backend/errors at the bottom.

Checked on each module's own import statements (AST), so a lazy import inside a
function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "mailtui"

# package → mailtui packages it may import (besides itself, model and errors)
ALLOWED = {
    "config": set(),
    "imap": {"config"},
    "cache": set(),
    "mime": set(),
    "maildir": {"config", "mime"},
    "compose": {"config", "mime"},
    # sync turns raw header blocks into rows with mime's fast parsers (see DESIGN notes in README).
    "sync": {"config", "imap", "cache", "maildir", "mime"},
    "ui": {"config", "sync", "mime", "compose", "context", "demo"},
    "demo": {"config", "maildir", "mime", "sync", "context"},
}
THIRD_PARTY_OWNERS = {
    "imapclient": {"imap"},
    "keyring": {"config.credentials"},
    "html2text": {"mime"},
    "textual": {"ui"},
}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _dotted(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _dotted(path) if path.name == "__init__.py" else _dotted(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_respects_the_layers(path: Path) -> None:
    name = _dotted(path)
    parts = name.split(".")
    own = parts[1] if len(parts) > 1 else ""
    problems = []
    for imported in _imports(path):
        top = imported.split(".")[0]
        for lib, owners in THIRD_PARTY_OWNERS.items():
            if top == lib and not any(name.startswith(f"mailtui.{o}") for o in owners):
                problems.append(f"imports {lib} (only {', '.join(sorted(owners))} may)")
        if top != "mailtui" or len(imported.split(".")) < 2:
            continue
        target = imported.split(".")[1]
        if target in (own, "model", "errors", "backend", "text") or own not in ALLOWED:
            continue
        if target not in ALLOWED[own] and target in {*ALLOWED, "ui", "cli", "context"}:
            problems.append(f"imports mailtui.{target}")
    assert not problems, f"{name}: " + "; ".join(sorted(set(problems)))


def test_bottom_layer_imports_nothing_above_it() -> None:
    bottom = [ROOT / "model.py", ROOT / "errors.py", *sorted((ROOT / "backend").glob("*.py"))]
    bottom += sorted((ROOT / "text").glob("*.py"))
    for path in bottom:
        name = str(path.relative_to(ROOT))
        imports = _imports(path)
        above = {
            i
            for i in imports
            if i.startswith("mailtui.")
            and i.split(".")[1] not in ("model", "errors", "backend", "text")
        }
        assert not above, f"{name} imports {above}"
