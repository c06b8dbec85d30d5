"""One query tree, three compilers, one answer: Dovecot's SEARCH (imap/search.py), the
cache's SQL (cache/search.py) and a Maildir evaluated directly (maildir/search.py)
agree on the same messages.

The same generated mail goes to a Dovecot user and to a Maildir tree; both accounts
are synced through the real service, then each query runs on the server, on the
Maildir files and in each cache. Answers are compared as Message-ID sets (the two
accounts number their UIDs independently). Text terms are limited to whole words in
headers: the cache indexes headers only and matches word prefixes, where SEARCH
matches substrings of the header and the body.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailtui.context import AppContext
from mailtui.sync import commands
from tests.maildir.helpers import maildir_context, make_tree
from tests.support import mailgen
from tests.support.accounts import context_for
from tests.support.dovecot import Dovecot, MailUser

MESSAGES = list(
    mailgen.generate(
        80, seed=13, non_ascii_ratio=0.3, keywords=("Work", "Later"), keyword_ratio=0.3
    )
)

QUERIES = [
    "",
    "unseen",
    "-unseen",
    "seen flagged",
    "answered",
    "-answered unseen",
    "unflagged -seen",
    "label:Work",
    "-label:Work",
    "label:Later unseen",
    "larger:6k",
    "smaller:3k",
    "-larger:4k",
    "since:2024-01-09",
    "before:2024-01-09",
    "on:2024-01-09",
    "-on:2024-01-09",
    "since:2024-01-08 before:2024-01-10 -flagged",
    "-since:2024-01-09",
    "since:1970-01-01",
    "since:9999999y",
    "before:0999-12-31",
]


def _words(messages: list[mailgen.GenMessage]) -> list[str]:
    """Subject words that are whole words wherever they occur as substrings."""
    words = {w for m in messages for w in m.subject.split() if w.isalpha() and len(w) > 3}
    subjects = [m.subject.casefold() for m in messages]
    kept = []
    for word in sorted(words):
        folded = word.casefold()
        if all(all(t == folded for t in s.split() if folded in t) for s in subjects if folded in s):
            kept.append(word)
    return kept[:8]


@pytest.fixture
def accounts(
    dovecot: Dovecot,
    mail_user: MailUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[AppContext, AppContext]]:
    """(Dovecot account, Maildir account), the same 80 messages in each INBOX, synced."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    mailgen.write_maildir(mail_user.maildir, "INBOX", MESSAGES)
    root = make_tree(tmp_path / "Mail", {"INBOX": MESSAGES})
    imap = context_for(dovecot, mail_user, tmp_path / "imap-cache")
    local = maildir_context(root, tmp_path / "maildir-cache")
    try:
        for ctx in (imap, local):
            ctx.service().run(commands.SyncFolder(folder="INBOX"), timeout=60)
        yield imap, local
    finally:
        imap.close()
        local.close()


def _answers(ctx: AppContext, text: str) -> tuple[set[str], set[str]]:
    """(the backend's answer, the cache's answer) as Message-IDs."""
    service = ctx.service()
    found = []
    for local in (False, True):
        uids = service.run(commands.Search(folder="INBOX", query=text, local=local), timeout=30)
        envelopes = service.envelopes("INBOX", uids)
        assert len(envelopes) == len(uids)
        found.append({e.message_id for e in envelopes.values()})
    return found[0], found[1]


def test_server_maildir_and_caches_agree(accounts: tuple[AppContext, AppContext]) -> None:
    imap, local = accounts
    everything = {m.message_id.strip("<>") for m in MESSAGES}
    words = _words(MESSAGES)
    assert len(words) >= 4, words
    queries = [
        *QUERIES,
        *(f"subject:{w}" for w in words),
        f"subject:{words[0]} -subject:{words[1]}",
        f"-subject:{words[2]} unseen",
        f"subject:{words[3]} -unseen",
    ]
    sizes = set()
    for text in queries:
        server, imap_cache = _answers(imap, text)
        files, maildir_cache = _answers(local, text)
        answers = {
            "Dovecot": server,
            "its cache": imap_cache,
            "Maildir": files,
            "its cache ": maildir_cache,
        }
        assert all(a == server for a in answers.values()), (
            text,
            {k: len(a ^ server) for k, a in answers.items()},
        )
        assert server <= everything
        sizes.add(len(server))
    # The queries tell the messages apart: answers of many sizes, none and all among them.
    assert 0 in sizes or len(sizes) > 10
    assert len(everything) in sizes and len(sizes) > 10
