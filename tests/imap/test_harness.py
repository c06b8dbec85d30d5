"""The test Dovecot itself: TLS, capabilities per user, isolation, generated mail,
restarts, clean-up, and the suite's no-skips rule."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import imapclient
import pytest
from imapclient.exceptions import LoginError

from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser

pytestmark = pytest.mark.imap

REPO = Path(__file__).resolve().parents[2]
MODERN = {
    "CONDSTORE",
    "QRESYNC",
    "IDLE",
    "MOVE",
    "UIDPLUS",
    "SPECIAL-USE",
    "LIST-STATUS",
    "ESEARCH",
}


def caps(client: imapclient.IMAPClient) -> set[str]:
    return {c.decode().upper() for c in client.capabilities()}


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


# -- TLS and login ----------------------------------------------------------------------


def test_starttls_login_verifies_against_test_ca(dovecot: Dovecot, mail_user: MailUser) -> None:
    c = imapclient.IMAPClient(dovecot.host, dovecot.imap_port, ssl=False, timeout=10)
    try:
        assert "STARTTLS" in caps(c)
        c.starttls(ssl.create_default_context(cafile=str(dovecot.ca_file)))
        assert isinstance(c._imap.sock, ssl.SSLSocket)
        c.login(mail_user.name, mail_user.password)
        assert c.select_folder("INBOX")[b"EXISTS"] == 0
    finally:
        c.logout()


def test_imaps_login_verifies_against_test_ca(dovecot: Dovecot, mail_user: MailUser) -> None:
    ctx = ssl.create_default_context(cafile=str(dovecot.ca_file))
    for host in ("127.0.0.1", "localhost"):
        c = imapclient.IMAPClient(host, dovecot.imaps_port, ssl=True, ssl_context=ctx, timeout=10)
        c.login(mail_user.name, mail_user.password)
        assert isinstance(c._imap.sock, ssl.SSLSocket)
        c.logout()


def test_certificate_is_not_trusted_without_test_ca(dovecot: Dovecot) -> None:
    ctx = ssl.create_default_context()  # system CAs only
    with pytest.raises(ssl.SSLCertVerificationError):
        imapclient.IMAPClient(dovecot.host, dovecot.imaps_port, ssl=True, ssl_context=ctx)


def test_client_helper_modes(dovecot: Dovecot, mail_user: MailUser) -> None:
    for kwargs in ({}, {"tls": False}, {"starttls": True}):
        with dovecot.client(mail_user, **kwargs) as c:
            assert c.noop()
            assert isinstance(c._imap.sock, ssl.SSLSocket) == (kwargs != {"tls": False})


def test_wrong_password_and_unknown_user_are_refused(dovecot: Dovecot, mail_user: MailUser) -> None:
    for name, password in ((mail_user.name, "wrong"), ("nobody-here", "secret")):
        c = imapclient.IMAPClient(dovecot.host, dovecot.imap_port, ssl=False, timeout=10)
        with pytest.raises(LoginError):
            c.login(name, password)
        c.shutdown()


def test_users_added_later_can_log_in_at_once(dovecot: Dovecot) -> None:
    # Dovecot re-reads a changed passwd-file at most once a second; the harness gives
    # each user a file of its own so that a brand-new user never waits for that.
    for _ in range(3):
        user = dovecot.add_user()
        with dovecot.client(user) as c:
            assert c.noop()


def test_add_user_with_name_and_address(dovecot: Dovecot) -> None:
    user = dovecot.add_user("carol-harness", "pw2")
    assert user.address == "carol-harness@example.test"
    assert user.maildir == user.home / "Maildir"
    with dovecot.client(user) as c:
        assert c.noop()
    with pytest.raises(ValueError):
        dovecot.add_user("carol-harness")
    with pytest.raises(ValueError):
        dovecot.add_user("bad:name")


# -- capabilities -------------------------------------------------------------------------


def test_normal_user_has_modern_capabilities(dovecot: Dovecot, mail_user: MailUser) -> None:
    with dovecot.client(mail_user) as c:
        assert caps(c) >= MODERN


@pytest.mark.parametrize(
    "hidden", [{"QRESYNC", "CONDSTORE"}, {"MOVE"}, {"IDLE"}, {"SPECIAL-USE", "LIST-STATUS"}]
)
def test_disable_hides_capabilities_for_that_user_only(dovecot: Dovecot, hidden: set[str]) -> None:
    limited = dovecot.add_user(disable=hidden)
    normal = dovecot.add_user()
    with dovecot.client(limited) as c:
        got = caps(c)
        assert not got & hidden
        assert got >= MODERN - hidden
        # imapclient may have cached the LOGIN response's CAPABILITY: ask again.
        _typ, data = c._imap.capability()
        assert not set(data[-1].decode().upper().split()) & hidden
    with dovecot.client(normal) as c:
        assert caps(c) >= MODERN
    assert limited.disabled == frozenset(hidden)


def test_disable_rejects_unknown_capability(dovecot: Dovecot) -> None:
    with pytest.raises(ValueError, match="QRESNYC"):
        dovecot.add_user(disable={"QRESNYC"})


def test_rawlog_records_commands_after_login(dovecot: Dovecot) -> None:
    user = dovecot.add_user(disable={"MOVE"}, rawlog=True)
    with dovecot.client(user) as c:
        c.select_folder("INBOX")
        c.noop()
    sent = dovecot.commands_sent(user)
    assert 'SELECT "INBOX"' in sent
    assert "NOOP" in sent
    assert not any(line.upper().startswith(("MOVE", "UID MOVE")) for line in sent)


# -- isolation and generated content -----------------------------------------------------


def test_users_are_isolated(dovecot: Dovecot) -> None:
    alice, bob = dovecot.add_user(), dovecot.add_user()
    mailgen.write_maildir(alice.maildir, "INBOX", mailgen.generate(5, seed=1))
    mailgen.write_maildir(alice.maildir, "Private", mailgen.generate(2, seed=2))
    assert alice.home != bob.home
    with dovecot.client(bob) as c:
        assert c.select_folder("INBOX")[b"EXISTS"] == 0
        assert "Private" not in {name for _f, _d, name in c.list_folders()}
    with dovecot.client(alice) as c:
        assert c.select_folder("INBOX")[b"EXISTS"] == 5
        assert "Private" in {name for _f, _d, name in c.list_folders()}


def test_standard_account_is_visible_over_imap(dovecot: Dovecot, mail_user: MailUser) -> None:
    counts = mailgen.populate_standard(mail_user, inbox=120, seed=7)
    with dovecot.client(mail_user) as c:
        listed = {name: {f.decode() for f in flags} for flags, delim, name in c.list_folders()}
        assert {d for _f, d, _n in c.list_folders()} == {b"/"}
        for folder, n in counts.items():
            assert folder in listed, folder
            assert c.folder_status(folder, ["MESSAGES"])[b"MESSAGES"] == n, folder
        for folder, flag in {
            "Sent": "\\Sent",
            "Drafts": "\\Drafts",
            "Trash": "\\Trash",
            "Archive": "\\Archive",
            "Junk": "\\Junk",
        }.items():
            assert flag in listed[folder]
        assert {"Entwürfe", "日本語", "Archive/2025", "Projects/Alpha/Specs"} <= listed.keys()
        # Parents of nested folders exist only implicitly, as on many real servers.
        assert "\\Noselect" in listed["Projects/Alpha"]
        subscribed = {name for _f, _d, name in c.list_sub_folders()}
        assert set(counts) - {"INBOX"} <= subscribed


def test_generated_messages_keep_flags_dates_sizes_and_order(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    msgs = list(mailgen.generate(150, seed=11, keywords=("Work", "$label1"), keyword_ratio=0.2))
    mailgen.write_maildir(mail_user.maildir, "INBOX", msgs)
    with dovecot.client(mail_user) as c:
        c.select_folder("INBOX", readonly=True)
        uids = c.search("ALL")
        assert len(uids) == len(msgs)
        data = c.fetch(uids, ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"])
        for uid, msg in zip(sorted(uids), msgs, strict=True):
            item = data[uid]
            flags = {f.decode() for f in item[b"FLAGS"]} - {"\\Recent"}
            assert flags == set(msg.flags), uid
            assert item[b"RFC822.SIZE"] == len(msg.raw)
            assert item[b"ENVELOPE"].message_id.decode() == msg.message_id
            assert item[b"INTERNALDATE"].timestamp() == msg.internaldate.timestamp()
        raw = c.fetch([uids[0]], ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
        assert raw == msgs[0].raw


def test_mail_written_while_selected_appears_on_noop(dovecot: Dovecot, mail_user: MailUser) -> None:
    mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(3, seed=1))
    with dovecot.client(mail_user) as c:
        assert c.select_folder("INBOX")[b"EXISTS"] == 3
        mailgen.write_maildir(mail_user.maildir, "INBOX", mailgen.generate(2, seed=2))
        _text, untagged = c.noop()
        assert (5, b"EXISTS") in untagged


def test_folder_made_on_disk_reaches_open_session_after_refresh(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    with dovecot.client(mail_user) as c:
        assert "Later" not in {n for _f, _d, n in c.list_folders()}
        mailgen.write_maildir(mail_user.maildir, "Later", mailgen.generate(1))
        dovecot.refresh_folder_list(mail_user)
        assert "Later" in {n for _f, _d, n in c.list_folders()}


def test_append_imap_returns_uids_and_keeps_flags_and_dates(
    dovecot: Dovecot, mail_user: MailUser
) -> None:
    msgs = list(mailgen.generate(7, seed=5, keywords=("Work",), keyword_ratio=0.5))
    raw = mailgen.make_message(subject="Handmade", attachments=[("a.txt", "text/plain", b"x")])
    msgs.append(mailgen.from_bytes(raw, flags={"\\Flagged"}))
    with dovecot.client(mail_user) as c:
        uids = mailgen.append_imap(c, "INBOX", msgs)
        assert uids == list(range(1, len(msgs) + 1))
        c.select_folder("INBOX", readonly=True)
        data = c.fetch(uids, ["FLAGS", "INTERNALDATE", "BODY.PEEK[]"])
        for uid, msg in zip(uids, msgs, strict=True):
            assert {f.decode() for f in data[uid][b"FLAGS"]} - {"\\Recent"} == set(msg.flags)
            assert data[uid][b"INTERNALDATE"].timestamp() == msg.internaldate.timestamp()
            assert data[uid][b"BODY[]"] == msg.raw
        # One message at a time, into a non-ASCII folder, without MULTIAPPEND.
    single = dovecot.add_user(disable={"MULTIAPPEND"})
    with dovecot.client(single) as c:
        c.create_folder("Entwürfe")
        assert mailgen.append_imap(c, "Entwürfe", msgs[:3]) == [1, 2, 3]


# -- lifecycle --------------------------------------------------------------------------


def test_restart_keeps_ports_and_data_and_drops_clients(private_dovecot: Dovecot) -> None:
    server = private_dovecot
    user = server.add_user()
    mailgen.populate_standard(user, inbox=20)
    ports = (server.imap_port, server.imaps_port)
    old = server.client(user)
    old.select_folder("INBOX")
    server.restart()
    assert (server.imap_port, server.imaps_port) == ports
    with pytest.raises((imapclient.exceptions.IMAPClientAbortError, OSError)):
        old.noop()
    with server.client(user) as c:
        assert c.select_folder("INBOX")[b"EXISTS"] == 20
        assert "日本語" in {n for _f, _d, n in c.list_folders()}
    new_user = server.add_user()
    with server.client(new_user) as c:
        assert c.noop()


def test_stop_closes_ports_and_ends_processes(private_dovecot: Dovecot) -> None:
    server = private_dovecot
    user = server.add_user()
    with server.client(user) as c:
        c.noop()
    pid = server._proc.pid if server._proc else 0
    server.stop()
    assert not port_open(server.host, server.imap_port)
    assert not port_open(server.host, server.imaps_port)
    assert not Path(f"/proc/{pid}").exists() or b"Z" in Path(f"/proc/{pid}/stat").read_bytes()
    assert not _instance_processes(server)
    server.start()  # and it can come back
    with server.client(user) as c:
        assert c.noop()


def _instance_processes(server: Dovecot) -> list[int]:
    """Processes whose title names this instance (dovecot-<instance>/...)."""
    found = []
    marker = server.instance_name.encode()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline:
                found.append(int(entry.name))
    return found


def test_ssl_false_offers_no_starttls_and_no_imaps(dovecot_factory: Callable[..., Dovecot]) -> None:
    server = dovecot_factory(ssl=False)
    user = server.add_user()
    c = imapclient.IMAPClient(server.host, server.imap_port, ssl=False, timeout=10)
    try:
        assert "STARTTLS" not in caps(c)
        with pytest.raises(imapclient.exceptions.IMAPClientError):
            c._imap.starttls(ssl.create_default_context(cafile=str(server.ca_file)))
        c.login(user.name, user.password)
        assert c.noop()
    finally:
        c.shutdown()
    assert not port_open(server.host, server.imaps_port)


def test_start_failure_raises_with_log(tmp_path: Path) -> None:
    server = Dovecot(tmp_path / "broken", extra_config="this_setting_does_not_exist = 1\n")
    with pytest.raises(RuntimeError, match="this_setting_does_not_exist"):
        server.start()
    assert not server.running
    server.close()


def test_killed_test_process_takes_dovecot_down(tmp_path: Path) -> None:
    # Fixture finalizers and atexit do not run on SIGKILL; PR_SET_PDEATHSIG does.
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from tests.support.dovecot import Dovecot
        d = Dovecot(__import__("pathlib").Path({str(tmp_path / "orphan")!r}))
        d.start()
        print(d._proc.pid, d.imap_port, flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        master, port = (int(x) for x in proc.stdout.readline().split())
        assert port_open("127.0.0.1", port)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert wait_until(lambda: not _running(master) and not port_open("127.0.0.1", port))


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


# -- the suite's rules -----------------------------------------------------------------


def _run_pytest(tmp_path: Path, body: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run pytest on a throw-away test file with this suite's conftest hooks loaded."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(body))
    environ = {**os.environ, "PYTHONPATH": str(REPO)}
    environ.pop("MAILTUI_ALLOW_SKIPS", None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


SKIPPING = """
    import pytest

    def test_ok():
        pass

    def test_skipped():
        pytest.skip("no reason")
"""


def test_a_skipped_test_fails_the_run(tmp_path: Path) -> None:
    result = _run_pytest(tmp_path, SKIPPING)
    assert result.returncode == 1, result.stdout
    assert "skipped tests fail this run" in result.stdout


def test_skips_can_be_allowed_explicitly(tmp_path: Path) -> None:
    result = _run_pytest(tmp_path, SKIPPING, MAILTUI_ALLOW_SKIPS="1")
    assert result.returncode == 0, result.stdout


def test_a_skipped_module_fails_the_run(tmp_path: Path) -> None:
    body = """
        import pytest
        pytest.importorskip("no_such_module_anywhere")

        def test_never():
            pass
    """
    assert _run_pytest(tmp_path, body).returncode != 0


def test_passing_run_passes_and_empty_run_fails(tmp_path: Path) -> None:
    assert _run_pytest(tmp_path, "def test_ok():\n    pass\n").returncode == 0
    assert _run_pytest(tmp_path, "x = 1\n").returncode == pytest.ExitCode.NO_TESTS_COLLECTED
