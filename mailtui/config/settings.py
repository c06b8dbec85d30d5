"""Typed settings read from one TOML file (or built in code by tests and the demo).

Every problem becomes one `ConfigError` that names the file, the dotted key and what
is allowed, because a config error is the first thing a new user meets. Unknown keys
are errors (typos must not be silently ignored), and secrets are refused: passwords
live in the keyring or come from a command, never from this file.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, NoReturn, cast

from mailtui.config import paths
from mailtui.config.trust import is_loopback as is_loopback  # re-exported
from mailtui.config.trust import loopback_problem as loopback_problem  # re-exported
from mailtui.config.trust import may_be_loopback, refuse_untrusted_file
from mailtui.errors import ConfigError
from mailtui.model import Address

Security = Literal["tls", "starttls", "none"]
Protocol = Literal["imap", "smtp"]
DeletePolicy = Literal["trash", "expunge"]
SortKey = Literal["date", "from", "subject", "size"]
MarkRead = Literal["on-view", "on-open"]
AuthSource = Literal["keyring", "password_command", "oauth2_token_command"]

SECURITIES: Final = ("tls", "starttls", "none")
DELETE_POLICIES: Final = ("trash", "expunge")
SORT_KEYS: Final = ("date", "from", "subject", "size")
MARK_READ_MODES: Final = ("on-view", "on-open")

# Well-known ports: IMAP RFC 9051 §2.1 / RFC 8314 §7 (993); SMTP submission RFC 6409
# (587, STARTTLS) and RFC 8314 §7.3 (465, implicit TLS); 25 only for a local relay.
DEFAULT_PORTS: Final[Mapping[tuple[str, str], int]] = {
    ("imap", "tls"): 993,
    ("imap", "starttls"): 143,
    ("imap", "none"): 143,
    ("smtp", "tls"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "none"): 25,
}

# Keys that would hold a secret in clear text: refused wherever they appear.
PASSWORD_KEYS: Final = frozenset({"password", "pass", "passwd"})
# Keys that look like they hold a secret: refused in a file others can read.
_SECRET_LOOKING = re.compile(r"pass|secret|token|api[_-]?key|credential|private[_-]?key", re.I)
_NOT_SECRETS: Final = frozenset({"password_command", "oauth2_token_command"})

IN_CODE = "<settings built in code>"

EXAMPLE_CONFIG = """\
[accounts.work]
email = "me@example.com"
name = "My Name"

[accounts.work.imap]
host = "imap.example.com"
# security = "tls" (port 993) is the default; "starttls" uses port 143
password_command = "pass show mail/work"   # or run: mailtui login work

[accounts.work.smtp]
host = "smtp.example.com"
security = "starttls"
password_command = "pass show mail/work"
"""


@dataclass(frozen=True)
class ServerSettings:
    """How to reach and log in to one IMAP or SMTP server."""

    host: str
    """Server host name or IP address."""
    port: int
    """TCP port; defaults by protocol and security (IMAP 993/143, SMTP 465/587/25)."""
    security: Security = "tls"
    """"tls" (implicit TLS), "starttls", or "none" (refused unless the host is loopback)."""
    username: str = ""
    """Login name; defaults to the account's email address."""
    # Commands are left out of repr: people do write `echo hunter2`, and reprs get logged.
    password_command: str | None = field(default=None, repr=False)
    """Shell command that prints the password (first line of its output is used)."""
    oauth2_token_command: str | None = field(default=None, repr=False)
    """Shell command that prints an OAuth2 access token (XOAUTH2/OAUTHBEARER)."""
    ca_file: Path | None = None
    """Extra CA certificates (PEM) trusted in addition to the system's."""
    timeout: float = 30.0
    """Seconds to wait for connect and for each command's response."""
    ignore_capabilities: tuple[str, ...] = ()
    """Extensions mailtui must not use even if advertised (upper-case; for debugging)."""
    log_protocol: bool = False
    """Log the protocol exchange (credentials redacted) to help debug a server."""

    @property
    def auth_source(self) -> AuthSource:
        """Where the secret for this server comes from; exactly one source is allowed."""
        if self.password_command is not None:
            return "password_command"
        if self.oauth2_token_command is not None:
            return "oauth2_token_command"
        return "keyring"


@dataclass(frozen=True)
class IdentitySettings:
    """A further address this account sends as (`[[accounts.NAME.identities]]`)."""

    email: str
    display_name: str = ""
    signature: str = ""

    @property
    def address(self) -> Address:
        return Address(self.display_name, self.email)


