"""The settings as typed records: every key of the config file, its docstring and default.

These dataclasses are the one place a setting's default is written: the loader
(load.py) asks `file_defaults` for what a left-out key means and `file_keys` for which
keys a table allows, so a default or a new key changes here and nowhere else. A field
whose TOML key differs from its name says so in its metadata (`KEY`).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

from mailtui.config import paths
from mailtui.errors import ConfigError
from mailtui.model import Address

Security = Literal["tls", "starttls", "none"]
Protocol = Literal["imap", "smtp"]
DeletePolicy = Literal["trash", "expunge"]
SortKey = Literal["date", "from", "subject", "size"]
MarkRead = Literal["on-view", "on-open"]
AuthSource = Literal["keyring", "password_command", "oauth2_token_command", "oauth2"]
Auth = Literal["password", "oauth2"]
OAuth2Provider = Literal["google", "microsoft", "custom"]
PgpEncrypt = Literal["never", "opportunistic", "always"]
PgpPinentry = Literal["mailtui", "agent"]
PrefetchMode = Literal["none", "text", "all"]

SECURITIES: Final[tuple[str, ...]] = get_args(Security)
DELETE_POLICIES: Final[tuple[str, ...]] = get_args(DeletePolicy)
SORT_KEYS: Final[tuple[str, ...]] = get_args(SortKey)
MARK_READ_MODES: Final[tuple[str, ...]] = get_args(MarkRead)
AUTHS: Final[tuple[str, ...]] = get_args(Auth)
OAUTH2_PROVIDERS: Final[tuple[str, ...]] = get_args(OAuth2Provider)
PGP_ENCRYPT_MODES: Final[tuple[str, ...]] = get_args(PgpEncrypt)
PGP_PINENTRY_MODES: Final[tuple[str, ...]] = get_args(PgpPinentry)
PREFETCH_MODES: Final[tuple[str, ...]] = get_args(PrefetchMode)
# The keys of the built-in sign-in (`auth = "oauth2"`): refused with any other auth.
OAUTH2_KEYS: Final[tuple[str, ...]] = (
    "oauth2_provider",
    "oauth2_client_id",
    "oauth2_client_secret",
    "oauth2_device_url",
    "oauth2_authorize_url",
    "oauth2_token_url",
    "oauth2_scopes",
    "oauth2_tenant",
    "oauth2_token_file",
    "oauth2_refresh_command",
    "oauth2_refresh_store_command",
)

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

# Field metadata naming the field's TOML key; None: not a key of the table (the
# account's name is its table's name, a Settings' path is where it was read from).
KEY: Final = "toml_key"


def _key(name: str | None) -> dict[str, str | None]:
    return {KEY: name}


# The names `quirks = [...]` takes (what each does: imap/ext/quirks.py, docs/providers.md).
QUIRKS = (
    "no-qresync",
    "no-condstore",
    "no-move",
    "no-idle",
    "no-esearch",
    "no-list-status",
    "no-special-use",
    "no-gmail-extensions",
)


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
    """Shell command that prints an OAuth2 access token (XOAUTH2/OAUTHBEARER), for those
    who already have a token script; the built-in sign-in is `auth = "oauth2"`."""
    auth: Auth = "password"
    """"password" (keyring, password_command or oauth2_token_command) or "oauth2": mailtui
    signs in itself (`mailtui login NAME`; device code, or `--browser`) and keeps the
    refresh token like a password (keyring, or `oauth2_token_file`)."""
    oauth2_provider: OAuth2Provider | None = None
    """"google", "microsoft" or "custom" (required with auth = "oauth2"): the presets
    carry the endpoints and scopes; "custom" takes them from the keys below."""
    oauth2_client_id: str | None = None
    """The registered OAuth2 client id; left out, the one a packager shipped (if any)."""
    oauth2_client_secret: str | None = field(default=None, repr=False)
    """Only the "public client secret" some providers give installed apps (Google's
    "Desktop app" clients): it ships inside every copy of the app and Google itself says
    it is not confidential (RFC 8252 §8.5). A confidential secret has no place here.
    Refused, like anything that looks like a secret, in a file others can read."""
    oauth2_device_url: str | None = None
    """Device authorization endpoint (RFC 8628); https, or http only to loopback."""
    oauth2_authorize_url: str | None = None
    """Authorization endpoint for the browser sign-in (RFC 8252, `--browser`)."""
    oauth2_token_url: str | None = None
    """Token endpoint (required with oauth2_provider = "custom")."""
    oauth2_scopes: tuple[str, ...] = ()
    """Scopes to ask for (an array, or one space-separated string); () → the preset's."""
    oauth2_tenant: str | None = None
    """Microsoft only: "common" (default), "consumers", "organizations" or a directory id."""
    oauth2_token_file: Path | None = None
    """Where the refresh token lives when there is no keyring: created 0600, and refused
    if group or others can read it. Left out, the system keyring."""
    oauth2_refresh_command: str | None = field(default=None, repr=False)
    """A command printing the stored refresh token (a password manager entry, like
    password_command); with oauth2_refresh_store_command, instead of keyring or file."""
    oauth2_refresh_store_command: str | None = field(default=None, repr=False)
    """A command that stores a new refresh token, given on its stdin (after a sign-in,
    and when the provider rotates it)."""
    ca_file: Path | None = None
    """Extra CA certificates (PEM) trusted in addition to the system's."""
    timeout: float = 30.0
    """Seconds to wait for connect and for each command's response."""
    ignore_capabilities: tuple[str, ...] = ()
    """Extensions mailtui must not use even if advertised (upper-case; for debugging)."""
    quirks: tuple[str, ...] = ()
    """Workarounds for a server's known faults, by name (QUIRKS; docs/providers.md):
    e.g. ["no-qresync"] for a server whose QRESYNC loses messages. Known servers (iCloud,
    Yahoo) get theirs without this."""
    log_protocol: bool = False
    """Log the protocol exchange (credentials redacted) to help debug a server."""

    @property
    def auth_source(self) -> AuthSource:
        """Where the secret for this server comes from; exactly one source is allowed."""
        if self.auth == "oauth2" and self.oauth2_token_command is None:
            return "oauth2"
        if self.password_command is not None:
            return "password_command"
        if self.oauth2_token_command is not None:
            return "oauth2_token_command"
        return "keyring"


