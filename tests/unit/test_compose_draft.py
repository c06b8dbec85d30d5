"""Drafts (mailtui.compose.draft): subjects, reply/forward rules, the editable text form."""

from __future__ import annotations

import string
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.compose.addresses import AddressError, format_address, parse_address_list
from mailtui.compose.draft import (
    MAX_REFERENCES,
    AttachmentData,
    Draft,
    DraftError,
    Identity,
    Original,
    attribution,
    format_date,
    forward_draft,
    forward_subject,
    new_draft,
    quote_body,
    reply_draft,
    reply_subject,
)
from mailtui.compose.editable import draft_to_editable_text, parse_edited_text
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings
from mailtui.mime.parse import parse_message
from mailtui.model import Address, MessageRef


def account(**extra: object) -> AccountSettings:
    table: dict[str, object] = {
        "email": "me@example.com",
        "name": "Mé Myself",
        "imap": {"host": "127.0.0.1", "security": "none", "password_command": "true"},
    }
    table.update(extra)
    return make_settings({"w": table}).account("w")


ME = Address("Mé Myself", "me@example.com")
ALICE = Address("Alice Ångström", "alice@a.example")
BOB = Address("Bob, Jr.", "bob@b.example")
CAROL = Address("", "carol@c.example")
LIST = Address("", "dev@lists.example")


def original(**kw: object) -> Original:
    base: dict[str, object] = {
        "subject": "Plans",
        "from_": (ALICE,),
        "to": (ME, BOB),
        "cc": (CAROL,),
        "date": 1_700_000_000,
        "message_id": "m1@a.example",
        "references": ("root@a.example",),
        "body": "Hello all\n> earlier\n\n-- \nAlice's signature\n",
        "ref": MessageRef("INBOX", 42),
    }
    base.update(kw)
    return Original(**base)  # type: ignore[arg-type]


