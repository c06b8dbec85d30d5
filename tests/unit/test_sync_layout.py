"""sync/ keeps its shape (issue 13): one registry of operations, no adapter imports,
no import cycle between its modules.

Checked on the modules' own import statements (AST, lazy and TYPE_CHECKING imports
included) and on the registry the service really dispatches with.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from mailtui.sync import commands, ops
from mailtui.sync.ops.base import Operation
from mailtui.sync.request import Action, Command

SYNC = Path(__file__).resolve().parents[2] / "mailtui" / "sync"


def _dotted(path: Path) -> str:
    rel = path.relative_to(SYNC.parents[1]).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every mailtui module `path` imports (a `from pkg import mod` names `pkg.mod`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("mailtui", "imapclient")}


def _sync_modules() -> dict[str, set[str]]:
    return {
        _dotted(p): _imports(p) for p in sorted(SYNC.rglob("*.py")) if "__pycache__" not in p.parts
    }


def test_sync_imports_no_adapter() -> None:
    """A Maildir account runs sync without the IMAP stack: sync names neither adapter."""
    offending = {
        module: sorted(i for i in imported if i.startswith(("mailtui.imap", "mailtui.maildir")))
        for module, imported in _sync_modules().items()
    }
    offending |= {
        module: sorted(i for i in imported if i.startswith("imapclient"))
        for module, imported in _sync_modules().items()
        if any(i.startswith("imapclient") for i in imported)
    }
    assert not {m: i for m, i in offending.items() if i}


def test_no_import_cycle_inside_sync() -> None:
    modules = _sync_modules()
    graph = {
        name: {m for m in imported if m in modules and m != name}
        for name, imported in modules.items()
    }
    # A package's __init__ runs before its submodules: "ops" → "ops.flags" is no cycle
    # as long as no submodule imports its package back.
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def test_every_write_command_has_one_operation() -> None:
    """Each command that changes the store is applied by exactly one registered op, and
    every command sync/commands.py offers is either such a command or a read/control one."""
    exported = [getattr(commands, n) for n in commands.__all__]
    writes = [c for c in exported if isinstance(c, type) and c in ops.BY_COMMAND]
    owners = [op for op in ops.OPERATIONS for _ in op.commands]
    assert len(owners) == len(ops.BY_COMMAND), "a command is claimed by two operations"
    for klass in exported:
        if klass in (Command, Action) or not dataclasses.is_dataclass(klass):
            continue
        if issubclass(klass, Action):
            assert klass in ops.BY_COMMAND, f"{klass.__name__} changes messages but has no op"
    assert {c.__name__ for c in writes} >= {
        "SetFlags",
        "MoveMessages",
        "CopyMessages",
        "DeleteMessages",
        "ArchiveMessages",
        "ExpungeMessages",
        "AppendMessage",
        "CreateFolder",
        "RenameFolder",
        "DeleteFolder",
        "SubscribeFolder",
    }


def test_every_journal_kind_has_a_sender() -> None:
    """A row the journal may hold (after a crash, from an older run) is sent by its op."""
    kinds = [op.kind for op in ops.OPERATIONS if op.kind]
    assert len(kinds) == len(set(kinds)), "two operations share a journal kind"
    for kind in kinds:
        assert type(ops.for_kind(kind)).send is not Operation.send, kind
    # The kinds earlier versions wrote stay readable.
    assert set(kinds) >= {
        "flags",
        "move",
        "copy",
        "expunge",
        "append",
        "create",
        "rename",
        "delete_folder",
        "subscribe",
    }
