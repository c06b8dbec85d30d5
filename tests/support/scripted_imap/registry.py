"""What a command is, and the table of built-in handlers that hooks wrap or replace.

A handler is `fn(session, command)`; it answers through `session.ok/no/bad`, which
first sends the folder news the session owes its client. A hook is
`fn(session, command, next)`: call `next(command)` to run the rest of the chain (other
hooks, then the built-in handler), or don't, to replace it. So one shape covers the
"wrap" (log, inject bytes before or after, rewrite), "replace" (a provider's odd
reply) and "lie" (answer OK, do nothing) cases that tests need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.support.scripted_imap.protocol import Token

if TYPE_CHECKING:
    from tests.support.scripted_imap.session import Session

NOT_AUTHENTICATED = "not authenticated"
AUTHENTICATED = "authenticated"
SELECTED = "selected"
LOGOUT = "logout"
ANY = frozenset({NOT_AUTHENTICATED, AUTHENTICATED, SELECTED})
AUTHED = frozenset({AUTHENTICATED, SELECTED})
ONLY_SELECTED = frozenset({SELECTED})
ONLY_NOT_AUTHENTICATED = frozenset({NOT_AUTHENTICATED})


@dataclass
class Command:
    """One client command as parsed; `name` is upper case with "UID " kept ("UID STORE")."""

    tag: str
    name: str
    args: list[Token] = field(default_factory=list)
    line: bytes = b""
    responded: bool = False

    @property
    def verb(self) -> str:
        """The name without "UID ": the family a lie or a sync rule is keyed on."""
        return self.name[4:] if self.name.startswith("UID ") else self.name

    @property
    def uid(self) -> bool:
        return self.name.startswith("UID ")


Handler = Callable[["Session", Command], None]
Next = Callable[[Command], None]
Hook = Callable[["Session", Command, Next], None]


@dataclass(frozen=True)
class Entry:
    handler: Handler
    states: frozenset[str]


HANDLERS: dict[str, Entry] = {}


def command(*names: str, states: frozenset[str] = AUTHED) -> Callable[[Handler], Handler]:
    """Register the built-in handler for these command names, valid in `states`."""

    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name.upper()] = Entry(fn, states)
        return fn

    return register
