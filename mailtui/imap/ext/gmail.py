"""Gmail's IMAP extensions (X-GM-EXT-1), as Google documents them at
developers.google.com/workspace/gmail/imap/imap-extensions.

- Detection: the X-GM-EXT-1 capability (`Capabilities.labels`). Google asks clients to
  announce themselves with ID (RFC 2971) after login: `announce`.
- Labels: `X-GM-LABELS` is a FETCH item (a parenthesised list of astrings; system
  labels such as `\\Inbox`, `\\Important`, `\\Sent` start with a backslash) and a STORE
  item (`+X-GM-LABELS`, `-X-GM-LABELS`); Gmail answers a STORE with the message's whole
  new label list in an untagged FETCH, which is what confirms it here. Labels are cached
  as keywords (`text/labels.py`), fetched with the list headers and on every resync.
- Identity: `X-GM-MSGID` is the same for every copy of a message in every folder (a
  message filed under three labels is one message), `X-GM-THRID` its conversation.
- Search: `X-GM-RAW "..."` takes Gmail's own search syntax (`has:attachment
  older_than:1y`); `X-GM-LABELS name` finds a label.
- Archiving is removing the `\\Inbox` label (a message leaves a label's folder when the
  label is removed); a message stays in `[Gmail]/All Mail` until it is trashed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mailtui import __version__
from mailtui.backend import Outcome, UidSet, compress_uids
from mailtui.imap.wire import quote
from mailtui.text import utf7
from mailtui.text.labels import SYSTEM_FLAG_NAMES, label_of

if TYPE_CHECKING:
    from mailtui.imap.session import ImapSession

log = logging.getLogger("mailtui.imap")

CAPABILITY = "X-GM-EXT-1"
# Asked for with the list headers and with every flag resync: labels change a message's
# MODSEQ like flags do, so CHANGEDSINCE brings label changes too.
FETCH_ITEMS = b" X-GM-LABELS X-GM-MSGID X-GM-THRID"
FLAG_ITEMS = b" X-GM-LABELS"
INBOX_LABEL = "\\Inbox"


def announce(session: ImapSession) -> None:
    """ID (RFC 2971) after login, as Google asks of every client; its answer is not
    needed, and a refusal is no reason to fail the connection."""
    fields = ("name", "mailtui", "version", __version__, "vendor", "mailtui")
    args = " ".join(quote(f).decode() for f in fields)
    session.raw(f"ID ({args})".encode(), check=False)


def split(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """A flag change's names → (IMAP flags, Gmail labels). System flags and `$keywords`
    stay flags (Gmail keeps keywords such as `$Forwarded`); every other keyword is a
    label, decoded from its cached spelling."""
    flags, labels = [], []
    for name in names:
        if name.lower() in SYSTEM_FLAG_NAMES or name.startswith("$"):
            flags.append(name)
        else:
            labels.append(label_of(name))
    return flags, labels


def _astring(label: str) -> bytes:
    """A label as STORE takes it: system labels as atoms, others a quoted string (quote
    and backslash escaped, RFC 9051 §4.3) of the label in modified UTF-7, as Gmail spells
    labels like folder names: non-ASCII in base64 and an ASCII "&" as "&-" ("R&D" sent
    plain would be read as the start of a base64 run)."""
    if label.startswith("\\") and label[1:].isalpha():
        return label.encode()
    return quote(utf7.encode(label))


def store_labels(
    session: ImapSession, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> Outcome:
    """UID STORE ±X-GM-LABELS, confirmed by the label lists Gmail answers with (one
    UID FETCH X-GM-LABELS of the messages it did not mention). A message no longer in
    the selected folder afterwards is `gone` (removing a folder's own label takes the
    message out of it: that is the archive case)."""
    wanted = UidSet.parse(uids)
    add, remove = sorted(set(add)), sorted(set(remove))
    session.ensure_visible(wanted.max())
    seen: dict[int, tuple[str, ...]] = {}
    for sign, labels in (("+", add), ("-", remove)):
        if labels:
            items = b" ".join(_astring(label) for label in labels)
            resp = session.raw(f"UID STORE {uids} {sign}X-GM-LABELS (".encode() + items + b")")
            seen.update((r.uid, r.labels) for r in resp.fetches if r.uid and r.labels is not None)
    ok = _labels_match(add, remove)
    unsure = [u for u in wanted if u not in seen or not ok(seen[u])]
    if unsure:
        resp = session.raw(f"UID FETCH {compress_uids(unsure)} (UID X-GM-LABELS)".encode())
        for rec in resp.fetches:
            if rec.uid and rec.labels is not None:
                seen[rec.uid] = rec.labels
    out = Outcome()
    for uid in wanted:
        labels = seen.get(uid)
        (out.gone if labels is None else out.done if ok(labels) else out.failed).append(uid)
    return out


# LIST attributes of Gmail's system folders (RFC 6154 and Gmail's \\Important) → the
# label the folder shows; None: the folder is a place (All Mail, Trash, Spam), not a label.
_SYSTEM_FOLDERS = {
    b"\\IMPORTANT": "\\Important",
    b"\\SENT": "\\Sent",
    b"\\DRAFTS": "\\Draft",
    b"\\ALL": None,
    b"\\TRASH": None,
    b"\\JUNK": None,
    b"\\FLAGGED": None,
    b"\\NOSELECT": None,
}


def folder_label(session: ImapSession, raw: str) -> str | None:
    """The label whose view folder `raw` is: `\\Inbox` for INBOX, a system label from
    the folder's LIST attributes, else the folder's own name (a user label's folder is
    named after it, "/" and all)."""
    if raw.upper() == "INBOX":
        return INBOX_LABEL
    resp = session.raw(b'LIST "" ' + quote(raw))
    for u in resp.all(b"LIST"):
        toks = u.tokens()
        if len(toks) >= 4 and isinstance(toks[1], list):
            for attr in toks[1]:
                if isinstance(attr, bytes) and attr.upper() in _SYSTEM_FOLDERS:
                    return _SYSTEM_FOLDERS[attr.upper()]
    return utf7.decode_name(raw)


def _labels_match(add: list[str], remove: list[str]):
    want = {label.casefold() for label in add}
    unwanted = {label.casefold() for label in remove}

    def ok(labels: tuple[str, ...]) -> bool:
        have = {label.casefold() for label in labels}
        return want <= have and not (unwanted & have)

    return ok
