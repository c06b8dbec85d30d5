"""mailcap (mailtui.usecase.mailcap): RFC 1524 parsing, precedence, and argument lists that
a hostile file name or MIME type cannot turn into shell code — checked by running them."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from mailtui.usecase import mailcap
from mailtui.usecase.mailcap import (
    MailcapEntry,
    MailcapError,
    command_argv,
    default_paths,
    load_mailcaps,
    lookup,
    opener_entries,
    parse_mailcap,
)
from tests.unit.test_complexity import assert_linear

RECORDER = """\
import json, os, sys
data = sys.stdin.buffer.read() if os.environ.get("READ_STDIN") else b""
with open(os.environ["RECORD"], "w") as f:
    json.dump({"argv": sys.argv[1:], "stdin": data.decode("latin-1")}, f)
"""


def q(path: Path) -> str:
    """A path written into a mailcap line (it has a space)."""
    return shlex.quote(str(path))


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    """A program that writes the arguments (and stdin) it received to $RECORD."""
    path = tmp_path / "bin dir" / "record-argv"
    path.parent.mkdir()
    path.write_text(f"#!{sys.executable}\n{RECORDER}")
    path.chmod(0o755)
    return path


def run(argv: list[str], tmp_path: Path, stdin: Path | None = None) -> dict[str, object]:
    """Run argv as mailtui would (no shell) and return what the program received."""
    record = tmp_path / "record.json"
    env = {**os.environ, "RECORD": str(record), "READ_STDIN": "1" if stdin else ""}
    with open(stdin or os.devnull, "rb") as feed:
        subprocess.run(argv, env=env, stdin=feed, check=True, timeout=30, cwd=tmp_path)
    return json.loads(record.read_text())


# --------------------------------------------------------------------------- parsing


MAILCAP = r"""
# comment lines and blank lines are skipped

