"""The scripted server answers like Dovecot: the same messages in both, the same questions
asked by the same client, the same answers (structure, sections, sizes, searches).

Known, deliberate differences, left out here:
- Dovecot rewrites what it stores (bare LF → CRLF, NUL → 0x80) and refuses empty
  messages; the scripted server keeps bytes exactly as given, so hostile tests can.
- Dovecot takes any line that starts with the boundary as a delimiter; the scripted
  server follows RFC 2046 §5.1.1 (only whitespace may follow it).
- Nesting is capped at different depths.
- \\Recent is not kept (RFC 9051 dropped it).
"""

from __future__ import annotations

import re

from tests.support import hostile, mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.support.scripted_imap import ScriptedImap

DOVECOT_QUIRKS = {"boundary-in-body", "empty", "nested-500"}
ITEMS = [
    "FLAGS",
    "BODYSTRUCTURE",
    "BODY",
    "ENVELOPE",
    "RFC822.SIZE",
    "INTERNALDATE",
    "BODY.PEEK[]",
    "BODY.PEEK[HEADER]",
    "BODY.PEEK[TEXT]",
    "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT MESSAGE-ID)]",
    "BODY.PEEK[1]",
    "BODY.PEEK[1.MIME]",
    "BODY.PEEK[2]",
    "BODY.PEEK[1.1]",
    "BODY.PEEK[2.1]",
    "BODY.PEEK[1]<2.10>",
]
SEARCHES = [
    ["ALL"],
    ["SEEN"],
    ["UNSEEN"],
    ["FLAGGED"],
    ["ANSWERED"],
    ["SUBJECT", "invoice"],
    ["FROM", "bob"],
    ["TO", "announce"],
    ["CC", "example"],
    ["BODY", "meeting"],
    ["TEXT", "roadmap"],
    ["HEADER", "List-Id", ""],
    ["HEADER", "Content-Type", "multipart"],
    ["SINCE", "9-Jan-2024"],
    ["BEFORE", "9-Jan-2024"],
    ["ON", "8-Jan-2024"],
    ["SENTSINCE", "9-Jan-2024"],
    ["NOT", "SEEN"],
    ["OR", "FLAGGED", "ANSWERED"],
    ["LARGER", "5000"],
    ["SMALLER", "1000"],
    ["UID", "3:7,20:*"],
    ["1:5"],
    ["SUBJECT", "Grüße"],
    ["BODY", "Grüße"],
    ["SUBJECT", "нные"],
]


def _messages() -> list[mailgen.GenMessage]:
    msgs = list(
        mailgen.generate(40, seed=5, attachment_ratio=0.4, html_ratio=0.5, non_ascii_ratio=0.5)
    )
    msgs += [
        mailgen.from_bytes(raw)
        for name, raw in hostile.corpus()
        if len(raw) < 200_000 and name not in DOVECOT_QUIRKS
    ]
    return [
        mailgen.from_bytes(
            re.sub(rb"\r?\n", b"\r\n", m.raw).replace(b"\0", b"\x80"),
            flags=m.flags,
            internaldate=m.internaldate,
        )
        for m in msgs
    ]


def _no_recent(data: dict) -> dict:
    for item in data.values():
        if b"FLAGS" in item:
            item[b"FLAGS"] = tuple(f for f in item[b"FLAGS"] if f != b"\\Recent")
    return data


def test_the_scripted_server_answers_as_dovecot_does(
    dovecot: Dovecot, mail_user: MailUser, scripted_imap: ScriptedImap
) -> None:
    msgs = _messages()
    real = dovecot.client(mail_user)
    for m in msgs:
        real.append("INBOX", m.raw, flags=sorted(m.flags), msg_time=m.internaldate)
    scripted_imap.store.add_messages("INBOX", msgs)
    fake = scripted_imap.client()
    try:
        for c in (real, fake):
            c.select_folder("INBOX", readonly=True)
        uids = real.search(["ALL"])
        assert fake.search(["ALL"]) == uids == list(range(1, len(msgs) + 1))
        problems: list[str] = []
        for item in ITEMS:
            want, got = _no_recent(real.fetch(uids, [item])), fake.fetch(uids, [item])
            problems += [
                f"{item} of UID {u}: dovecot {want[u]!r:.300} != scripted {got[u]!r:.300}"
                for u in uids
                if want[u] != got[u]
            ]
        for criteria in SEARCHES:
            charset = "UTF-8" if any(not c.isascii() for c in criteria) else None
            want, got = real.search(criteria, charset), fake.search(criteria, charset)
            if want != got:
                problems.append(f"SEARCH {criteria}: dovecot {want} != scripted {got}")
        assert not problems, "\n".join(problems[:10])
    finally:
        real.logout()
        fake.logout()
