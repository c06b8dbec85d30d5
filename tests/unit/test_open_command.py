"""ui.open_command takes the file or link as one whole argument; mailto: links keep only
To, Cc, Subject and Body."""

from __future__ import annotations

import pytest

from mailtui.compose.mailto import is_mailto, mailto_draft, parse_mailto
from mailtui.config.load import make_settings
from mailtui.errors import ConfigError
from mailtui.model import Address
from mailtui.ui.opener import opener_command

ACCOUNT = {"a": {"email": "me@example.com", "name": "Me", "imap": {"host": "imap.example.com"}}}


@pytest.mark.parametrize(
    "command",
    [
        "sh -c 'xdg-open {}'",
        'sh -c "firefox {} &"',
        "xdg-open file://{}",
        "open {}.pdf",
        "viewer --file={}",
    ],
)
def test_braces_inside_a_word_are_refused(command: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(ACCOUNT, ui={"open_command": command})
    err = info.value
    assert "ui.open_command" in str(err) and "inside a word" in str(err)
    assert '"{}" as a whole word' in err.hint and '"$1"' in err.hint


def test_unsplittable_command_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"ui\.open_command.*cannot be split"):
        make_settings(ACCOUNT, ui={"open_command": "xdg-open 'half"})


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("xdg-open {}", ["xdg-open", "$(id).pdf"]),
        ("firefox --new-tab", ["firefox", "--new-tab", "$(id).pdf"]),
        ("sh -c 'xdg-open \"$1\"' sh {}", ["sh", "-c", 'xdg-open "$1"', "sh", "$(id).pdf"]),
        ("cp {} {}", ["cp", "$(id).pdf", "$(id).pdf"]),
    ],
)
def test_target_is_always_one_whole_argument(command: str, argv: list[str]) -> None:
    ui = make_settings(ACCOUNT, ui={"open_command": command}).ui
    assert opener_command(ui.open_command, "$(id).pdf") == argv


def test_mailto_keeps_to_cc_subject_body_only() -> None:
    url = (
        "MAILTO:a@example.com,%22B%20Person%22%20%3Cb@example.com%3E?to=c%2Btag@example.com"
        "&CC=d@example.com&bcc=spy@evil.example&subject=Hello%20%E2%80%AEworld%1B%5B2J"
        "&body=one%0D%0Atwo%09tab&attach=/etc/passwd&attachment=~/.ssh/id_rsa"
        "&file=/etc/shadow&in-reply-to=%3Cx@y%3E&X-Header=1#fragment"
    )
    assert is_mailto(url)
    got = parse_mailto(url)
    assert got.to == (
        Address("", "a@example.com"),
        Address("B Person", "b@example.com"),
        Address("", "c+tag@example.com"),
    )
    assert got.cc == (Address("", "d@example.com"),)
    assert got.subject == "Hello world[2J"  # bidi override and ESC dropped
    assert got.body == "one\ntwo\ttab"


def test_mailto_draft_is_a_new_message_from_the_account() -> None:
    account = make_settings(ACCOUNT).account("a")
    draft = mailto_draft(account, "mailto:x@example.com?subject=Hi&body=Text&attach=/etc/passwd")
    assert draft.from_ == Address("Me", "me@example.com")
    assert draft.to == (Address("", "x@example.com"),) and draft.subject == "Hi"
    assert draft.body.startswith("Text") and draft.attachments == () and draft.bcc == ()
    assert draft.extra_headers == ()


def test_mailto_with_garbage_addresses_keeps_the_good_ones() -> None:
    got = parse_mailto("mailto:not-an-address,,ok@example.com?cc=%3C%3E&subject=" + "x" * 5000)
    assert got.to == (Address("", "ok@example.com"),) and got.cc == ()
    assert len(got.subject) == 998
