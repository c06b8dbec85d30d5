"""Built-in handlers for message commands: FETCH, STORE, COPY, MOVE, EXPUNGE, SEARCH, APPEND.

Every one acts on the session's view (view.py): message sets are resolved against the
UIDs this client has been told about, never against the store directly. A UID the
client was never told of is simply not there — the "OK No messages found" case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from tests.support.scripted_imap import mime, search
from tests.support.scripted_imap.commands import _fail, folder_arg, require
from tests.support.scripted_imap.protocol import (
    Literal,
    ParseError,
    Token,
    atoms,
    compress,
    flag_list,
    format_internaldate,
    literal,
    ordered,
    parse_internaldate,
    parse_set,
    pick,
    string,
    text,
)
from tests.support.scripted_imap.registry import AUTHED, ONLY_SELECTED, Command, command
from tests.support.scripted_imap.store import Message, StoreError
from tests.support.scripted_imap.view import SelectedView

if TYPE_CHECKING:
    from tests.support.scripted_imap.session import Session

# FETCH items without a section: name → render(session, message) → value bytes. A provider
# emulation adds its own (Gmail's X-GM-LABELS...), gated on its capability in `GATED`.
FETCH_ITEMS: dict[str, Callable[[Session, Message], bytes]] = {
    "FLAGS": lambda s, m: flag_list(sorted(m.flags)),
    "INTERNALDATE": lambda s, m: format_internaldate(m.internaldate),
    "RFC822.SIZE": lambda s, m: str(len(m.raw)).encode(),
    "MODSEQ": lambda s, m: b"(%d)" % m.modseq,
    "ENVELOPE": lambda s, m: mime.envelope(m.mime),
    "BODYSTRUCTURE": lambda s, m: mime.bodystructure(m.mime),
    "BODY": lambda s, m: mime.bodystructure(m.mime, extensible=False),
    "X-GM-MSGID": lambda s, m: str(m.msgid).encode(),
    "X-GM-THRID": lambda s, m: str(m.thrid).encode(),
    "X-GM-LABELS": lambda s, m: b"(" + b" ".join(string(x) for x in sorted(m.labels)) + b")",
}
GATED = {"X-GM-MSGID": "X-GM-EXT-1", "X-GM-THRID": "X-GM-EXT-1", "X-GM-LABELS": "X-GM-EXT-1"}
_MACROS = {
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
}
_SECTION = re.compile(r"^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$", re.I)
_RFC822 = {"RFC822": ("", False), "RFC822.HEADER": ("HEADER", True), "RFC822.TEXT": ("TEXT", False)}


def _view(session: Session) -> SelectedView:
    assert session.view is not None
    return session.view


def targets(session: Session, cmd: Command, spec: Token) -> list[Message]:
    """The messages a set names: UIDs or sequence numbers of this session's view."""
    view = _view(session)
    if cmd.uid:
        uids = pick(view.uids, parse_set(text(spec), view.uids[-1] if view.uids else 0))
    else:
        seqs = pick(range(1, len(view.uids) + 1), parse_set(text(spec), len(view.uids)))
        uids = [view.uids[s - 1] for s in seqs]
    return view.live(session.store, uids)


# --- FETCH (RFC 9051 §6.4.5) ------------------------------------------------------------------


@command("FETCH", "UID FETCH", states=ONLY_SELECTED)
def fetch(session: Session, cmd: Command) -> None:
    if len(cmd.args) < 2:
        raise ParseError("FETCH takes a set and items")
    view = _view(session)
    items = cmd.args[1] if isinstance(cmd.args[1], list) else [cmd.args[1]]
    names = [text(i).upper() for i in items]
    if len(names) == 1 and names[0] in _MACROS:
        names = list(_MACROS[names[0]])
    changedsince = _modifier(cmd.args[2:], "CHANGEDSINCE")
    if changedsince is not None:
        # RFC 7162 §3.1.4.1: CHANGEDSINCE enables CONDSTORE and implies MODSEQ.
        session.enabled.add("CONDSTORE")
        view.condstore = True
        names.append("MODSEQ")
    if cmd.uid:
        names.insert(0, "UID")
    names = list(dict.fromkeys(names))
    for name in names:
        if (
            name != "UID"
            and name not in FETCH_ITEMS
            and name not in _RFC822
            and not _SECTION.match(name)
        ):
            raise ParseError(f"unknown FETCH item {name}")
        if name in GATED and not session.has(GATED[name]):
            raise ParseError(f"unknown FETCH item {name}")
    for msg in targets(session, cmd, cmd.args[0]):
        if changedsince is not None and msg.modseq <= changedsince:
            continue
        _fetch_one(session, view, msg, names)
    session.ok(cmd, "Fetch completed.")


def _modifier(args: list[Token], name: str) -> int | None:
    for arg in args:
        if isinstance(arg, list):
            for i, item in enumerate(arg[:-1]):
                if isinstance(item, str) and item.upper() == name:
                    return int(text(arg[i + 1]))
    return None