# --- subjects -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("hello", "Re: hello"),
        ("Re: hello", "Re: hello"),
        ("RE: Re: hello", "Re: hello"),
        ("Re[2]: hello", "Re: hello"),
        ("re(3): hello", "Re: hello"),
        ("Re : hello", "Re: hello"),
        ("Re：hello", "Re: hello"),  # full-width colon
        ("AW: hello", "Re: hello"),
        ("Re: AW: SV: Antw: hello", "Re: hello"),
        ("[list] Re: hello", "Re: [list] hello"),
        ("Re: [list] Re: hello", "Re: [list] hello"),
        ("Fwd: hello", "Re: Fwd: hello"),
        ("Réunion demain", "Re: Réunion demain"),
        ("Report: Q3", "Re: Report: Q3"),
        ("  spaced   out  ", "Re: spaced out"),
        ("", "Re:"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("hello", "Fwd: hello"),
        ("Fwd: hello", "Fwd: hello"),
        ("FW: hello", "Fwd: hello"),
        ("Fwd: Fwd: hello", "Fwd: hello"),
        ("WG: hello", "Fwd: hello"),
        ("Re: hello", "Fwd: Re: hello"),
        ("[list] Fwd: hello", "Fwd: [list] hello"),
        ("Forward planning", "Fwd: Forward planning"),
    ],
)
def test_forward_subject(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


prefixes = st.sampled_from(["Re: ", "RE: ", "Re[2]: ", "AW: ", "Fwd: ", "FW: ", "[x] ", ""])


@settings(max_examples=300, deadline=None)
@given(st.lists(prefixes, max_size=4), st.text(max_size=30))
def test_subject_rules_do_not_stack(parts: list[str], tail: str) -> None:
    subject = "".join(parts) + tail
    once = reply_subject(subject)
    assert reply_subject(once) == once
    assert once.startswith("Re:")
    assert not once.lower().startswith(("re: re:", "re: aw:"))
    fwd = forward_subject(subject)
    assert forward_subject(fwd) == fwd
    assert not fwd.lower().startswith("fwd: fwd:")


# --- reply rules ----------------------------------------------------------------------


def test_reply_goes_to_the_sender_with_threading_and_a_quote() -> None:
    d = reply_draft(account(signature="Me\nhttps://me.example"), original())
    assert d.from_ == ME
    assert d.to == (ALICE,)
    assert d.cc == ()
    assert d.subject == "Re: Plans"
    assert d.in_reply_to == "m1@a.example"
    assert d.references == ("root@a.example", "m1@a.example")
    assert d.replied == MessageRef("INBOX", 42)
    when = format_date(1_700_000_000)
    assert d.body.startswith(f"On {when}, Alice Ångström wrote:\n> Hello all\n>> earlier\n")
    # The original's signature is not quoted; ours comes last after "-- ".
    assert "Alice's signature" not in d.body
    assert d.body.endswith("\n-- \nMe\nhttps://me.example\n")


def test_reply_honours_reply_to() -> None:
    d = reply_draft(account(), original(reply_to=(LIST,)))
    assert d.to == (LIST,)
    assert d.cc == ()


def test_reply_all_drops_own_addresses_and_duplicates() -> None:
    shouty_me = Address("Me", "ME@Example.COM")
    o = original(to=(shouty_me, BOB, ALICE), cc=(CAROL, BOB, Address("x", "me@example.com")))
    d = reply_draft(account(), o, reply_all=True)
    assert d.to == (ALICE,)
    assert d.cc == (BOB, CAROL)


def test_reply_all_leaves_out_what_is_no_address() -> None:
    o = original(to=(ME, Address("", "undisclosed"), Address("x", "a@")), cc=(CAROL,))
    assert reply_draft(account(), o, reply_all=True).cc == (CAROL,)


def test_reply_all_with_reply_to_keeps_everyone_once() -> None:
    o = original(reply_to=(LIST,), to=(LIST, ME), cc=(BOB,))
    d = reply_draft(account(), o, reply_all=True)
    assert d.to == (LIST,)
    assert d.cc == (BOB,)


def test_reply_all_prefers_mail_followup_to() -> None:
    o = original(mail_followup_to=(LIST, ME, BOB))
    d = reply_draft(account(), o, reply_all=True)
    assert d.to == (LIST, BOB)
    assert d.cc == ()
    # A plain reply still goes to the author.
    assert reply_draft(account(), o).to == (ALICE,)


def test_reply_to_own_message_goes_to_its_recipients() -> None:
    o = original(from_=(ME,), to=(BOB,), cc=(CAROL,))
    assert reply_draft(account(), o).to == (BOB,)
    d = reply_draft(account(), o, reply_all=True)
    assert (d.to, d.cc) == ((BOB,), (CAROL,))


def test_list_reply_uses_list_post() -> None:
    o = original(list_post="mailto:dev@lists.example?subject=list%20help")
    d = reply_draft(account(), o, list_reply=True)
    assert d.to == (LIST,)
    assert d.cc == ()
    with pytest.raises(DraftError, match="does not accept posts"):
        reply_draft(account(), original(list_post="NO"), list_reply=True)
    with pytest.raises(DraftError, match="no mailto"):
        reply_draft(account(), original(list_post=""), list_reply=True)
    with pytest.raises(DraftError, match="no mailto"):
        reply_draft(account(), original(list_post="https://lists.example/post"), list_reply=True)


def test_reply_comes_from_the_identity_it_was_sent_to() -> None:
    alias = Identity(Address("Me at work", "me@work.example"), "Work sig")
    primary = Identity(ME, "Home sig")
    o = original(to=(Address("", "ME@work.example"),), cc=())
    d = reply_draft(account(), o, reply_all=True, identities=(primary, alias))
    assert d.from_ == alias.address
    assert d.body.endswith("-- \nWork sig\n")
    assert d.cc == ()  # the alias is "own" too


def test_identities_from_the_config_choose_the_reply_address() -> None:
    acct = account(
        signature="Home sig",
        identities=[
            {"email": "me@work.example", "name": "Me at work", "signature": "Work sig"},
            {"email": "me@lists.example"},
        ],
    )
    o = original(to=(Address("", "me@lists.example"), BOB), cc=(Address("", "ME@work.example"),))
    d = reply_draft(acct, o, reply_all=True)
    assert d.from_ == Address("Mé Myself", "me@lists.example")  # the account's name
    assert d.body.endswith("-- \nHome sig\n")  # and its signature
    assert d.to == (ALICE,) and d.cc == (BOB,)  # every own address left out
    work = reply_draft(acct, original(to=(Address("", "me@work.example"),), cc=()))
    assert work.from_ == Address("Me at work", "me@work.example")
    assert work.body.endswith("-- \nWork sig\n")


def test_references_fall_back_to_in_reply_to_and_stay_bounded() -> None:
    d = reply_draft(account(), original(references=(), in_reply_to="parent@x"))
    assert d.references == ("parent@x", "m1@a.example")
    many = tuple(f"r{i}@x" for i in range(50))
    d = reply_draft(account(), original(references=many))
    assert len(d.references) == MAX_REFERENCES
    assert d.references[0] == "r0@x"
    assert d.references[-2:] == ("r49@x", "m1@a.example")


def test_reply_without_body_or_date() -> None:
    d = reply_draft(account(), original(body="", date=None))
    assert d.body == "\n"
    assert attribution(original(date=None)) == "Alice Ångström wrote:"


def test_quote_body() -> None:
    assert quote_body("a\n\n> b\nc\n") == "> a\n>\n>> b\n> c\n"


def test_original_from_parsed_message() -> None:
    raw = (
        b"From: =?utf-8?q?Zo=C3=AB?= <zoe@z.example>\r\n"
        b"To: me@example.com, Bob <bob@b.example>\r\n"
        b"Reply-To: team@z.example\r\n"
        b"Mail-Followup-To: dev@lists.example\r\n"
        b"List-Post: <mailto:dev@lists.example>\r\n"
        b"Subject: =?utf-8?q?R=C3=A9sum=C3=A9?=\r\n"
        b"Message-ID: <abc@z.example>\r\n"
        b"References: <r1@x> <r2@x>\r\n"
        b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        b"\r\nhi\r\n"
    )
    o = Original.from_parsed(parse_message(raw), body="hi\n", raw=raw, ref=MessageRef("INBOX", 3))
    assert o.from_ == (Address("Zoë", "zoe@z.example"),)
    assert o.mail_followup_to == (LIST,)
    assert o.date == 1_700_000_000
    d = reply_draft(account(), o)
    assert d.to == (Address("", "team@z.example"),)
    assert d.subject == "Re: Résumé"
    assert d.references == ("r1@x", "r2@x", "abc@z.example")
    assert reply_draft(account(), o, list_reply=True).to == (LIST,)


# --- forward --------------------------------------------------------------------------


def test_forward_inline_carries_text_and_attachments() -> None:
    att = AttachmentData("plan.pdf", b"%PDF-1.4 ...")
    d = forward_draft(account(signature="sig"), original(attachments=(att,)))
    assert d.subject == "Fwd: Plans"
    assert d.to == ()
    assert d.in_reply_to == "" and d.references == ()
    assert d.forwarded == MessageRef("INBOX", 42)
    assert d.replied is None
    assert "---------- Forwarded message ----------" in d.body
    assert "From: Alice Ångström <alice@a.example>" in d.body
    assert 'To: Mé Myself <me@example.com>, "Bob, Jr." <bob@b.example>' in d.body
    assert "Hello all" in d.body
    assert d.body.endswith("-- \nsig\n")
    assert d.attachments == (att,)


def test_forward_as_attachment() -> None:
    raw = b"From: a@b\r\nSubject: x\r\n\r\nbody\r\n"
    d = forward_draft(account(), original(raw=raw, subject="Re: a/b: c"), as_attachment=True)
    assert d.subject == "Fwd: Re: a/b: c"
    (att,) = d.attachments
    assert att.content_type == "message/rfc822"
    assert att.data == raw
    assert att.filename == "a_b: c.eml".replace(":", "_")
    with pytest.raises(DraftError, match="not available"):
        forward_draft(account(), original(raw=None), as_attachment=True)


def test_new_draft_has_the_signature() -> None:
    d = new_draft(account(signature="-- \nJ."), to=(BOB,), subject="Hi")
    assert d.body == "\n-- \nJ.\n"
    assert d.from_ == ME
    assert new_draft(account()).body == ""


# --- attachments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.pdf", "application/pdf"),
        ("a.PNG", "image/png"),
        ("notes.txt", "text/plain"),
        ("x.tar.gz", "application/gzip"),
        ("noext", "application/octet-stream"),
        ("weird.zzzq", "application/octet-stream"),
    ],
)
def test_attachment_types_are_guessed(name: str, expected: str) -> None:
    assert AttachmentData(name, b"").content_type == expected


