"""Ready-made hooks for each kind of script a test may need (worked examples in
tests/imap/test_scripted_imap.py and tests/imap/test_scripted_commands.py).

Kinds (all installed with `server.on(name, hook)` or `session.on(...)`, or as a filter
with `server.rewrite(fn)`):
- wrap, bytes around the real answer:  `before(data)`, `after(data)`
- replace the answer:                   `reply(status, text)`, `throttle(...)`, `clientbug()`
- instead of the greeting:              `greeting(data)`, `preauth()`
- hostile, before STARTTLS's OK:        `inject_before_starttls_ok(data)`
- hang up:                              `hang_up(text)` (`* BYE`, then the socket closes)
- rewrite every line on its way out:    `status_trailing_space`
- lie (OK, nothing done):               `Lies(ignore_writes={...})` in server.py, or `ack()`
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.support.scripted_imap.registry import AUTHENTICATED, Command, Hook, Next
from tests.support.scripted_imap.session import Disconnect, Session


def before(data: bytes) -> Hook:
    """Send raw `data` first, then answer as usual."""

    def hook(session: Session, cmd: Command, next_: Next) -> None:
        session.send_raw(data)
        next_(cmd)

    return hook


def after(data: bytes) -> Hook:
    """Answer as usual, then send raw `data` (e.g. an unsolicited response or a BYE)."""

    def hook(session: Session, cmd: Command, next_: Next) -> None:
        next_(cmd)
        session.send_raw(data)

    return hook


def reply(status: str, text: str, code: str | None = None, *, times: int | None = None) -> Hook:
    """Answer `status [code] text` instead of running the command (the first `times` only)."""
    lock = threading.Lock()
    used = [0]  # across sessions: a throttle counts the account's commands

    def hook(session: Session, cmd: Command, next_: Next) -> None:
        with lock:
            mine = times is None or used[0] < times
            used[0] += mine
        if mine:
            session.respond(cmd, status, text, code)
        else:
            next_(cmd)

    return hook


def hang_up(text: str = "Connection closed. 14", *, first: bytes = b"") -> Hook:
    """Send `first` (e.g. a tagged BAD), then `* BYE text`, then close the connection,
    as Microsoft 365 does once it has throttled a session for long enough."""

    def hook(session: Session, cmd: Command, _next: Next) -> None:
        if first:
            session.send_raw(first.replace(b"{tag}", cmd.tag.encode()))
        session.untagged(f"BYE {text}")
        raise Disconnect("hook hung up")

    return hook


def ack() -> Hook:
    """A liar for one command name: OK, and nothing done (see also `Lies`)."""

    def hook(session: Session, cmd: Command, _next: Next) -> None:
        session.ok(cmd)

    return hook


def throttle(times: int = 1, backoff_ms: int = 299_609) -> Hook:
    """Microsoft 365 under load: `NO Request is throttled. Suggested Backoff Time: N
    milliseconds` for the first `times` commands, then real answers (seen by imapsync
    and imap_tools users; M365 also says it with BAD and then hangs up)."""
    return reply(
        "NO",
        f"Request is throttled. Suggested Backoff Time: {backoff_ms} milliseconds",
        times=times,
    )


def clientbug(text: str = "Command is not valid in this state") -> Hook:
    """Yahoo: a tagged `BAD [CLIENTBUG] ...` for something other servers accept."""
    return reply("BAD", text, "CLIENTBUG")


def greeting(data: bytes) -> Hook:
    """For "GREETING": send these bytes instead of the `* OK` greeting."""

    def hook(session: Session, cmd: Command, _next: Next) -> None:
        session.send_raw(data)

    return hook


def preauth(user: str | None = None, *, offer_starttls: bool = False) -> Hook:
    """For "GREETING": `* PREAUTH` — already logged in, so STARTTLS can no longer be
    negotiated (RFC 9051 §7.1.4). A client that wanted TLS must hang up, not carry on.
    `offer_starttls` keeps STARTTLS in the list, as a TLS-stripping attacker would."""

    def hook(session: Session, cmd: Command, _next: Next) -> None:
        session.state = AUTHENTICATED
        session.user = user or session.server.user.name
        if offer_starttls:
            session.post_login_caps = [*session.server.capabilities, "STARTTLS"]
        caps = " ".join(session.capabilities())
        session.untagged(f"PREAUTH [CAPABILITY {caps}] Logged in as {session.user}")

    return hook


def inject_before_starttls_ok(data: bytes) -> Hook:
    """For "STARTTLS": plaintext `data` right before the OK, in the same write. A client
    must drop what it read before TLS began (CVE-2011-0411-style response injection)."""

    def hook(session: Session, cmd: Command, next_: Next) -> None:
        if session.tls:
            next_(cmd)
            return
        session.send_raw(data + f"{cmd.tag} OK Begin TLS negotiation now.\r\n".encode())
        cmd.responded = True
        session.start_tls()

    return hook


def status_trailing_space(line: bytes) -> bytes:
    """A filter for `server.rewrite`: untagged STATUS with a trailing space, as some
    providers send (`* STATUS INBOX (MESSAGES 3) `)."""
    return line + b" " if line.startswith(b"* STATUS ") else line


def when(predicate: Callable[[Session, Command], bool], hook: Hook) -> Hook:
    """Run `hook` only where `predicate(session, command)` holds, else pass through."""

    def wrapped(session: Session, cmd: Command, next_: Next) -> None:
        if predicate(session, cmd):
            hook(session, cmd, next_)
        else:
            next_(cmd)

    return wrapped
