"""The scripted IMAP server's commands, driven by an ordinary client (imapclient).

Each test drives the wire and then asserts the Mailstore (or what the client was told),
so the server the other tests rely on is itself held to the RFCs it claims.
"""

from __future__ import annotations

from datetime import UTC, datetime

import imapclient
import pytest
from imapclient.exceptions import IMAPClientError, LoginError

from tests.support import mailgen
from tests.support.scripted_imap import ScriptedImap


@pytest.fixture
def client(scripted_imap: ScriptedImap):
    c = scripted_imap.client()
    yield c
    c.shutdown()


def _msg(subject: str, body: str = "hello\n", **kw) -> bytes:
    return mailgen.make_message(subject=subject, body=body, **kw)


def test_folders_create_rename_delete_subscribe(scripted_imap, client) -> None:
    client.create_folder("Projects/Alpha")
    client.create_folder("Entwürfe")
    client.create_folder("日本語")
    names = {name for _flags, _delim, name in client.list_folders()}
    assert {"Projects", "Projects/Alpha", "Entwürfe", "日本語"} <= names
    parent = next(f for f, _d, n in client.list_folders() if n == "Projects")
    assert b"\\Noselect" in parent and b"\\HasChildren" in parent
    assert [n for _f, _d, n in client.list_folders(pattern="%")].count("Projects/Alpha") == 0
    client.rename_folder("Projects/Alpha", "Projects/Beta")
    assert scripted_imap.store.exists("Projects/Beta")
    assert not scripted_imap.store.exists("Projects/Alpha")
    client.unsubscribe_folder("Entwürfe")
    assert "Entwürfe" not in {n for _f, _d, n in client.list_sub_folders()}
    client.delete_folder("日本語")
    assert not scripted_imap.store.exists("日本語")
    with pytest.raises(IMAPClientError, match="ALREADYEXISTS"):
        client.create_folder("Projects/Beta")
    with pytest.raises(IMAPClientError, match="NONEXISTENT"):
        client.select_folder("Nope")
    assert client.list_folders(directory="", pattern="")[0][1] == b"/"


def test_append_keeps_flags_date_and_reports_appenduid(scripted_imap, client) -> None:
    when = datetime(2025, 5, 4, 3, 2, 1, tzinfo=UTC)
    resp = client.append("Drafts", _msg("draft"), flags=[b"\\Draft", b"$Label1"], msg_time=when)
    uidvalidity = scripted_imap.store.get("Drafts").uidvalidity
    assert resp == f"[APPENDUID {uidvalidity} 1] Append completed.".encode()
    msg = scripted_imap.store.message("Drafts", 1)
    assert msg.flags == {"\\Draft", "$Label1"} and msg.internaldate == when
    assert msg.raw == _msg("draft")
    many = list(mailgen.generate(3, seed=2))
    assert mailgen.append_imap(client, "Archive", many) == [1, 2, 3]  # MULTIAPPEND
    assert [m.raw for m in scripted_imap.store.messages("Archive")] == [m.raw for m in many]
    with pytest.raises(IMAPClientError, match="TRYCREATE"):
        client.append("Nowhere", _msg("lost"))