@dataclass(frozen=True)
class IdentitySettings:
    """A further address this account sends as (`[[accounts.NAME.identities]]`)."""

    email: str
    """The alias's address."""
    display_name: str = field(default="", metadata=_key("name"))
    """Its name in From: (TOML key `name`); left out, the account's name."""
    signature: str = ""
    """Its signature; left out, the account's."""

    @property
    def address(self) -> Address:
        return Address(self.display_name, self.email)


@dataclass(frozen=True)
class AccountSettings:
    """One mail account: identity, where its mail lives, and how to treat it."""

    name: str = field(metadata=_key(None))
    """The account's name: its table key in `[accounts.NAME]`, used on the command line."""
    email: str
    """The address mail is sent from."""
    display_name: str = field(default="", metadata=_key("name"))
    """The person's name shown in From: (TOML key `name` inside the account table)."""
    signature: str = ""
    """Text appended to new messages, after a "-- " line."""
    sent_copy: bool | None = None
    """Append a copy of sent mail to the Sent folder. Left out: yes, except on a server
    that files sent mail itself (Gmail, known by its labels: docs/providers.md)."""
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
    max_connections: int = 4
    """IMAP connections this account may hold open at once (Gmail allows 15 per account
    across all clients): a command worker, a reader, the writer, and IDLE watchers for
    what is left (INBOX first; other watched folders are checked by polling)."""
    part_cache_mb: int = 200
    """Size cap of the cache of fetched message parts, in MiB."""
    prefetch: PrefetchMode = "none"
    """Read offline: after each sync, "text" also fetches the text of the newest messages
    (the plain and HTML versions the reader shows), "all" whole messages (attachments,
    reply and forward work offline too); "none" fetches a body only when opened.
    Prefetching runs behind everything the user asks for (docs/offline.md)."""
    prefetch_days: int = 30
    """Prefetch messages dated within this many days (0: any age)."""
    prefetch_messages: int = 1000
    """Prefetch at most this many of the newest messages of each folder (0: no limit)."""
    prefetch_max_mb: int = 500
    """Size cap of what prefetch keeps, in MiB, apart from `part_cache_mb`: when full,
    newer mail evicts the oldest prefetched messages; parts you opened are not touched."""
    prefetch_folders: tuple[str, ...] = ()
    """Folders to prefetch, in order; empty: every folder but Trash and Junk, INBOX first."""
    default: bool = False
    """Open this account when none is named (else the first in the file)."""
    identities: tuple[IdentitySettings, ...] = ()
    """Further addresses (aliases) with their own name and signature: a reply is sent
    from the one the original was addressed to, and reply-all leaves them all out."""
    pgp_sign: bool = False
    """Sign outgoing mail with OpenPGP (PGP/MIME) by default; `S` on the review screen
    and `mailtui send --sign` change it for one message."""
    pgp_encrypt: PgpEncrypt = "never"
    """"never"; "opportunistic" (encrypt when every recipient has a usable key, from the
    keyring or Autocrypt); "always" (a recipient without a key stops the send). `X` on
    the review screen and `mailtui send --encrypt` change it for one message."""
    pgp_key: str = ""
    """Fingerprint of the secret key to sign with and encrypt to (so Sent stays
    readable); "" → the key whose user id is the account's address."""
    pgp_pinentry: PgpPinentry = "mailtui"
    """Who asks for a locked key's passphrase in the app: "mailtui" (its own masked
    prompt, gpg in loopback mode) or "agent" (gpg-agent's pinentry, the app suspended)."""
    autocrypt: bool = False
    """Autocrypt Level 1: add an `Autocrypt:` header with your key to outgoing mail, and
    learn correspondents' keys from theirs (kept in the account's cache directory)."""
    notify: tuple[str, ...] = ()
    """How new mail is announced, in the TUI and by `mailtui watch --notify`: any of
    "bell", "osc9", "osc777" (desktop notifications written to the terminal, which
    travel through SSH) and "command" (runs `new_mail_command`). [] announces nothing."""
    new_mail_command: str = ""
    """Run on new mail when `notify` has "command": split into words, no shell; the
    sender, subject, folder, account and count reach it only as the environment
    variables MAILTUI_FROM, MAILTUI_SUBJECT, MAILTUI_FOLDER, MAILTUI_ACCOUNT and
    MAILTUI_COUNT (cleaned of control characters). Killed after 10 seconds."""
    quiet_hours: str = ""
    """Local times when nothing is announced, "22:00-07:00" (may cross midnight)."""
    notify_folders: dict[str, bool] = field(default_factory=dict)
    """Which folders' new mail is announced: folder name → true/false; "*" sets the
    default for folders not named. Unset: INBOX only."""

    @property
    def address(self) -> Address:
        """The From: address of this account."""
        return Address(self.display_name, self.email)


