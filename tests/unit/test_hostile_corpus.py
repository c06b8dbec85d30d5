"""Every hostile message parses, renders and saves safely, each in well under a second of
CPU time (the process's, not the wall clock: a loaded machine makes a render wait for a
core, which says nothing about mailtui)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from mailtui.mime import html as mime_html
from mailtui.mime import parse as mime_parse
from mailtui.mime import render
from mailtui.mime.attachments import save_attachment
from mailtui.mime.envelope import header_row
from tests.support import hostile
from tests.support.hardening import record
from tests.support.hostile import corpus

FORBIDDEN = {"\x1b", "\x07", "\x00", "\x7f"} | {chr(c) for c in range(0x80, 0xA0)}
CASES = corpus()


def _segments_safe(text: Text) -> None:
    console = Console(file=io.StringIO(), width=100, force_terminal=True, color_system="truecolor")
    for segment in console.render(text):
        assert not (set(segment.text) & FORBIDDEN), repr(segment.text[:80])
        style = segment.style
        if style is not None:
            assert not style.link, f"link leaked: {style.link}"
            assert not (style.meta and any("@" in str(v) for v in style.meta.values())), style.meta
    plain = text.plain
    assert not (set(plain) & FORBIDDEN)


@pytest.mark.parametrize(("name", "raw"), CASES, ids=[n for n, _ in CASES])
def test_hostile_message(name: str, raw: bytes, tmp_path: Path) -> None:
    start = time.process_time()
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    row = header_row(1, ("\\Seen",), 0, 0, len(raw), head)
    for value in (row.subject, row.from_name, row.from_addr, row.to):
        assert not (set(value) & FORBIDDEN)
    parsed = mime_parse.parse_message(raw)
    part = render.choose_body(parsed.structure)
    body = ""
    if part is not None:
        data = parsed.part_bytes(part.section)
        body = mime_parse.decode_part(data, "7bit", part.charset)
        if part.subtype == "html":
            body, links = mime_html.html_to_text(body)
            assert all(not link.startswith(("javascript:", "data:")) for link in links)
    attachments = render.attachments(parsed.structure)
    text = render.render_message(parsed, body, attachments)
    _segments_safe(text)
    for att in attachments:
        data = parsed.part_bytes(att.section)
        first = save_attachment(data, att.filename, tmp_path / "dl")
        second = save_attachment(data, att.filename, tmp_path / "dl")
        inside = (tmp_path / "dl").resolve()
        assert first.resolve().parent == inside and second.resolve().parent == inside
        assert first != second and first.read_bytes() == data == second.read_bytes()
    assert not (tmp_path / "etc").exists() and not Path("/etc/shadow-mailtui").exists()
    elapsed = time.process_time() - start
    assert elapsed < 1.0, f"{name} took {elapsed:.2f} s"
    record("hostile")


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_prefixes = st.sampled_from(
    [
        b"",
        b"Subject: ",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
        b"Content-Type: text/html\r\n\r\n",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=_prefixes, noise=st.binary(max_size=2000))
def test_random_bytes_parse_and_render_safely(prefix: bytes, noise: bytes) -> None:
    raw = prefix + noise
    parsed = mime_parse.parse_message(raw)
    part = render.choose_body(parsed.structure)
    body = (
        mime_parse.decode_part(parsed.part_bytes(part.section), "7bit", part.charset)
        if part
        else ""
    )
    if part is not None and part.subtype == "html":
        body, _links = mime_html.html_to_text(body)
    _segments_safe(render.render_message(parsed, body, render.attachments(parsed.structure)))


@settings(max_examples=200, deadline=None)
@given(subject=st.text(), name=st.text(), body=st.text())
def test_random_text_in_every_field_renders_safely(subject: str, name: str, body: str) -> None:
    raw = _raw(subject, name, body)
    parsed = mime_parse.parse_message(raw)
    part = render.choose_body(parsed.structure)
    text = (
        mime_parse.decode_part(parsed.part_bytes(part.section), "7bit", part.charset)
        if part
        else ""
    )
    _segments_safe(render.render_message(parsed, text, []))
    row = header_row(1, (), 0, 0, len(raw), raw.split(b"\r\n\r\n", 1)[0] + b"\r\n")
    assert not (set(row.subject + row.from_name) & FORBIDDEN)


def _raw(subject: str, name: str, body: str) -> bytes:
    enc = "utf-8"
    return (
        f"Subject: {subject}\r\nFrom: {name} <a@example.test>\r\nContent-Type: text/plain; charset={enc}\r\n\r\n{body}"
    ).encode("utf-8", "surrogatepass")


def _show(raw: bytes) -> Text:
    """What the reader does with a message: its list row, its parts, its body laid out."""
    head = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    header_row(1, (), 0, 0, len(raw), head)
    parsed = mime_parse.parse_message(raw)
    part = render.choose_body(parsed.structure)
    body = ""
    if part is not None:
        body = render.render_part(part, parsed.part_bytes(part.section), width=100).text
    return render.render_message(parsed, body, render.attachments(parsed.structure), width=100)


def test_generated_hostile_messages_render_in_under_a_second_each() -> None:
    """Every generated shape (tests/support/hostile.py) as a whole message, at 4 KB and
    40 KB: rendered inert, each in well under a second of CPU (how the cost grows with size is
    tests/unit/test_complexity.py's business)."""
    slow: dict[str, float] = {}
    count = 0
    for size in (4_000, 40_000):
        for name, raw in hostile.generated_corpus(size):
            start = time.process_time()
            text = _show(raw)
            elapsed = time.process_time() - start
            if elapsed >= 1.0:
                slow[f"{name} ({size:,} bytes)"] = round(elapsed, 2)
            if size == 4_000:
                _segments_safe(text)
            count += 1
    assert not slow, f"took a second or more: {slow}"
    assert count > 400
