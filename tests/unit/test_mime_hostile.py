"""Hostile mail end to end: whatever a stranger sends, the terminal gets only text.

Checks the rendered rich Text itself and the segments a real Console produces from it:
no ESC, BEL, CSI (U+009B) or other C0/C1 control, no hyperlink, no click/meta action,
and markup-looking text shown literally.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from mailtui.mime.html import html_to_text
from mailtui.mime.parse import parse_message
from mailtui.mime.render import Palette, attachments, render_body, render_headers, render_message
from mailtui.model import Address, Envelope
from mailtui.text.addresses import parse_addresses
from mailtui.text.encoded_words import decode_header

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"

ATTACKS = [
    "\x1b[2J\x1b[H",  # clear screen
    "\x1b]0;pwned\x07",  # window title
    "\x1b]8;;http://evil.example\x1b\\Bank\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52 clipboard write
    "\x9b31m",  # one-byte CSI
    "\x9d0;title\x9c",  # one-byte OSC / ST
    "\x07\x08\x0b\x0c\x7f",
    "\u202egnp.exe",
]
MARKUP = ["[bold]x[/]", "[link=http://e.example]click[/link]", "[@click=app.quit]quit[/]", "[/]"]


def assert_inert(text: Text) -> None:
    """The Text and what a Console would emit for it carry no controls, links or actions."""
    plain = text.plain
    for ch in plain:
        assert unicodedata.category(ch) != "Cc" or ch == "\n", repr(ch)
    assert "\u202e" not in plain
    for span in text.spans:
        style = span.style
        if not isinstance(style, str):
            assert style.link is None and not style.meta
        else:
            assert "link" not in style and "@" not in style
    console = Console(width=100, color_system="truecolor", force_terminal=True, emoji=False)
    for segment in console.render(text):
        if segment.control:
            continue
        assert "\x1b" not in segment.text and "\x07" not in segment.text
        assert not any(0x80 <= ord(ch) <= 0x9F for ch in segment.text)
        if segment.style is not None:
            assert segment.style.link is None
            assert not segment.style.meta
    plain_console = Console(width=100, color_system=None, force_terminal=False)
    with plain_console.capture() as cap:
        plain_console.print(text)
    assert "\x1b" not in cap.get()


@pytest.mark.parametrize("attack", ATTACKS + MARKUP)
def test_subject_name_body_and_filename(attack: str) -> None:
    env = Envelope(
        uid=1,
        subject=decode_header(f"Re: {attack}"),
        from_=(Address(name=attack, addr=f"x{attack}@evil.example"),),
        to=attack,
    )
    body = f"Hello {attack}\n> quoted {attack}\n-- \nsig {attack}"
    text = render_message(env, body, [])
    assert_inert(text)
    att_text = render_message(env, "x", attachments_of(attack))
    assert_inert(att_text)


def attachments_of(name: str):
    from mailtui.mime.render import attachments as list_attachments
    from mailtui.model import BodyPart

    root = BodyPart(
        section="",
        mime_type="multipart/mixed",
        children=(
            BodyPart(section="1", mime_type="text/plain"),
            BodyPart(
                section="2",
                mime_type="application/octet-stream",
                filename=name,
                disposition="attachment",
            ),
        ),
    )
    return list_attachments(root)


@pytest.mark.parametrize("markup", MARKUP)
def test_markup_is_literal_and_unstyled(markup: str) -> None:
    text = render_body(f"before {markup} after", palette=Palette(link=""))
    assert text.plain == f"before {markup} after"
    assert text.spans == []  # with URL tinting on, a URL gets a colour span, never a link
    assert_inert(render_body(f"before {markup} after", palette=Palette()))
    headers = render_headers([("Subject", markup)], palette=Palette(header_name="", subject=""))
    assert headers.plain == f"Subject: {markup}"
    assert headers.spans == []


def test_hostile_fixture_end_to_end() -> None:
    msg = parse_message((FIXTURES / "hostile.eml").read_bytes())
    assert "\x1b" not in msg.subject and "␛" in msg.subject
    assert "[@click=app.quit]quit[/]" in msg.subject
    assert msg.from_[0].name.startswith("␛]8;;")
    (att,) = attachments(msg.structure)
    assert att.filename == "_[31m.bashrc"
    for prefer in ("plain", "html"):
        text = render_message(msg, prefer=prefer)
        assert_inert(text)
        assert "[link=http://evil.example]click[/link]" in text.plain


def test_html_body_with_entities_for_controls() -> None:
    html = "<p>&#27;[2J&#x1b;]52;c;eA==&#7;&#155;31m [@click=app.quit]q[/]</p>\x1b[31m"
    text, _ = html_to_text(html)
    assert_inert(render_body(text))


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text(), st.text())
def test_random_text_anywhere_renders_inert(subject: str, name: str, body: str) -> None:
    env = Envelope(
        uid=1,
        subject=decode_header(subject),
        from_=parse_addresses(f"{name} <a@b.example>") or (Address(name, ""),),
        to=name,
    )
    assert_inert(render_message(env, body, attachments_of(name)))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_message_bytes_render_inert(raw: bytes) -> None:
    assert_inert(render_message(parse_message(b"Subject: x\r\n" + raw)))
