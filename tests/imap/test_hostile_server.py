"""A hostile IMAP server (the scripted one, tests/support/scripted_imap) against mailtui.

One test per thing Dovecot never sends: range bombs in ESEARCH, VANISHED and COPYUID,
literal sizes that are no sizes, a 100 MB line without CRLF, 10,000 nested parentheses,
UIDs 0 and 2^32+1, a NIL STATUS value, responses slipped in around STARTTLS, a PREAUTH
greeting and an [ALERT] full of terminal escapes. Each asserts a typed error or clean
handling, that the process's peak RSS grew by less than 200 MB during the case
(`PeakRss`: VmHWM reset through /proc/self/clear_refs, so the peak is this case's), and
that the cache holds what the server holds afterwards — which also proves the next
command, on a new connection, did not read a desynchronised stream.

Run with -s to see each case's RSS growth ("hostile-rss: ..." lines).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailtui.backend import UID_MAX
from mailtui.backend.query import And
from mailtui.errors import MailtuiError, ProtocolError, TlsError
from mailtui.model import FLAGGED
from mailtui.sync import commands, events
from mailtui.sync.service import ActionQueued
from tests.imap.test_scripted_imap import _session
from tests.support import mailgen
from tests.support.accounts import cli_env, wait_until
from tests.support.consistency import cache_rows
from tests.support.scripted_fixture import assert_cache_matches_store, scripted_context
from tests.support.scripted_imap import Disconnect, ScriptedImap, hooks

RSS_LIMIT_MB = 200


class PeakRss:
    """The growth of this process's peak RSS over a block, in MB (Linux: VmHWM is reset
    to the current RSS by writing 5 to /proc/self/clear_refs)."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.growth_mb = 0.0

    @staticmethod
    def _status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/self/status")

    def __enter__(self) -> PeakRss:
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")
        self.base_kb = self._status("VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        self.growth_mb = (self._status("VmHWM") - self.base_kb) / 1024
        print(f"\nhostile-rss: {self.case}: {self.growth_mb:.1f} MB")
        assert self.growth_mb < RSS_LIMIT_MB, f"{self.case}: peak RSS grew {self.growth_mb:.0f} MB"


def _once(hook: hooks.Hook, when: Callable[[object], bool] = lambda cmd: True) -> hooks.Hook:
    """`hook` for the first command `when` accepts, then the server's own answers."""
    used: list[bool] = []

    def wrapped(session, cmd, next_) -> None:
        if used or not when(cmd):
            next_(cmd)
            return
        used.append(True)
        try:
            hook(session, cmd, next_)
        except Disconnect:
            raise
        except OSError as exc:  # the client hung up on the hostile bytes, as it should
            raise Disconnect(str(exc)) from exc

    return wrapped


def _raw_reply(data: bytes, *, ok: bool = True) -> hooks.Hook:
    """Send `data` (with "{tag}" filled in), then OK — instead of the real answer."""

    def hook(session, cmd, _next) -> None:
        session.send_raw(data.replace(b"{tag}", cmd.tag.encode()))
        if ok:
            session.ok(cmd)

    return hook


def _flood(head: bytes, sent: list[int], fill: bytes = b"x") -> hooks.Hook:
    """`head`, then 100 MiB of `fill` (by default "x", no CRLF) a MiB at a time,
    counting what went out: the client must hang up long before the end."""
    chunk = fill * ((1 << 20) // len(fill))

    def hook(session, cmd, _next) -> None:
        session.send_raw(head)
        for _ in range(100):
            session.send_raw(chunk)
            sent.append(1)

    return hook


def _is_header_fetch(cmd) -> bool:
    return b"HEADER.FIELDS" in cmd.line.upper()


@pytest.fixture(autouse=True)
def _quiet_protocol_loggers() -> Iterator[None]:
    """Earlier tests in the same process may leave the protocol loggers at DEBUG
    (log_protocol = true calls config.logs.setup), and pytest's log capture keeps every
    record in memory: half a million logged lines would be counted as mailtui's RSS."""
    loggers = [logging.getLogger(name) for name in ("mailtui.imap.protocol", "imapclient")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@pytest.fixture
def server(scripted_imap: ScriptedImap) -> ScriptedImap:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(20, seed=31, seen_ratio=0.5))
    scripted_imap.store.create("Work")
    scripted_imap.store.add_messages("Work", mailgen.generate(5, seed=32))
    return scripted_imap


def _fails_then_recovers(ctx, server: ScriptedImap, command: commands.Command) -> MailtuiError:
    """The command fails with a typed error; the same command again (the hostile hook
    was for one command only) succeeds on a new connection."""
    service = ctx.service()
    with pytest.raises(MailtuiError) as info:
        service.run(command, timeout=60)
    service.run(command, timeout=60)
    return info.value


# --- range bombs -------------------------------------------------------------------------


def test_an_esearch_range_bomb_in_a_cold_sync(server: ScriptedImap, tmp_path: Path) -> None:
    """`* ESEARCH ... UID ALL 1:4294967295` for a folder of 20: four billion UIDs were
    expanded into a list; the sync fetches only what is below UIDNEXT."""
    server.on("UID SEARCH", _raw_reply(b'* ESEARCH (TAG "{tag}") UID ALL 1:4294967295\r\n'))
    ctx = scripted_context(server, tmp_path)
    try:
        with PeakRss("ESEARCH ALL 1:4294967295 (cold sync)"):
            ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 20
    finally:
        ctx.close()


@pytest.mark.parametrize("path", ["noop", "select"])
def test_a_vanished_range_bomb_removes_only_what_is_gone(
    server: ScriptedImap, tmp_path: Path, path: str
) -> None:
    """Another client expunged UIDs 11 to 20; the server says `VANISHED 11:4294967295`
    (a superset is allowed, RFC 7162 §3.2.10). The cache keeps 1 to 10, and the range
    costs two integers — on the NOOP shortcut and on a QRESYNC SELECT alike."""
    ctx = scripted_context(server, tmp_path)
    try:
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        server.store.expunge("INBOX", range(11, 21), only_deleted=False)
        server.on("NOOP", hooks.before(b"* VANISHED 11:4294967295\r\n"))
        server.on("SELECT", hooks.before(b"* VANISHED (EARLIER) 11:4294967295\r\n"))
        if path == "select":  # a new process: its first SELECT carries QRESYNC
            ctx.close()
            ctx = scripted_context(server, tmp_path)
        with PeakRss(f"VANISHED 11:4294967295 ({path})"):
            ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 10
    finally:
        ctx.close()


def _widen_copyuid(line: bytes) -> bytes:
    """[COPYUID v 5 1] → [COPYUID v 5:4294967295 1:4294967291]: still true for UID 5."""
    m = re.search(rb"\[COPYUID ([0-9]+) ([0-9]+) ([0-9]+)\]", line)
    if m is None:
        return line
    src, dst = int(m.group(2)), int(m.group(3))
    wide = b"[COPYUID %s %d:%d %d:%d]" % (m.group(1), src, UID_MAX, dst, dst + UID_MAX - src)
    return line[: m.start()] + wide + line[m.end() :]


def test_a_copyuid_range_bomb_on_a_move(server: ScriptedImap, tmp_path: Path) -> None:
    """A COPYUID pairing 4 billion UIDs: the map stays two pairs of ranges and only
    the moved UID is looked up; the moved row lands under its true new UID."""
    server.store.create("Empty")
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        server.rewrite(_widen_copyuid)
        with PeakRss("COPYUID 5:4294967295 1:4294967291 (move)"):
            result = service.run(
                commands.MoveMessages(folder="INBOX", uids=(5,), dest="Empty"), timeout=60
            )
            assert service.wait_writer_idle()
        (moved,) = server.store.messages("Empty")
        assert result["mapping"] == {5: moved.uid}
        assert 5 not in server.store.flags("INBOX")
        # Before any resync, the destination's cache already holds the row.
        assert moved.uid in cache_rows(ctx, "Empty")
        service.run(commands.SyncAll(), timeout=60)
        assert_cache_matches_store(ctx, server, ["INBOX", "Empty", "Work"])
    finally:
        ctx.close()


# --- framing: literals and lines ------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    [b"{-1}", b"{-5}", b"{1_0}", b"{0x10}", b"{99999999999999999999999}", b"{2000000}"],
    ids=["minus-1", "minus-5", "underscore", "hex", "huge", "over-the-header-cap"],
)
def test_a_literal_size_that_is_no_size(
    server: ScriptedImap, tmp_path: Path, marker: bytes
) -> None:
    """`{-1}` read to EOF, `{-5}` raised ValueError, `{1_0}` was read as 10 bytes, and
    any size was believed. Now each is a ProtocolError, the connection is dropped and
    the next sync, on a new one, completes."""
    reply = (
        b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (DATE FROM)] "
        + marker
        + b"\r\n"
        + b"x" * 4096
        + b")\r\n"
    )
    server.on("UID FETCH", _once(_raw_reply(reply), _is_header_fetch))
    ctx = scripted_context(server, tmp_path)
    try:
        with PeakRss(f"literal {marker.decode()}"):
            error = _fails_then_recovers(ctx, server, commands.SyncFolder(folder="INBOX"))
        assert isinstance(error, ProtocolError), error
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 20
    finally:
        ctx.close()