text/html; w3m -dump -I %{charset} -T %t %s; copiousoutput; description="HTML as text"
image/*; feh --title "%t picture" %s; test=true; needsterminal
application/pdf; zathura %s; nametemplate=%s.pdf
application/pdf; pdftotext %s -; copiousoutput
text; less; needsterminal
video/mp4; mpv \
  --really-quiet \
  %s
application/x-semi; echo one\;two %s
message/rfc822; sh -c 'cat %s | less'; needsterminal
application/x-pipe; pdftotext %s - | less
application/x-quote; viewer 'unterminated %s
AUDIO/OGG; play %s &
"""


def test_entries_flags_and_order() -> None:
    entries = parse_mailcap(MAILCAP, "/home/me/.mailcap")
    by_type = [(e.type, e.source.rsplit(":", 1)[1]) for e in entries]
    assert by_type == [
        ("text/html", "4"),
        ("image/*", "5"),
        ("application/pdf", "6"),
        ("application/pdf", "7"),
        ("text/*", "8"),
        ("video/mp4", "9"),
        ("application/x-semi", "12"),
        ("message/rfc822", "13"),
        ("application/x-pipe", "14"),
        ("application/x-quote", "15"),
        ("audio/ogg", "16"),
    ]
    html, image, pdf, pdftext, text, video, semi, shell, pipe, quote, ogg = entries
    assert html.copiousoutput and html.description == "HTML as text" and html.usable
    assert image.test == "true" and image.needsterminal and not image.copiousoutput
    assert pdf.nametemplate == "%s.pdf"
    assert pdftext.copiousoutput
    assert text.stdin and text.needsterminal
    assert video.command.split() == ["mpv", "--really-quiet", "%s"]
    assert semi.command == "echo one;two %s"
    assert shell.problem == 'puts "%s" inside a word, where a file name would reach a shell'
    assert pipe.problem == "uses shell syntax (|), which mailtui does not run"
    assert quote.problem.startswith("cannot be split into words")
    assert ogg.usable  # a trailing "&" is only dropped
    assert command_argv(ogg, "/tmp/a.ogg", "audio/ogg") == ["play", "/tmp/a.ogg"]


def test_wildcards_and_case() -> None:
    entries = parse_mailcap(MAILCAP)
    assert lookup("IMAGE/PNG", entries, run_tests=False).type == "image/*"
    assert lookup("text/plain", entries).type == "text/*"
    assert lookup("text/html", entries).type == "text/html"
    assert lookup("application/zip", entries) is None
    assert lookup("message/rfc822", entries) is None  # only entry unusable: passed over


def test_copiousoutput_selection() -> None:
    entries = parse_mailcap(MAILCAP)
    assert lookup("application/pdf", entries).command == "zathura %s"
    inline = lookup("application/pdf", entries, copious=True)
    assert inline is not None and inline.command == "pdftotext %s -"
    assert lookup("text/html", entries, copious=False).command == "less"  # text/* wildcard
    assert lookup("text/html", entries, copious=True).copiousoutput


def test_openers_take_precedence_exact_before_wildcard() -> None:
    entries = parse_mailcap(MAILCAP)
    openers = opener_entries({"image/*": "imv {}", "image/png": "pngview %s --fit", "text": "bat"})
    assert [e.type for e in openers] == ["image/png", "image/*", "text/*"]
    assert lookup("image/png", entries, openers=openers).command == "pngview %s --fit"
    assert lookup("image/jpeg", entries, openers=openers).command == "imv %s"
    chosen = lookup("text/plain", entries, openers=openers)
    assert chosen is not None and chosen.source == "ui.openers"
    # Without %s an opener gets the file appended, not on stdin.
    assert command_argv(chosen, "/tmp/x.txt", "text/plain") == ["bat", "/tmp/x.txt"]
    assert not chosen.stdin
    bad = opener_entries({"image/*": "sh -c 'feh {}'"})
    assert bad[0].problem and lookup("image/png", [], openers=bad) is None


def test_test_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    text = (
        "image/png; never %s; test=false\n"
        f"image/png; leaky %s; test=touch {marker} %s\n"
        "image/png; slow %s; test=sleep 20\n"
        f"image/png; chosen %s; test=test -d {tmp_path}\n"
    )
    monkeypatch.setattr(mailcap, "TEST_TIMEOUT", 0.5)
    chosen = lookup("image/png", parse_mailcap(text))
    assert chosen is not None and chosen.command == "chosen %s"
    assert not marker.exists()  # a test with % escapes never reaches a shell


# --------------------------------------------------------------------------- argv


HOSTILE_NAMES = [
    "plain.pdf",
    "a b  c.pdf",
    "it's.pdf",
    '"quoted".pdf',
    "$(touch PWNED1).pdf",
    "`touch PWNED2`.pdf",
    "x; touch PWNED3; .pdf",
    "x && touch PWNED4 .pdf",
    "| touch PWNED5.pdf",
    "%s %t %{charset}.pdf",
    "back\\slash\\'.pdf",
    "new\nline.pdf",
    "-rf.pdf",
    "* ? [a].pdf",
    "ünïcødé ☃.pdf",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize(
    "template",
    [
        "{rec} %s",
        "{rec} --type=%t %s --charset %{{charset}}",
        "{rec} '%s'",
        '{rec} "%s" --',
        "{rec} %s &",
    ],
)
def test_a_hostile_file_name_arrives_as_one_exact_argument(
    tmp_path: Path, recorder: Path, name: str, template: str
) -> None:
    target = tmp_path / "files"
    target.mkdir()
    path = target / name
    path.write_bytes(b"%PDF-1.4")
    entries = parse_mailcap(f"application/pdf; {template.format(rec=q(recorder))}\n")
    entry = lookup("application/pdf", entries)
    assert entry is not None and entry.usable and not entry.stdin
    argv = command_argv(entry, str(path), "application/pdf", {"charset": "UTF-8"})
    got = run(argv, tmp_path)
    assert str(path) in got["argv"]
    assert got["argv"].count(str(path)) == 1
    assert [a for a in got["argv"] if a != str(path)] == [a for a in argv[1:] if a != str(path)]
    assert not list(tmp_path.rglob("PWNED*"))


def test_a_relative_name_starting_with_a_dash_is_not_an_option(
    tmp_path: Path, recorder: Path
) -> None:
    (tmp_path / "-rf").write_text("x")
    entry = parse_mailcap(f"text/plain; {q(recorder)} %s\n")[0]
    assert run(command_argv(entry, "-rf", "text/plain"), tmp_path)["argv"] == ["./-rf"]


@pytest.mark.parametrize(
    ("mime_type", "params", "expected"),
    [
        ("text/html", {"charset": "utf-8"}, ["-T", "text/html", "-I", "utf-8"]),
        ("TEXT/HTML", {"CHARSET": "ISO-8859-1"}, ["-T", "text/html", "-I", "ISO-8859-1"]),
        ("text/html; rm -rf ~", {"charset": "$(touch PWNED)"}, ["-T", "", "-I", ""]),
        ("text/html$(id)", {"charset": "utf-8; reboot"}, ["-T", "", "-I", ""]),
        ("text/html", {"charset": "`id`"}, ["-T", "text/html", "-I", ""]),
        ("text/*", {}, ["-T", "", "-I", ""]),
    ],
)
def test_type_and_parameters_are_sanitised(
    tmp_path: Path, recorder: Path, mime_type: str, params: dict[str, str], expected: list[str]
) -> None:
    rec = q(recorder)
    entry = parse_mailcap(f"text/*; {rec} -T %t -I %{{charset}} -N %{{name}} %s\n")[0]
    argv = command_argv(entry, "/tmp/f.html", mime_type, params)
    got = run(argv, tmp_path)
    assert got["argv"] == [*expected, "-N", "", "/tmp/f.html"]


def test_escaped_percent_is_literal(tmp_path: Path, recorder: Path) -> None:
    rec = q(recorder)
    entry = parse_mailcap(f"text/plain; {rec} 100\\%s \\%t %s\n")[0]
    assert entry.usable
    got = run(command_argv(entry, "/tmp/a.txt", "text/plain"), tmp_path)
    assert got["argv"] == ["100%s", "%t", "/tmp/a.txt"]


def test_an_entry_without_percent_s_reads_the_file_on_stdin(tmp_path: Path, recorder: Path) -> None:
    rec = q(recorder)
    entry = parse_mailcap(f"text/plain; {rec} --stdin; copiousoutput\n")[0]
    assert entry.stdin and entry.copiousoutput
    body = tmp_path / "$(touch PWNED).txt"
    body.write_bytes(b"hello from the attachment")
    argv = command_argv(entry, str(body), "text/plain")
    got = run(argv, tmp_path, stdin=body)
    assert got == {"argv": ["--stdin"], "stdin": "hello from the attachment"}
    assert not list(tmp_path.rglob("PWNED"))


def test_unusable_entries_refuse_to_build_argv() -> None:
    entry = parse_mailcap("message/rfc822; sh -c 'less %s'\n")[0]
    with pytest.raises(MailcapError, match="inside a word"):
        command_argv(entry, "/tmp/x", "message/rfc822")


def test_home_in_the_program_name_is_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    entry = parse_mailcap("image/png; ~/bin/view %s\n")[0]
    assert command_argv(entry, "/tmp/p.png", "image/png") == [
        "/home/someone/bin/view",
        "/tmp/p.png",
    ]


@pytest.mark.parametrize(
    ("template", "name", "expected"),
    [
        ("%s.pdf", "report.bin", "report.bin.pdf"),
        ("%s.pdf", "report.pdf", "report.pdf"),
        ("", "../../etc/passwd", "passwd"),
        ("%s.pdf", "../../.ssh/id_rsa", "id_rsa.pdf"),
        ("view-%s.html", "$(x).htm", "view-$(x).htm.html"),
        ("%s.%s", "a", "a"),  # two %s: ignored
    ],
)
def test_nametemplate(template: str, name: str, expected: str) -> None:
    entry = MailcapEntry(type="application/pdf", command="v %s", nametemplate=template)
    assert entry.file_name(name) == expected


# --------------------------------------------------------------------------- files


def test_paths_from_mailcaps_or_the_rfc_default(tmp_path: Path) -> None:
    assert default_paths({"MAILCAPS": f"{tmp_path}/a:{tmp_path}/b", "HOME": "/h"}) == [
        tmp_path / "a",
        tmp_path / "b",
    ]
    assert default_paths({"HOME": "/h"}) == [
        Path("/h/.mailcap"),
        Path("/etc/mailcap"),
        Path("/usr/etc/mailcap"),
        Path("/usr/local/etc/mailcap"),
    ]
    (tmp_path / "a").write_text("image/png; first %s\n")
    (tmp_path / "b").write_text("image/png; second %s\nimage/gif; gif %s\n")
    entries = load_mailcaps([tmp_path / "missing", tmp_path / "a", tmp_path / "b"])
    assert [e.command for e in entries] == ["first %s", "second %s", "gif %s"]
    assert lookup("image/png", entries).source == f"{tmp_path / 'a'}:1"


def test_hostile_mailcap_content_is_skipped_not_fatal() -> None:
    text = (
        "image/png; view %s\\\n" + "x" * 10_000 + "\n"  # continuation past the cap
        "image/png; " + "y" * 5000 + " %s\n"  # line past the cap
        "image/png; v\x00 %s\n"
        "../../x; v %s\n"
        "image/png\n"  # no command
        "image/png; 'a\\\n"
        "image/png; \\\\%s; \\q\\z\n"
        "image/png; ok %s\n"
    )
    entries = parse_mailcap(text)
    usable = [e.command for e in entries if e.usable]
    assert usable == ["ok %s"]


def _mailcaps(size: int) -> dict[str, str]:
    return {
        "entries": "image/png; view --opt %s; copiousoutput; test=true\n" * (size // 50),
        "continuations": "image/png; view \\\n" + "  -x \\\n" * (size // 8) + " %s\n",
        "semicolons": ("image/png; v %s" + ";" * 3000 + "\n") * (size // 3000),
        "backslashes": ("image/png; v %s " + "\\" * 3001 + "\n") * (size // 3000),
        "open quotes": ("image/png; v '" + "a" * 3000 + " %s\n") * (size // 3000),
        "blank": "\n" * size,
        "one long line": "image/png; " + "z" * size + "\n",
    }


def test_parsing_is_linear() -> None:
    small, large = _mailcaps(50_000), _mailcaps(500_000)
    assert_linear("parse_mailcap", parse_mailcap, [(k, small[k], large[k]) for k in small])