def test_select_status_and_condstore_values(scripted_imap, client) -> None:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(4, seed=3, seen_ratio=0.0))
    folder = scripted_imap.store.get("INBOX")
    status = client.folder_status(
        "INBOX", ["MESSAGES", "UNSEEN", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ"]
    )
    assert status == {
        b"MESSAGES": 4,
        b"UNSEEN": 4,
        b"UIDNEXT": 5,
        b"UIDVALIDITY": folder.uidvalidity,
        b"HIGHESTMODSEQ": folder.highestmodseq,
    }
    sel = client.select_folder("INBOX", readonly=True)
    assert sel[b"EXISTS"] == 4 and sel[b"UIDNEXT"] == 5 and sel[b"READ-ONLY"]
    with pytest.raises(IMAPClientError, match="read-only"):
        client.add_flags([1], [b"\\Seen"])
    assert scripted_imap.store.flags("INBOX")[1] == frozenset()
    client.select_folder("INBOX")
    before = folder.highestmodseq
    client.add_flags([2], [b"\\Seen"])
    assert folder.highestmodseq == before + 1
    changed = client.fetch([1, 2, 3, 4], ["FLAGS"], modifiers=[f"CHANGEDSINCE {before}"])
    assert list(changed) == [2] and changed[2][b"MODSEQ"] == (before + 1,)


def test_fetch_items_sections_and_implicit_seen(scripted_imap, client) -> None:
    raw = _msg(
        "parts", body="line one\nline two\n", attachments=[("a.txt", "text/plain", b"attached")]
    )
    scripted_imap.store.append("INBOX", raw)
    client.select_folder("INBOX")
    got = client.fetch(
        [1],
        ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]", "BODY.PEEK[1]<0.8>", "BODY.PEEK[2]"],
    )[1]
    assert got[b"RFC822.SIZE"] == len(raw)
    assert got[b"BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: parts\r\n\r\n"
    assert got[b"BODY[1]<0>"] == b"line one"
    assert b"YXR0YWNoZWQ=" in got[b"BODY[2]"]
    structure = client.fetch([1], ["BODYSTRUCTURE"])[1][b"BODYSTRUCTURE"]
    assert structure.is_multipart and structure[1] == b"mixed"
    assert scripted_imap.store.flags("INBOX")[1] == frozenset()  # PEEK left \Seen alone
    got = client.fetch([1], ["BODY[TEXT]"])[1]
    assert b"\\Seen" in got[b"FLAGS"]  # RFC 9051 §6.4.5: BODY[] sets \Seen, and says so
    assert scripted_imap.store.flags("INBOX")[1] == frozenset({"\\Seen"})


def test_store_replies_silent_and_unchangedsince(scripted_imap, client) -> None:
    scripted_imap.store.add_messages(
        "INBOX", mailgen.generate(3, seed=4, seen_ratio=0.0, flagged_ratio=0.0)
    )
    client.select_folder("INBOX")
    assert client.add_flags([1, 2], [b"\\Flagged"]) == {1: (b"\\Flagged",), 2: (b"\\Flagged",)}
    assert client.add_flags([1], [b"\\Flagged"], silent=True) is None
    client.remove_flags([2], [b"\\FLAGGED"])  # flags compare case-insensitively
    client.set_flags([3], [b"Work", b"\\Answered"])
    assert scripted_imap.store.flags("INBOX") == {
        1: frozenset({"\\Flagged"}),
        2: frozenset(),
        3: frozenset({"Work", "\\Answered"}),
    }
    modseq = scripted_imap.store.message("INBOX", 3).modseq
    client.add_flags([1], [b"\\Seen"])
    typ, _data = client._imap.uid(
        "STORE", "1,3", f"(UNCHANGEDSINCE {modseq}) +FLAGS.SILENT (\\Draft)"
    )
    assert typ == "OK"
    flags = scripted_imap.store.flags("INBOX")
    assert "\\Draft" in flags[3] and "\\Draft" not in flags[1]  # 1 changed since: refused


def test_copy_move_expunge_with_uidplus(scripted_imap, client) -> None:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(6, seed=5, seen_ratio=0.0))
    raws = {m.uid: m.raw for m in scripted_imap.store.messages("INBOX")}
    client.select_folder("INBOX")
    client.copy([5, 2], "Archive")
    assert [m.uid for m in scripted_imap.store.messages("Archive")] == [1, 2]
    client.move([3], "Trash")
    assert [m.raw for m in scripted_imap.store.messages("Trash")] == [raws[3]]
    client.add_flags([1, 4], [b"\\Deleted"])
    client.uid_expunge([4])
    assert set(scripted_imap.store.flags("INBOX")) == {1, 2, 5, 6}
    client.expunge()
    assert set(scripted_imap.store.flags("INBOX")) == {2, 5, 6}
    assert [m.raw for m in scripted_imap.store.messages("Archive")] == [raws[2], raws[5]]