@dataclass(frozen=True)
class AccountSettings:
    """One mail account: identity, where its mail lives, and how to treat it."""

    name: str
    """The account's name: its table key in `[accounts.NAME]`, used on the command line."""
    email: str
    """The address mail is sent from."""
    display_name: str = ""
    """The person's name shown in From: (TOML key `name` inside the account table)."""
    signature: str = ""
    """Text appended to new messages, after a "-- " line."""
    sent_copy: bool = True
    """Append a copy of sent mail to the Sent folder (off for servers that do it)."""
    imap: ServerSettings | None = None
    """The IMAP server (exactly one of `imap` / `maildir`)."""
    smtp: ServerSettings | None = None
    """The SMTP submission server; without it the account cannot send."""
    maildir: Path | None = None
    """A local Maildir++ tree instead of IMAP (exactly one of `imap` / `maildir`)."""
    archive_folder: str | None = None
    """Archive folder; None → the server's \\Archive special-use folder."""
    trash_folder: str | None = None
    """Trash folder; None → the server's \\Trash special-use folder."""
    sent_folder: str | None = None
    """Sent folder; None → the server's \\Sent special-use folder."""
    drafts_folder: str | None = None
    """Drafts folder; None → the server's \\Drafts special-use folder."""
    delete: DeletePolicy = "trash"
    """"trash" moves deleted mail to Trash; "expunge" removes it for good."""
    idle: bool = True
    """Use IMAP IDLE for push; off → poll every `poll_interval` seconds."""
    poll_interval: int = 60
    """Seconds between checks when IDLE is off or unsupported."""
    part_cache_mb: int = 200
    """Size cap of the cache of fetched message parts, in MiB."""
    default: bool = False
    """Open this account when none is named (else the first in the file)."""
    identities: tuple[IdentitySettings, ...] = ()
    """Further addresses (aliases) with their own name and signature: a reply is sent
    from the one the original was addressed to, and reply-all leaves them all out."""

    @property
    def address(self) -> Address:
        """The From: address of this account."""
        return Address(self.display_name, self.email)


def _default_download_dir() -> Path:
    return Path("~/Downloads").expanduser()


def _default_themes_dir() -> Path:
    return paths.config_dir(create=False) / "themes"


@dataclass(frozen=True)
class UiSettings:
    """How the terminal UI looks and behaves (the `[ui]` table)."""

    theme: str | None = None
    """Theme name: a built-in theme or a `NAME.toml` in `themes_dir`. Unset: mailtui-dark,
    or mailtui-16 on a terminal with only 16 colours."""
    mark_read_delay: float = 0.5
    """Seconds a message must stay open before it is marked read; 0 = at once, <0 = never."""
    mark_read: MarkRead = "on-view"
    """What reads a message: "on-view" (the user moved onto it and it was shown for
    `mark_read_delay`) or "on-open" (only opening it, with enter, space or z, as in mutt).
    A message the app put under the cursor by itself (at start, on opening a folder) is
    never marked read."""
    download_dir: Path = field(default_factory=_default_download_dir)
    """Where attachments are saved."""
    open_command: str | None = None
    """Command that opens an attachment or a link; None → xdg-open (Linux) / open (macOS).
    The file or link is one whole argument: it replaces a word that is exactly "{}", else
    it is appended ("{}" inside a word is refused). mailto: links open mailtui's composer."""
    threaded: bool = False
    """Show conversations as threads rather than a flat list."""
    sort: SortKey = "date"
    """Message list order: "date", "from", "subject" or "size"."""
    reverse: bool = True
    """Reverse the sort order (with "date": newest first)."""
    prefer_html: bool = False
    """Show the HTML part (as text) when a message has both plain text and HTML."""
    keys: dict[str, str] = field(default_factory=dict)
    """Key bindings from `[ui.keys]`: action name → comma-separated keys."""
    themes_dir: Path = field(default_factory=_default_themes_dir)
    """Directory searched for user themes."""


