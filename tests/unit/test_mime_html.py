"""HTML to inert text (mailtui.mime.html)."""

from __future__ import annotations

import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.mime.html import html_to_text, link_is_safe


def _no_controls(s: str) -> bool:
    return not any(unicodedata.category(ch) == "Cc" for ch in s.replace("\n", ""))


def test_links_are_numbered_inline_and_listed() -> None:
    text, links = html_to_text(
        '<p>See <a href="https://e.example/a?x=1&amp;y=2">the page</a> and '
        '<a href="mailto:me@e.example">mail me</a>, '
        '<a href="https://e.example/a?x=1&y=2">again</a>.</p>'
    )
    assert "the page[1]" in text and "mail me[2]" in text and "again[1]" in text
    assert text.endswith("[1] https://e.example/a?x=1&y=2\n[2] mailto:me@e.example")
    assert links == ["https://e.example/a?x=1&y=2", "mailto:me@e.example"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\nscript:alert(1)",
        "java&#x09;script:alert(1)",
        "  javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "relative/path",
    ],
)
def test_dangerous_links_are_listed_but_inert(href: str) -> None:
    text, links = html_to_text(f'<a href="{href}">click</a>')
    assert "click[1]" in text
    assert links == [""]
    assert "(inert: not opened)" in text.splitlines()[-1]


def test_fragment_links_are_not_numbered() -> None:
    text, links = html_to_text('<a href="#top">top</a>')
    assert text == "top" and links == []


def test_images_are_alt_text_and_never_urls() -> None:
    text, links = html_to_text(
        '<img src="https://track.example/p.gif" width="1" height="1">'
        '<img src="https://cdn.example/logo.png" alt="Logo">'
        '<img src="cid:abc">'
    )
    assert "[image: Logo]" in text and "[image]" in text
    assert "track.example" not in text and "cdn.example" not in text
    assert links == []


def test_scripts_styles_frames_and_head_are_dropped() -> None:
    text, _ = html_to_text(
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>alert('x')</script><p>visible</p>"
        "<iframe src='https://e.example'>frame text</iframe><svg><text>svg</text></svg>"
        "<!--[if mso]>outlook only<![endif]--></body></html>"
    )
    assert text == "visible"


def test_unclosed_head_still_shows_body() -> None:
    text, _ = html_to_text("<head><title>t</title><body><p>shown</p>")
    assert text == "shown"


def test_character_references_to_controls_never_come_out_raw() -> None:
    text, _ = html_to_text("<p>&#27;[2J &#x1b;]52;c;eA==&#7; &#155;31m &#x202e;txt</p>")
    assert _no_controls(text)
    assert "\u202e" not in text


def test_raw_control_bytes_in_html_become_visible() -> None:
    text, _ = html_to_text("<p>\x1b[31mred\x9b</p>")
    assert "␛[31mred" in text and "\x9b" not in text


def test_no_markdown_escaping_and_tables_as_rows() -> None:
    text, _ = html_to_text(
        "<p>1. not a list * star _under_ [x]</p>"
        "<table><tr><td>A</td><td>B</td></tr><tr><td>C</td><td>D</td></tr></table>"
    )
    assert "1. not a list * star _under_ [x]" in text
    assert "A B" in text and "C D" in text
    assert "\\" not in text


def test_blockquotes_become_quote_markers() -> None:
    text, _ = html_to_text("<blockquote>outer<blockquote>inner</blockquote></blockquote>")
    assert "> outer" in text and ">> inner" in text


def test_width_wraps() -> None:
    text, _ = html_to_text("<p>" + "word " * 50 + "</p>", width=40)
    assert max(len(line) for line in text.splitlines()) <= 40


@pytest.mark.parametrize(
    "tag",
    [
        "div",
        "blockquote",
        "ul><li",
        "ol><li",
        "table><tr><td",
        "pre",
        "b",
        "a href='https://x.example'",
    ],
)
def test_ten_thousand_nested_elements(tag: str) -> None:
    started = time.perf_counter()
    text, _ = html_to_text(f"<{tag}>" * 10_000 + "deep")
    assert "deep" in text
    assert len(text) < 100_000
    assert time.perf_counter() - started < 5


def test_link_is_safe() -> None:
    assert link_is_safe("https://x") and link_is_safe("MAILTO:a@b")
    assert not link_is_safe("javascript:x") and not link_is_safe("//x") and not link_is_safe("")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=10),
            st.sampled_from(
                [
                    "<a href='javascript:x'>",
                    "<a href='https://x'>",
                    "</a>",
                    "<p>",
                    "</p>",
                    "<ul>",
                    "<li>",
                    "<table>",
                    "<td>",
                    "<script>",
                    "</script>",
                    "<img alt='\x1b'>",
                    "&#27;",
                    "&#x9b;",
                    "<blockquote>",
                    "<pre>",
                    "</pre>",
                    "<!--",
                    "-->",
                    "<",
                    ">",
                    "&",
                ]
            ),
        ),
        max_size=30,
    )
)
def test_random_html_is_always_inert_text(parts: list[str]) -> None:
    text, links = html_to_text("".join(parts))
    assert _no_controls(text)
    assert all(link == "" or link_is_safe(link) for link in links)


@pytest.mark.parametrize(
    "html",
    [
        "<p>&#" + "9" * 5000 + ";</p>",
        "<p>&#x" + "f" * 5000 + "</p>",
        '<a href="https://x.example/&#' + "1" * 5000 + ';">x</a>',
        "<![x[ ]]><p>&#" + "9" * 5000 + ";</p>",
    ],
)
def test_a_huge_character_reference_is_a_replacement_character(html: str) -> None:
    """html.unescape int()s the digits: past 4,300 of them Python raises ValueError."""
    text, _ = html_to_text(html)
    assert "\ufffd" in text or "x[1]" in text


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("before<!-- never closed <p>hidden</p>", "before"),
        ("before<a href='x' title=\"never closed>hidden", "before"),
        ("a < b and c<d", "a < b and c"),
        ("<p>x</p><script>never closed <p>hidden", "x"),
        ("<STYLE>p{}</Style >shown", "shown"),
        ("<textarea><b>literal</b></textarea>", "<b>literal</b>"),
        ("one<br/>two", "one\ntwo"),
        ("x<!-->y<!--->z", "xyz"),
        ("<?php echo 1 ?>after</>", "after"),
    ],
)
def test_html5_tokenizing_of_broken_markup(html: str, shown: str) -> None:
    text, _ = html_to_text(html)
    assert text == shown
