"""An attachment is named alike from an IMAP server and from a Maildir (issue 13).

The IMAP side reads the name from Dovecot's BODYSTRUCTURE, the Maildir side from the
file through `mime.parse`; both go through the one RFC 2047/2231 decoder in
`text.encoded_words`. Before, the IMAP side used the stdlib's `email.header`, which
read a Windows smart quote declared as ISO-8859-1 as a C1 control, gave up on an
unknown charset and kept a line break inside a name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.config.credentials import Secret
from mailtui.imap.session import ImapSession
from mailtui.maildir.session import MaildirSession
from mailtui.model import BodyPart
from tests.support.accounts import settings_for
from tests.support.dovecot import Dovecot, MailUser

# (Content-Disposition parameter as a sender writes it, the name a user must see)
NAMES = [
    ('filename="=?iso-8859-1?q?=93Report=94?=.pdf"', "\u201cReport\u201d.pdf"),
    ('filename="=?utf-8?q?caf=C3?= =?utf-8?q?=A9.pdf?="', "caf\u00e9.pdf"),
    ('filename="=?x-unknown?q?plain?=.txt"', "plain.txt"),
    ('filename="=?utf-8?b?w6k?=.txt"', "\u00e9.txt"),
    ('filename="=?utf-8?q?two=0Alines?=.txt"', "two lines.txt"),
    ("filename*=iso-8859-1''%93quoted%94.txt", "\u201cquoted\u201d.txt"),
    ("filename*=utf-8''%E2%82%AC%20sign.txt", "\u20ac sign.txt"),
]


def _message(n: int, disposition_param: str) -> bytes:
    return (
        "From: a@example.test\r\n"
        "To: b@example.test\r\n"
        f"Subject: names {n}\r\n"
        f"Message-ID: <names-{n}@example.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n'
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "hello\r\n"
        "--b\r\n"
        "Content-Type: application/octet-stream\r\n"
        f"Content-Disposition: attachment; {disposition_param}\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "aGVsbG8=\r\n"
        "--b--\r\n"
    ).encode("ascii")


def _attachment(structure: BodyPart) -> BodyPart:
    return next(p for p in structure.walk() if p.disposition == "attachment")


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for n, (param, _) in enumerate(NAMES):
        (root / "cur" / f"{1700000000 + n}.M{n}P1Q{n}.h:2,S").write_bytes(
            _message(n, param).replace(b"\r\n", b"\n")
        )
    return root


def test_both_backends_name_an_attachment_alike(
    dovecot: Dovecot, mail_user: MailUser, maildir: Path, tmp_path: Path
) -> None:
    client = dovecot.client(mail_user)
    for n, (param, _) in enumerate(NAMES):
        client.append("INBOX", _message(n, param))
    client.select_folder("INBOX")
    imap_uids = sorted(client.search("ALL"))
    client.logout()

    server = settings_for(dovecot, mail_user).account().imap
    imap = ImapSession(server, lambda: Secret("password", mail_user.password))
    imap.connect()
    imap.select("INBOX")
    local = MaildirSession(maildir, "names", tmp_path / "uids.sqlite3")
    local.connect()
    local.select("INBOX")
    try:
        local_uids = sorted(local.search_uids(b"ALL"))
        assert len(local_uids) == len(NAMES)
        for (param, shown), imap_uid, local_uid in zip(NAMES, imap_uids, local_uids, strict=True):
            from_imap = _attachment(imap.fetch_bodystructure(imap_uid)).filename
            from_maildir = _attachment(local.fetch_bodystructure(local_uid)).filename
            assert (from_imap, from_maildir) == (shown, shown), param
    finally:
        imap.close()
        local.close()
