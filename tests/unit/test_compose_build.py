"""Building messages (mailtui.compose.build): MIME, RFC 2047, attachments, raw bytes."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.compose.build import (
    build_message,
    complete_raw,
    envelope_recipients,
    envelope_sender,
    message_bytes,
    message_id_of,
    strip_bcc,
    subject_of,
)
from mailtui.compose.draft import AttachmentData, Draft, DraftError, Original, forward_draft
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.mime.parse import parse_message
from mailtui.model import Address


def account() -> AccountSettings:
    return make_settings(
        {
            "w": {
                "email": "me@example.com",
                "name": "Mé Myself",
                "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
            }
        }
    ).account("w")


ME = Address("Mé Myself", "me@example.com")


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def text_of(part: EmailMessage) -> str:
    """A text part's content with CRLF (as it is on the wire) read as newlines."""
    return str(part.get_content()).replace("\r\n", "\n")


def build(draft: Draft, **kw: object) -> bytes:
    return message_bytes(build_message(draft, account(), **kw))  # type: ignore[arg-type]


def test_headers_are_encoded_and_read_back() -> None:
    draft = Draft(
        from_=ME,
        to=(Address("Jörg Müller, Dr.", "jm@x.de"), Address("", "a@b.example")),
        cc=(Address("李小龙", "li@bücher.de"),),
        bcc=(Address("Hidden", "h@x.example"),),
        subject="Grüße — " + "long " * 30,
        body="Hällo\n",
        in_reply_to="parent@x",
        references=("root@x", "parent@x"),
        extra_headers=(("Reply-To", "Team <team@x.example>"), ("X-Mood", "héllo")),
    )
    raw = build(draft)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # RFC 2047 everywhere in the header
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    msg = parse(raw)
    assert str(msg["From"]) == "Mé Myself <me@example.com>"
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == [
        ("Jörg Müller, Dr.", "jm@x.de"),
        ("", "a@b.example"),
    ]
    assert msg["Cc"].addresses[0].addr_spec == "li@xn--bcher-kva.de"
    assert msg["Bcc"].addresses[0].addr_spec == "h@x.example"  # kept for Sent/Drafts
    assert msg["Subject"] == draft.subject.strip()
    assert msg["In-Reply-To"] == "<parent@x>"
    assert msg["References"] == "<root@x> <parent@x>"
    assert msg["Reply-To"].addresses[0].addr_spec == "team@x.example"
    assert msg["X-Mood"] == "héllo"
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", msg["Message-ID"])
    when = parsedate_to_datetime(msg["Date"])
    assert abs(when - datetime.now(UTC)) < timedelta(minutes=5)
    assert text_of(msg) == "Hällo\n"
    # mailtui's own reader agrees.
    parsed = parse_message(raw)
    assert parsed.to[0] == Address("Jörg Müller, Dr.", "jm@x.de")
    assert parsed.subject == draft.subject.strip()


def test_date_and_message_id_can_be_pinned() -> None:
    when = datetime(2024, 2, 29, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    raw = build(Draft(from_=ME, to=(ME,)), date=when, message_id="<fixed@example.com>")
    msg = parse(raw)
    assert msg["Date"] == "Thu, 29 Feb 2024 12:00:00 +0200"
    assert msg["Message-ID"] == "<fixed@example.com>"
    assert message_id_of(raw) == "fixed@example.com"


@pytest.mark.parametrize(
    ("body", "cte"),
    [
        ("plain ascii\n-- \nsig\n", "7bit"),
        ("x" * 2000 + "\n", "quoted-printable"),
        ("Grüße aus Köln\n", "quoted-printable"),
        ("Привет, как дела? " * 5 + "\n", "base64"),
        ("日本語のテキスト\n", "base64"),
    ],
)
def test_body_is_utf8_with_a_safe_transfer_encoding(body: str, cte: str) -> None:
    msg = parse(build(Draft(from_=ME, to=(ME,), body=body)))
    assert msg["Content-Transfer-Encoding"] == cte
    assert msg.get_content_charset() == "utf-8"
    assert text_of(msg) == body
    for line in build(Draft(from_=ME, to=(ME,), body=body)).split(b"\r\n"):
        assert len(line) <= 998 and line.isascii()


def test_signature_separator_keeps_its_space() -> None:
    raw = build(Draft(from_=ME, to=(ME,), body="hi\n-- \nsig\n"))
    assert b"\r\n-- \r\nsig\r\n" in raw


def test_header_injection_is_impossible() -> None:
    raw = build(Draft(from_=ME, to=(ME,), subject="a\r\nBcc: victim@x.example\nb"))
    msg = parse(raw)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "a Bcc: victim@x.example b"


def test_no_recipients_is_an_error_unless_saving_a_draft() -> None:
    with pytest.raises(DraftError, match="no recipients"):
        build_message(Draft(from_=ME), account())
    msg = build_message(Draft(from_=ME, body="later"), account(), require_recipients=False)
    assert msg["To"] is None


@pytest.mark.parametrize("name", ["Message-ID", "Content-Type", "To", "bad name"])
def test_extra_headers_cannot_override_structure(name: str) -> None:
    with pytest.raises(DraftError):
        build_message(Draft(from_=ME, to=(ME,), extra_headers=((name, "x"),)), account())


filenames = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s.strip())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(filenames, st.binary(max_size=3000), st.sampled_from(["", "text/plain"])),
        min_size=1,
        max_size=4,
    )
)
def test_attachments_round_trip_byte_identical(files: list[tuple[str, bytes, str]]) -> None:
    atts = tuple(AttachmentData(n, d, t) for n, d, t in files)
    raw = build(Draft(from_=ME, to=(ME,), body="see attached\n", attachments=atts))
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    got = list(msg.iter_attachments())
    assert len(got) == len(atts)
    for part, att in zip(got, atts, strict=True):
        assert part.get_payload(decode=True) == att.data
        assert part.get_filename() == att.filename
        assert part.get_content_type() == att.content_type
        assert part["MIME-Version"] is None
    assert text_of(next(msg.iter_parts())) == "see attached\n"