def test_search_keys(scripted_imap, client) -> None:
    store = scripted_imap.store
    store.append(
        "INBOX",
        _msg("Quarterly report", sender="Bob <bob@example.com>"),
        ["\\Seen"],
        datetime(2024, 1, 5, tzinfo=UTC),
    )
    store.append(
        "INBOX",
        _msg("Grüße aus Köln", body="Bis bald, Jürgen\n"),
        ["\\Flagged", "Work"],
        datetime(2024, 2, 5, tzinfo=UTC),
    )
    store.append(
        "INBOX",
        _msg("lunch?", headers={"List-Id": "<team.example.com>"}),
        [],
        datetime(2024, 3, 5, tzinfo=UTC),
    )
    client.select_folder("INBOX")
    cases = {
        ("ALL",): [1, 2, 3],
        ("SEEN",): [1],
        ("UNSEEN",): [2, 3],
        ("FLAGGED",): [2],
        ("KEYWORD", "Work"): [2],
        ("UNKEYWORD", "Work"): [1, 3],
        ("FROM", "bob@"): [1],
        ("SUBJECT", "REPORT"): [1],
        ("HEADER", "List-Id", "team"): [3],
        ("HEADER", "List-Id", ""): [3],
        ("SINCE", "1-Feb-2024"): [2, 3],
        ("BEFORE", "1-Feb-2024"): [1],
        ("NOT", "SEEN", "NOT", "FLAGGED"): [3],
        ("OR", "SEEN", "FLAGGED"): [1, 2],
        ("UID", "2:*"): [2, 3],
        ("TEXT", "lunch"): [3],
    }
    for criteria, want in cases.items():
        assert client.search(list(criteria)) == want, criteria
    assert client.search(["BODY", "Jürgen"], charset="UTF-8") == [2]
    assert client.search(["SUBJECT", "grüße"], charset="UTF-8") == [2]
    assert client._imap.uid("SEARCH", "RETURN (ALL) UNSEEN")[0] == "OK"
    assert client._imap.untagged_responses.get("ESEARCH", [b""])[-1].endswith(b"UID ALL 2:3")


def test_qresync_select_reports_what_vanished_and_changed(scripted_imap) -> None:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(5, seed=6, seen_ratio=0.0))
    folder = scripted_imap.store.get("INBOX")
    mark = folder.highestmodseq
    scripted_imap.store.store("INBOX", [2], "+", ["\\Seen"])
    scripted_imap.store.expunge("INBOX", [4], only_deleted=False)
    c = scripted_imap.client()
    c.enable("QRESYNC")
    typ, _ = c._imap._simple_command("SELECT", "INBOX", f"(QRESYNC ({folder.uidvalidity} {mark}))")
    assert typ == "OK"
    assert c._imap.untagged_responses["VANISHED"] == [b"(EARLIER) 4"]
    assert any(b"UID 2 " in f and b"\\Seen" in f for f in c._imap.untagged_responses["FETCH"])
    c.shutdown()


def test_login_failures_and_authenticate_plain(scripted_imap) -> None:
    c = scripted_imap.client(login=False)
    with pytest.raises(LoginError):
        c.login(scripted_imap.user.name, "wrong")
    c.plain_login(scripted_imap.user.name, scripted_imap.user.password)
    assert c.list_folders()
    c.logout()
    assert scripted_imap.logins == [("alice", False), ("alice", True)]


def test_a_capability_not_advertised_is_not_answered(scripted_imap_factory) -> None:
    caps = [c for c in ScriptedImap(base=None).capabilities if c not in ("MOVE", "UNSELECT")]
    server = scripted_imap_factory(capabilities=caps)
    server.store.add_messages("INBOX", mailgen.generate(1, seed=7))
    c = server.client(starttls=True)
    c.select_folder("INBOX")
    with pytest.raises(IMAPClientError):
        c.move([1], "Archive")
    assert list(server.store.flags("INBOX")) == [1]
    c.shutdown()