def test_a_part_literal_above_64_mb_is_refused_unread(server: ScriptedImap, tmp_path: Path) -> None:
    """A body part may be large, but not anything: a 100 MB claim is refused at once."""
    sent: list[int] = []
    huge_part = _flood(b"* 1 FETCH (UID 1 BODY[1] {100000000}\r\n", sent)
    server.on("UID FETCH", _once(huge_part, lambda cmd: b"BODY.PEEK[1]" in cmd.line.upper()))
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        with (
            PeakRss("literal {100000000} for a body part"),
            pytest.raises(ProtocolError, match="literal of 100,000,000 bytes"),
        ):
            service.run(
                commands.FetchPart(folder="INBOX", uid=1, section="1", cache=False), timeout=60
            )
        part = service.run(
            commands.FetchPart(folder="INBOX", uid=1, section="1", cache=False), timeout=60
        )
        assert part  # the next fetch, on a new connection, reads the real part
        assert len(sent) < 100, "the server could send the whole 100 MB: nobody hung up"
    finally:
        ctx.close()


def test_a_100_mb_line_without_crlf(server: ScriptedImap, tmp_path: Path) -> None:
    """A line that never ends is refused after the 1 MiB cap, not read to the end."""
    sent: list[int] = []
    server.on("UID FETCH", _once(_flood(b"* 1 FETCH (UID 1 X-JUNK ", sent), _is_header_fetch))
    ctx = scripted_context(server, tmp_path)
    try:
        with PeakRss("a 100 MB line without CRLF"):
            error = _fails_then_recovers(ctx, server, commands.SyncFolder(folder="INBOX"))
        assert "longer than 1 MiB" in str(error)
        assert len(sent) < 100, "the client read the whole 100 MB line"
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 20
    finally:
        ctx.close()


