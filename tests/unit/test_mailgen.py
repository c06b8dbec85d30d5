"""The mail generator: reproducible, well-formed, and as varied as it promises."""

from __future__ import annotations

import itertools
import os
from collections import Counter
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import mailgen
from tests.support.mailgen import GenMessage

PARSER = BytesParser(policy=policy.default)
CHARSETS = {
    "UTF-8",
    "ISO-8859-1",
    "ISO-8859-15",
    "KOI8-R",
    "ISO-2022-JP",
    "SHIFT_JIS",
    "WINDOWS-1252",
}


def parse(raw: bytes) -> EmailMessage:
    msg = PARSER.parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.fixture(scope="module")
def sample() -> list[GenMessage]:
    return list(mailgen.generate(1500, seed=42, attachment_ratio=0.1, attachment_size=3000))


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = list(mailgen.generate(200, seed=1))
    b = list(mailgen.generate(200, seed=1))
    c = list(mailgen.generate(200, seed=2))
    assert a == b
    assert [m.raw for m in a] != [m.raw for m in c]


def test_prefix_is_stable() -> None:
    # A benchmark with 10k messages sees the same first messages as one with 100
    # (only flags differ: the newest tenth of a run is mostly unread).
    short = [m.raw for m in mailgen.generate(50, seed=3)]
    assert short == [m.raw for m in mailgen.generate(100, seed=3)][:50]


def test_every_message_parses_cleanly_with_the_promised_headers(
    sample: list[GenMessage],
) -> None:
    ids = set()
    for m in sample:
        msg = parse(m.raw)
        for part in msg.walk():
            assert not part.defects, (m.message_id, part.defects)
        for header in ("Date", "From", "To", "Subject", "Message-ID", "MIME-Version"):
            assert msg[header], (header, m.message_id)
        assert str(msg["Subject"]) == m.subject
        assert msg["Message-ID"] == m.message_id
        assert parsedate_to_datetime(msg["Date"]) == m.internaldate
        assert msg["From"].addresses and msg["To"].addresses
        body = msg.get_body(preferencelist=("plain", "html"))
        assert body is not None and body.get_content().strip()
        ids.add(m.message_id)
    assert len(ids) == len(sample)


def test_wire_format(sample: list[GenMessage]) -> None:
    for m in sample:
        assert m.raw.count(b"\n") == m.raw.count(b"\r\n"), "bare LF"
        head = m.raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii(), "headers must be 7-bit (RFC 2047 encoded)"
        assert max(len(line) for line in m.raw.split(b"\r\n")) <= 998
        for line in head.split(b"\r\n"):
            for word in line.split():
                if word.startswith(b"=?"):
                    assert len(word) <= 75, word  # RFC 2047 §2


def test_dates_grow_and_stay_plausible(sample: list[GenMessage]) -> None:
    dates = [m.internaldate for m in sample]
    assert all(a < b for a, b in itertools.pairwise(dates))
    assert dates[0] > mailgen.DEFAULT_START
    big = list(mailgen.generate(20000, seed=0, attachment_ratio=0))
    span = big[-1].internaldate - big[0].internaldate
    assert 300 < span.days <= 2 * 366


def test_threads_are_chained(sample: list[GenMessage]) -> None:
    by_id = {m.message_id: m for m in sample}
    replies = [m for m in sample if m.in_reply_to]
    assert 0.25 < len(replies) / len(sample) < 0.55
    seen: set[str] = set()
    for m in sample:
        if m.in_reply_to:
            msg = parse(m.raw)
            refs = str(msg["References"]).split()
            assert msg["In-Reply-To"] == m.in_reply_to
            assert refs[-1] == m.in_reply_to
            assert m.in_reply_to in seen, "replies follow their parent"
            parent = by_id[m.in_reply_to]
            root_subject = parent.subject.removeprefix("Re: ")
            assert m.subject == "Re: " + root_subject
        seen.add(m.message_id)


