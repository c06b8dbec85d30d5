"""Untrusted text and filenames (mailtui.text.safe)."""

from __future__ import annotations

import unicodedata

import html2text
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from mailtui.text.safe import clean_line, clean_text, safe_filename

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
C1 = "".join(chr(c) for c in range(0x80, 0xA0))
C0 = "".join(chr(c) for c in range(0x20))


def _no_controls(s: str) -> bool:
    return not any(unicodedata.category(ch) == "Cc" for ch in s)


# --- why: the traps this module exists for ---------------------------------------------


def test_rich_passes_esc_and_c1_to_the_terminal() -> None:
    """Rich strips only BEL/BS/VT/FF/CR: ESC and the one-byte CSI (U+009B) get through."""
    console = Console(force_terminal=True, color_system=None, width=80)
    with console.capture() as cap:
        console.print(Text("a\x1b[2Jb\x9bc\x07d"))
    out = cap.get()
    assert "\x1b" in out and "\x9b" in out
    assert "\x07" not in out
    with console.capture() as cap:
        console.print(Text(clean_line("a\x1b[2Jb\x9bc\x07d")))
    assert _no_controls(cap.get().rstrip("\n"))


def test_markup_parsers_would_turn_mail_text_into_actions() -> None:
    """Text.from_markup would style (and Textual would act on) text from a stranger."""
    assert Text.from_markup("[bold]x[/]").spans
    plain = Text(clean_line("[bold]x[/] [@click=app.quit]q[/]"))
    assert plain.plain == "[bold]x[/] [@click=app.quit]q[/]"
    assert not plain.spans


def test_html2text_turns_a_character_reference_into_raw_esc() -> None:
    raw = html2text.html2text("&#27;[31mred")
    assert "\x1b" in raw
    assert "\x1b" not in clean_text(raw)


# --- clean_line -------------------------------------------------------------------------


def test_clean_line_keeps_printable_text_unchanged() -> None:
    s = "Re: [dev] Quarterly planning — café ☕ 日本語"
    assert clean_line(s) is s or clean_line(s) == s


def test_clean_line_makes_every_c0_del_and_c1_visible() -> None:
    out = clean_line("x" + C0 + "\x7f" + C1 + "y")
    assert _no_controls(out)
    assert "␛" in out and "␀" in out and "␡" in out and "\ufffd" in out
    assert out.startswith("x") and out.endswith("y")


def test_clean_line_turns_whitespace_controls_into_one_space() -> None:
    assert clean_line("  a\tb\r\n c \n\n d  ") == "a b c d"
    assert clean_line("line\u2028sep\u2029par") == "line sep par"


def test_clean_line_removes_bidi_and_zero_width() -> None:
    assert clean_line("pay\u202egpj.exe") == "paygpj.exe"
    assert clean_line("a" + BIDI + ZERO_WIDTH + "b") == "ab"
    assert clean_line("hidden\U000e0041\U000e0042tag") == "hiddentag"


def test_clean_line_replaces_lone_surrogates() -> None:
    assert clean_line("a\udcff b") == "a\ufffd b"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_line_output_is_always_one_inert_line(s: str) -> None:
    out = clean_line(s)
    assert _no_controls(out)
    assert "\n" not in out and "\u2028" not in out and "\u2029" not in out
    assert not any(ch in out for ch in BIDI + ZERO_WIDTH)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in out)
    assert "  " not in out and out == out.strip()


# --- clean_text -------------------------------------------------------------------------


def test_clean_text_keeps_newlines_and_expands_tabs() -> None:
    assert clean_text("a\r\nb\rc\nd") == "a\nb\nc\nd"
    assert clean_text("a\tb") == "a       b"
    assert clean_text("\x1b[31mred\x07") == "␛[31mred␇"
    assert clean_text("x\x9b2J") == "x\ufffd2J"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_text_output_has_no_controls_but_newline(s: str) -> None:
    out = clean_text(s)
    assert _no_controls(out.replace("\n", ""))
    assert "\r" not in out and "\t" not in out
    assert not any(ch in out for ch in BIDI + ZERO_WIDTH)


# --- safe_filename ----------------------------------------------------------------------

WINDOWS_RESERVED = (
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
)


def _is_safe_basename(name: str) -> bool:
    stem = name.split(".", 1)[0].upper().rstrip(" ")
    return (
        bool(name)
        and name not in (".", "..")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and not name.startswith(".")
        and not name.endswith((".", " "))
        and _no_controls(name)
        and len(name.encode("utf-8")) <= 255
        and stem not in WINDOWS_RESERVED
        and not any(ch in name for ch in BIDI + ZERO_WIDTH)
    )


def test_safe_filename_strips_directories() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\evil.exe") == "evil.exe"
    assert safe_filename("/abs/path/x.pdf") == "x.pdf"


def test_safe_filename_never_hidden_or_empty() -> None:
    assert safe_filename(".bashrc") == "bashrc"
    assert safe_filename("..") == "attachment"
    assert safe_filename("") == "attachment"
    assert safe_filename("   ", fallback="part-2.bin") == "part-2.bin"
    assert safe_filename("...", fallback="..") == "attachment"


def test_safe_filename_windows_names() -> None:
    assert safe_filename("CON") == "_CON"
    assert safe_filename("nul.txt") == "_nul.txt"
    assert safe_filename("com1.tar.gz") == "_com1.tar.gz"
    assert safe_filename("report.pdf. . ") == "report.pdf"
    assert safe_filename('a<b>c:d"e|f?g*h.txt') == "a_b_c_d_e_f_g_h.txt"


def test_safe_filename_controls_and_bidi() -> None:
    assert safe_filename("\x1b[31mred.txt") == "_[31mred.txt"
    assert safe_filename("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_filename("a\x00b.txt") == "ab.txt"


def test_safe_filename_caps_length_and_keeps_extension() -> None:
    name = safe_filename("é" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= 255
    name.encode("utf-8").decode("utf-8")  # not cut inside a character


@settings(max_examples=300, deadline=None)
@given(st.text(), st.sampled_from(["attachment", "", "..", "part-1.bin"]))
def test_safe_filename_is_always_a_safe_basename(name: str, fallback: str) -> None:
    assert _is_safe_basename(safe_filename(name, fallback))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "/", "\\", "a", "CON", " ", "\x00", "\u202e", "é"])))
def test_safe_filename_on_path_like_garbage(parts: list[str]) -> None:
    assert _is_safe_basename(safe_filename("".join(parts)))