def test_attachment_from_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "data.bin"
    p.write_bytes(bytes(range(256)))
    att = AttachmentData.from_path(p)
    assert (att.filename, att.data) == ("data.bin", bytes(range(256)))
    with pytest.raises(DraftError, match="no such file"):
        AttachmentData.from_path(tmp_path / "missing")
    with pytest.raises(DraftError, match="directory"):
        AttachmentData.from_path(tmp_path)


# --- editable text --------------------------------------------------------------------


def test_editable_text_shape() -> None:
    d = Draft(from_=ME, to=(ALICE, BOB), subject="Grüße", body="Hi\n")
    assert draft_to_editable_text(d) == (
        "From: Mé Myself <me@example.com>\n"
        'To: Alice Ångström <alice@a.example>, "Bob, Jr." <bob@b.example>\n'
        "Cc:\n"
        "Bcc:\n"
        "Subject: Grüße\n"
        "\n"
        "Hi\n"
    )


def test_edited_text_is_authoritative_and_tolerant() -> None:
    base = Draft(from_=ME, to=(ALICE,), cc=(BOB,), subject="x", in_reply_to="m@x")
    text = (
        "to: carol@c.example,\n"
        "  Bob <bob@b.example>\r\n"
        "Subject:   New   subject  \n"
        "Reply-To: list <dev@lists.example>\n"
        "X-Custom: yes\n"
        "\n"
        "Body line\n\nmore\n"
    )
    d = parse_edited_text(text, base)
    assert d.from_ == ME  # no From line: the base's
    assert d.to == (CAROL, Address("Bob", "bob@b.example"))
    assert d.cc == ()  # the Cc line was deleted
    assert d.subject == "New subject"
    assert d.extra_headers == (("Reply-To", "list <dev@lists.example>"), ("X-Custom", "yes"))
    assert d.body == "Body line\n\nmore\n"
    assert d.in_reply_to == "m@x"  # not editable, kept


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("To: bob\n\nbody", r"Line 1 \(To\): 'bob' is not an email address"),
        ("From: a@b.c\nTo: ok@x.y, bad@\n\n", r"Line 2 \(To\): 'bad@'"),
        ("To: früh@x.de\n\n", "non-ASCII characters before the @"),
        ("To: Ann <a@b.c\n\n", "unclosed"),
        ("Subject: x\nthis is not a header\n\n", "Line 2: 'this is not a header' is not a header"),
        ("Message-ID: <x@y>\n\n", r"Line 1 \(Message-ID\): mailtui sets Message-ID itself"),
        ("From: a@b.c, d@e.f\n\n", "one sender, not 2"),
        ("Subject: a\nSubject: b\n\n", "Subject appears twice"),
        ("Reply-To: nope\n\n", r"Line 1 \(Reply-To\)"),
    ],
)
def test_edited_text_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(DraftError, match=message) as info:
        parse_edited_text(text, Draft(from_=ME))
    assert info.value.sentence()


