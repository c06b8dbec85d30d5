"""The conversation view (V) reads signed and encrypted members as the reader does:
decrypted in memory, the verdict drawn as our badges, the protected Subject shown
(gpg itself made the mail; the real Dovecot serves it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.style import Style

from mailtui.ui.screens.conversation import ConversationScreen
from mailtui.ui.widgets.security import BADGES
from tests.crypto.keyring import Keyring
from tests.crypto.messages import SECRET, Corpus, headers
from tests.support import mailgen
from tests.support.dovecot import Dovecot
from tests.ui.helpers import make_app, ready, screen_text, wait_for

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ROOT_ID = b"<launch-root@example.net>"


@pytest.fixture
def gnupghome(keys: Keyring, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GNUPGHOME", str(keys.reader))
    return keys.reader


def _reply(raw: bytes, date: datetime) -> bytes:
    """A corpus message made a reply to the plain root, dated `date`."""
    stamp = date.strftime("%a, %d %b %Y %H:%M:%S +0000").encode()
    raw = raw.replace(b"Date: Tue, 01 Dec 2026 10:00:00 +0000", b"Date: " + stamp, 1)
    return b"In-Reply-To: " + ROOT_ID + b"\r\nReferences: " + ROOT_ID + b"\r\n" + raw


async def test_conversation_decrypts_and_shows_the_verdict_of_each_member(
    dovecot: Dovecot, tmp_path: Path, gnupghome: Path, corpus: Corpus
) -> None:
    user = dovecot.add_user()
    root = (
        headers("Me <me@example.org>", "Launch plan", to="bob@example.net").replace(
            b"Message-ID: <", b"X-Old-ID: <", 1
        )
        + b"Message-ID: "
        + ROOT_ID
        + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nShall we launch on Thursday?\r\n"
    )
    messages = [
        mailgen.from_bytes(root, internaldate=T0, flags=("\\Seen",)),
        mailgen.from_bytes(
            _reply(corpus.protected, T0 + timedelta(minutes=5)),
            internaldate=T0 + timedelta(minutes=5),
        ),
        mailgen.from_bytes(
            _reply(corpus.good, T0 + timedelta(minutes=9)),
            internaldate=T0 + timedelta(minutes=9),
        ),
    ]
    mailgen.write_maildir(user.maildir, "INBOX", messages)
    app = make_app(dovecot, user, tmp_path, ui={"mark_read_delay": -1})
    async with app.run_test(size=(130, 45)) as pilot:
        await ready(pilot, app)
        rows = app.main.messages
        rows.move_to(rows.index_of(1) or 0)
        await pilot.press("V")
        screen = await wait_for(
            pilot,
            lambda: isinstance(app.screen, ConversationScreen) and app.screen,
            what="the conversation view",
        )
        await wait_for(
            pilot,
            lambda: len(screen.entries) == 3 and all(e.text is not None for e in screen.entries),
            what="three bodies",
        )
        for entry in screen.entries:  # every member open, to read its whole body
            while entry.fold == "folded":
                entry.widget.focus()
                await pilot.press("enter")
                await wait_for(pilot, lambda e=entry: e.fold != "folded", what="unfolded")
        await wait_for(
            pilot, lambda: SECRET.decode() in screen_text(app), what="the decrypted body"
        )
        text = screen_text(app)
        # The encrypted reply: its protected Subject, our ENCRYPTED badge, its plaintext.
        assert "The real subject" in text
        assert f"Protected body {SECRET.decode()}" in text
        assert [line.kind for line in screen.entries[1].security][:1] == ["encrypted"]
        # The signed reply: a good signature from Bob; the plain root has no verdict.
        assert [line.kind for line in screen.entries[2].security] == ["good"]
        assert "Good signature from Bob Sender <bob@example.net>" in text
        assert screen.entries[0].security == ()
        # The badges are drawn in our style, which no body text can produce.
        badge, badge_style, _ = BADGES["good"]
        rendered = screen.entries[2].widget.render()
        spans = [
            (str(rendered)[s.start : s.end], s.style)
            for s in getattr(rendered, "spans", [])
            if str(rendered)[s.start : s.end] == badge
        ]
        assert spans
        style = spans[0][1]
        rich_style = style.rich_style if hasattr(style, "rich_style") else Style.parse(str(style))
        want = Style.parse(badge_style)
        assert rich_style.bold == want.bold
        assert rich_style.color and want.color and rich_style.color.number == want.color.number
        assert rich_style.bgcolor and want.bgcolor
        assert rich_style.bgcolor.number == want.bgcolor.number
