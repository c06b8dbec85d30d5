"""Built-in handlers for connection, authentication and folder commands (RFC 9051 §6.1–6.3).

Message commands (FETCH, STORE, COPY, MOVE, EXPUNGE, SEARCH, APPEND) are in messages.py.
Replies follow Dovecot 2.3's wording where a client might look at it ("Mailbox doesn't
exist: X", "OK No messages found"), and RFC 5530 response codes where one exists.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING

from tests.support.scripted_imap.protocol import (
    ParseError,
    Token,
    compress,
    flag_list,
    mailbox,
    parse_set,
    pick,
    text,
    utf7_decode,
)
from tests.support.scripted_imap.registry import (
    ANY,
    AUTHENTICATED,
    ONLY_NOT_AUTHENTICATED,
    ONLY_SELECTED,
    SELECTED,
    Command,
    command,
)
from tests.support.scripted_imap.session import Disconnect
from tests.support.scripted_imap.store import DELIMITER, SYSTEM_FLAGS, Folder, StoreError
from tests.support.scripted_imap.view import SelectedView

if TYPE_CHECKING:
    from tests.support.scripted_imap.session import Session


def require(session: Session, cmd: Command, capability: str) -> bool:
    """An extension command is unknown unless advertised (a server without MOVE says BAD)."""
    if session.has(capability):
        return True
    session.bad(cmd, "Unknown command.")
    return False


def folder_arg(token: Token) -> str:
    """A mailbox argument, modified UTF-7 on the wire (RFC 3501 §5.1.3), as Unicode."""
    return utf7_decode(text(token))


def _fail(session: Session, cmd: Command, exc: StoreError, *, trycreate: bool = False) -> None:
    code = "TRYCREATE" if trycreate and exc.code == "NONEXISTENT" else exc.code or None
    session.no(cmd, str(exc), code)


# --- any state (RFC 9051 §6.1) --------------------------------------------------------------


@command("GREETING", states=ANY)
def greeting(session: Session, cmd: Command) -> None:
    caps = " ".join(session.capabilities())
    session.untagged(f"OK [CAPABILITY {caps}] Scripted IMAP ready.")


@command("CAPABILITY", states=ANY)
def capability(session: Session, cmd: Command) -> None:
    session.untagged("CAPABILITY " + " ".join(session.capabilities()))
    session.ok(cmd, "Capability completed.")


@command("NOOP", "CHECK", states=ANY)
def noop(session: Session, cmd: Command) -> None:
    session.ok(cmd)  # the news goes out with the OK (Session.respond)


@command("LOGOUT", states=ANY)
def logout(session: Session, cmd: Command) -> None:
    session.untagged("BYE Logging out")
    session.view = None
    session.ok(cmd, "Logout completed.")
    raise Disconnect("logout")


@command("ID", states=ANY)
def id_(session: Session, cmd: Command) -> None:
    """RFC 2971."""
    if require(session, cmd, "ID"):
        session.untagged('ID ("name" "Scripted IMAP")')
        session.ok(cmd, "ID completed.")


# --- not authenticated (RFC 9051 §6.2) ------------------------------------------------------


@command("STARTTLS", states=ONLY_NOT_AUTHENTICATED)
def starttls(session: Session, cmd: Command) -> None:
    if session.tls or not session.has("STARTTLS"):
        session.bad(cmd, "TLS is already active." if session.tls else "Unknown command.")
        return
    session.ok(cmd, "Begin TLS negotiation now.")
    session.start_tls()


def _login(session: Session, cmd: Command, user: str, password: str) -> None:
    accepted = session.server.users.get(user) == password
    session.server.logins.append((user, accepted))
    if not accepted:
        session.no(cmd, "Authentication failed.", "AUTHENTICATIONFAILED")
        return
    session.state, session.user = AUTHENTICATED, user
    session.ok(cmd, "Logged in", "CAPABILITY " + " ".join(session.capabilities()))


@command("LOGIN", states=ONLY_NOT_AUTHENTICATED)
def login(session: Session, cmd: Command) -> None:
    if len(cmd.args) != 2:
        raise ParseError("LOGIN takes a user name and a password")
    _login(session, cmd, text(cmd.args[0]), text(cmd.args[1]))


@command("AUTHENTICATE", states=ONLY_NOT_AUTHENTICATED)
def authenticate(session: Session, cmd: Command) -> None:
    """AUTHENTICATE PLAIN (RFC 4616), with SASL-IR's initial response (RFC 4959)."""
    if not cmd.args or text(cmd.args[0]).upper() != "PLAIN":
        session.no(cmd, "Unsupported authentication mechanism.")
        return
    if len(cmd.args) > 1:
        answer = text(cmd.args[1])
    else:
        session.send_raw(b"+ \r\n")
        answer = session.readline().decode("ascii", "replace").strip()
    if answer == "*":
        session.bad(cmd, "Authentication aborted by client.")
        return
    try:
        _authzid, user, password = base64.b64decode(answer, validate=True).decode().split("\0")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        session.bad(cmd, "Invalid base64 data in continued response")
        return
    _login(session, cmd, user, password)