def test_a_flood_of_responses_to_one_command(server: ScriptedImap, tmp_path: Path) -> None:
    """A SEARCH answered with endless `* 1 EXISTS` lines (8 million in 100 MB): every
    line was kept in the reply's list until memory ran out; now one command's reply
    stops at 160 MiB of estimated cost, and the next sync completes."""
    sent: list[int] = []
    flood = _flood(b"", sent, fill=b"* 1 EXISTS\r\n")
    server.on("UID SEARCH", _once(flood))
    ctx = scripted_context(server, tmp_path)
    try:
        with PeakRss("8 million '* 1 EXISTS' for one SEARCH"):
            error = _fails_then_recovers(ctx, server, commands.SyncFolder(folder="INBOX"))
        assert "for one command" in str(error)
        assert len(sent) < 100, "the client read the whole flood"
        assert assert_cache_matches_store(ctx, server, ["INBOX"]) == 20
    finally:
        ctx.close()


def test_a_flood_of_responses_to_an_imapclient_command(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """The same flood where imapclient reads (a BODYSTRUCTURE fetch): imaplib kept
    every line in its untagged_responses; its reads now share the same cap."""
    sent: list[int] = []
    flood = _flood(b"", sent, fill=b"* 1 EXISTS\r\n")
    server.on("UID FETCH", _once(flood, lambda c: b"BODYSTRUCTURE" in c.line.upper()))
    ctx = scripted_context(server, tmp_path)
    try:
        ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        with PeakRss("8 million '* 1 EXISTS' for one BODYSTRUCTURE (imapclient)"):
            error = _fails_then_recovers(
                ctx, server, commands.FetchStructure(folder="INBOX", uid=1)
            )
        assert "for one command" in str(error)
        assert len(sent) < 100, "the client read the whole flood"
    finally:
        ctx.close()


# --- parsing ------------------------------------------------------------------------------------

NESTED = b"(" * 10_000 + b")" * 10_000


def test_ten_thousand_nested_parentheses_in_a_list(server: ScriptedImap, tmp_path: Path) -> None:
    server.on(
        "LIST",
        _once(_raw_reply(b'* LIST (\\HasNoChildren) "/" INBOX\r\n* LIST ' + NESTED + b"\r\n")),
    )
    ctx = scripted_context(server, tmp_path)
    try:
        with PeakRss("10,000 nested parentheses (LIST)"):
            error = _fails_then_recovers(ctx, server, commands.RefreshFolders())
        assert "nested parentheses" in str(error)
        ctx.service().run(commands.SyncAll(), timeout=60)
        assert assert_cache_matches_store(ctx, server, ["INBOX", "Work"]) == 25
    finally:
        ctx.close()


def test_ten_thousand_nested_parentheses_in_a_bodystructure(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """imapclient parses BODYSTRUCTURE recursively: RecursionError was an "Internal
    error"; now it is a typed ProtocolError and the connection is renewed."""
    reply = b"* 1 FETCH (UID 1 BODYSTRUCTURE " + NESTED + b")\r\n"
    server.on("UID FETCH", _once(_raw_reply(reply), lambda c: b"BODYSTRUCTURE" in c.line.upper()))
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        with PeakRss("10,000 nested parentheses (BODYSTRUCTURE)"):
            error = _fails_then_recovers(
                ctx, server, commands.FetchStructure(folder="INBOX", uid=1)
            )
        assert isinstance(error, ProtocolError) and "Internal error" not in str(error)
        assert_cache_matches_store(ctx, server, ["INBOX"])
    finally:
        ctx.close()


@pytest.mark.parametrize("bad_uid", [0, 2**32 + 1])
def test_uid_zero_and_above_32_bits(server: ScriptedImap, tmp_path: Path, bad_uid: int) -> None:
    """A new message reported under UID 0 or 2^32+1. The cache keys a row by
    folder << 32 | uid, so 2^32+1 in INBOX landed on Work's UID 1; now the reply is a
    ProtocolError and nothing of it is stored."""
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        new = server.store.append("INBOX", mailgen.make_message(subject="renumbered"))

        def renumber(session, cmd, next_) -> None:
            swap = (b"UID %d " % new, b"UID %d " % bad_uid)
            session.filters.append(lambda line: line.replace(*swap))
            try:
                next_(cmd)
            finally:
                session.filters.pop()

        server.on("UID FETCH", _once(renumber, _is_header_fetch))
        with PeakRss(f"UID {bad_uid}"):
            _fails_then_recovers(ctx, server, commands.SyncFolder(folder="INBOX"))
        assert bad_uid not in cache_rows(ctx, "INBOX")
        assert_cache_matches_store(ctx, server, ["INBOX", "Work"])
    finally:
        ctx.close()


def test_a_nil_status_value(server: ScriptedImap, tmp_path: Path) -> None:
    """`* STATUS INBOX (MESSAGES NIL ...)`: int(None) was a TypeError ("Internal
    error"); a value the server does not know is now left out and the sync goes on."""

    def nil_counts(line: bytes) -> bytes:
        if not line.startswith(b"* STATUS") and b"STATUS" not in line[:80]:
            return line
        return re.sub(rb"(MESSAGES|UNSEEN|UIDNEXT|HIGHESTMODSEQ) [0-9]+", rb"\1 NIL", line)

    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncAll(), timeout=60)
        server.store.append("INBOX", mailgen.make_message(subject="after the first sync"))
        server.rewrite(nil_counts)
        with PeakRss("STATUS MESSAGES NIL"):
            service.run(commands.RefreshFolders(), timeout=60)
            service.run(commands.SyncAll(), timeout=60)
        assert assert_cache_matches_store(ctx, server, ["INBOX", "Work"]) == 26
    finally:
        ctx.close()


# --- the threads that own connections reconnect ------------------------------------------------

BAD_LITERAL = b"* 1 FETCH (UID 1 BODY[1] {-5}\r\nxxxxx)\r\n"


def test_the_journal_writer_keeps_an_action_across_a_malformed_reply(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """A UID STORE answered with a literal of -5 bytes: the writer took the ValueError
    for a refusal and dropped the action for good. Now its connection is renewed and
    the journal sends the action again."""
    server.on("UID STORE", _once(_raw_reply(BAD_LITERAL)))
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        with PeakRss("UID STORE answered with {-5} (journal writer)"):
            with contextlib.suppress(ActionQueued):
                service.run(
                    commands.SetFlags(folder="INBOX", uids=(3,), add=frozenset({FLAGGED})),
                    timeout=60,
                )
            wait_until(
                lambda: FLAGGED in server.store.flags("INBOX")[3],
                timeout=30,
                what="the flag replayed on a new connection",
            )
            assert service.wait_writer_idle()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        assert_cache_matches_store(ctx, server, ["INBOX"])
    finally:
        ctx.close()


def test_the_watcher_renews_its_connection_after_a_malformed_reply(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """Garbage right after IDLE ends: the watcher's next command reads it. Its
    ValueError killed the watcher thread (no more live mail); now the watcher
    reconnects and goes on announcing new mail."""
    idling: list[int] = []  # the connection number of each IDLE

    def mark(session, cmd, next_) -> None:
        idling.append(session.number)
        next_(cmd)

    server.on("IDLE", mark)
    server.on("IDLE", _once(hooks.after(BAD_LITERAL)))
    ctx = scripted_context(server, tmp_path)
    try:
        service = ctx.service()
        service.run(commands.SyncFolder(folder="INBOX"), timeout=60)
        arrived: list[int] = []
        service.subscribe(
            lambda e: (
                arrived.extend(e.uids)
                if isinstance(e, events.NewMail) and e.folder == "INBOX"
                else None
            )
        )
        service.watch("INBOX")
        wait_until(lambda: idling, what="the watcher in IDLE")
        first_connection = idling[0]
        with PeakRss("malformed reply after IDLE (watcher)"):
            first = server.store.append("INBOX", mailgen.make_message(subject="first"))
            wait_until(lambda: first in arrived, timeout=30, what="mail after the garbage")
        wait_until(
            lambda: any(n != first_connection for n in idling),
            timeout=30,
            what="the watcher in IDLE on a new connection",
        )
        second = server.store.append("INBOX", mailgen.make_message(subject="second"))
        wait_until(lambda: second in arrived, timeout=30, what="mail on the new connection")
        assert_cache_matches_store(ctx, server, ["INBOX"])
    finally:
        ctx.close()


# --- STARTTLS and the greeting --------------------------------------------------------------


def test_responses_injected_before_the_starttls_ok_refuse_the_connection(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """A plaintext `* SEARCH 4242` before STARTTLS's OK survived into the TLS session
    and answered the next SEARCH (journal replay uses it). mailtui now refuses the
    connection, before any login."""
    server.on("STARTTLS", hooks.inject_before_starttls_ok(b"* SEARCH 4242\r\n"))
    session = _session(server, tmp_path, security="starttls")
    with (
        PeakRss("untagged SEARCH before the STARTTLS OK"),
        pytest.raises(TlsError, match="between STARTTLS and its OK"),
    ):
        session.connect()
    assert session.client is None and server.logins == []


def test_plaintext_after_the_starttls_ok_is_never_read(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """Plaintext right after the OK, before the handshake: either the handshake fails
    on it or it is dropped with imaplib's old buffer — never read as a response."""

    def inject_after_ok(session, cmd, next_) -> None:
        if session.tls:
            next_(cmd)
            return
        session.send_raw(f"{cmd.tag} OK Begin TLS negotiation now.\r\n* SEARCH 4242\r\n".encode())
        cmd.responded = True
        session.start_tls()

    server.on("STARTTLS", inject_after_ok)
    session = _session(server, tmp_path, security="starttls")
    with PeakRss("untagged SEARCH after the STARTTLS OK"):
        try:
            session.connect()
        except TlsError:
            assert server.logins == []
            return
    try:
        session.select("INBOX")
        assert session.search(And()) == list(range(1, 21))
    finally:
        session.close()


def test_unsolicited_responses_over_tls_never_answer_a_later_command(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """An untagged SEARCH sent with the first CAPABILITY over TLS stayed in imaplib's
    untagged_responses and came back as the result of the next SEARCH."""
    server.on("CAPABILITY", _once(hooks.before(b"* SEARCH 4242\r\n")))
    session = _session(server, tmp_path, security="starttls")
    session.connect()
    try:
        assert session.client is not None
        assert session.client._imap.untagged_responses == {}
        session.select("INBOX")
        assert session.search(And()) == list(range(1, 21))
    finally:
        session.close()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_preauth_greeting_is_refused_before_anything_is_sent(
    server: ScriptedImap, tmp_path: Path, security: str
) -> None:
    received: list[str] = []

    def record(session, cmd, next_) -> None:
        if cmd.name != "GREETING":
            received.append(cmd.name)
        next_(cmd)

    server.on("GREETING", hooks.preauth(offer_starttls=True))
    server.on("*", record)
    session = _session(server, tmp_path, security=security)
    with PeakRss(f"PREAUTH greeting ({security})"), pytest.raises(TlsError, match="PREAUTH"):
        session.connect()
    assert session.client is None and server.logins == []
    assert received == [], f"mailtui sent {received} after a PREAUTH greeting"


# --- server text shown to the user --------------------------------------------------------------

ALERT = "\x1b[2J\x1b]0;owned\x07 \x9b31m Server on fire \u202egnp.exe"


def test_an_alert_with_escapes_reaches_the_cli_sanitised(
    server: ScriptedImap, tmp_path: Path
) -> None:
    """A NO [ALERT] full of terminal controls: `mailtui sync` says what failed, and not
    one control byte reaches the terminal."""
    server.on("SELECT", hooks.reply("NO", ALERT, "ALERT"))
    env = cli_env(tmp_path, server, server.user)  # type: ignore[arg-type]
    with PeakRss("NO [ALERT] with escapes (CLI)"):
        proc = subprocess.run(
            [sys.executable, "-m", "mailtui", "sync"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Server on fire" in out
    for control in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert control not in out, f"{control!r} reached the terminal: {out!r}"