def test_mime_shapes_charsets_and_lists(sample: list[GenMessage]) -> None:
    shapes: Counter[str] = Counter()
    charsets: set[str] = set()
    encodings: set[str] = set()
    lists = 0
    for m in sample:
        msg = parse(m.raw)
        shapes[msg.get_content_type()] += 1
        for part in msg.walk():
            if part.get_content_type() == "multipart/alternative":
                kinds = [p.get_content_type() for p in part.iter_parts()]
                assert kinds == ["text/plain", "text/html"]
        for line in m.raw.split(b"\r\n\r\n", 1)[0].split():
            if line.startswith(b"=?"):
                charset, enc = line.decode().split("?")[1:3]
                charsets.add(charset)
                encodings.add(f"{charset}?{enc}")
        if m.list_id:
            lists += 1
            assert msg["List-Id"].endswith(f"<{m.list_id}>")
            assert msg["List-Post"].startswith("<mailto:")
    assert {"text/plain", "text/html", "multipart/alternative", "multipart/mixed"} <= set(shapes)
    assert charsets >= CHARSETS
    assert {"UTF-8?B", "UTF-8?Q"} <= encodings
    assert 0.05 < lists / len(sample) < 0.3
    assert sum(m.subject.isascii() for m in sample) / len(sample) > 0.6


def test_attachments_decode_to_the_payload(sample: list[GenMessage]) -> None:
    with_att = [m for m in sample if m.has_attachment]
    assert 0.05 < len(with_att) / len(sample) < 0.16
    names = set()
    for m in with_att:
        msg = parse(m.raw)
        (att,) = list(msg.iter_attachments())
        names.add(att.get_filename())
        expected = mailgen.attachment_payload(att.get_content_type(), 3000)
        assert att.get_payload(decode=True) == expected
        if att.get_content_maintype() == "text":
            assert att.get_content() == expected.decode("utf-8")
    all_names = {n for group in mailgen.ATTACHMENT_NAMES.values() for n in group}
    assert names <= all_names
    assert any(not n.isascii() for n in names)
    assert any(len(n) > 40 and not n.isascii() for n in names)  # RFC 2231 continuations


def test_attachment_payloads_are_real_files() -> None:
    assert mailgen.attachment_payload("image/png", 5000).startswith(b"\x89PNG\r\n\x1a\n")
    pdf = mailgen.attachment_payload("application/pdf", 5000)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert 4000 < len(pdf) < 6000
    assert mailgen.attachment_payload("text/csv", 2000).startswith(b"date,account")


def test_flag_proportions(sample: list[GenMessage]) -> None:
    flags = Counter(f for m in sample for f in m.flags)
    n = len(sample)
    assert 0.8 < flags["\\Seen"] / n < 0.97
    assert 0.01 < flags["\\Flagged"] / n < 0.1
    assert 0.03 < flags["\\Answered"] / n < 0.2
    newest = sample[-len(sample) // 10 :]
    assert sum("\\Seen" in m.flags for m in newest) / len(newest) < 0.6
    assert all("\\Seen" in m.flags for m in sample if "\\Answered" in m.flags)


def test_options_shape_the_output() -> None:
    me = "Me Myself <me@example.test>"
    sent = list(mailgen.generate(20, seed=1, outgoing=me, extra_flags={"\\Draft"}))
    for m in sent:
        assert parse(m.raw)["From"] == me
        assert {"\\Seen", "\\Draft"} <= m.flags
    kw = list(mailgen.generate(200, seed=1, keywords=("Work",), keyword_ratio=0.5))
    assert 50 < sum("Work" in m.flags for m in kw) < 150
    plain = list(mailgen.generate(100, seed=1, html_ratio=0, attachment_ratio=0, thread_ratio=0))
    assert all(parse(m.raw).get_content_type() == "text/plain" for m in plain)
    assert not any(m.in_reply_to for m in plain)
    ascii_only = list(mailgen.generate(100, seed=1, non_ascii_ratio=0))
    assert all(m.raw.isascii() for m in ascii_only if not m.has_attachment)
    start = datetime(2030, 5, 1, tzinfo=UTC)
    assert next(mailgen.generate(1, start=start)).internaldate > start


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 30),
    seed=st.integers(-(2**31), 2**31),
    ratios=st.tuples(*(st.floats(0, 1) for _ in range(5))),
)
def test_any_options_give_well_formed_mail(
    n: int, seed: int, ratios: tuple[float, float, float, float, float]
) -> None:
    attach, html, thread, non_ascii, lists = ratios
    msgs = list(
        mailgen.generate(
            n,
            seed=seed,
            attachment_ratio=attach,
            attachment_size=500,
            html_ratio=html,
            thread_ratio=thread,
            non_ascii_ratio=non_ascii,
            list_ratio=lists,
        )
    )
    assert len(msgs) == n
    for m in msgs:
        msg = parse(m.raw)
        assert all(not part.defects for part in msg.walk())
        assert str(msg["Subject"]) == m.subject