# --- authenticated (RFC 9051 §6.3) ----------------------------------------------------------


@command("ENABLE")
def enable(session: Session, cmd: Command) -> None:
    """RFC 5161; QRESYNC implies CONDSTORE (RFC 7162 §3.2.3)."""
    if not require(session, cmd, "ENABLE"):
        return
    newly = []
    for name in (text(a).upper() for a in cmd.args):
        if name in ("CONDSTORE", "QRESYNC") and session.has(name) and name not in session.enabled:
            session.enabled.add(name)
            newly.append(name)
    if "QRESYNC" in session.enabled:
        session.enabled.add("CONDSTORE")
    if session.view is not None:
        session.view.condstore = "CONDSTORE" in session.enabled or session.view.condstore
        session.view.qresync = "QRESYNC" in session.enabled
    session.untagged(" ".join(["ENABLED", *newly]))
    session.ok(cmd, "Enabled.")


@command("NAMESPACE")
def namespace(session: Session, cmd: Command) -> None:
    if require(session, cmd, "NAMESPACE"):
        session.untagged(f'NAMESPACE (("" "{DELIMITER}")) NIL NIL')
        session.ok(cmd, "Namespace completed.")


@command("CREATE", "DELETE", "RENAME")
def folder_change(session: Session, cmd: Command) -> None:
    """CREATE, DELETE, RENAME (RFC 9051 §6.3.4–6.3.6); the store says what it refuses."""
    names = [folder_arg(a) for a in cmd.args]
    if len(names) != (2 if cmd.name == "RENAME" else 1):
        raise ParseError(f"wrong number of arguments to {cmd.name}")
    change = {
        "CREATE": session.store.create,
        "DELETE": session.store.delete,
        "RENAME": session.store.rename,
    }[cmd.name]
    try:
        change(*names)
    except StoreError as exc:
        _fail(session, cmd, exc)
        return
    session.ok(cmd, f"{cmd.name.title()} completed.")


@command("SUBSCRIBE", "UNSUBSCRIBE")
def subscribe(session: Session, cmd: Command) -> None:
    session.store.set_subscribed(folder_arg(cmd.args[0]), cmd.name == "SUBSCRIBE")
    session.ok(cmd, f"{cmd.name.title()} completed.")


# --- LIST, LSUB, STATUS --------------------------------------------------------------------


def _pattern(ref: str, pattern: str) -> re.Pattern[str]:
    """RFC 9051 §6.3.9: "*" matches anything, "%" anything but the hierarchy delimiter."""
    out = []
    for ch in ref + pattern:
        out.append(".*" if ch == "*" else f"[^{DELIMITER}]*" if ch == "%" else re.escape(ch))
    return re.compile(
        "".join(out) + r"\Z", re.I if (ref + pattern).upper().startswith("INBOX") else 0
    )


def _all_names(session: Session) -> dict[str, Folder | None]:
    """Every folder, plus the parents that exist only as a path (listed \\Noselect)."""
    with session.store.lock:
        folders = dict(session.store.folders)
    out: dict[str, Folder | None] = {}
    for name, folder in folders.items():
        parts = name.split(DELIMITER)
        for i in range(1, len(parts)):
            out.setdefault(DELIMITER.join(parts[:i]), None)
        out[name] = folder
    return out


def _attributes(
    session: Session,
    name: str,
    folder: Folder | None,
    names: dict,
    *,
    children: bool,
    subscribed: bool,
) -> list[str]:
    attrs: list[str] = []
    if folder is None or not folder.selectable:
        attrs.append("\\Noselect")
    if children:
        has = any(n.startswith(name + DELIMITER) for n in names)
        attrs.append("\\HasChildren" if has else "\\HasNoChildren")
    if subscribed and folder is not None and folder.subscribed:
        attrs.append("\\Subscribed")
    if (
        folder is not None
        and folder.special_use
        and (session.has("SPECIAL-USE") or session.server.special_use_in_list)
    ):
        attrs.append(folder.special_use)
    return attrs


