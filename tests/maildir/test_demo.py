"""The demo mailbox: generated, synced through the real service, every message readable."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

from mailtui.context import AppContext
from mailtui.demo import content, demo_root, demo_settings, prepare_demo
from mailtui.mime.parse import parse_message
from mailtui.mime.render import attachments
from mailtui.model import Role
from mailtui.sync import commands

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def test_same_seed_same_bytes_other_seed_other_mail() -> None:
    first = [m.msg.as_bytes() for m in content.build(seed=1, now=NOW)]
    again = [m.msg.as_bytes() for m in content.build(seed=1, now=NOW)]
    other = [m.msg.as_bytes() for m in content.build(seed=2, now=NOW)]
    assert first == again
    assert first != other
    assert 200 <= len(first) <= 600


def test_demo_covers_what_the_ui_must_show() -> None:
    mails = content.build(seed=0, now=NOW)
    folders = {m.folder for m in mails}
    assert folders == set(content.FOLDERS)
    parsed = [(m, parse_message(m.msg.as_bytes())) for m in mails]
    newest = max(m.when for m in mails)
    assert newest.date() == NOW.date() and (NOW - newest).total_seconds() < 3600
    assert (NOW - min(m.when for m in mails)).days > 90
    types = {part.mime_type for _m, p in parsed for part in p.structure.walk()}
    assert {
        "multipart/alternative",
        "text/html",
        "application/pdf",
        "image/png",
        "text/csv",
        "text/calendar",  # an invitation to answer with i
    } <= types
    subjects = " ".join(p.subject for _m, p in parsed)
    for word in ("Grüße", "Réunion", "打ち合わせ", "Отчёт"):
        assert word in subjects
    assert any(p.list_id and p.list_post for _m, p in parsed)
    assert any(p.structure.param("format") == "flowed" for _m, p in parsed)
    replies = [p for _m, p in parsed if p.in_reply_to]
    assert len(replies) > 20 and all(p.references for p in replies)
    flags = [m.flags for m in mails]
    assert any("\\Flagged" in f for f in flags) and any(not f for f in flags)


def test_attachments_are_valid_files() -> None:
    mails = content.build(seed=0, now=NOW)
    checked = set()
    for mail in mails:
        for part in mail.msg.walk():
            data = part.get_payload(decode=True) if not part.is_multipart() else None
            ctype = part.get_content_type()
            if ctype == "image/png":
                assert data[:8] == b"\x89PNG\r\n\x1a\n"
                pos = 8
                while pos < len(data):
                    (length,) = struct.unpack(">I", data[pos : pos + 4])
                    tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
                    (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
                    assert zlib.crc32(tag + body) == crc
                    pos += 12 + length
                checked.add(ctype)
            elif ctype == "application/pdf":
                assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
                offset = int(data.rsplit(b"startxref", 1)[1].split()[0])
                assert data[offset : offset + 4] == b"xref"
                checked.add(ctype)
            elif ctype == "text/csv":
                assert data.decode("utf-8").splitlines()[0] == "month,category,amount_eur"
                checked.add(ctype)
    assert checked == {"image/png", "application/pdf", "text/csv"}


def test_demo_syncs_and_every_message_parses(tmp_path: Path) -> None:
    root = prepare_demo()
    assert root == demo_root() and (root / "cur").is_dir()
    ctx = AppContext(demo_settings(root), cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        assert ctx.account().name == "demo" and ctx.account().maildir == root
        stats = service.run(commands.SyncAll(), timeout=120)
        total = sum(s.total for s in stats)
        assert total == sum(1 for _ in root.rglob("cur/*")) + sum(1 for _ in root.rglob("new/*"))
        folders = {f.name: f for f in service.folders()}
        assert set(folders) == set(content.FOLDERS)
        roles = {f.role for f in folders.values()}
        assert {Role.INBOX, Role.SENT, Role.DRAFTS, Role.TRASH, Role.ARCHIVE, Role.JUNK} <= roles
        assert folders["INBOX"].unread and folders["INBOX"].total
        with_attachments = 0
        for name in folders:
            for uid in service.view(name):
                raw = service.run(commands.FetchPart(folder=name, uid=uid, section=""), timeout=10)
                parsed = parse_message(raw)
                assert parsed.structure.description != "structure too complex to show"
                structure = service.run(commands.FetchStructure(folder=name, uid=uid), timeout=10)
                assert structure == parsed.structure
                with_attachments += bool(attachments(structure))
        assert with_attachments >= 10
        labels = {
            k
            for e in service.envelopes("INBOX", service.view("INBOX")).values()
            for k in e.keywords
        }
        assert {"Work", "Travel", "Personal"} <= labels
    finally:
        ctx.close()


def test_demo_is_kept_between_runs_and_reset_recreates_it(tmp_path: Path) -> None:
    root = prepare_demo()
    ctx = AppContext(demo_settings(root), cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        before = service.folder_state("INBOX")
        count = len(service.view("INBOX"))
        service.run(
            commands.DeleteMessages(folder="INBOX", uids=tuple(service.view("INBOX")[:3])),
            timeout=30,
        )
        assert service.wait_writer_idle()
    finally:
        ctx.close()
    assert prepare_demo() == root  # kept: the deletion stays
    ctx = AppContext(demo_settings(root), cache_dir=tmp_path / "cache")
    try:
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert len(ctx.service().view("INBOX")) == count - 3
    finally:
        ctx.close()
    assert prepare_demo(reset=True) == root
    ctx = AppContext(demo_settings(root), cache_dir=tmp_path / "cache")
    try:
        service = ctx.service()
        stats = service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        after = service.folder_state("INBOX")
        assert after.uidvalidity != before.uidvalidity and stats.fetched == count
        assert len(service.view("INBOX")) == count
    finally:
        ctx.close()
    assert not [p for p in root.parent.iterdir() if p.name.startswith(".demo-")]


def test_demo_context_keeps_its_cache_apart() -> None:
    from mailtui.config import paths
    from mailtui.demo import demo_cache_dir, demo_context

    ctx = demo_context()
    try:
        assert ctx.cache_dir == demo_cache_dir() != paths.cache_dir() / "accounts"
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert any(demo_cache_dir().iterdir())
    finally:
        ctx.close()
    ctx = demo_context(reset=True)
    try:
        stats = ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert stats.fetched == len(ctx.service().view("INBOX")) > 0
    finally:
        ctx.close()


def test_cli_lists_the_demo_on_a_fresh_install_without_a_sync(tmp_path: Path) -> None:
    """The README's first example: `mailtui --demo list INBOX`, nothing run before it."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "xdg-config"))
    for args in (("list", "INBOX"), ("search", "INBOX", "unseen", "--local")):
        out = subprocess.run(
            [sys.executable, "-m", "mailtui", "--demo", "--reset", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0 and out.stderr == "", out.stderr
        rows = out.stdout.splitlines()
        assert len(rows) > 5, args
        expected = {str(m.msg["Subject"]) for m in content.build(seed=0) if m.folder == "INBOX"}
        assert any(subject in rows[0] for subject in expected), rows[0]
