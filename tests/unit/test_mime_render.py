"""Body choice, attachments, blocks, flowed text and Text rendering (mailtui.mime.render)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.mime.parse import parse_message
from mailtui.mime.render import (
    Palette,
    Paragraph,
    Quote,
    Signature,
    alternatives,
    attachments,
    body_text,
    choose_body,
    human_size,
    quote_level,
    reflow_flowed,
    render_body,
    render_headers,
    render_message,
    split_blocks,
)
from mailtui.model import Address, BodyPart, Envelope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"


def bp(section: str, mime_type: str, *children: BodyPart, **kw) -> BodyPart:
    return BodyPart(section=section, mime_type=mime_type, children=children, **kw)


# --- choosing the body --------------------------------------------------------------------

ALT = bp("", "multipart/alternative", bp("1", "text/plain"), bp("2", "text/html"))


def test_alternative_prefers_plain_or_html() -> None:
    assert choose_body(ALT).section == "1"
    assert choose_body(ALT, prefer="html").section == "2"
    html_only = bp("", "multipart/alternative", bp("1", "text/html"))
    assert choose_body(html_only).section == "1"
    plain_only = bp("", "multipart/alternative", bp("1", "text/plain"), bp("2", "text/calendar"))
    assert choose_body(plain_only, prefer="html").section == "1"


def test_related_uses_start_parameter() -> None:
    related = bp(
        "",
        "multipart/related",
        bp("1", "image/png", content_id="img"),
        bp("2", "text/html", content_id="root"),
        params=(("start", "<root>"),),
    )
    assert choose_body(related).section == "2"
    alt_with_related = bp(
        "",
        "multipart/alternative",
        bp("1", "text/plain"),
        bp("2", "multipart/related", bp("2.1", "text/html"), bp("2.2", "image/png")),
    )
    assert choose_body(alt_with_related, prefer="html").section == "2.1"
    assert [p.section for p in alternatives(alt_with_related)] == ["1", "2.1"]


def test_an_invitations_calendar_part_is_not_a_version_of_the_text() -> None:
    """Outlook's invitation: text/plain + text/calendar in one alternative. The calendar
    is shown as the invitation block; H has no other version to switch to."""
    invite = bp(
        "",
        "multipart/alternative",
        bp("1", "text/plain"),
        bp("2", "text/calendar", params=(("method", "REQUEST"),)),
    )
    assert choose_body(invite).section == "1"
    assert [p.section for p in alternatives(invite)] == ["1"]
    alone = bp("", "multipart/alternative", bp("1", "text/calendar"))
    assert [p.section for p in alternatives(alone)] == ["1"]  # nothing else to show


def test_mixed_skips_attachments_and_signed_uses_first_part() -> None:
    mixed = bp(
        "",
        "multipart/mixed",
        bp("1", "text/plain", disposition="attachment", filename="notes.txt"),
        bp("2", "application/pdf", filename="x.pdf"),
        bp("3", "text/plain"),
    )
    assert choose_body(mixed).section == "3"
    signed = bp(
        "", "multipart/signed", ALT_1 := bp("1", "text/plain"), bp("2", "application/pgp-signature")
    )
    assert choose_body(signed) is ALT_1
    assert attachments(signed) == []


def test_attachment_only_and_encrypted_have_no_body() -> None:
    assert (
        choose_body(bp("", "multipart/mixed", bp("1", "application/pdf", filename="a.pdf"))) is None
    )
    enc = bp(
        "",
        "multipart/encrypted",
        bp("1", "application/pgp-encrypted"),
        bp("2", "application/octet-stream"),
    )
    assert choose_body(enc) is None
    lone = bp("1", "text/plain", disposition="attachment", filename="a.txt")
    assert choose_body(lone) is lone


def test_forwarded_message_is_shown_when_the_outer_one_has_no_text() -> None:
    fwd = bp(
        "",
        "multipart/mixed",
        bp(
            "1",
            "message/rfc822",
            bp("1", "multipart/alternative", bp("1.1", "text/plain"), bp("1.2", "text/html")),
        ),
    )
    assert choose_body(fwd).section == "1.1"


def test_attachments_from_fixture() -> None:
    msg = parse_message((FIXTURES / "attachments.eml").read_bytes())
    atts = attachments(msg.structure)
    assert [(a.section, a.filename, a.mime_type) for a in atts] == [
        ("2", "€ rates 2026.pdf", "application/pdf"),
        ("3", "Très long nom de fichier.txt", "application/octet-stream"),
        ("4", "écran.png", "image/png"),
    ]
    assert all(a.size > 0 for a in atts)


def test_attachments_exclude_body_and_alternatives_and_name_messages() -> None:
    msg = parse_message((FIXTURES / "nested_rfc822.eml").read_bytes())
    atts = attachments(msg.structure)
    assert [(a.section, a.filename) for a in atts] == [("2", "Original.eml"), ("3", "Second.eml")]
    assert attachments(ALT) == []


def test_attachment_names_are_safe_basenames() -> None:
    root = bp(
        "",
        "multipart/mixed",
        bp("1", "text/plain"),
        bp(
            "2",
            "application/octet-stream",
            filename="../../\x1b[31m.bashrc",
            disposition="attachment",
        ),
        bp("3", "image/png"),
    )
    atts = attachments(root)
    assert [a.filename for a in atts] == ["_[31m.bashrc", "part-3.png"]


# --- blocks ---------------------------------------------------------------------------------


def test_quote_level() -> None:
    assert quote_level("> a") == 1
    assert quote_level(">> a") == 2
    assert quote_level("> > > a") == 3
    assert quote_level(" > a") == 0
    assert quote_level("a > b") == 0
    assert quote_level("-> a") == 0


def test_split_blocks() -> None:
    text = (
        "Hi,\n\nOn Monday Bob wrote:\n> one\n>> two\n>\n> three\n\nReply.\n-- \nAlice\nAlice Inc."
    )
    blocks = split_blocks(text)
    assert blocks == [
        Paragraph(("Hi,", "", "On Monday Bob wrote:")),
        Quote(1, ("> one", ">> two", ">", "> three")),
        Paragraph(("", "Reply.")),
        Signature(("-- ", "Alice", "Alice Inc.")),
    ]
    assert "\n".join(line for b in blocks for line in b.lines) == text


def test_signature_ends_at_a_following_quote_and_blank_lines_join_quotes() -> None:
    blocks = split_blocks("top post\n-- \nsig\n> quoted\n\n> more quoted")
    assert blocks[1] == Signature(("-- ", "sig"))
    assert blocks[2] == Quote(1, ("> quoted", "", "> more quoted"))


def test_bare_double_dash_is_a_signature_only_near_the_end() -> None:
    assert isinstance(split_blocks("text\n--\nme")[-1], Signature)
    assert not any(isinstance(b, Signature) for b in split_blocks("a\n--\n" + "line\n" * 40))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(["> a", ">> b", "", "text", "-- ", "--", "> > c", " >d"]), max_size=30)
)
def test_split_blocks_round_trips(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert "\n".join(line for b in split_blocks(text) for line in b.lines) == text


# --- format=flowed (RFC 3676) -----------------------------------------------------------


def test_reflow_joins_soft_breaks() -> None:
    assert reflow_flowed("one \ntwo \nthree\nfour", delsp=False) == "one two three\nfour"
    assert reflow_flowed("un \nbroken", delsp=True) == "unbroken"


def test_reflow_respects_quote_depth_and_stuffing() -> None:
    text = "> quoted \n> more\n>> deep \n>> er\n >not quote\n -- \n-- \nsig"
    assert reflow_flowed(text, delsp=False).split("\n") == [
        "> quoted more",
        ">> deep er",
        " >not quote",  # still space-stuffed, so it does not read as a quote
        "-- ",
        "-- ",
        "sig",
    ]
    assert quote_level(" >not quote") == 0


def test_reflow_depth_change_ends_paragraph() -> None:
    assert reflow_flowed("> a \nb", delsp=False) == "> a \nb"


def test_flowed_fixture() -> None:
    msg = parse_message((FIXTURES / "flowed.eml").read_bytes())
    part = choose_body(msg.structure)
    text, links = body_text(part, msg.part_bytes(part.section))
    assert links == []
    assert text.splitlines()[0] == (
        "This paragraph was written as one long line and soft-broken by the "
        "mailer into several physical lines."
    )
    assert "> Quoted text that was also flowed across two lines." in text


# --- Text rendering -------------------------------------------------------------------------

PALETTE = Palette(quote=("q1", "q2"), signature="sig", fold="fold", link="lnk")


def _styles_at(text, index: int) -> set[str]:
    return {str(s.style) for s in text.spans if s.start <= index < s.end}


def test_render_body_colours_quotes_by_level_and_dims_signature() -> None:
    body = "reply\n> one\n>> two\n>>> three\n-- \nme"
    text = render_body(body, palette=PALETTE)
    assert text.plain == body
    assert _styles_at(text, text.plain.index("> one")) == {"q1"}
    assert _styles_at(text, text.plain.index(">> two")) == {"q2"}
    assert _styles_at(text, text.plain.index(">>> three")) == {"q1"}  # colours cycle
    assert _styles_at(text, text.plain.index("me")) == {"sig"}
    assert _styles_at(text, 0) == set()


def test_render_body_folds_a_quote_block() -> None:
    body = "a\n> q1\n> q2\n>> q3\nb"
    text = render_body(body, palette=PALETTE, folded={1})
    assert text.plain == "a\n[… 3 quoted lines — press z to expand]\nb"
    assert _styles_at(text, 2) == {"fold"}
    assert render_body("a\n> q", palette=PALETTE, folded={1}, fold_hint="[@click=x]").plain == (
        "a\n[… 1 quoted line — [@click=x]]"
    )


def test_render_body_wraps_quotes_keeping_the_marker() -> None:
    text = render_body("> " + "word " * 30, palette=PALETTE, width=40)
    lines = text.plain.split("\n")
    assert len(lines) > 1 and all(line.startswith("> ") and len(line) <= 40 for line in lines)


def test_urls_are_tinted_not_linked() -> None:
    text = render_body("see https://e.example/x.", palette=PALETTE)
    start = text.plain.index("https")
    assert _styles_at(text, start) == {"lnk"}
    assert _styles_at(text, len(text.plain) - 1) == set()  # trailing "." is not the URL


def test_human_size() -> None:
    assert [human_size(n) for n in (0, 999, 1000, 12_345, 999_949, 999_999, 4_000_000)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "12.3 kB",
        "999.9 kB",
        "1.0 MB",
        "4.0 MB",
    ]


def test_render_headers_aligns_and_skips_empty() -> None:
    text = render_headers([("From", "a"), ("Cc", ""), ("Subject", "s")], palette=PALETTE)
    assert text.plain == "From:    a\nSubject: s"


def test_render_message_from_envelope_pieces() -> None:
    env = Envelope(
        uid=1,
        date=1767261600,
        subject="Hello",
        from_=(Address("Ann", "ann@example.com"),),
        to="bob@example.org, Carl <c@example.org>",
    )
    text = render_message(env, "Body text", [])
    plain = text.plain
    assert plain.startswith(
        "From:    Ann <ann@example.com>\nTo:      bob@example.org, Carl <c@example.org>"
    )
    assert "Subject: Hello" in plain and plain.endswith("Body text")


def test_render_message_from_parsed_fixture() -> None:
    msg = parse_message((FIXTURES / "attachments.eml").read_bytes())
    plain = render_message(msg).plain
    assert "See attached." in plain
    assert "Attachments:" in plain and "€ rates 2026.pdf  application/pdf" in plain
    html = parse_message((FIXTURES / "html_only.eml").read_bytes())
    plain = render_message(html).plain
    assert "see the deals[1]" in plain and "[1] https://shop.example/deals" in plain
    assert "alert" not in plain.split("[2]")[0]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
def test_every_fixture_renders(name: str) -> None:
    msg = parse_message((FIXTURES / name).read_bytes())
    for prefer in ("plain", "html"):
        assert render_message(msg, prefer=prefer).plain


def test_a_body_past_the_cap_is_rendered_cut_unless_whole_is_asked() -> None:
    from mailtui.mime.render import HTML_CAP, TEXT_CAP, render_part

    plain = BodyPart(section="1", mime_type="text/plain", params=(("charset", "utf-8"),))
    text = ("line of text https://e.example/x\n" * (TEXT_CAP // 33 + 100)).encode()
    cut = render_part(plain, text)
    assert cut.cut > 0 and len(cut.text) <= TEXT_CAP and cut.text.endswith("\n")
    assert len(cut.text) + cut.cut == len(text)
    assert cut.links == ["https://e.example/x"]
    whole = render_part(plain, text, whole=True)
    assert whole.cut == 0 and len(whole.text) == len(text)
    html = BodyPart(section="1", mime_type="text/html")
    doc = ("<p>para</p>\n" * (HTML_CAP // 12 + 100)).encode()
    assert render_part(html, doc).cut > 0
    assert render_part(html, b"<p>small</p>").cut == 0


def test_a_quoted_word_longer_than_the_line_is_cut_into_pieces() -> None:
    text = render_body("> " + "x" * 1000 + " tail", palette=PALETTE, width=40)
    lines = text.plain.split("\n")
    assert all(line.startswith("> ") and len(line) <= 40 for line in lines)
    assert "".join(line[2:] for line in lines).replace(" ", "") == "x" * 1000 + "tail"


def test_blank_lines_inside_a_quote_belong_to_it() -> None:
    blocks = split_blocks("> a\n\n\n> b\n\nreply")
    assert [type(b).__name__ for b in blocks] == ["Quote", "Paragraph"]
    assert blocks[0].lines == ("> a", "", "", "> b")