# A charset and the alphabet its texts are drawn from.
ALPHABETS = {
    "utf-8": st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    "iso-8859-1": st.characters(codec="latin-1", exclude_categories=("Cc",)),
    "iso-8859-15": st.sampled_from("€ŠšŽžŒœŸ àéîõü abc"),
    "koi8-r": st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖ abc123"),
    "iso-2022-jp": st.sampled_from("あいうえおかきくけこ漢字日本語テスト abc"),
    "shift_jis": st.sampled_from("あいうえおカタカナ漢字 xyz"),
    "windows-1252": st.sampled_from("“”‘’–—…€ abcé"),
}


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    charset=st.sampled_from(sorted(ALPHABETS)),
    enc=st.sampled_from(["B", "Q"]),
)
def test_encoded_words_round_trip(data: st.DataObject, charset: str, enc: str) -> None:
    text = data.draw(st.text(ALPHABETS[charset], min_size=1, max_size=120))
    encoded = mailgen.encode_words(text, charset, enc)
    assert encoded.isascii()
    if text.isascii():
        assert encoded == text  # plain ASCII is left alone
        return
    assert all(len(word) <= 75 for word in encoded.split())
    assert str(make_header(decode_header(encoded.replace("\r\n", "")))) == text
    assert str(parse(f"Subject: {encoded}\r\n\r\n".encode())["Subject"]) == text


@settings(max_examples=80, deadline=None)
@given(name=st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1))
def test_rfc2231_filenames_round_trip(name: str) -> None:
    header = f"Content-Disposition: attachment; {mailgen.rfc2231_param('filename', name)}"
    raw = f"Content-Type: text/plain\r\n{header}\r\n\r\nx\r\n".encode()
    # Message.get_filename() strips surrounding whitespace itself.
    assert parse(raw).get_filename() == name.strip()


WORDS = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(WORDS, min_size=1, max_size=8),
    lines=st.lists(st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=60)),
)
def test_make_message_round_trips(words: list[str], lines: list[str]) -> None:
    subject = " ".join(words)
    body = "".join(line.rstrip() + "\n" for line in lines) or "\n"
    raw = mailgen.make_message(subject=subject, body=body)
    assert raw == mailgen.make_message(subject=subject, body=body)
    msg = parse(raw)
    assert str(msg["Subject"]) == subject
    assert msg.get_content().replace("\r\n", "\n") == body


def test_make_message_with_html_and_attachments() -> None:
    date = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    raw = mailgen.make_message(
        subject="Ünïcödé report",
        html="<p>Hello</p>",
        attachments=[
            ("Bericht Ä.pdf", "application/pdf", b"%PDF-1.4 x"),
            ("a.csv", "text/csv", b"a,b"),
        ],
        headers={"List-Id": "Dev <dev.example.org>"},
        date=date,
        message_id="<fixed@example.test>",
    )
    msg = parse(raw)
    assert str(msg["Subject"]) == "Ünïcödé report"
    assert msg["Message-ID"] == "<fixed@example.test>"
    assert msg["List-Id"] == "Dev <dev.example.org>"
    assert parsedate_to_datetime(msg["Date"]) == date
    assert msg.get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    atts = {a.get_filename(): a.get_payload(decode=True) for a in msg.iter_attachments()}
    assert atts == {"Bericht Ä.pdf": b"%PDF-1.4 x", "a.csv": b"a,b"}
    gen = mailgen.from_bytes(raw, flags={"\\Seen"}, internaldate=date)
    assert gen.message_id == "<fixed@example.test>" and gen.internaldate == date


# -- Maildir layout ---------------------------------------------------------------------