@dataclass(frozen=True)
class Settings:
    """Everything from the config file: accounts (in file order) and UI settings."""

    path: Path | None
    """The file these settings came from; None when built in code."""
    accounts: dict[str, AccountSettings]
    """Accounts by name, in the order the file lists them."""
    ui: UiSettings = field(default_factory=UiSettings)
    """The `[ui]` table."""
    default_account: str | None = None
    """The account used when none is named: the one with `default = true`, else the first."""

    def account(self, name: str | None = None) -> AccountSettings:
        """The named account, or the default one; a helpful ConfigError otherwise."""
        source = str(self.path) if self.path is not None else IN_CODE
        if name is None:
            name = self.default_account
            if name is None:
                raise ConfigError(
                    f"{source}: no accounts are configured",
                    hint=f"add an account, for example:\n\n{EXAMPLE_CONFIG}",
                )
        try:
            return self.accounts[name]
        except KeyError:
            known = ", ".join(self.accounts) or "none"
            close = difflib.get_close_matches(name, list(self.accounts), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{source}: no account named {name!r}{guess}; known accounts: {known}",
                hint="use one of the known names, or add [accounts.NAME] to the config file",
            ) from None


# --- validation machinery -------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MISSING: Final = object()


def _dotted(prefix: str, key: str) -> str:
    """Append `key` to a dotted TOML path, quoting it when it is not a bare key."""
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{prefix}.{part}" if prefix else part


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, os.PathLike):
        return "a path"
    return f"a {type(value).__name__}"


def _show(value: str, limit: int = 40) -> str:
    """A short, quoted rendering of a user value for an error message."""
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _choices(values: Sequence[str]) -> str:
    return ", ".join(json.dumps(v) for v in values)


@dataclass(frozen=True)
class _Source:
    """Where the data came from: names the file in errors and anchors relative paths."""

    label: str
    base: Path | None

    def fail(self, key: str, problem: str, hint: str = "") -> NoReturn:
        where = f"{self.label}: {key}" if key else self.label
        raise ConfigError(f"{where}: {problem}", hint=hint)


class _Reader:
    """One table being read: unknown keys are refused up front, then typed getters."""

    def __init__(self, src: _Source, key: str, data: object, allowed: Sequence[str]) -> None:
        if not isinstance(data, Mapping):
            src.fail(key, f"must be a table, not {_type_name(data)}")
        self.src = src
        self.key = key
        self.data: Mapping[Any, Any] = data
        for k in data:
            if not isinstance(k, str):
                src.fail(key, f"keys must be strings, not {_type_name(k)}")
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1, cutoff=0.6)
                if not close:
                    close = [a for a in allowed if a.lower() == k.lower()]
                guess = f" (did you mean {close[0]!r}?)" if close else ""
                src.fail(
                    _dotted(key, k),
                    f"unknown key{guess}; allowed here: {', '.join(allowed)}",
                )

    def at(self, name: str) -> str:
        return _dotted(self.key, name)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str) -> object:
        return self.data.get(name)

    def text(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        multiline: bool = False,
        choices: Sequence[str] | None = None,
        allow_empty: bool = False,
    ) -> Any:
        """A non-empty string (or `default` when absent); `choices` are case-insensitive."""
        if name not in self.data:
            if default is _MISSING:
                self.src.fail(self.at(name), "is required but missing")
            return default
        value = self.data[name]
        if not isinstance(value, str):
            self.src.fail(self.at(name), f"must be a string, not {_type_name(value)}")
        _check_text(self.src, self.at(name), value, multiline=multiline)
        if choices is not None:
            lowered = value.strip().lower()
            if lowered not in choices:
                close = difflib.get_close_matches(lowered, choices, n=1)
                guess = f" (did you mean {json.dumps(close[0])}?)" if close else ""
                self.src.fail(
                    self.at(name),
                    f"{_show(value)} is not allowed{guess}; use one of {_choices(choices)}",
                )
            return lowered
        if not value.strip() and not allow_empty:
            self.src.fail(self.at(name), "must not be empty")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.src.fail(self.at(name), f"must be true or false, not {_type_name(value)}")
        return value

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.src.fail(self.at(name), f"must be an integer, not {_type_name(value)}")
        if not lo <= value <= hi:
            self.src.fail(self.at(name), f"{value} is out of range; allowed: {lo} to {hi}")
        return value

    def number(
        self, name: str, default: float, lo: float, hi: float, lo_open: bool = False
    ) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.src.fail(self.at(name), f"must be a number, not {_type_name(value)}")
        number = float(value)
        if not math.isfinite(number):
            self.src.fail(self.at(name), "must be a finite number")
        if number > hi or number < lo or (lo_open and number == lo):
            low = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
            self.src.fail(
                self.at(name), f"{number:g} is out of range; allowed: {low}, at most {hi:g}"
            )
        return number

    def path(self, name: str, default: Path | None = None) -> Path | None:
        """A path: `~` expanded, relative paths taken from the config file's directory."""
        if name not in self.data:
            return default
        value = self.data[name]
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            self.src.fail(self.at(name), f"must be a path string, not {_type_name(value)}")
        _check_text(self.src, self.at(name), value)
        if not value.strip():
            self.src.fail(self.at(name), "must not be empty")
        try:
            path = Path(value).expanduser()
        except RuntimeError:
            self.src.fail(self.at(name), f"cannot expand {_show(value)}: unknown user or no home")
        if not path.is_absolute() and self.src.base is not None:
            path = self.src.base / path
        return path

    def table(self, name: str) -> object | None:
        return self.data.get(name)