def _default_download_dir() -> Path:
    return Path("~/Downloads").expanduser()


def _default_themes_dir() -> Path:
    return paths.config_dir(create=False) / "themes"


@dataclass(frozen=True)
class SavedSearch:
    """A query pinned in the folder tree as a virtual folder (`[[ui.saved_searches]]`)."""

    name: str
    """What the folder tree calls it."""
    query: str
    """The filter, in the search language (`from:boss unseen`); empty shows everything."""
    account: str | None = None
    """The account it looks in; left out, the default account; "*": every account (with
    folder = "INBOX", a unified inbox)."""
    folder: str = "INBOX"
    """The folder it looks in; "*": every folder of the account."""


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
    openers: dict[str, str] = field(default_factory=dict)
    """`[ui.openers]`: MIME type (or "image/*") → the command that opens it, before
    ~/.mailcap; "%s" or "{}" marks the file (a whole word), else it is appended."""
    saved_searches: tuple[SavedSearch, ...] = ()
    """Queries pinned in the folder tree (`[[ui.saved_searches]]` name, query, account,
    folder)."""
    preview: bool = False
    """Show the start of each message's text after its subject in the list (P toggles):
    the server's PREVIEW, else a small partial fetch, for the rows on screen only."""
    send_delay: int = 10
    """Seconds a message sent with `y` waits in the outbox, counting down, before it
    goes out; `u` brings it back to the review screen meanwhile. 0 sends at once."""
    osc8_links: bool = False
    """Make the http(s) links the reader shows clickable in terminals that know OSC 8
    hyperlinks. Only a link whose text is its whole URL is made clickable, so what the
    terminal opens is always the address on screen."""
    https_ca_file: Path | None = None
    """Extra CA certificates (PEM) trusted, in addition to the system's, for the HTTPS
    requests mailtui makes itself (a list's one-click unsubscribe)."""


@dataclass(frozen=True)
class Settings:
    """Everything from the config file: accounts (in file order) and UI settings."""

    path: Path | None = field(metadata=_key(None))
    """The file these settings came from; None when built in code."""
    accounts: dict[str, AccountSettings]
    """Accounts by name, in the order the file lists them."""
    ui: UiSettings = field(default_factory=UiSettings)
    """The `[ui]` table."""
    default_account: str | None = field(default=None, metadata=_key(None))
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


# --- what the loader derives from these records ------------------------------------------


def file_keys(cls: type) -> tuple[str, ...]:
    """The keys `cls`'s TOML table allows, in field order."""
    keys = (f.metadata.get(KEY, f.name) for f in dataclasses.fields(cls))
    return tuple(k for k in keys if k is not None)


def file_default(cls: type, key: str) -> Any:
    """What a left-out `key` of `cls`'s table means; `dataclasses.MISSING` if it is required.

    Read from the field each time (a factory is called), never copied.
    """
    for f in dataclasses.fields(cls):
        if f.metadata.get(KEY, f.name) == key:
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            return f.default
    raise KeyError(f"{cls.__name__} has no key {key!r}")