def test_text_attachments_keep_their_line_ends() -> None:
    data = b"unix\nwindows\r\nold mac\rno newline at end"
    raw = build(Draft(from_=ME, to=(ME,), attachments=(AttachmentData("t.txt", data),)))
    (part,) = parse(raw).iter_attachments()
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_payload(decode=True) == data


def test_forward_as_attachment_embeds_the_message_verbatim() -> None:
    original = (
        b"From: =?utf-8?q?Zo=C3=AB?= <zoe@z.example>\n"
        b"Subject: caf\xc3\xa9 8-bit header\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: 8bit\n"
        b"\n"
        b"caf\xc3\xa9\n--==boundary-lookalike==\n"
    )
    o = Original(subject="café", raw=original)
    draft = forward_draft(account(), o, as_attachment=True)
    raw = build(Draft(**{**draft.__dict__, "to": (ME,)}))
    crlf = original.replace(b"\n", b"\r\n")
    assert crlf in raw
    msg = parse(raw)
    (part,) = msg.iter_attachments()
    assert part.get_content_type() == "message/rfc822"
    assert part["Content-Transfer-Encoding"] == "8bit"
    assert part.get_filename() == "café.eml"
    inner = part.get_content()
    assert text_of(inner).startswith("café")
    # The outer boundary cannot be fooled by the embedded one.
    assert parse_message(raw).structure.children[1].mime_type == "message/rfc822"


# --- raw bytes -------------------------------------------------------------------------


RAW = (
    b"From: Me <me@example.com>\n"
    b'To: a@x.example, "B, b" <b@x.example>\n'
    b"Cc: =?utf-8?q?C=C3=A9?= <c@x.example>,\n"
    b"  a@x.example\n"
    b"Bcc: secret@x.example,\n"
    b"\thidden2@x.example\n"
    b"Subject: =?utf-8?q?caf=C3=A9?=\n"
    b"\n"
    b"Bcc: this is body text, not a header\n"
)


def test_envelope_and_bcc_stripping() -> None:
    assert envelope_recipients(RAW) == (
        "a@x.example",
        "b@x.example",
        "c@x.example",
        "secret@x.example",
        "hidden2@x.example",
    )
    wire = strip_bcc(RAW)
    assert b"secret@" not in wire and b"hidden2@" not in wire
    assert wire.endswith(b"\r\n\r\nBcc: this is body text, not a header\r\n")
    assert wire == RAW.replace(b"\n", b"\r\n").replace(
        b"Bcc: secret@x.example,\r\n\thidden2@x.example\r\n", b""
    )
    assert envelope_sender(RAW, account()) == "me@example.com"
    assert subject_of(RAW) == "café"


def test_complete_raw_adds_what_sendmail_adds() -> None:
    raw = b"To: a@x.example\nSubject: hi\n\nbody \xc3\xa9\n"
    done = complete_raw(raw, account(), date=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert done.endswith(raw.replace(b"\n", b"\r\n"))
    msg = parse(done)
    assert str(msg["From"]) == "Mé Myself <me@example.com>"
    assert msg["Date"] == "Tue, 02 Jan 2024 03:04:05 +0000"
    assert msg["Message-ID"].endswith("@example.com>")
    # A complete message is left as it is, an mbox "From " line dropped.
    full = b"From me Tue Jan  2 03:04:05 2024\nFrom: x@y.example\nDate: x\nMessage-ID: <a@b>\nTo: a@x.example\n\nb\n"
    assert complete_raw(full, account()) == full.split(b"\n", 1)[1].replace(b"\n", b"\r\n")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"Subject: hi\n\nbody\n", "no recipients"),
        (b"\nno headers at all\n", "no headers"),
        (b"To: bob\n\n", "not an email address"),
    ],
)
def test_complete_raw_refuses_what_cannot_be_sent(raw: bytes, message: str) -> None:
    with pytest.raises(DraftError, match=message):
        complete_raw(raw, account())