def test_renaming_inbox_moves_its_mail_and_reset_uidvalidity_renumbers(
    scripted_imap, client
) -> None:
    scripted_imap.store.add_messages("INBOX", mailgen.generate(3, seed=8))
    client.rename_folder("INBOX", "Old")
    assert scripted_imap.store.messages("INBOX") == []
    assert [m.uid for m in scripted_imap.store.messages("Old")] == [1, 2, 3]
    scripted_imap.store.expunge("Old", [1], only_deleted=False)
    old_validity = scripted_imap.store.get("Old").uidvalidity
    assert scripted_imap.store.reset_uidvalidity("Old") != old_validity
    assert [m.uid for m in scripted_imap.store.messages("Old")] == [1, 2]
    assert isinstance(client, imapclient.IMAPClient)


def test_literals_synchronising_non_synchronising_and_refused(scripted_imap) -> None:
    """A `{n}` literal waits for "+ OK" (RFC 9051 §7.6); `{n+}` does not (RFC 7888); one
    over the server's limit is refused with [TOOBIG] and the connection carries on."""
    import socket

    scripted_imap.max_literal = 100
    with socket.create_connection((scripted_imap.host, scripted_imap.imap_port), timeout=10) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"* OK")
        s.sendall(b"a LOGIN {5}\r\n")
        assert f.readline() == b"+ OK\r\n"
        s.sendall(b"alice {6+}\r\nsecret\r\n")
        assert f.readline().startswith(b"a OK")
        s.sendall(b"b APPEND INBOX {500}\r\n")
        assert f.readline().startswith(b"b NO [TOOBIG]")
        s.sendall(b"c APPEND INBOX {12+}\r\nSubject: x\r\n\r\n")
        assert f.readline().startswith(b"c OK [APPENDUID")
        s.sendall(b"d LOGOUT\r\n")
        assert f.readline() == b"* BYE Logging out\r\n"
    assert [m.raw for m in scripted_imap.store.messages("INBOX")] == [b"Subject: x\r\n"]


def test_ready_made_hooks_on_the_wire(scripted_imap) -> None:
    """The hook helpers used by hostile and provider tests: a custom greeting, bytes
    before and after a real answer, Yahoo's BAD [CLIENTBUG], a conditional liar."""
    import socket

    from tests.support.scripted_imap import hooks

    scripted_imap.store.add_messages("INBOX", mailgen.generate(2, seed=9, seen_ratio=0.0))
    scripted_imap.on("GREETING", hooks.greeting(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n"))
    scripted_imap.on("NOOP", hooks.before(b"* OK [ALERT] before\r\n"))
    scripted_imap.on("NOOP", hooks.after(b"* 1 FETCH (FLAGS (\\Deleted))\r\n"))
    scripted_imap.on("UID SEARCH", hooks.clientbug("Nope"))
    scripted_imap.on("UID STORE", hooks.when(lambda s, c: "\\Seen" in c.line.decode(), hooks.ack()))
    with socket.create_connection((scripted_imap.host, scripted_imap.imap_port), timeout=10) as s:
        f = s.makefile("rb")
        assert f.readline() == b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n"
        for line in (b"a LOGIN alice secret", b"b SELECT INBOX"):
            s.sendall(line + b"\r\n")
            while not f.readline().startswith(line[:2]):
                pass
        s.sendall(b"c NOOP\r\n")
        assert f.readline() == b"* OK [ALERT] before\r\n"
        assert f.readline().startswith(b"c OK")
        assert f.readline() == b"* 1 FETCH (FLAGS (\\Deleted))\r\n"
        s.sendall(b"d UID SEARCH ALL\r\n")
        assert f.readline() == b"d BAD [CLIENTBUG] Nope\r\n"
        s.sendall(b"e UID STORE 1 +FLAGS (\\Seen)\r\n")
        assert f.readline().startswith(b"e OK")
        s.sendall(b"f UID STORE 2 +FLAGS (\\Flagged)\r\n")
        assert f.readline().startswith(b"* 2 FETCH")
    assert scripted_imap.store.flags("INBOX") == {1: frozenset(), 2: frozenset({"\\Flagged"})}
