"""Completion (mailtui.compose.complete) and compose's import hygiene."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.compose.complete import AddressBook, complete_address, complete_path
from mailtui.model import Address

BOOK = AddressBook(
    [
        Address("Alice Ångström", "alice@a.example"),
        '"Bob, Jr." <bob@b.example>',
        Address("", "bob.other@b.example"),
        Address("Alice Duplicate", "ALICE@a.example"),
        "not an address",
    ]
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("al", "Alice Ångström <alice@a.example>"),
        ("AL", "Alice Ångström <alice@a.example>"),
        ("alice@", "alice@a.example"),
        ('"bo', '"Bob, Jr." <bob@b.example>'),
        # A name that needs quotes cannot extend "bo": the address does.
        ("bo", "bob@b.example"),
        ("bob.o", "bob.other@b.example"),
        ("x@y.example, al", "x@y.example, Alice Ångström <alice@a.example>"),
        ("x@y.example,al", "x@y.example,Alice Ångström <alice@a.example>"),
        ("x@y.example,  ", None),
        ("zed", None),
        ("", None),
        ("alice@a.example", None),
    ],
)
def test_complete_address(value: str, expected: str | None) -> None:
    assert complete_address(value, BOOK) == expected


def test_address_book_dedupes() -> None:
    assert len(BOOK) == 3


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_address_suggestion_always_extends_what_is_typed(value: str) -> None:
    suggestion = complete_address(value, BOOK)
    if suggestion is not None:
        assert len(suggestion) > len(value)
        assert suggestion[: len(value)].casefold() == value.casefold()


def test_complete_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "report-2024.pdf").write_bytes(b"x")
    (tmp_path / "report-2025.pdf").write_bytes(b"x")
    (tmp_path / "photos").mkdir()
    (tmp_path / ".hidden").write_bytes(b"x")
    base = f"{tmp_path}/"
    assert complete_path(base + "ph") == base + "photos/"
    assert complete_path(base + "rep") == base + "report-202"
    assert complete_path(base + "report-202") == base + "report-2024.pdf"
    assert complete_path(base + "report-2025.pdf") is None
    assert complete_path(base + ".h") == base + ".hidden"
    assert complete_path(base + "nothing") is None
    assert complete_path(f"{tmp_path}/missing-dir/x") is None
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_path("~/pho") == "~/photos/"
    monkeypatch.chdir(tmp_path)
    assert complete_path("pho") == "photos/"
    assert complete_path("") is None


def test_compose_imports_no_other_layer() -> None:
    """DESIGN.md §1: compose uses model, config, errors and the stdlib only."""
    code = (
        "import sys, mailtui.compose, mailtui.compose.flow, mailtui.compose.complete\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[:2] in "
        "(['mailtui','ui'],['mailtui','sync'],['mailtui','imap'],['mailtui','cache'],"
        "['mailtui','mime'],['mailtui','maildir']) or m.split('.')[0] in "
        "('textual','imapclient','html2text'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