def _status_items(session: Session, folder: Folder, items: list[str]) -> bytes:
    """STATUS values (RFC 9051 §6.3.11; HIGHESTMODSEQ, RFC 7162 §3.1.7) in asked order."""
    with session.store.lock:
        msgs = list(folder.messages.values())
        values = {
            "MESSAGES": len(msgs),
            "RECENT": 0,
            "UIDNEXT": folder.uidnext,
            "UIDVALIDITY": folder.uidvalidity,
            "UNSEEN": sum(1 for m in msgs if not m.has_flag("\\Seen")),
            "HIGHESTMODSEQ": folder.highestmodseq,
            "SIZE": sum(len(m.raw) for m in msgs),
            "DELETED": sum(1 for m in msgs if m.has_flag("\\Deleted")),
        }
    out = []
    for item in items:
        if item not in values or (item == "HIGHESTMODSEQ" and not session.has("CONDSTORE")):
            raise ParseError(f"unknown STATUS item {item}")
        out.append(f"{item} {values[item]}")
    return b"STATUS " + mailbox(folder.name) + b" (" + " ".join(out).encode() + b")"


@command("LIST", "LSUB")
def list_(session: Session, cmd: Command) -> None:
    """LIST with RFC 5258 selection/return options, RFC 6154 SPECIAL-USE and RFC 5819
    RETURN (STATUS ...); LSUB as in RFC 3501 §6.3.9."""
    args = list(cmd.args)
    select_opts = (
        [text(a).upper() for a in args.pop(0)] if args and isinstance(args[0], list) else []
    )
    if len(args) < 2:
        raise ParseError("LIST takes a reference and a pattern")
    ref, pats = folder_arg(args[0]), args[1]
    patterns = [folder_arg(p) for p in pats] if isinstance(pats, list) else [folder_arg(pats)]
    returns: list[str] = []
    status: list[str] = []
    if len(args) > 2:
        if text(args[2]).upper() != "RETURN" or len(args) < 4 or not isinstance(args[3], list):
            raise ParseError("bad LIST return options")
        opts = args[3]
        for i, opt in enumerate(opts):
            if isinstance(opt, list):
                continue
            returns.append(text(opt).upper())
            if returns[-1] == "STATUS" and i + 1 < len(opts) and isinstance(opts[i + 1], list):
                status = [text(t).upper() for t in opts[i + 1]]
    if patterns == [""]:
        session.untagged(f'{cmd.name} (\\Noselect) "{DELIMITER}" ""')
        session.ok(cmd, f"{cmd.name.title()} completed.")
        return
    lsub = cmd.name == "LSUB"
    only_subscribed = lsub or "SUBSCRIBED" in select_opts
    names = _all_names(session)
    regexes = [_pattern(ref, p) for p in patterns]
    children = session.has("CHILDREN") and ("CHILDREN" in returns or not (returns or lsub))
    for name, folder in names.items():
        if not any(r.match(name) for r in regexes):
            continue
        if only_subscribed and (folder is None or not folder.subscribed):
            continue
        attrs = _attributes(
            session,
            name,
            folder,
            names,
            children=children,
            subscribed="SUBSCRIBED" in returns + select_opts,
        )
        session.untagged(
            cmd.name.encode()
            + b" "
            + flag_list(attrs)
            + f' "{DELIMITER}" '.encode()
            + mailbox(name)
        )
        if status and folder is not None and folder.selectable and session.has("LIST-STATUS"):
            session.untagged(_status_items(session, folder, status))
    session.ok(cmd, f"{cmd.name.title()} completed.")


@command("STATUS")
def status(session: Session, cmd: Command) -> None:
    if len(cmd.args) != 2 or not isinstance(cmd.args[1], list):
        raise ParseError("STATUS takes a mailbox and a list of items")
    try:
        folder = session.store.get(folder_arg(cmd.args[0]))
    except StoreError as exc:
        _fail(session, cmd, exc)
        return
    session.untagged(_status_items(session, folder, [text(t).upper() for t in cmd.args[1]]))
    session.ok(cmd, "Status completed.")


# --- SELECT and leaving it ------------------------------------------------------------------


def _deselect(session: Session) -> None:
    session.view = None
    session.state = AUTHENTICATED


