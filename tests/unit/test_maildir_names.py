"""Maildir file names: the ":2," info suffix, flags, unique names."""

from __future__ import annotations

import re
import threading

from hypothesis import given
from hypothesis import strategies as st

from mailtui.maildir import names
from mailtui.model import ANSWERED, DELETED, DRAFT, FLAGGED, SEEN

SYSTEM = "DFPRST"
KEYWORD_LETTERS = "abcdefghijklmnopqrstuvwxyz"
OTHER = "0123456789XYZ"  # letters mailtui does not know, kept as they are

unique_names = st.text(
    alphabet=st.characters(blacklist_characters=":/\0", blacklist_categories=("Cs",)), min_size=1
)
letter_sets = st.sets(st.sampled_from(SYSTEM + KEYWORD_LETTERS + OTHER))


@given(unique_names, letter_sets)
def test_info_round_trip(unique: str, letters: set[str]) -> None:
    info = names.sort_letters("".join(letters))
    filename = names.FileName(unique, None).with_letters(info)
    parsed = names.split_name(filename)
    assert parsed.unique == unique and parsed.letters == info
    assert list(info) == sorted(set(info))  # the spec: ASCII order, each once


@given(letter_sets, st.dictionaries(st.sampled_from(KEYWORD_LETTERS), st.text(min_size=1)))
def test_flags_of_letters(letters: set[str], keywords: dict[str, str]) -> None:
    flags = names.flags_of("".join(letters), keywords)
    expected = {names.LETTER_FLAGS[c] for c in letters if c in SYSTEM}
    expected |= {keywords[c] for c in letters if c in keywords}
    assert flags == expected


@given(letter_sets, st.sets(st.sampled_from(SYSTEM)), st.sets(st.sampled_from(SYSTEM)))
def test_apply_letters_keeps_what_it_does_not_know(
    letters: set[str], add: set[str], remove: set[str]
) -> None:
    result = names.apply_letters("".join(sorted(letters)), add, remove)
    assert set(result) == (letters | add) - remove
    assert result == "".join(sorted(result))


def test_letters_for_flags() -> None:
    assert {f: names.letter_for_flag(f) for f in (DRAFT, FLAGGED, ANSWERED, SEEN, DELETED)} == {
        DRAFT: "D",
        FLAGGED: "F",
        ANSWERED: "R",
        SEEN: "S",
        DELETED: "T",
    }
    assert names.letter_for_flag("$Forwarded") == "P"
    assert names.letter_for_flag("$forwarded") == "P"
    assert names.letter_for_flag("Work") is None


def test_names_without_info_or_with_other_info() -> None:
    assert names.split_name("123.abc.host") == names.FileName("123.abc.host", None)
    assert names.split_name("123.abc.host:1,xyz") == names.FileName("123.abc.host", None)
    assert names.split_name("123.abc.host:2,") == names.FileName("123.abc.host", "")


def test_dovecot_size_and_time_fields() -> None:
    unique = "1704702946.M0P22616Q0.mail,S=1040,W=1062"
    assert names.size_from_name(unique) == 1040
    assert names.time_from_name(unique) == 1704702946
    assert names.size_from_name("1704702946.M0P1.host") is None


def test_mbsync_uid_is_dropped_on_move() -> None:
    assert names.without_mbsync_uid("1612345678.12345_1.host,U=123") == "1612345678.12345_1.host"
    assert names.without_mbsync_uid("1.M2P3.host,S=10,U=7") == "1.M2P3.host,S=10"


def test_unique_names_follow_the_spec_and_never_repeat() -> None:
    pattern = re.compile(r"^\d+\.M\d+P\d+Q\d+\.[^/:]+(,S=\d+)?$")
    made: list[str] = []
    lock = threading.Lock()

    def make() -> None:
        local = [names.unique_name(size=42) for _ in range(2000)]
        with lock:
            made.extend(local)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == len(made) == 8000
    assert all(pattern.match(n) for n in made)
    assert all(n.endswith(",S=42") for n in made)


def test_host_part_escapes_slash_and_colon(monkeypatch) -> None:
    monkeypatch.setattr(names.socket, "gethostname", lambda: "a/b:c")
    assert names.unique_name().endswith(".a\\057b\\072c")
