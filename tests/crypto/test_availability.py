"""Without gpg, OpenPGP is "off" with one sentence saying how to install it; nothing
else breaks. And the package stays in its layer."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.crypto import CryptoError, Engine, availability

ROOT = Path(__file__).resolve().parents[2]


def test_on_here() -> None:
    state = availability()
    assert state.on and state.state == "on"
    assert state.version.startswith("2.")


def test_missing_gpg_is_off_with_an_install_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no gpg anywhere
    state = availability()
    assert not state.on and state.state == "off"
    assert state.sentence == (
        "OpenPGP is off: gpg was not found — install GnuPG: sudo apt-get install gnupg "
        "(macOS: brew install gnupg)"
    )
    with pytest.raises(CryptoError) as caught:
        Engine()
    assert str(caught.value) == state.sentence


def test_gpg_1_is_off(tmp_path: Path) -> None:
    fake = tmp_path / "gpg"
    fake.write_text("#!/bin/sh\necho 'gpg (GnuPG) 1.4.23'\n")
    fake.chmod(0o755)
    state = availability(str(fake))
    assert not state.on and "2.1 or newer" in state.sentence


def test_the_app_imports_and_reads_mail_without_gpg(tmp_path: Path) -> None:
    code = (
        "import mailtui.crypto as c, mailtui.cli, mailtui.mime.parse as p\n"
        "print(c.availability().state)\n"
        "print(p.parse_message(b'Subject: hi\\r\\n\\r\\nbody').subject)\n"
    )
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["off", "hi"]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_crypto_stays_in_its_layer() -> None:
    allowed = (
        "mailtui.crypto",
        "mailtui.text.safe",
        "mailtui.text.charset",
        "mailtui.text.encoded_words",
        "mailtui.model",
        "mailtui.errors",
    )
    for path in sorted((ROOT / "mailtui" / "crypto").glob("*.py")):
        bad = {m for m in _imports(path) if m.startswith("mailtui") and not m.startswith(allowed)}
        assert not bad, f"{path.name} imports {bad}"
    # Only mailtui.crypto drives gpg.
    for path in (ROOT / "mailtui").rglob("*.py"):
        if "crypto" not in path.parts:
            assert "gnupg" not in _imports(path), path