def _fetch_one(session: Session, view: SelectedView, msg: Message, names: list[str]) -> None:
    sections = {n: _section_of(n) for n in names if n in _RFC822 or _SECTION.match(n)}
    sets_seen = any(not peek for _s, peek, _o, _n in sections.values())
    if sets_seen and not view.readonly and not msg.has_flag("\\Seen"):
        # RFC 9051 §6.4.5: BODY[...] without .PEEK sets \Seen; the new flags go along.
        session.store.store(view.name, [msg.uid], "+", ["\\Seen"])
        if "FLAGS" not in names:
            names = [*names, "FLAGS"]
    parts: list[bytes] = []
    for name in names:
        if name == "UID":
            parts.append(b"UID %d" % msg.uid)
        elif name in FETCH_ITEMS:
            parts.append(name.encode() + b" " + FETCH_ITEMS[name](session, msg))
        else:
            section, _peek, start, length = sections[name]
            data = mime.section(msg.raw, section, lambda: msg.mime)
            label = name if name in _RFC822 else f"BODY[{section}]"
            if start is not None:
                data = data[start : start + length] if length is not None else data[start:]
                label += f"<{start}>"
            parts.append(label.encode() + b" " + literal(data))
    if "FLAGS" in names:
        view.told(msg)
    session.untagged(b"%d FETCH (" % view.seq(msg.uid) + b" ".join(parts) + b")")


def _section_of(name: str) -> tuple[str, bool, int | None, int | None]:
    if name in _RFC822:
        section, peek = _RFC822[name]
        return section, peek, None, None
    m = _SECTION.match(name)
    assert m is not None
    start = int(m.group(3)) if m.group(3) else None
    length = int(m.group(4)) if m.group(4) else None
    return m.group(2), m.group(1).upper().endswith(".PEEK"), start, length


# --- STORE (RFC 9051 §6.4.6, UNCHANGEDSINCE RFC 7162 §3.1.3) ---------------------------------


@command("STORE", "UID STORE", states=ONLY_SELECTED)
def store(session: Session, cmd: Command) -> None:
    view = _view(session)
    args = list(cmd.args)
    if len(args) < 3:
        raise ParseError("STORE takes a set, an item and flags")
    unchangedsince = _modifier([args[1]], "UNCHANGEDSINCE") if isinstance(args[1], list) else None
    if isinstance(args[1], list):
        args.pop(1)
        if unchangedsince is not None:
            session.enabled.add("CONDSTORE")
            view.condstore = True
    item = text(args[1]).upper()
    m = re.fullmatch(r"([+-]?)FLAGS(\.SILENT)?", item)
    if m is None:
        raise ParseError(f"unknown STORE item {item}")
    flags = [f for a in args[2:] for f in atoms(a)]
    if view.readonly:
        session.no(cmd, "Mailbox is read-only.", "READ-ONLY")
        return
    msgs = targets(session, cmd, args[0])
    try:
        changed, refused = session.store.store(
            view.name, [x.uid for x in msgs], m.group(1), flags, unchangedsince=unchangedsince
        )
    except StoreError as exc:
        _fail(session, cmd, exc)
        return
    silent = bool(m.group(2))
    changed_set, refused_set = set(changed), set(refused)
    for msg in msgs:
        if msg.uid not in changed_set and msg.uid not in refused_set:
            continue
        if not silent or msg.uid in refused_set:
            session.send(view.flags_line(view.seq(msg.uid), msg, uid=cmd.uid or view.qresync))
        elif view.condstore:
            # With CONDSTORE on, even .SILENT reports the new MODSEQ (RFC 7162 §3.1.3).
            session.untagged(
                b"%d FETCH (UID %d MODSEQ (%d))" % (view.seq(msg.uid), msg.uid, msg.modseq)
            )
        view.told(msg)
    if refused:
        numbers = refused if cmd.uid else [view.seq(u) for u in refused]
        session.ok(cmd, "Conditional store failed.", f"MODIFIED {compress(numbers)}")
    else:
        session.ok(cmd, "Store completed.")


# --- COPY, MOVE (RFC 9051 §6.4.7, RFC 6851), EXPUNGE (§6.4.3, RFC 4315 §2.1) ------------------


@command("COPY", "UID COPY", "MOVE", "UID MOVE", states=ONLY_SELECTED)
def copy(session: Session, cmd: Command) -> None:
    moving = cmd.verb == "MOVE"
    if moving and not require(session, cmd, "MOVE"):
        return
    if len(cmd.args) != 2:
        raise ParseError(f"{cmd.verb} takes a set and a mailbox")
    view = _view(session)
    dest = folder_arg(cmd.args[1])
    if not session.store.exists(dest):
        session.no(cmd, f"Mailbox doesn't exist: {dest}", "TRYCREATE")
        return
    if moving and view.readonly:
        session.no(cmd, "Mailbox is read-only.", "READ-ONLY")
        return
    msgs = targets(session, cmd, cmd.args[0])
    if not msgs:
        session.ok(cmd, "No messages found.")
        return
    uids = [x.uid for x in msgs]
    try:
        if moving:
            pairs = session.store.move(view.name, uids, dest)
        else:
            pairs = session.store.copy(view.name, uids, dest)
    except StoreError as exc:
        _fail(session, cmd, exc, trycreate=True)
        return
    code = None
    if pairs and session.has("UIDPLUS"):
        validity = session.store.get(dest).uidvalidity
        src, dst = ordered([p[0] for p in pairs]), ordered([p[1] for p in pairs])
        code = f"COPYUID {validity} {src} {dst}"
    if moving:
        # RFC 6851 §4.3: COPYUID in an untagged OK, then the expunges, then the tagged OK.
        if code:
            session.untagged(f"OK [{code}] Moved UIDs.")
        session.report()
        session.ok(cmd, "Move completed.")
    else:
        session.ok(cmd, "Copy completed.", code)


