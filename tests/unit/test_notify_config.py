"""The notification keys of an account (issue 19 item 5) and the NOTIFY parser's
bookkeeping (issue 19 item 4), without a server."""

from __future__ import annotations

from datetime import datetime

import pytest

from mailtui.config.load import make_settings
from mailtui.errors import ConfigError
from mailtui.imap.ext import notify as ext
from mailtui.imap.parse import Untagged
from mailtui.usecase.notify import settings_for, should_notify


def _account(**keys: object):
    table = {"email": "me@example.test", "maildir": "/tmp/nowhere-mailtui", **keys}
    return make_settings({"a": table}).account("a")


def test_left_out_the_keys_announce_nothing_and_mean_inbox_only() -> None:
    account = _account()
    assert account.notify == () and account.new_mail_command == ""
    settings = settings_for(_account(notify=["bell"]))
    noon = datetime(2026, 1, 1, 12, 0)
    assert should_notify(settings, "INBOX", noon)
    assert not should_notify(settings, "Lists", noon)
    assert not should_notify(settings_for(account), "INBOX", noon)


def test_the_keys_are_read_and_mean_what_the_readme_says() -> None:
    account = _account(
        notify=["OSC9", "command", "bell", "bell"],
        new_mail_command="notify-me --quiet",
        quiet_hours="22:00-07:00",
        notify_folders={"*": True, "Junk": False},
    )
    assert account.notify == ("osc9", "command", "bell")
    settings = settings_for(account)
    assert should_notify(settings, "Lists", datetime(2026, 1, 1, 12, 0))
    assert not should_notify(settings, "Junk", datetime(2026, 1, 1, 12, 0))
    assert not should_notify(settings, "INBOX", datetime(2026, 1, 1, 23, 30))


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ({"notify": "bell"}, "must be an array"),
        ({"notify": ["beep"]}, "not a way to notify"),
        ({"notify": ["command"]}, "needs new_mail_command"),
        ({"new_mail_command": "x 'open"}, "cannot be split"),
        ({"quiet_hours": "late"}, "not a time range"),
        ({"quiet_hours": "25:00-07:00"}, "not a time range"),
        ({"notify_folders": {"INBOX": "yes"}}, "true or false"),
    ],
)
def test_a_mistake_names_its_key(keys: dict, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        _account(**keys)
    assert words in str(err.value)
    assert next(iter(keys)) in str(err.value)


class _Session:
    notify_active = True
    notified: frozenset[str] = frozenset()


def test_status_lines_name_folders_and_our_own_answers_do_not() -> None:
    s = _Session()
    assert ext.note_lines(s, [b'* STATUS "Lists/a b" (MESSAGES 3)\r\n', b"* 4 EXISTS\r\n"])
    ext.note_lines(s, [b"* STATUS {5}\r\n"])  # a literal name: unknown, list again
    ext.note_lines(s, [b'* LIST () "/" New\r\n'])  # the folder list changed
    assert ext.take(s) == {"Lists/a b", ext.UNKNOWN}
    assert ext.take(s) == frozenset()
    status = [Untagged([b"STATUS Work (UNSEEN 1)"], []), Untagged([b"STATUS INBOX (UNSEEN 2)"], [])]
    ext.note_untagged(s, b"STATUS Work (MESSAGES UNSEEN)", status)
    assert ext.take(s) == {"INBOX"}  # Work answered our own STATUS
    ext.note_untagged(s, b'LIST "" "*" RETURN (STATUS (MESSAGES))', status)
    assert ext.take(s) == frozenset()


def test_the_noted_set_is_capped() -> None:
    s = _Session()
    lines = [f"* STATUS f{i} (MESSAGES 1)".encode() for i in range(ext.MAX_NOTED + 10)]
    ext.note_lines(s, lines)
    assert len(s.notified) <= ext.MAX_NOTED
    assert ext.UNKNOWN in ext.take(s)
