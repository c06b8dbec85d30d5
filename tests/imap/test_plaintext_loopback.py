"""security = "none" stays on this machine: the name "localhost" is resolved when
connecting, and plaintext goes nowhere unless every address is loopback.

The hostile case is real: a child process in its own mount and network namespaces
(unshare), where /etc/hosts says `192.0.2.1 localhost` and 192.0.2.1 is a local,
non-loopback address with IMAP and SMTP listeners that record every connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailtui.config.credentials import Secret
from mailtui.config.model import ServerSettings
from mailtui.config.trust import is_loopback, loopback_problem
from mailtui.imap.session import ImapSession
from tests.support.dovecot import Dovecot, MailUser

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, socket, threading
    from mailtui.compose.send import send_message
    from mailtui.config.credentials import Secret
    from mailtui.config.load import make_settings
    from mailtui.config.model import ServerSettings
    from mailtui.imap.session import ImapSession

    connections = []
    asked = []

    def listen(port):
        server = socket.create_server(("192.0.2.1", port))
        def serve():
            while True:
                conn, _ = server.accept()
                connections.append(port)
                conn.close()
        threading.Thread(target=serve, daemon=True).start()

    listen(1143)
    listen(1025)
    out = {}

    def secret():
        asked.append(1)
        return Secret("password", "hunter2")

    imap = ServerSettings(host="localhost", port=1143, security="none", username="x", timeout=3)
    try:
        ImapSession(imap, secret).connect()
        out["imap"] = "connected"
    except Exception as exc:
        out["imap"] = f"{type(exc).__name__}: {exc}"
    account = make_settings({"a": {
        "email": "a@example.com",
        "maildir": "/nonexistent",
        "smtp": {"host": "localhost", "port": 1025, "security": "none", "timeout": 3},
    }}).account("a")
    try:
        send_message(account, b"From: a@example.com\\r\\nTo: b@example.com\\r\\n\\r\\nhi\\r\\n",
                     secret=secret)
        out["smtp"] = "sent"
    except Exception as exc:
        out["smtp"] = f"{type(exc).__name__}: {exc}"
    out["connections"] = connections
    out["asked"] = len(asked)
    print(json.dumps(out))
    """
)


def _in_namespace(tmp_path: Path, hosts: str, script: str) -> dict[str, object]:
    """Run `script` where /etc/hosts is `hosts` and 192.0.2.1 is a local address."""
    (tmp_path / "hosts").write_text(hosts)
    (tmp_path / "child.py").write_text(script)
    setup = (
        f"mount --bind {tmp_path / 'hosts'} /etc/hosts && ip link set lo up && "
        f"ip addr add 192.0.2.1/32 dev lo && exec {sys.executable} {tmp_path / 'child.py'}"
    )
    unshare = ["unshare", "--mount", "--net"]
    if os.geteuid() != 0:
        unshare.insert(1, "--map-root-user")
    proc = subprocess.run(
        [*unshare, "sh", "-c", setup],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_localhost_pointing_elsewhere_gets_no_plaintext(tmp_path: Path) -> None:
    out = _in_namespace(tmp_path, "192.0.2.1 localhost\n", CHILD)
    assert out["connections"] == [], f"plaintext went to a non-loopback address: {out}"
    assert out["asked"] == 0
    assert str(out["imap"]).startswith("TlsError: Refusing a plaintext IMAP connection")
    assert str(out["smtp"]).startswith("SmtpInsecure:")
    assert "localhost resolves to 192.0.2.1, not only to loopback" in str(out["smtp"])


def test_localhost_with_one_address_elsewhere_is_refused(tmp_path: Path) -> None:
    hosts = "127.0.0.1 localhost\n192.0.2.1 localhost\n"
    out = _in_namespace(tmp_path, hosts, CHILD)
    assert out["connections"] == [] and out["asked"] == 0
    assert "resolves to 192.0.2.1" in str(out["smtp"])


def test_localhost_resolving_to_loopback_still_works(dovecot: Dovecot, mail_user: MailUser) -> None:
    """The everyday case: "localhost" (here: 127.0.0.1 and maybe ::1) reaches Dovecot."""
    assert is_loopback("localhost") and loopback_problem("127.0.0.1") == ""
    server = ServerSettings(
        host="localhost",
        port=dovecot.imap_port,
        security="none",
        username=mail_user.name,
        timeout=10,
    )
    session = ImapSession(server, lambda: Secret("password", mail_user.password))
    session.connect()
    try:
        assert "INBOX" in [f.name for f in session.list_folders()]
    finally:
        session.close()


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("192.0.2.1", "192.0.2.1 is not a loopback address"),
        ("evil.localhost", "is a host name, not a loopback address"),
        ("mail.example.com", "is a host name, not a loopback address"),
    ],
)
def test_other_hosts_are_refused_without_a_lookup(host: str, problem: str) -> None:
    assert problem in loopback_problem(host)