def _check_text(src: _Source, key: str, value: str, *, multiline: bool = False) -> None:
    """Refuse text that cannot be valid here: lone surrogates, NUL, terminal controls."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        src.fail(key, "is not valid text (contains lone surrogate characters)")
    pattern = _CONTROL_MULTILINE if multiline else _CONTROL
    bad = pattern.search(value)
    if bad:
        what = (
            "line breaks"
            if bad.group() in "\r\n"
            else f"control character U+{ord(bad.group()):04X}"
        )
        src.fail(key, f"must not contain {what}")


# --- secrets --------------------------------------------------------------------------


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
                    dotted = _dotted(where, k)
                    found.append((dotted, (*keys, k)))
                    stack.append((dotted, (*keys, k), v))
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                stack.append((f"{where}[{i}]", keys, v))
    found.sort()
    return found


def _refuse_secrets(src: _Source, data: object, exposed_mode: int | None) -> None:
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


# --- building -------------------------------------------------------------------------

_TOP_KEYS: Final = ("accounts", "ui")
_ACCOUNT_KEYS: Final = (
    "email",
    "name",
    "signature",
    "sent_copy",
    "imap",
    "smtp",
    "maildir",
    "archive_folder",
    "trash_folder",
    "sent_folder",
    "drafts_folder",
    "delete",
    "idle",
    "poll_interval",
    "part_cache_mb",
    "default",
    "identities",
)
_IDENTITY_KEYS: Final = ("email", "name", "signature")
_SERVER_KEYS: Final = (
    "host",
    "port",
    "security",
    "username",
    "password_command",
    "oauth2_token_command",
    "ca_file",
    "timeout",
    "ignore_capabilities",
    "log_protocol",
)
_UI_KEYS: Final = (
    "theme",
    "mark_read_delay",
    "mark_read",
    "download_dir",
    "open_command",
    "threaded",
    "sort",
    "reverse",
    "prefer_html",
    "keys",
    "themes_dir",
)
_CAPABILITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9=+._-]*")


def _host(r: _Reader) -> str:
    host: str = r.text("host").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if "@" in host:
        r.src.fail(r.at("host"), f"{_show(host)} looks like an email address, not a host name")
    if re.search(r"[\s/\\]", host) or not host:
        r.src.fail(r.at("host"), f"{_show(host)} is not a host name or IP address")
    return host


def _email(r: _Reader) -> str:
    email: str = r.text("email").strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or re.search(r"[\s<>,;]", email) or domain[-1] == ".":
        r.src.fail(r.at("email"), f"{_show(email)} is not an email address (user@example.com)")
    return email


def _server(src: _Source, key: str, raw: object, protocol: Protocol, email: str) -> ServerSettings:
    r = _Reader(src, key, raw, _SERVER_KEYS)
    host = _host(r)
    security = cast(Security, r.text("security", "tls", choices=SECURITIES))
    port = r.integer("port", DEFAULT_PORTS[(protocol, security)], 1, 65535)
    if security == "none" and not may_be_loopback(host):
        src.fail(
            r.at("security"),
            f'"none" would send your password and mail unencrypted, so it is allowed only '
            f"for a loopback host (127.0.0.0/8, ::1, localhost), not {_show(host)}",
            hint='use security = "tls" (the default) or "starttls"',
        )
    username: str = r.text("username", email)
    password_command: str | None = r.text("password_command", None, multiline=True)
    oauth2_command: str | None = r.text("oauth2_token_command", None, multiline=True)
    if password_command is not None and oauth2_command is not None:
        src.fail(
            r.at("oauth2_token_command"),
            "conflicts with password_command: a server takes its secret from exactly one "
            "source (keyring, password_command or oauth2_token_command)",
            hint="keep only the one this server uses",
        )
    ca_file = r.path("ca_file")
    if ca_file is not None:
        try:
            ok = ca_file.is_file() and os.access(ca_file, os.R_OK)
            exists = ok or ca_file.exists()
        except (OSError, ValueError):
            ok = exists = False
        if not ok:
            problem = "is not a readable file" if exists else "does not exist"
            src.fail(
                r.at("ca_file"),
                f"{_show(str(ca_file), 200)} {problem}",
                hint="point ca_file at a PEM file of CA certificates",
            )
    timeout = r.number("timeout", 30.0, 0.0, 3600.0, lo_open=True)
    caps_raw = r.raw("ignore_capabilities") if r.has("ignore_capabilities") else []
    if not isinstance(caps_raw, list | tuple):
        src.fail(
            r.at("ignore_capabilities"),
            f"must be an array of strings, not {_type_name(caps_raw)}",
            hint='e.g. ignore_capabilities = ["QRESYNC", "IDLE"]',
        )
    caps: list[str] = []
    for i, cap in enumerate(caps_raw):
        where = f"{r.at('ignore_capabilities')}[{i}]"
        if not isinstance(cap, str) or not _CAPABILITY.fullmatch(cap):
            shown = _show(cap) if isinstance(cap, str) else _type_name(cap)
            src.fail(where, f'{shown} is not a capability name (like "QRESYNC")')
        if cap.upper() not in caps:
            caps.append(cap.upper())
    return ServerSettings(
        host=host,
        port=port,
        security=security,
        username=username,
        password_command=password_command,
        oauth2_token_command=oauth2_command,
        ca_file=ca_file,
        timeout=timeout,
        ignore_capabilities=tuple(caps),
        log_protocol=r.boolean("log_protocol", False),
    )


def _account(src: _Source, name: object, raw: object) -> AccountSettings:
    if not isinstance(name, str):
        src.fail("accounts", f"account names must be strings, not {_type_name(name)}")
    key = _dotted("accounts", name)
    _check_text(src, key, name)
    if not name.strip() or name != name.strip():
        src.fail(key, "an account name must be non-empty, without leading/trailing spaces")
    r = _Reader(src, key, raw, _ACCOUNT_KEYS)
    email = _email(r)
    imap = r.table("imap")
    maildir = r.path("maildir")
    if imap is not None and maildir is not None:
        src.fail(
            r.at("maildir"),
            f"conflicts with [{r.at('imap')}]: an account reads mail from exactly one place",
            hint="keep either the imap table or maildir, and make a second account for the other",
        )
    if imap is None and maildir is None:
        src.fail(
            key,
            "has no mail source: it needs an imap table or a maildir path",
            hint=f'add [{r.at("imap")}] with host = "imap.example.com", or maildir = "~/Mail"',
        )

    def folder(field_name: str) -> str | None:
        value: str | None = r.text(field_name, None)
        return value.strip() if value is not None else None

    return AccountSettings(
        name=name,
        email=email,
        display_name=r.text("name", "", allow_empty=True).strip(),
        signature=_signature(r),
        sent_copy=r.boolean("sent_copy", True),
        imap=_server(src, r.at("imap"), imap, "imap", email) if imap is not None else None,
        smtp=_server(src, r.at("smtp"), r.table("smtp"), "smtp", email) if r.has("smtp") else None,
        maildir=maildir,
        archive_folder=folder("archive_folder"),
        trash_folder=folder("trash_folder"),
        sent_folder=folder("sent_folder"),
        drafts_folder=folder("drafts_folder"),
        delete=cast(DeletePolicy, r.text("delete", "trash", choices=DELETE_POLICIES)),
        idle=r.boolean("idle", True),
        poll_interval=r.integer("poll_interval", 60, 1, 86400),
        part_cache_mb=r.integer("part_cache_mb", 200, 0, 1 << 20),
        default=r.boolean("default", False),
        identities=_identities(r),
    )


def _identities(r: _Reader) -> tuple[IdentitySettings, ...]:
    """`[[accounts.NAME.identities]]`: email (required), name and signature (default:
    the account's)."""
    if not r.has("identities"):
        return ()
    raw = r.raw("identities")
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        r.src.fail(
            r.at("identities"),
            f"must be an array of tables, not {_type_name(raw)}",
            hint=f'write [[{r.at("identities")}]] with email = "me@other.example"',
        )
    out = []
    account_name = r.text("name", "", allow_empty=True).strip()
    for i, item in enumerate(raw):
        ir = _Reader(r.src, f"{r.at('identities')}[{i}]", item, _IDENTITY_KEYS)
        name = ir.text("name", account_name, allow_empty=True).strip()
        signature = _signature(ir) if ir.has("signature") else _signature(r)
        out.append(IdentitySettings(_email(ir), name, signature))
    return tuple(out)


def _signature(r: _Reader) -> str:
    """The signature may be empty (explicitly no signature) and span lines."""
    if not r.has("signature"):
        return ""
    value = r.raw("signature")
    if not isinstance(value, str):
        r.src.fail(r.at("signature"), f"must be a string, not {_type_name(value)}")
    _check_text(r.src, r.at("signature"), value, multiline=True)
    return value


def _keys(src: _Source, key: str, raw: object) -> dict[str, str]:
    """`[ui.keys]`: action → "a,b" (a string, or an array of key names)."""
    if not isinstance(raw, Mapping):
        src.fail(key, f'must be a table of action = "keys", not {_type_name(raw)}')
    keys: dict[str, str] = {}
    for action, value in raw.items():
        if not isinstance(action, str):
            src.fail(key, f"action names must be strings, not {_type_name(action)}")
        where = _dotted(key, action)
        _check_text(src, where, action)
        if isinstance(value, str):
            parts = value.split(",")
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            parts = list(value)
        else:
            src.fail(
                where,
                f'must be a string like "j,down" or an array of keys, not {_type_name(value)}',
            )
        cleaned = [p.strip() for p in parts]
        for part in cleaned:
            _check_text(src, where, part)
        if not cleaned or any(not p for p in cleaned):
            src.fail(
                where,
                f"{_show(str(value))} has an empty key; separate keys with commas, "
                'and write a comma key as "comma"',
            )
        keys[action] = ",".join(cleaned)
    return keys


def _open_command(r: _Reader) -> str | None:
    """`ui.open_command`: argv words; "{}" only as a whole word, else the target appended.

    The target is a file name or a URL from a stranger's mail: substituted inside a
    word (`sh -c 'xdg-open {}'`), its `$(…)` would become shell code.
    """
    command: str | None = r.text("open_command", None, multiline=True)
    if command is None:
        return None
    try:
        words = shlex.split(command)
    except ValueError as exc:
        r.src.fail(r.at("open_command"), f"{_show(command)} cannot be split into words: {exc}")
    if not words:
        r.src.fail(r.at("open_command"), "must name a command")
    if any("{}" in word and word != "{}" for word in words):
        r.src.fail(
            r.at("open_command"),
            f'{_show(command, 60)} puts "{{}}" inside a word, where a file name or link '
            "from a message would be read as shell code",
            hint='use "{}" as a whole word (open_command = "xdg-open {}"), or leave it '
            'out and the file or link is added at the end; a shell script gets it as "$1": '
            'open_command = "sh -c \'xdg-open \\"$1\\"\' sh {}"',
        )
    return command


def _ui(src: _Source, raw: object) -> UiSettings:
    r = _Reader(src, "ui", raw, _UI_KEYS)
    defaults = UiSettings()
    return UiSettings(
        theme=(r.text("theme", None) or "").strip() or None,
        mark_read_delay=r.number("mark_read_delay", defaults.mark_read_delay, -math.inf, 3600.0),
        mark_read=cast(MarkRead, r.text("mark_read", defaults.mark_read, choices=MARK_READ_MODES)),
        download_dir=cast(Path, r.path("download_dir", defaults.download_dir)),
        open_command=_open_command(r),
        threaded=r.boolean("threaded", defaults.threaded),
        sort=cast(SortKey, r.text("sort", defaults.sort, choices=SORT_KEYS)),
        reverse=r.boolean("reverse", defaults.reverse),
        prefer_html=r.boolean("prefer_html", defaults.prefer_html),
        keys=_keys(src, r.at("keys"), r.table("keys")) if r.has("keys") else {},
        themes_dir=cast(Path, r.path("themes_dir", defaults.themes_dir)),
    )


def _build(src: _Source, data: object, path: Path | None, exposed_mode: int | None) -> Settings:
    """Validate a parsed document into Settings; the one path for files and code."""
    _refuse_secrets(src, data, exposed_mode)
    top = _Reader(src, "", data, _TOP_KEYS)
    raw_accounts = top.table("accounts")
    if not raw_accounts:
        src.fail(
            "accounts",
            "no accounts are configured"
            if raw_accounts is None
            else "must hold at least one account",
            hint=f"add an account, for example:\n\n{EXAMPLE_CONFIG}",
        )
    if not isinstance(raw_accounts, Mapping):
        src.fail(
            "accounts", f"must be a table of [accounts.NAME] tables, not {_type_name(raw_accounts)}"
        )
    accounts: dict[str, AccountSettings] = {}
    default: str | None = None
    for name, raw in raw_accounts.items():
        account = _account(src, name, raw)
        if account.default:
            if default is not None:
                src.fail(
                    _dotted(_dotted("accounts", account.name), "default"),
                    f"only one account can be the default, and accounts.{default} already is",
                    hint="set default = true on one account only",
                )
            default = account.name
        accounts[account.name] = account
    ui = _ui(src, top.table("ui")) if top.has("ui") else UiSettings()
    return Settings(
        path=path,
        accounts=accounts,
        ui=ui,
        default_account=default if default is not None else next(iter(accounts)),
    )


def make_settings(
    accounts: Mapping[str, Mapping[str, Any]],
    ui: Mapping[str, Any] | None = None,
    *,
    base: Path | None = None,
) -> Settings:
    """Settings built in code (tests, demo), validated exactly like a file.

    `accounts` is shaped like the TOML: `{"bench": {"email": ..., "imap": {"host": ...}}}`;
    path values may be `Path`s. `base` anchors relative paths (default: left relative).
    """
    data: dict[str, Any] = {"accounts": accounts}
    if ui is not None:
        data["ui"] = ui
    return _build(_Source(IN_CODE, base), data, None, None)


def _exposed_mode(st: os.stat_result | None) -> int | None:
    """The file's permission bits if group/others may read it (POSIX only), else None."""
    if os.name != "posix" or st is None:
        return None
    mode = stat.S_IMODE(st.st_mode)
    return mode if mode & 0o044 else None


def _toml_error(label: str, text: str, err: tomllib.TOMLDecodeError) -> ConfigError:
    """A TOML syntax error as "file, line L, column C: what"."""
    message = str(err)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if found:
        line, col = int(found.group(1)), int(found.group(2))
        message = message[: found.start()]
    else:
        # "(at end of document)" or an unknown format: point at the end.
        message = re.sub(r"\s*\(at end of document\)\s*$", "", message)
        line = text.count("\n") + 1
        col = len(text) - (text.rfind("\n") + 1) + 1
    return ConfigError(
        f"{label}, line {line}, column {col}: invalid TOML: {message}",
        hint="fix the syntax there (strings need double quotes; tables are [name])",
    )


def load_settings(path: Path | None = None, *, cli_path: str | None = None) -> Settings:
    """Read and validate the config file.

    `path` is used as given; otherwise `cli_path` (from `--config`), then
    `$MAILTUI_CONFIG`, then `$XDG_CONFIG_HOME/mailtui/config.toml`.
    """
    if path is not None:
        path, why = Path(path).expanduser(), "as requested"
    else:
        path, why = paths.locate_config(cli_path)
    label = str(path)
    try:
        with path.open("rb") as file:
            st = os.fstat(file.fileno())
            refuse_untrusted_file(label, st)
            raw = file.read()
    except FileNotFoundError:
        raise ConfigError(
            f"No config file at {label} ({why})",
            hint=(
                f"mailtui reads `--config PATH`, else ${paths.CONFIG_ENV}, else "
                f"{paths.default_config_file()}. Create one (chmod 600) with at least one "
                f"account, for example:\n\n{EXAMPLE_CONFIG}"
            ),
        ) from None
    except IsADirectoryError:
        raise ConfigError(f"{label}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read the config file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{label}, line {line}: is not UTF-8 text (TOML files must be UTF-8)",
            hint="re-save the file as UTF-8",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(label, text, exc) from None
    except RecursionError:
        raise ConfigError(f"{label}: invalid TOML: nested too deeply") from None
    src = _Source(label, path.absolute().parent)
    return _build(src, data, path, _exposed_mode(st))