# Names people have: quotes, commas, backslashes, parentheses, any script; but no
# control characters, which an editor would not keep in a header line anyway.
names = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"
    ),
    max_size=20,
).map(lambda s: " ".join(s.split()))
locals_ = st.text(alphabet=string.ascii_letters + string.digits + "._+-", min_size=1, max_size=12)
locals_ = locals_.filter(lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s)
domains = st.sampled_from(["example.com", "b.example", "xn--bcher-kva.example", "bücher.de"])
addresses = st.builds(lambda n, local, d: Address(n, f"{local}@{d}"), names, locals_, domains)
address_lists = st.lists(addresses, max_size=4, unique_by=lambda a: a.addr.casefold())
subjects = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=40
).map(lambda s: " ".join(s.split()))
bodies = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(addresses, address_lists, address_lists, address_lists, subjects, bodies)
def test_editable_text_round_trip(
    from_: Address,
    to: list[Address],
    cc: list[Address],
    bcc: list[Address],
    subject: str,
    body: str,
) -> None:
    d = Draft(
        from_=from_,
        to=tuple(to),
        cc=tuple(cc),
        bcc=tuple(bcc),
        subject=subject,
        body=body.replace("\r", ""),
        references=("r@x",),
        replied=MessageRef("INBOX", 1),
    )
    assert parse_edited_text(draft_to_editable_text(d), d) == d


@settings(max_examples=300, deadline=None)
@given(addresses)
def test_address_format_parse_round_trip(a: Address) -> None:
    assert parse_address_list(format_address(a)) == (a,)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_address_parser_never_crashes(text: str) -> None:
    try:
        parse_address_list(text)
    except AddressError as exc:
        assert exc.sentence()
    parse_address_list(text, strict=False)


def test_attachment_repr_hides_bytes() -> None:
    assert "data" not in repr(AttachmentData("a", b"secret bytes"))
    assert replace(AttachmentData("a", b"x"), mime_type="Text/X").content_type == "text/x"