@command("SELECT", "EXAMINE")
def select(session: Session, cmd: Command) -> None:
    """SELECT/EXAMINE (RFC 9051 §6.3.2) with (CONDSTORE) (RFC 7162 §3.1.8) or
    (QRESYNC (uidvalidity modseq [known-uids])) (RFC 7162 §3.2.5)."""
    if session.view is not None:
        if "QRESYNC" in session.enabled:
            session.untagged("OK [CLOSED] Previous mailbox closed.")  # RFC 7162 §3.2.11
        _deselect(session)
    params = cmd.args[1] if len(cmd.args) > 1 and isinstance(cmd.args[1], list) else []
    qresync: list[Token] | None = None
    for i, p in enumerate(params):
        word = text(p).upper() if not isinstance(p, list) else ""
        if word == "CONDSTORE" and session.has("CONDSTORE"):
            session.enabled.add("CONDSTORE")
        elif word == "QRESYNC" and i + 1 < len(params) and isinstance(params[i + 1], list):
            if "QRESYNC" not in session.enabled:
                session.bad(cmd, "QRESYNC isn't enabled")
                return
            qresync = params[i + 1]
    try:
        folder = session.store.get(folder_arg(cmd.args[0]))
    except StoreError as exc:
        _fail(session, cmd, exc)
        return
    readonly = cmd.name == "EXAMINE"
    with session.store.lock:
        view = SelectedView(
            folder,
            readonly=readonly,
            condstore="CONDSTORE" in session.enabled,
            qresync="QRESYNC" in session.enabled,
        )
        view.expunge_order = session.server.expunge_order
        keywords = sorted({k for m in folder.messages.values() for k in m.keywords})
        unseen = next(
            (i for i, m in enumerate(folder.messages.values(), 1) if not m.has_flag("\\Seen")), 0
        )
        lines = [
            b"FLAGS " + flag_list([*SYSTEM_FLAGS, *keywords]),
            b"OK [PERMANENTFLAGS "
            + flag_list(
                []
                if readonly
                else [*SYSTEM_FLAGS, *keywords, *(["\\*"] if folder.allow_keywords else [])]
            )
            + b"] Flags permitted.",
            b"%d EXISTS" % len(view.uids),
            b"0 RECENT",
        ]
        if unseen:
            lines.append(b"OK [UNSEEN %d] First unseen." % unseen)
        lines += [
            b"OK [UIDVALIDITY %d] UIDs valid" % folder.uidvalidity,
            b"OK [UIDNEXT %d] Predicted next UID" % folder.uidnext,
        ]
        if session.has("CONDSTORE"):
            lines.append(b"OK [HIGHESTMODSEQ %d] Highest" % folder.highestmodseq)
        if qresync is not None:
            lines += _qresync_news(folder, view, qresync)
    for line in lines:
        session.untagged(line)
    session.view, session.state = view, SELECTED
    session.ok(
        cmd,
        "Select completed." if not readonly else "Examine completed.",
        "READ-ONLY" if readonly else "READ-WRITE",
    )


def _qresync_news(folder: Folder, view: SelectedView, params: list[Token]) -> list[bytes]:
    """RFC 7162 §3.2.5.1: VANISHED (EARLIER) for UIDs expunged since the client's modseq,
    and FETCH (UID FLAGS MODSEQ) for messages changed since — if UIDVALIDITY matches."""
    if len(params) < 2 or int(text(params[0])) != folder.uidvalidity:
        return []
    since = int(text(params[1]))
    known = None
    if len(params) > 2 and not isinstance(params[2], list):
        top = max([folder.uidnext - 1, 1])
        known = set(pick(range(1, top + 1), parse_set(text(params[2]), top)))
    gone = sorted(
        {u for u, modseq in folder.expunged if modseq > since and (known is None or u in known)}
    )
    out = []
    if gone:
        out.append(b"VANISHED (EARLIER) " + compress(gone).encode())
    for seq, msg in enumerate(folder.messages.values(), 1):
        if msg.modseq > since:
            out.append(view.flags_line(seq, msg, uid=True)[2:])
    return out


@command("UNSELECT", states=ONLY_SELECTED)
def unselect(session: Session, cmd: Command) -> None:
    """RFC 3691: leave without expunging."""
    if require(session, cmd, "UNSELECT"):
        _deselect(session)
        session.ok(cmd, "Unselect completed.")


@command("CLOSE", states=ONLY_SELECTED)
def close(session: Session, cmd: Command) -> None:
    """RFC 9051 §6.4.1: expunge \\Deleted (read-write only) and tell nothing."""
    view = session.view
    assert view is not None
    _deselect(session)
    if not view.readonly:
        try:
            session.store.expunge(view.name, view.uids)
        except StoreError:
            pass
    session.ok(cmd, "Close completed.")


@command("IDLE")
def idle(session: Session, cmd: Command) -> None:
    """RFC 2177: news for the selected folder as it happens, until the client's DONE."""
    if not require(session, cmd, "IDLE"):
        return
    session.send_raw(b"+ idling\r\n")
    while True:
        session.drain_wakes()
        if session.state == SELECTED:
            session.report()
        if session.wait() != "input":
            continue
        line = session.readline().strip()
        if line.upper() == b"DONE":
            session.ok(cmd, "Idle completed.")
        else:
            session.bad(cmd, "Expected DONE.")
        return