def test_folder_paths_follow_maildirpp_and_modified_utf7(tmp_path: Path) -> None:
    assert mailgen.folder_path(tmp_path, "INBOX") == tmp_path
    assert mailgen.folder_path(tmp_path, "inbox") == tmp_path
    assert mailgen.folder_path(tmp_path, "Archive/2025") == tmp_path / ".Archive.2025"
    assert mailgen.folder_path(tmp_path, "Entwürfe") == tmp_path / ".Entw&APw-rfe"
    assert mailgen.folder_path(tmp_path, "日本語") == tmp_path / ".&ZeVnLIqe-"
    with pytest.raises(ValueError):
        mailgen.folder_path(tmp_path, "v1.2")
    with pytest.raises(ValueError):
        mailgen.folder_path(tmp_path, "a//b")


def test_write_maildir_layout(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    msgs = list(mailgen.generate(40, seed=9, keywords=("Work", "$label1"), keyword_ratio=0.5))
    assert mailgen.write_maildir(maildir, "Projects/Alpha", msgs) == 40
    box = maildir / ".Projects.Alpha"
    assert (box / "maildirfolder").exists()
    assert (maildir / "subscriptions").read_text() == "V\t2\n\nProjects\tAlpha\n"
    keywords = dict(
        line.split(" ", 1)[::-1] for line in (box / "dovecot-keywords").read_text().splitlines()
    )
    assert set(keywords) == {"Work", "$label1"}
    letter = {name: chr(ord("a") + int(num)) for name, num in keywords.items()}
    files = {p.name: p for p in (box / "cur").iterdir()} | {
        p.name: p for p in (box / "new").iterdir()
    }
    assert len(files) == 40 and not list((box / "tmp").iterdir())
    by_size: dict[int, list[Path]] = {}
    for path in files.values():
        by_size.setdefault(path.stat().st_size, []).append(path)
    for m in msgs:
        (path,) = [p for p in by_size[len(m.raw)] if p.read_bytes() == m.raw]
        assert path.stat().st_mtime == m.internaldate.timestamp()
        assert f",S={len(m.raw)},W={len(m.raw)}" in path.name
        if m.flags:
            assert path.parent.name == "cur"
            info = path.name.split(":2,")[1]
            expected = {"\\Seen": "S", "\\Flagged": "F", "\\Answered": "R"}
            want = {expected[f] for f in m.flags if f in expected}
            want |= {letter[k] for k in m.flags if not k.startswith("\\")}
            assert set(info) == want and list(info) == sorted(info)
        else:
            assert path.parent.name == "new" and ":2," not in path.name
    # File names sort in date order, which is the order Dovecot assigns UIDs in.
    ordered = sorted(files.values(), key=lambda p: int(p.name.split(".")[0]))
    assert [p.stat().st_mtime for p in ordered] == sorted(p.stat().st_mtime for p in ordered)

    # A second batch reuses the keyword file and does not subscribe twice.
    mailgen.write_maildir(maildir, "Projects/Alpha", mailgen.generate(5, seed=1))
    mailgen.write_maildir(maildir, "INBOX", mailgen.generate(5, seed=1))
    assert (maildir / "subscriptions").read_text() == "V\t2\n\nProjects\tAlpha\n"
    assert len(list((maildir / "cur").iterdir()) + list((maildir / "new").iterdir())) == 5


def test_write_maildir_gives_files_to_the_maildir_owner(tmp_path: Path) -> None:
    # As root (CI) the harness's Maildirs belong to the mail uid, and so must our files.
    maildir = tmp_path / "Maildir"
    maildir.mkdir()
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(maildir, *owner)
    mailgen.write_maildir(
        maildir, "Sub", mailgen.generate(3, seed=1, keywords=("k",), keyword_ratio=1.0)
    )
    for path in maildir.rglob("*"):
        assert (path.stat().st_uid, path.stat().st_gid) == owner, path


def test_populate_standard_counts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()

    class User:
        name = "someone"
        address = "someone@example.test"
        maildir = home / "Maildir"

    counts = mailgen.populate_standard(User(), inbox=30, seed=1)  # type: ignore[arg-type]
    assert counts["INBOX"] == 30
    assert {"Sent", "Drafts", "Trash", "Archive", "Junk", "Archive/2025"} <= counts.keys()
    assert {"Projects/Alpha/Specs", "Entwürfe", "日本語"} <= counts.keys()
    assert all(n > 0 for n in counts.values())
    assert (User.maildir / ".Entw&APw-rfe" / "cur").is_dir()
