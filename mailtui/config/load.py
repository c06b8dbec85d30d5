"""Loading settings: one TOML file (or a dict built in code) into the typed records.

Every problem becomes one `ConfigError` that names the file, the dotted key and what
is allowed (reader.py). Secrets and untrusted files are refused before anything is
read (trust.py). Keys and their defaults come from the dataclasses (model.py): this
module says only how each value is checked.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from mailtui.config import paths
from mailtui.config.model import (
    DEFAULT_PORTS,
    DELETE_POLICIES,
    IN_CODE,
    MARK_READ_MODES,
    PGP_ENCRYPT_MODES,
    PGP_PINENTRY_MODES,
    PREFETCH_MODES,
    QUIRKS,
    SECURITIES,
    SORT_KEYS,
    AccountSettings,
    DeletePolicy,
    IdentitySettings,
    MarkRead,
    PgpEncrypt,
    PgpPinentry,
    PrefetchMode,
    Protocol,
    SavedSearch,
    Security,
    ServerSettings,
    Settings,
    SortKey,
    UiSettings,
)
from mailtui.config.notify_keys import notify_keys
from mailtui.config.reader import Reader, Source, check_text, dotted_key, show, type_name
from mailtui.config.signin import oauth2_keys
from mailtui.config.trust import (
    exposed_mode,
    may_be_loopback,
    refuse_secrets,
    refuse_untrusted_file,
)
from mailtui.errors import ConfigError, NoConfigFile

_CAPABILITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9=+._-]*")


def _host(r: Reader) -> str:
    host: str = r.text("host").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if "@" in host:
        r.src.fail(r.at("host"), f"{show(host)} looks like an email address, not a host name")
    if re.search(r"[\s/\\]", host) or not host:
        r.src.fail(r.at("host"), f"{show(host)} is not a host name or IP address")
    return host


def _email(r: Reader) -> str:
    email: str = r.text("email").strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or re.search(r"[\s<>,;]", email) or domain[-1] == ".":
        r.src.fail(r.at("email"), f"{show(email)} is not an email address (user@example.com)")
    return email


def _server(src: Source, key: str, raw: object, protocol: Protocol, email: str) -> ServerSettings:
    r = Reader(src, key, raw, ServerSettings)
    host = _host(r)
    security = cast(Security, r.text("security", choices=SECURITIES))
    port = r.integer("port", 1, 65535, default=DEFAULT_PORTS[(protocol, security)])
    if security == "none" and not may_be_loopback(host):
        src.fail(
            r.at("security"),
            f'"none" would send your password and mail unencrypted, so it is allowed only '
            f"for a loopback host (127.0.0.0/8, ::1, localhost), not {show(host)}",
            hint='use security = "tls" (the default) or "starttls"',
        )
    username: str = r.text("username", email)
    password_command: str | None = r.text("password_command", multiline=True)
    oauth2_command: str | None = r.text("oauth2_token_command", multiline=True)
    if password_command is not None and oauth2_command is not None:
        src.fail(
            r.at("oauth2_token_command"),
            "conflicts with password_command: a server takes its secret from exactly one "
            "source (keyring, password_command or oauth2_token_command)",
            hint="keep only the one this server uses",
        )
    oauth2 = oauth2_keys(r, oauth2_command is not None)
    if oauth2.get("auth") == "oauth2" and password_command is not None:
        src.fail(
            r.at("password_command"),
            'conflicts with auth = "oauth2": with the built-in sign-in there is no password',
            hint='remove password_command; or remove auth = "oauth2" to log in with a password',
        )
    ca_file = _readable_file(r, "ca_file")
    timeout = r.number("timeout", 0.0, 3600.0, lo_open=True)
    caps_raw = r.raw("ignore_capabilities") if r.has("ignore_capabilities") else ()
    if not isinstance(caps_raw, list | tuple):
        src.fail(
            r.at("ignore_capabilities"),
            f"must be an array of strings, not {type_name(caps_raw)}",
            hint='e.g. ignore_capabilities = ["QRESYNC", "IDLE"]',
        )
    caps: list[str] = []
    for i, cap in enumerate(caps_raw):
        where = f"{r.at('ignore_capabilities')}[{i}]"
        if not isinstance(cap, str) or not _CAPABILITY.fullmatch(cap):
            shown = show(cap) if isinstance(cap, str) else type_name(cap)
            src.fail(where, f'{shown} is not a capability name (like "QRESYNC")')
        if cap.upper() not in caps:
            caps.append(cap.upper())
    quirks_raw = r.raw("quirks") if r.has("quirks") else ()
    if not isinstance(quirks_raw, list | tuple):
        src.fail(
            r.at("quirks"),
            f"must be an array of strings, not {type_name(quirks_raw)}",
            hint='e.g. quirks = ["no-qresync"]',
        )
    quirks: list[str] = []
    for i, quirk in enumerate(quirks_raw):
        if not isinstance(quirk, str) or quirk.lower() not in QUIRKS:
            shown = show(quirk) if isinstance(quirk, str) else type_name(quirk)
            src.fail(
                f"{r.at('quirks')}[{i}]",
                f"{shown} is not a known quirk",
                hint="one of: " + ", ".join(QUIRKS),
            )
        if quirk.lower() not in quirks:
            quirks.append(quirk.lower())
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
        quirks=tuple(quirks),
        log_protocol=r.boolean("log_protocol"),
        **oauth2,
    )


def _readable_file(r: Reader, key: str) -> Path | None:
    """A CA file key: absent (None), or a file that exists and can be read."""
    path = r.path(key)
    if path is None:
        return None
    try:
        ok = path.is_file() and os.access(path, os.R_OK)
        exists = ok or path.exists()
    except (OSError, ValueError):
        ok = exists = False
    if not ok:
        problem = "is not a readable file" if exists else "does not exist"
        r.src.fail(
            r.at(key),
            f"{show(str(path), 200)} {problem}",
            hint=f"point {key} at a PEM file of CA certificates",
        )
    return path


def _account(src: Source, name: object, raw: object) -> AccountSettings:
    if not isinstance(name, str):
        src.fail("accounts", f"account names must be strings, not {type_name(name)}")
    key = dotted_key("accounts", name)
    check_text(src, key, name)
    if not name.strip() or name != name.strip():
        src.fail(key, "an account name must be non-empty, without leading/trailing spaces")
    r = Reader(src, key, raw, AccountSettings)
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
        value: str | None = r.text(field_name)
        return value.strip() if value is not None else None

    return AccountSettings(
        name=name,
        email=email,
        display_name=r.text("name", allow_empty=True).strip(),
        signature=_signature(r),
        sent_copy=r.boolean("sent_copy") if r.has("sent_copy") else None,
        imap=_server(src, r.at("imap"), imap, "imap", email) if imap is not None else None,
        smtp=_server(src, r.at("smtp"), r.table("smtp"), "smtp", email) if r.has("smtp") else None,
        maildir=maildir,
        archive_folder=folder("archive_folder"),
        trash_folder=folder("trash_folder"),
        sent_folder=folder("sent_folder"),
        drafts_folder=folder("drafts_folder"),
        delete=cast(DeletePolicy, r.text("delete", choices=DELETE_POLICIES)),
        idle=r.boolean("idle"),
        poll_interval=r.integer("poll_interval", 1, 86400),
        max_connections=r.integer("max_connections", 3, 15),
        part_cache_mb=r.integer("part_cache_mb", 0, 1 << 20),
        prefetch=cast(PrefetchMode, r.text("prefetch", choices=PREFETCH_MODES)),
        prefetch_days=r.integer("prefetch_days", 0, 100 * 366),
        prefetch_messages=r.integer("prefetch_messages", 0, 1 << 31),
        prefetch_max_mb=r.integer("prefetch_max_mb", 1, 1 << 20),
        prefetch_folders=_folder_list(r, "prefetch_folders"),
        default=r.boolean("default"),
        identities=_identities(r),
        pgp_sign=r.boolean("pgp_sign"),
        pgp_encrypt=cast(PgpEncrypt, r.text("pgp_encrypt", choices=PGP_ENCRYPT_MODES)),
        pgp_key=r.text("pgp_key", allow_empty=True).strip().replace(" ", ""),
        pgp_pinentry=cast(PgpPinentry, r.text("pgp_pinentry", choices=PGP_PINENTRY_MODES)),
        autocrypt=r.boolean("autocrypt"),
        **notify_keys(r),
    )


def _folder_list(r: Reader, name: str) -> tuple[str, ...]:
    """An array of folder names (e.g. `prefetch_folders = ["INBOX", "Lists/rust"]`)."""
    if not r.has(name):
        return tuple(r.default(name))
    raw = r.raw(name)
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        r.src.fail(
            r.at(name),
            f"must be an array of folder names, not {type_name(raw)}",
            hint=f'e.g. {name} = ["INBOX", "Archive"]',
        )
    return tuple(dict.fromkeys(v.strip() for v in raw if v.strip()))


def _identities(r: Reader) -> tuple[IdentitySettings, ...]:
    """`[[accounts.NAME.identities]]`: email (required), name and signature (default:
    the account's)."""
    if not r.has("identities"):
        return r.default("identities")
    raw = r.raw("identities")
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        r.src.fail(
            r.at("identities"),
            f"must be an array of tables, not {type_name(raw)}",
            hint=f'write [[{r.at("identities")}]] with email = "me@other.example"',
        )
    out = []
    account_name = r.text("name", allow_empty=True).strip()
    for i, item in enumerate(raw):
        ir = Reader(r.src, f"{r.at('identities')}[{i}]", item, IdentitySettings)
        name = ir.text("name", account_name, allow_empty=True).strip()
        signature = _signature(ir) if ir.has("signature") else _signature(r)
        out.append(IdentitySettings(_email(ir), name, signature))
    return tuple(out)


def _signature(r: Reader) -> str:
    """The signature may be empty (explicitly no signature) and span lines."""
    if not r.has("signature"):
        return r.default("signature")
    value = r.raw("signature")
    if not isinstance(value, str):
        r.src.fail(r.at("signature"), f"must be a string, not {type_name(value)}")
    check_text(r.src, r.at("signature"), value, multiline=True)
    return value


def _keys(src: Source, key: str, raw: object) -> dict[str, str]:
    """`[ui.keys]`: action → "a,b" (a string, or an array of key names); or a key
    sequence → ":command line" (`"g a" = ":move Archive"`)."""
    if not isinstance(raw, Mapping):
        src.fail(key, f'must be a table of action = "keys", not {type_name(raw)}')
    keys: dict[str, str] = {}
    for action, value in raw.items():
        if not isinstance(action, str):
            src.fail(key, f"action names must be strings, not {type_name(action)}")
        where = dotted_key(key, action)
        check_text(src, where, action)
        if isinstance(value, str) and value.startswith(":"):
            keys[action] = value  # a key sequence that runs a command line
            continue
        if isinstance(value, str):
            parts = value.split(",")
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            parts = list(value)
        else:
            src.fail(
                where,
                f'must be a string like "j,down" or an array of keys, not {type_name(value)}',
            )
        cleaned = [p.strip() for p in parts]
        for part in cleaned:
            check_text(src, where, part)
        if not cleaned or any(not p for p in cleaned):
            src.fail(
                where,
                f"{show(str(value))} has an empty key; separate keys with commas, "
                'and write a comma key as "comma"',
            )
        keys[action] = ",".join(cleaned)
    return keys


def _open_command(r: Reader) -> str | None:
    """`ui.open_command`: argv words; "{}" only as a whole word, else the target appended.

    The target is a file name or a URL from a stranger's mail: substituted inside a
    word (`sh -c 'xdg-open {}'`), its `$(…)` would become shell code.
    """
    command: str | None = r.text("open_command", multiline=True)
    if command is None:
        return None
    try:
        words = shlex.split(command)
    except ValueError as exc:
        r.src.fail(r.at("open_command"), f"{show(command)} cannot be split into words: {exc}")
    if not words:
        r.src.fail(r.at("open_command"), "must name a command")
    if any("{}" in word and word != "{}" for word in words):
        r.src.fail(
            r.at("open_command"),
            f'{show(command, 60)} puts "{{}}" inside a word, where a file name or link '
            "from a message would be read as shell code",
            hint='use "{}" as a whole word (open_command = "xdg-open {}"), or leave it '
            'out and the file or link is added at the end; a shell script gets it as "$1": '
            'open_command = "sh -c \'xdg-open \\"$1\\"\' sh {}"',
        )
    return command


def _ui(src: Source, raw: object) -> UiSettings:
    r = Reader(src, "ui", raw, UiSettings)
    return UiSettings(
        theme=(r.text("theme") or "").strip() or None,
        mark_read_delay=r.number("mark_read_delay", -math.inf, 3600.0),
        mark_read=cast(MarkRead, r.text("mark_read", choices=MARK_READ_MODES)),
        download_dir=cast(Path, r.path("download_dir")),
        open_command=_open_command(r),
        threaded=r.boolean("threaded"),
        sort=cast(SortKey, r.text("sort", choices=SORT_KEYS)),
        reverse=r.boolean("reverse"),
        prefer_html=r.boolean("prefer_html"),
        keys=_keys(src, r.at("keys"), r.table("keys")) if r.has("keys") else r.default("keys"),
        themes_dir=cast(Path, r.path("themes_dir")),
        openers=_openers(src, r.at("openers"), r.table("openers"))
        if r.has("openers")
        else r.default("openers"),
        saved_searches=_saved_searches(r),
        send_delay=r.integer("send_delay", 0, 3600),
        preview=r.boolean("preview"),
        osc8_links=r.boolean("osc8_links"),
        https_ca_file=_readable_file(r, "https_ca_file"),
    )


def _openers(src: Source, key: str, raw: object) -> dict[str, str]:
    """`[ui.openers]`: "type/subtype" or "type/*" → a command (argument list rules as
    open_command's: the file is one whole word)."""
    if not isinstance(raw, Mapping):
        src.fail(key, f'must be a table of "type/subtype" = "command", not {type_name(raw)}')
    out: dict[str, str] = {}
    for mime_type, command in raw.items():
        where = dotted_key(key, str(mime_type))
        if not isinstance(command, str) or not command.strip():
            src.fail(where, "must be a command (a non-empty string)")
        check_text(src, where, command)
        if "/" not in str(mime_type):
            src.fail(where, 'must name a MIME type like "image/png" or "image/*"')
        out[str(mime_type)] = command
    return out


def _saved_searches(r: Reader) -> tuple[SavedSearch, ...]:
    """`[[ui.saved_searches]]`: name and query (required), account and folder."""
    if not r.has("saved_searches"):
        return r.default("saved_searches")
    raw = r.raw("saved_searches")
    if not isinstance(raw, list) or not all(isinstance(item, Mapping) for item in raw):
        r.src.fail(
            r.at("saved_searches"),
            f"must be an array of tables, not {type_name(raw)}",
            hint='write [[ui.saved_searches]] with name = "Unread" and query = "unseen"',
        )
    out = []
    for i, item in enumerate(raw):
        sr = Reader(r.src, f"{r.at('saved_searches')}[{i}]", item, SavedSearch)
        out.append(
            SavedSearch(
                name=sr.text("name").strip(),
                query=sr.text("query", allow_empty=True).strip(),
                account=sr.text("account"),
                folder=sr.text("folder"),
            )
        )
    return tuple(out)


def _build(src: Source, data: object, path: Path | None, exposed_mode: int | None) -> Settings:
    """Validate a parsed document into Settings; the one path for files and code."""
    refuse_secrets(src, data, exposed_mode)
    top = Reader(src, "", data, Settings)
    raw_accounts = top.table("accounts")
    if not raw_accounts:
        src.fail(
            "accounts",
            "no accounts are configured"
            if raw_accounts is None
            else "must hold at least one account",
            hint='run `mailtui setup` to add one (README, "Set up an account", lists the keys)',
        )
    if not isinstance(raw_accounts, Mapping):
        src.fail(
            "accounts", f"must be a table of [accounts.NAME] tables, not {type_name(raw_accounts)}"
        )
    accounts: dict[str, AccountSettings] = {}
    default: str | None = None
    for name, raw in raw_accounts.items():
        account = _account(src, name, raw)
        if account.default:
            if default is not None:
                src.fail(
                    dotted_key(dotted_key("accounts", account.name), "default"),
                    f"only one account can be the default, and accounts.{default} already is",
                    hint="set default = true on one account only",
                )
            default = account.name
        accounts[account.name] = account
    ui = _ui(src, top.table("ui") if top.has("ui") else {})
    for i, saved in enumerate(ui.saved_searches):
        if saved.account is not None and saved.account not in (*accounts, "*"):
            src.fail(
                f"ui.saved_searches[{i}].account",
                f"{show(saved.account)} is not an account; known: {', '.join(accounts)}",
            )
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
    return _build(Source(IN_CODE, base), data, None, None)


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
        raise NoConfigFile(
            f"No config file at {label} ({why})",
            hint="run `mailtui setup` to add an account, or `mailtui --demo` to look around",
            path=label,
            why=why,
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
    src = Source(label, path.absolute().parent)
    return _build(src, data, path, exposed_mode(st))
