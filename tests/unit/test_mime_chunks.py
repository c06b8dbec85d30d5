"""Work done in slices gives exactly what the same work done whole gives (text.chunks).

Long bodies are decoded, cleaned and split in slices so that a render thread never
holds the interpreter long (the UI keeps running) and can be abandoned between slices.
Each sliced path is checked here against the plain one-call version it replaces.
"""

from __future__ import annotations

import binascii
import codecs
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui.mime.html import html_to_text
from mailtui.mime.parse import transfer_decode
from mailtui.mime.render import render_body, render_part
from mailtui.model import BodyPart
from mailtui.text import chunks
from mailtui.text.charset import _decode, decode_bytes
from mailtui.text.chunks import STEP, Cancelled, line_pieces, split_lines
from mailtui.text.safe import _clean_text, clean_text

_LINES = st.lists(st.sampled_from(["a", "\n", "bb", "\r", "\t", "\r\n"]), max_size=40).map("".join)


@given(_LINES, st.integers(min_value=1, max_value=7))
def test_split_lines_is_str_split(text: str, step: int) -> None:
    assert split_lines(text, step=step) == text.split("\n")
    assert "".join(line_pieces(text, step)) == text


def test_long_text_is_cleaned_as_a_whole_would_be() -> None:
    text = ("a\tb\r\nc\rd\x1b\u202e\n" * 3 + "x" * 1000 + "\t\r") * (3 * STEP // 1000)
    assert len(text) > 2 * STEP
    assert clean_text(text) == _clean_text(text, 8)


def _old_b64decode(data: bytes) -> bytes:
    """The one-call version this replaced (the specification)."""
    data = re.sub(rb"[^A-Za-z0-9+/=]+", b"", data)
    out = []
    for chunk in data.split(b"="):
        if not chunk:
            continue
        if len(chunk) % 4 == 1:
            chunk = chunk[:-1]
        chunk += b"=" * (-len(chunk) % 4)
        out.append(binascii.a2b_base64(chunk))
    return b"".join(out)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([b"QUJD", b"RA==", b"=", b"\r\n", b"!", b"Q", b"\xff", b"w6k"])),
    st.integers(min_value=1, max_value=3 * STEP),
)
def test_long_base64_decodes_as_it_did_whole(pieces: list[bytes], filler: int) -> None:
    data = b"QUJD" * (filler // 4) + b"".join(pieces) + b"QUJDRA\r\n" * (filler // 8)
    assert transfer_decode(data, "base64") == _old_b64decode(data)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([b"=\r\n", b"=C3=A9", b"=Z", b"a", b"\n", b"=", b" \r\n"])))
def test_long_quoted_printable_decodes_as_it_did_whole(pieces: list[bytes]) -> None:
    data = (b"".join(pieces) + b"line=20of=20text=\r\n") * (2 * STEP // 20)
    assert transfer_decode(data, "quoted-printable") == binascii.a2b_qp(data)


@pytest.mark.parametrize(
    "codec", ["utf-8", "cp1252", "gb18030", "cp932", "big5", "utf-7", "koi8_r", "iso8859_8"]
)
@pytest.mark.parametrize("errors", ["strict", "replace"])
def test_long_bytes_decode_as_they_did_whole(codec: str, errors: str) -> None:
    for sample in (bytes(range(256)), "é漢字\n".encode(), b"+AGEAYgBj-\xff"):
        data = sample * (3 * STEP // len(sample))
        try:
            expected: object = data.decode(codec, errors)
        except UnicodeDecodeError:
            expected = UnicodeDecodeError
        try:
            got: object = _decode(data, codecs.lookup(codec).name, errors, None)
        except UnicodeDecodeError:
            got = UnicodeDecodeError
        assert got == expected


def test_utf16_without_a_bom_decodes_long_as_short() -> None:
    data = "\xe9a".encode("latin-1") * STEP
    assert decode_bytes(data, "utf-16") == data.decode("utf-16")


def test_work_stops_when_the_caller_gives_up() -> None:
    asked = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 2

    html = "<p>" + "word " * (4 * STEP) + "</p>"
    with pytest.raises(Cancelled):
        html_to_text(html, cancelled=cancelled)
    asked.clear()
    part = BodyPart(section="1", mime_type="text/plain", encoding="base64")
    with pytest.raises(Cancelled):
        render_part(part, b"QUJD\r\n" * STEP, cancelled=cancelled)
    asked.clear()
    with pytest.raises(Cancelled):
        render_body("> quote\n" * (3 * 2048), cancelled=cancelled)
    assert chunks.check(None) is None and chunks.check(lambda: False) is None


def test_cancelled_is_not_swallowed_by_broad_handlers() -> None:
    """It is a BaseException, as asyncio.CancelledError is."""
    assert not issubclass(Cancelled, Exception)
