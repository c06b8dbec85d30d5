"""Gmail labels spelt as keywords (text/labels.py) and read from X-GM-LABELS (imap/parse.py)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from mailtui.imap.parse import parse_fetch, parse_labels
from mailtui.text.labels import label_of, token_of


@given(st.text(min_size=1, max_size=40))
def test_every_label_has_one_keyword_spelling_and_back(label: str) -> None:
    token = token_of(label)
    assert token and not any(c.isspace() for c in token)
    assert label_of(token) == label


def test_plain_labels_are_their_own_keyword_and_dollar_ones_are_not() -> None:
    assert token_of("Work") == "Work"
    assert token_of("\\Important") == "\\Important"
    assert token_of("$Forwarded") != "$Forwarded"  # a $keyword stays an IMAP keyword


def test_x_gm_labels_with_quotes_system_labels_and_utf7_are_read() -> None:
    line = b'UID 7 FLAGS (\\Seen) X-GM-LABELS (\\Inbox "Muy Importante" foo "Caf&AOk-"))\r\n'
    rec = parse_fetch(1, [line], [])
    assert rec.labels == ("\\Inbox", "Muy Importante", "foo", "Café")
    assert rec.flags == ("\\Seen", "\\Inbox", "Muy%20Importante", "foo", "Caf%C3%A9")


def test_a_hostile_label_list_is_read_in_linear_time() -> None:
    def cost(n: int) -> float:
        value = b" ".join(b'"a\\"b' + str(i).encode() + b'"' for i in range(n))
        start = time.perf_counter()
        assert len(parse_labels(value)) == n
        return time.perf_counter() - start

    small, big = cost(2_000), cost(20_000)
    assert big < small * 30  # 10x the input: linear, with room for noise (quadratic is 100x)
