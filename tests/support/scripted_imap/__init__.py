"""A scripted, stateful IMAP server for what the real Dovecot cannot show.

The suite tests IMAP against Dovecot (tests/support/dovecot.py). This server is for the
rest: provider quirks (Gmail labels, Microsoft 365 throttling, Yahoo's CLIENTBUG), a
server that lies (answers OK and does nothing) and hostile responses. It keeps real
state — folders, messages with UIDs, flags, dates, raw bytes, MODSEQs, Gmail labels — in
a `Mailstore`, so tests assert what the server holds, never which commands were sent.

Tour:
- `store.py`   Mailstore/Folder/Message: the state tests fill and assert.
- `view.py`    each session's view of its selected folder (what it has been told).
- `session.py` one connection: commands, literals, IDLE, STARTTLS, the hook chain.
- `server.py`  ScriptedImap: ports, TLS (trustme CA), capabilities, lies, hooks.
- `commands.py`, `messages.py`, `search.py`, `mime.py`, `protocol.py`: the built-ins.
- `hooks.py`   ready-made hooks (worked examples: tests/imap/test_scripted_imap.py).

    def test_x(scripted_imap, tmp_path):          # fixtures: tests/support/scripted_fixture.py
        scripted_imap.store.add_messages("INBOX", mailgen.generate(50, seed=1))
        scripted_imap.on("UID FETCH", hooks.throttle(times=1))    # replace one reply
        scripted_imap.lies.ignore_writes.add("STORE")              # OK, and nothing done
        ctx = scripted_context(scripted_imap, tmp_path)            # mailtui, configured
        ...
        assert scripted_imap.store.flags("INBOX")[3] == frozenset()  # assert the state

Outside pytest: `with ScriptedImap() as server: ...`.
"""

from __future__ import annotations

from tests.support.scripted_imap.registry import Command, Hook, Next
from tests.support.scripted_imap.server import (
    DEFAULT_CAPABILITIES,
    DEFAULT_PRE_LOGIN,
    Lies,
    ScriptedImap,
    ScriptedUser,
)
from tests.support.scripted_imap.session import Disconnect, Session
from tests.support.scripted_imap.store import Folder, Mailstore, Message, StoreError

__all__ = [
    "DEFAULT_CAPABILITIES",
    "DEFAULT_PRE_LOGIN",
    "Command",
    "Disconnect",
    "Folder",
    "Hook",
    "Lies",
    "Mailstore",
    "Message",
    "Next",
    "ScriptedImap",
    "ScriptedUser",
    "Session",
    "StoreError",
]
