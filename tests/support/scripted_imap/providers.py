"""Scripted Microsoft 365, Yahoo and iCloud: their capabilities and folder names, from
what their documentation and other clients' trackers show (cited per item). Gmail has a
module of its own (gmail.py): its folders are label views.

- Microsoft 365 / Outlook.com (learn.microsoft.com/exchange/clients-and-mobile-in-
  exchange-online/pop3-and-imap4/pop3-and-imap4): no CONDSTORE, QRESYNC or SPECIAL-USE
  advertised, MOVE only after login, special folders marked in LIST anyway ("Sent
  Items" \\Sent, "Deleted Items" \\Trash, "Junk Email" \\Junk); throttling answers
  `NO Request is throttled. Suggested Backoff Time: N milliseconds` (hooks.throttle) and
  a session it dropped `BAD User is authenticated but not connected.`
- Yahoo (imap.mail.yahoo.com): CONDSTORE advertised, CHANGEDSINCE answered
  `BAD [CLIENTBUG]` (hooks.clientbug), no QRESYNC.
- iCloud (imap.mail.me.com): QRESYNC advertised; clients turn it off (it lost messages).
"""

from __future__ import annotations

from typing import Any

from tests.support.scripted_imap import hooks
from tests.support.scripted_imap.registry import Command
from tests.support.scripted_imap.server import ScriptedImap
from tests.support.scripted_imap.session import Session
from tests.support.scripted_imap.store import Mailstore

M365_PRE_LOGIN = ["IMAP4", "IMAP4rev1", "AUTH=PLAIN", "AUTH=XOAUTH2", "SASL-IR", "UIDPLUS", "ID"]
M365_CAPABILITIES = [
    "IMAP4",
    "IMAP4rev1",
    "AUTH=PLAIN",
    "AUTH=XOAUTH2",
    "SASL-IR",
    "UIDPLUS",
    "MOVE",
    "ID",
    "UNSELECT",
    "CHILDREN",
    "IDLE",
    "NAMESPACE",
    "LITERAL+",
]
M365_FOLDERS = {
    "Sent Items": "\\Sent",
    "Drafts": "\\Drafts",
    "Deleted Items": "\\Trash",
    "Junk Email": "\\Junk",
    "Archive": "\\Archive",
}
YAHOO_CAPABILITIES = [
    "IMAP4rev1",
    "ID",
    "MOVE",
    "NAMESPACE",
    "XYMHIGHESTMODSEQ",
    "UIDPLUS",
    "LITERAL+",
    "CHILDREN",
    "X-MSG-EXT",
    "UNSELECT",
    "OBJECTID",
    "IDLE",
    "ENABLE",
    "CONDSTORE",
    "SPECIAL-USE",
]


def m365(factory: Any, **kwargs: Any) -> ScriptedImap:
    server = factory(
        store=Mailstore(special_use=M365_FOLDERS),
        capabilities=M365_CAPABILITIES,
        pre_login_capabilities=M365_PRE_LOGIN,
        **kwargs,
    )
    server.special_use_in_list = True
    return server


def yahoo(factory: Any, **kwargs: Any) -> ScriptedImap:
    """Yahoo, refusing CHANGEDSINCE as it does."""
    server = factory(capabilities=YAHOO_CAPABILITIES, **kwargs)
    bug = hooks.clientbug("UID FETCH CHANGEDSINCE is not supported")

    def on_fetch(session: Session, cmd: Command, next_: Any) -> None:
        if b"CHANGEDSINCE" in cmd.line.upper():
            bug(session, cmd, next_)
        else:
            next_(cmd)

    server.on("UID FETCH", on_fetch)
    return server


def not_connected(times: int = 1) -> hooks.Hook:
    """Microsoft 365 after it dropped a session on its side: BAD, and the session is dead
    (every later command gets the same)."""
    return hooks.reply("BAD", "User is authenticated but not connected.", times=times)