@command("EXPUNGE", "UID EXPUNGE", states=ONLY_SELECTED)
def expunge(session: Session, cmd: Command) -> None:
    view = _view(session)
    if cmd.uid and not require(session, cmd, "UIDPLUS"):
        return
    if view.readonly:
        session.no(cmd, "Mailbox is read-only.", "READ-ONLY")
        return
    uids = [x.uid for x in targets(session, cmd, cmd.args[0])] if cmd.uid else list(view.uids)
    try:
        session.store.expunge(view.name, uids)
    except StoreError as exc:
        _fail(session, cmd, exc)
        return
    session.ok(cmd, "Expunge completed.")  # the EXPUNGE/VANISHED lines go out with it


# --- SEARCH (RFC 9051 §6.4.4, ESEARCH RFC 4731) ----------------------------------------------


@command("SEARCH", "UID SEARCH", states=ONLY_SELECTED)
def search_(session: Session, cmd: Command) -> None:
    view = _view(session)
    args = list(cmd.args)
    returns: list[str] | None = None
    if args and isinstance(args[0], str) and args[0].upper() == "RETURN":
        if not require(session, cmd, "ESEARCH") or len(args) < 2 or not isinstance(args[1], list):
            return
        returns = [text(t).upper() for t in args[1]] or ["ALL"]
        args = args[2:]
    if args and isinstance(args[0], str) and args[0].upper() == "CHARSET":
        charset = text(args[1]).upper()
        if charset not in search.CHARSETS:
            session.no(
                cmd, "Unsupported charset.", "BADCHARSET (" + " ".join(search.CHARSETS) + ")"
            )
            return
        args = args[2:]
    predicate = search.parse(args)
    scope = search.Scope(len(view.uids), view.uids[-1] if view.uids else 0)
    found: list[int] = []
    top_modseq = 0
    for msg in view.live(session.store, view.uids):
        seq = view.seq(msg.uid)
        if predicate(msg, seq, scope):
            found.append(msg.uid if cmd.uid else seq)
            top_modseq = max(top_modseq, msg.modseq)
    with_modseq = any(isinstance(a, str) and a.upper() == "MODSEQ" for a in _flat(args))
    if returns is None:
        line = b"SEARCH" + b"".join(b" %d" % n for n in found)
        if with_modseq and found:
            line += b" (MODSEQ %d)" % top_modseq  # RFC 7162 §3.1.6
        session.untagged(line)
    else:
        line = f'ESEARCH (TAG "{cmd.tag}")' + (" UID" if cmd.uid else "")
        if found:
            values = {
                "MIN": str(min(found)),
                "MAX": str(max(found)),
                "ALL": compress(found),
                "COUNT": str(len(found)),
            }
            line += "".join(f" {r} {values[r]}" for r in returns if r in values)
        elif "COUNT" in returns:
            line += " COUNT 0"
        session.untagged(line)
    session.ok(cmd, "Search completed.")


def _flat(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for t in tokens:
        out.extend(_flat(t) if isinstance(t, list) else [t])
    return out


# --- APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502, APPENDUID RFC 4315 §3) -------------------


@command("APPEND", states=AUTHED)
def append(session: Session, cmd: Command) -> None:
    if not cmd.args:
        raise ParseError("APPEND takes a mailbox and a message")
    name = folder_arg(cmd.args[0])
    batch: list[tuple[list[str], datetime | None, bytes]] = []
    rest = list(cmd.args[1:])
    while rest:
        flags = atoms(rest.pop(0)) if isinstance(rest[0], list) else []
        when = None
        if rest and not isinstance(rest[0], (Literal, list)):
            when = parse_internaldate(text(rest.pop(0)))
        if not rest or not isinstance(rest[0], Literal):
            raise ParseError("APPEND needs the message as a literal")
        batch.append((flags, when, bytes(rest.pop(0))))
    if not batch:
        raise ParseError("APPEND needs a message")
    if len(batch) > 1 and not require(session, cmd, "MULTIAPPEND"):
        return
    if not session.store.exists(name):
        session.no(cmd, f"Mailbox doesn't exist: {name}", "TRYCREATE")
        return
    uids = []
    with session.store.lock:  # all or nothing, as MULTIAPPEND requires
        for flags, when, raw in batch:
            uids.append(session.store.append(name, raw, flags, when))
        validity = session.store.get(name).uidvalidity
    code = f"APPENDUID {validity} {compress(uids)}" if session.has("UIDPLUS") else None
    session.ok(cmd, "Append completed.", code)
