"""SASL initial responses for bearer tokens: XOAUTH2 (Google's) and OAUTHBEARER (RFC 7628).

Both IMAP AUTHENTICATE and SMTP AUTH take these strings (base64-encoded by the
protocol library). OAUTHBEARER is the standard and is preferred when a server offers
both; XOAUTH2 is what Gmail and older Exchange offer.
"""

from __future__ import annotations

from collections.abc import Iterable

MECHANISMS = ("OAUTHBEARER", "XOAUTH2")


def _saslname(user: str) -> str:
    """RFC 5801 §4 gs2 authzid escaping: ',' and '=' are special in the header."""
    return user.replace("=", "=3D").replace(",", "=2C")


def xoauth2(user: str, token: str) -> str:
    """user=<user>^Aauth=Bearer <token>^A^A."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer(user: str, token: str, host: str = "", port: int | None = None) -> str:
    """n,a=<user>,^Ahost=..^Aport=..^Aauth=Bearer <token>^A^A (RFC 7628 §3.1)."""
    parts = [f"n,a={_saslname(user)},"]
    if host:
        parts.append(f"host={host}")
    if port is not None:
        parts.append(f"port={port}")
    parts.append(f"auth=Bearer {token}")
    return "\x01".join(parts) + "\x01\x01"


def choose(offered: Iterable[str]) -> str | None:
    """The mechanism to use from a server's AUTH= list (OAUTHBEARER first), or None."""
    names = {m.upper() for m in offered}
    for mech in MECHANISMS:
        if mech in names:
            return mech
    return None


def initial_response(
    mechanism: str, user: str, token: str, host: str = "", port: int | None = None
) -> str:
    """The client's first message for `mechanism` (one of MECHANISMS)."""
    if mechanism.upper() == "OAUTHBEARER":
        return oauthbearer(user, token, host, port)
    if mechanism.upper() == "XOAUTH2":
        return xoauth2(user, token)
    raise ValueError(f"not a bearer-token SASL mechanism: {mechanism}")


class Responder:
    """The callback IMAP AUTHENTICATE / SMTP AUTH call with each server challenge.

    First call: the initial response. A later call is the server explaining a refusal
    (a JSON error as a challenge) and the client must answer so that the server can end
    the exchange with NO / 535: a lone ^A for OAUTHBEARER (RFC 7628 §3.2.3), an empty
    line for XOAUTH2 (Google's description). The server's report is kept in `error`.
    """

    def __init__(
        self, mechanism: str, user: str, token: str, host: str = "", port: int | None = None
    ) -> None:
        self._initial: str | None = initial_response(mechanism, user, token, host, port)
        self._on_error = "\x01" if mechanism.upper() == "OAUTHBEARER" else ""
        self.error: bytes = b""

    def __call__(self, challenge: bytes | None = None) -> str:
        if self._initial is not None:
            first, self._initial = self._initial, None
            return first
        self.error = challenge or b""
        return self._on_error
