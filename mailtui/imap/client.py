"""ImapSession: one IMAP connection, owned by exactly one thread.

Wraps imapclient for connecting, TLS policy, authentication and the ordinary commands,
and uses `wire.ResponseReader` for the responses that are big or that imapclient cannot
express (bulk header FETCH, SELECT with QRESYNC, LIST with RETURN options).
"""

from __future__ import annotations

import functools
import logging
import re
import ssl
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import Protocol, TypeVar

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.exceptions import ProtocolError as ImapclientParseError

from mailtui.backend import Fetched, Outcome, SelectResult, UidMap, UidSet, compress_uids
from mailtui.errors import MalformedResponse
from mailtui.imap import scan, translate
from mailtui.imap.errors import (
    AuthFailed,
    ConnectionLost,
    FolderGone,
    ImapError,
    ProtocolError,
    TlsError,
    Unsupported,
)
from mailtui.imap.transport import ServerLike, close_quietly, make_ssl_context, open_client
from mailtui.imap.wire import (
    MAX_HEADER_LITERAL,
    MAX_PART_LITERAL,
    Response,
    ResponseReader,
    Untagged,
    parse_search,
)
from mailtui.model import BodyPart, Capabilities, Folder

log = logging.getLogger("mailtui.imap")
protocol_log = logging.getLogger("mailtui.imap.protocol")

# The header fields the message list, threading and search need: one literal per message.
LIST_HEADER_FIELDS = (
    "DATE FROM TO CC REPLY-TO SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES LIST-ID CONTENT-TYPE"
)
HEADER_SECTION = f"HEADER.FIELDS ({LIST_HEADER_FIELDS})"


class SecretLike(Protocol):
    kind: str
    value: str


T = TypeVar("T")
R = TypeVar("R")


def _drops_on_malformed(method: Callable[..., R]) -> Callable[..., R]:
    """A reply this method could not read (MalformedResponse) drops the connection:
    nothing read after it could be trusted to answer the right command."""

    @functools.wraps(method)
    def guarded(self: ImapSession, *args: object, **kwargs: object) -> R:
        try:
            return method(self, *args, **kwargs)
        except MalformedResponse:
            self._drop()
            raise

    return guarded


@dataclass
class NoopChanges:
    """What a NOOP reported for the selected folder (RFC 7162 §3.2.10, QRESYNC mode)."""

    vanished: UidSet = field(default_factory=lambda: UidSet())
    flags: list[tuple[int, str, int]] = field(default_factory=list)
    exists: bool = False
    highestmodseq: int = 0

    @property
    def empty(self) -> bool:
        return not (self.vanished or self.flags or self.exists)


def quote(value: str | bytes) -> bytes:
    """An IMAP quoted string (RFC 9051 §4.3); callers encode folder names to mUTF-7 first."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if b"\r" in raw or b"\n" in raw or b"\0" in raw:
        raise ValueError("IMAP quoted strings cannot contain CR, LF or NUL")
    return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


class ImapSession:
    """A logged-in IMAP connection with the capabilities mailtui uses."""

    def __init__(
        self,
        server: ServerLike,
        get_secret: Callable[[], SecretLike],
        *,
        label: str = "",
    ) -> None:
        self.server = server
        self._get_secret = get_secret
        self.label = label or f"{server.username}@{server.host}"
        self.client: imapclient.IMAPClient | None = None
        self.caps = Capabilities()
        self.selected: str | None = None
        self.selected_readonly = False
        self.qresync_enabled = False
        self.condstore_enabled = False
        self.delimiter: str | None = None
        self._pending: dict[bytes, bytes] = {}
        # True when the server reported changes to the selected folder that were not
        # applied; cleared when a SELECT has just brought the folder up to date.
        self.changes_pending = False
        # A connection that only writes has no use for CONDSTORE: with it enabled, every
        # STORE (even .SILENT) answers with one FETCH MODSEQ per message (RFC 7162 §3.1.3).
        self.enable_condstore = True
        # The highest UID of the selected folder this connection is known to have been
        # told about (UIDNEXT at SELECT, or what a NOOP brought in): see ensure_visible.
        self._horizon = 0

    # --- connection -------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, secure, authenticate and read capabilities; raises typed errors."""
        server = self.server
        where = f"{server.host}:{server.port}"
        try:
            client = open_client(server, where)
        except ssl.SSLCertVerificationError as exc:
            raise TlsError(
                f"The certificate of {where} cannot be trusted: {exc.verify_message}",
                "if the server uses a private CA, set ca_file to its PEM certificate",
            ) from exc
        except ssl.SSLError as exc:
            raise TlsError(f"TLS with {where} failed: {exc.reason or exc}") from exc
        except TimeoutError as exc:
            raise ConnectionLost(
                f"Timed out connecting to {where}", "check the host, port and network"
            ) from exc
        except ConnectionRefusedError as exc:
            raise ConnectionLost(
                f"Nothing is listening on {where} (connection refused)",
                "check the host and port, or whether the server is up",
            ) from exc
        except OSError as exc:
            raise ConnectionLost(f"Cannot connect to {where}: {exc.strerror or exc}") from exc
        except IMAPClientAbortError as exc:  # the link died (EOF, reset) mid-handshake
            raise ConnectionLost(
                f"The connection to {where} broke during set-up: {_short(exc)}"
            ) from exc
        except ImapclientParseError as exc:
            raise MalformedResponse(f"{where} sent an unreadable greeting: {exc}") from exc
        except IMAPClientError as exc:
            raise ProtocolError(f"{where} failed during connection set-up: {exc}") from exc
        except (ValueError, IndexError, RecursionError) as exc:
            raise MalformedResponse(f"{where} sent an unreadable greeting: {exc!r}") from exc
        self.client = client
        self._install_protocol_log()
        self._login()
        self._read_capabilities()
        # Nothing said before now (greeting, login) may answer a later command.
        client._imap.untagged_responses.clear()
        self._enable_extensions()

    def _login(self) -> None:
        assert self.client is not None
        secret = self._get_secret()
        user = self.server.username
        try:
            with self._errors("login"):
                if secret.kind == "oauth2":
                    caps = {c.upper() for c in _caps(self.client)}
                    if b"AUTH=OAUTHBEARER" in caps:
                        self.client.oauthbearer_login(user, secret.value)
                    elif b"AUTH=XOAUTH2" in caps:
                        self.client.oauth2_login(user, secret.value)
                    else:
                        raise Unsupported(
                            f"{self.server.host} offers neither OAUTHBEARER nor XOAUTH2",
                            "use password_command or the keyring instead of oauth2_token_command",
                        )
                else:
                    self.client.login(user, secret.value)
        except LoginError as exc:
            self.close()
            raise AuthFailed(
                f"The server refused the login for {user}@{self.server.host}: {_short(exc)}",
                "check the username and password (mailtui login ACCOUNT, or password_command)",
            ) from exc

    def _read_capabilities(self) -> None:
        assert self.client is not None
        # (fresh=False: the LOGIN reply's own CAPABILITY code, over TLS, is what we want.)
        with self._errors("CAPABILITY", fresh=False):
            raw = self.client.capabilities()
        ignored = {c.upper() for c in self.server.ignore_capabilities}
        names = frozenset(
            c.decode("ascii", "replace").upper() if isinstance(c, bytes) else str(c).upper()
            for c in raw
        )
        self.caps = Capabilities(frozenset(n for n in names if n not in ignored))

    @_drops_on_malformed
    def _enable_extensions(self) -> None:
        """RFC 7162 §3.2.3: ENABLE QRESYNC (implies CONDSTORE) before any SELECT."""
        if not self.enable_condstore:
            return
        if not self.caps.has("ENABLE"):
            self.condstore_enabled = self.caps.condstore
            return
        wanted = ["QRESYNC"] if self.caps.qresync else ["CONDSTORE"] if self.caps.condstore else []
        if not wanted:
            return
        resp = self.raw(b"ENABLE " + " ".join(wanted).encode())
        enabled = set()
        for u in resp.all(b"ENABLED"):
            enabled |= {w.upper() for w in u.rest.split()}
        self.qresync_enabled = b"QRESYNC" in enabled
        self.condstore_enabled = self.qresync_enabled or b"CONDSTORE" in enabled

    def close(self) -> None:
        """Log out politely if possible; never raises."""
        client, self.client = self.client, None
        self.selected = None
        if client is not None:
            close_quietly(client)

    @property
    def connected(self) -> bool:
        return self.client is not None

    def _install_protocol_log(self) -> None:
        """With `log_protocol`, send this session's exchange to the protocol log (redacted
        by the handler: see config.logs); otherwise keep imapclient quiet."""
        if getattr(self.server, "log_protocol", False):
            from mailtui.config import logs

            if not logs.protocol_logging_active():
                logs.setup(protocol=True)

    @contextmanager
    def _errors(self, what: str, *, fresh: bool = True) -> Iterator[None]:
        """Turn socket/imapclient failures into typed errors; a broken link, or a reply
        that cannot be read, closes the session.

        `fresh`: forget imaplib's untagged responses first, so that imapclient never
        takes what arrived for an earlier command (or unasked) as this one's answer.
        """
        if fresh and self.client is not None:
            self.client._imap.untagged_responses.clear()
        try:
            yield
        except MalformedResponse:
            self._drop()
            raise
        except ImapError:
            raise
        except LoginError:
            raise
        except TimeoutError as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP server did not answer {what} in time") from exc
        except IMAPClientAbortError as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke during {what}: {_short(exc)}") from exc
        except (OSError, EOFError) as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke during {what}: {exc}") from exc
        except ImapclientParseError as exc:
            self._drop()
            raise MalformedResponse(f"{what}: the server's reply could not be read: {exc}") from exc
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError) as exc:
            # imapclient's parser on a reply it cannot read (a 4,300-digit number, a
            # bad date, 10,000 nested parentheses): the stream can no longer be trusted.
            self._drop()
            raise MalformedResponse(
                f"{what}: the server's reply could not be read ({type(exc).__name__})"
            ) from exc
        except IMAPClientError as exc:
            text = _short(exc)
            if "NONEXISTENT" in text.upper() or "doesn't exist" in text or "does not exist" in text:
                raise FolderGone(f"{what} failed: {text}") from exc
            raise ProtocolError(f"{what} failed: {text}") from exc

    def _drop(self) -> None:
        client, self.client = self.client, None
        self.selected = None
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                pass

    def _require(self) -> imapclient.IMAPClient:
        if self.client is None:
            raise ConnectionLost("Not connected to the IMAP server")
        return self.client

    # --- raw commands -------------------------------------------------------------------

    def raw(
        self,
        command: bytes,
        *,
        on_fetch: Callable[[Fetched], None] | None = None,
        check: bool = True,
        max_literal: int = MAX_HEADER_LITERAL,
    ) -> Response:
        """Send one command and read its whole response with the lean reader
        (literals up to `max_literal` bytes: see wire's caps)."""
        return self.read_reply(
            self.send(command), on_fetch=on_fetch, check=check, max_literal=max_literal
        )

    def send(self, command: bytes) -> bytes:
        """Send a command without waiting (pipelining, RFC 9051 §5.5); returns its tag."""
        client = self._require()
        imap = client._imap
        tag = imap._new_tag()
        line = tag + b" " + command + b"\r\n"
        if protocol_log.isEnabledFor(logging.DEBUG):
            protocol_log.debug("> %s", _redact(line))
        try:
            imap.send(line)
        except OSError as exc:
            imap.tagged_commands.pop(tag, None)
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke: {exc}") from exc
        self._pending[tag] = command
        return tag

    def read_reply(
        self,
        tag: bytes,
        *,
        on_fetch: Callable[[Fetched], None] | None = None,
        check: bool = True,
        max_literal: int = MAX_HEADER_LITERAL,
    ) -> Response:
        """Read responses up to `tag`'s completion (earlier pipelined tags must be read first)."""
        client = self._require()
        imap = client._imap
        command = self._pending.pop(tag, b"")
        try:
            on_line = _log_line if protocol_log.isEnabledFor(logging.DEBUG) else None
            reader = ResponseReader(imap, on_line, max_literal=max_literal)
            resp = reader.until_tagged(tag, on_fetch)
        except ConnectionLost:  # MalformedResponse too: what follows cannot be trusted
            self._drop()
            raise
        except TimeoutError as exc:
            self._drop()
            raise ConnectionLost("The IMAP server stopped answering (timed out)") from exc
        except OSError as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke: {exc}") from exc
        finally:
            imap.tagged_commands.pop(tag, None)
        if self.selected is not None and any(
            u.keyword in (b"EXISTS", b"EXPUNGE", b"VANISHED", b"NO", b"BAD", b"BYE")
            or b"[CLOSED]" in u.segments[0].upper()
            for u in resp.untagged
        ):
            # (An untagged NO on a NOOP is how Dovecot says the selected folder was
            # deleted under us; anything unexpected means: resync properly.)
            # News about the selected folder that this command's caller may not apply:
            # the next resync must not trust a quiet NOOP (see FolderSyncer._unchanged).
            self.changes_pending = True
        if check and resp.status != "OK":
            verb = command.split(b" ", 2)[:2]
            what = b" ".join(verb).decode("ascii", "replace")
            if "NONEXISTENT" in resp.text.upper():
                raise FolderGone(f"{what}: {resp.text}")
            raise ProtocolError(f"{what} failed: {resp.status} {resp.text}")
        return resp

    # --- folders ------------------------------------------------------------------------

    @_drops_on_malformed
    def list_folders(self) -> list[Folder]:
        """All folders with special-use roles and, where LIST-STATUS is offered, counts."""
        subscribed = self._subscribed()
        if self.caps.list_status or self.caps.special_use:
            returns = []
            if self.caps.special_use:
                returns.append(b"SPECIAL-USE")
            if self.caps.list_status:
                returns.append(b"STATUS (MESSAGES UNSEEN)")
            resp = self.raw(b'LIST "" "*" RETURN (' + b" ".join(returns) + b")")
        else:
            resp = self.raw(b'LIST "" "*"')
        folders: dict[str, Folder] = {}
        counts: dict[str, tuple[int | None, int | None]] = {}
        for u in resp.untagged:
            toks = u.tokens()
            if not toks:
                continue
            kind = (toks[0] or b"").upper()
            if kind == b"LIST" and len(toks) >= 4:
                flags = [f for f in toks[1]] if isinstance(toks[1], list) else []
                raw_name = toks[3] if isinstance(toks[3], bytes) else b""
                folder = translate.folder_from_list(
                    flags, toks[2], raw_name, subscribed=raw_name in subscribed
                )
                folders[folder.raw_name] = folder
                if folder.delimiter and self.delimiter is None:
                    self.delimiter = folder.delimiter
            elif kind == b"STATUS" and len(toks) >= 3:
                raw_name = toks[1] if isinstance(toks[1], bytes) else b""
                counts[raw_name.decode("ascii", "replace")] = _status_counts(toks[2])
        out = []
        for raw_name, folder in folders.items():
            total, unread = counts.get(raw_name, (None, None))
            if total is None and folder.selectable and not self.caps.list_status:
                total, unread = self.status_counts(raw_name)
            out.append(_with_counts(folder, total, unread))
        return out

    @_drops_on_malformed
    def _subscribed(self) -> set[bytes]:
        resp = self.raw(b'LSUB "" "*"')
        names = set()
        for u in resp.all(b"LSUB"):
            toks = u.tokens()
            if len(toks) >= 4 and isinstance(toks[3], bytes):
                names.add(toks[3])
        return names

    @_drops_on_malformed
    def folder_exists(self, raw: str, *, subscribed: bool = False) -> bool:
        """LIST (or LSUB) of exactly this name: how a folder operation is confirmed."""
        verb = b"LSUB" if subscribed else b"LIST"
        resp = self.raw(verb + b' "" ' + quote(raw))
        for u in resp.all(verb):
            toks = u.tokens()
            if len(toks) >= 4 and toks[3] == raw.encode():
                if subscribed:
                    return True
                flags = {f.upper() for f in toks[1]} if isinstance(toks[1], list) else set()
                # A \\Noselect name left by a deleted parent is no folder to select.
                return not flags & {b"\\NONEXISTENT", b"\\NOSELECT"}
        return False

    @_drops_on_malformed
    def status_counts(self, raw_name: str) -> tuple[int | None, int | None]:
        resp = self.raw(b"STATUS " + quote(raw_name) + b" (MESSAGES UNSEEN)", check=False)
        for u in resp.all(b"STATUS"):
            toks = u.tokens()
            if len(toks) >= 3:
                return _status_counts(toks[2])
        return None, None

    @_drops_on_malformed
    def status(self, raw_name: str, *, unseen: bool = True) -> dict[str, int]:
        """STATUS; without `unseen` the server answers from its index header, O(1) in the
        folder's size (counting unseen mail means walking the messages)."""
        items = b"MESSAGES UIDNEXT UIDVALIDITY" + (b" UNSEEN" if unseen else b"")
        if self.caps.condstore:
            items += b" HIGHESTMODSEQ"
        resp = self.raw(b"STATUS " + quote(raw_name) + b" (" + items + b")")
        out: dict[str, int] = {}
        for u in resp.all(b"STATUS"):
            toks = u.tokens()
            if len(toks) >= 3 and isinstance(toks[2], list):
                for key, value in _status_pairs(toks[2]).items():
                    out[key.decode("ascii", "replace").upper()] = value
        return out

    # --- selecting ----------------------------------------------------------------------

    @_drops_on_malformed
    def select(
        self,
        raw_name: str,
        *,
        readonly: bool = False,
        qresync: tuple[int, int, str | None] | None = None,
    ) -> SelectResult:
        """SELECT/EXAMINE, with `(QRESYNC (uidvalidity modseq [known-uids]))` when given.

        RFC 7162 §3.2.5.1: the server answers with VANISHED (EARLIER) for UIDs expunged
        since `modseq` and FETCH (UID FLAGS MODSEQ) for messages changed since then.
        """
        verb = b"EXAMINE " if readonly else b"SELECT "
        cmd = verb + quote(raw_name)
        if qresync is not None and self.qresync_enabled:
            uidvalidity, modseq, known = qresync
            params = f"{uidvalidity} {modseq}" + (f" {known}" if known else "")
            cmd += f" (QRESYNC ({params}))".encode()
        elif self.condstore_enabled:
            cmd += b" (CONDSTORE)"
        try:
            resp = self.raw(cmd)
        except ProtocolError as exc:
            self.selected = None
            if isinstance(exc, FolderGone) or "doesn't exist" in str(exc).lower():
                raise FolderGone(f"The folder {raw_name!r} does not exist on the server") from exc
            raise
        result = SelectResult(readonly=readonly)
        for u in resp.untagged:
            if u.keyword == b"EXISTS" and u.number is not None:
                result.exists = u.number
            elif u.keyword == b"VANISHED":
                result.vanished = result.vanished | _vanished(u)
        # RFC 9051 §7.1: UIDVALIDITY and UIDNEXT are nz-numbers (32 bits); RFC 7162
        # §3.1.2.1: HIGHESTMODSEQ a mod-sequence-value (63 bits).
        result.uidvalidity = resp.number(b"UIDVALIDITY", limit=scan.UID_MAX) or 0
        result.uidnext = resp.number(b"UIDNEXT", limit=scan.UID_MAX) or 0
        result.highestmodseq = resp.number(b"HIGHESTMODSEQ") or 0
        result.nomodseq = resp.code(b"NOMODSEQ") is not None
        perm = resp.code(b"PERMANENTFLAGS")
        if perm:
            result.permanent_flags = tuple(perm.strip(b"()").decode("utf-8", "replace").split())
        result.readonly = readonly or "[READ-ONLY]" in resp.text.upper()
        result.changed = resp.fetches
        self.selected = raw_name
        self._horizon = max(result.uidnext - 1, 0)
        self.changes_pending = False
        self.selected_readonly = result.readonly
        # imaplib checks its own state before UID commands; we selected behind its back.
        self._require()._imap.state = "SELECTED"
        return result

    def unselect(self) -> None:
        """Leave the selected folder without expunging anything.

        CLOSE on a read-write folder would expunge every \\Deleted message (other
        clients' included), so without UNSELECT (RFC 3691) we EXAMINE first: CLOSE on
        a read-only folder expunges nothing.
        """
        if self.selected is None:
            return
        if self.caps.has("UNSELECT"):
            self.raw(b"UNSELECT", check=False)
        else:
            if not self.selected_readonly:
                self.raw(b"EXAMINE " + quote(self.selected), check=False)
            self.raw(b"CLOSE", check=False)
        self.selected = None
        self._require()._imap.state = "AUTH"

    # --- fetching -----------------------------------------------------------------------

    def header_items(self) -> bytes:
        return self.header_items_for(condstore=self.condstore_enabled)

    @staticmethod
    def header_items_for(*, condstore: bool) -> bytes:
        """The lean list request: no ENVELOPE, no BODYSTRUCTURE (fetched on open)."""
        items = b"UID FLAGS INTERNALDATE RFC822.SIZE"
        if condstore:
            items += b" MODSEQ"
        return items + b" BODY.PEEK[" + HEADER_SECTION.encode() + b"]"

    def fetch_headers_command(self, uids: str) -> bytes:
        return b"UID FETCH " + uids.encode() + b" (" + self.header_items() + b")"

    def fetch_headers(
        self, uids: str, on_fetch: Callable[[Fetched], None] | None = None
    ) -> Response:
        """UID FETCH of exactly what the message list needs, parsed by the lean reader."""
        if on_fetch is None:
            return self.raw(self.fetch_headers_command(uids))

        def route(rec: Fetched) -> None:
            if rec.sections:
                on_fetch(rec)
            else:  # an unsolicited FETCH (another client changed flags meanwhile)
                self.changes_pending = True

        return self.raw(self.fetch_headers_command(uids), on_fetch=route)

    def fetch_flags(self, uids: str, changedsince: int | None = None) -> list[Fetched]:
        items = b"(UID FLAGS MODSEQ)" if self.condstore_enabled else b"(UID FLAGS)"
        cmd = b"UID FETCH " + uids.encode() + b" " + items
        if changedsince is not None:
            cmd += f" (CHANGEDSINCE {changedsince})".encode()
        return self.raw(cmd).fetches

    @_drops_on_malformed
    def search_uids(self, criteria: bytes = b"ALL", *, charset: str | None = None) -> list[int]:
        """UID SEARCH; ESEARCH's compact result set where offered (RFC 4731)."""
        cmd = b"UID SEARCH "
        if self.caps.esearch:
            cmd += b"RETURN (ALL) "
        if charset:
            cmd += b"CHARSET " + charset.encode() + b" "
        return parse_search(self.raw(cmd + criteria))

    def _look_twice(self, fetch: Callable[[], T]) -> T:
        """A message added after this session's last look (by our own APPEND on another
        connection, or by anyone) is unknown here until the server reports it, and a
        UID FETCH of it answers nothing (RFC 9051 §7.4.1): one NOOP, then ask again."""
        try:
            return fetch()
        except FolderGone:
            self.noop()
            return fetch()

    def fetch_bodystructure(self, uid: int) -> BodyPart:
        client = self._require()

        def fetch() -> BodyPart:
            with self._errors("FETCH BODYSTRUCTURE"):
                data = client.fetch([uid], ["BODYSTRUCTURE"])
            item = data.get(uid)
            if not item or b"BODYSTRUCTURE" not in item:
                raise FolderGone(f"Message {uid} is no longer on the server")
            return translate.bodystructure_to_part(item[b"BODYSTRUCTURE"])

        return self._look_twice(fetch)

    def fetch_section(self, uid: int, section: str, *, max_bytes: int | None = None) -> bytes:
        """BODY.PEEK[section] (never sets \\Seen), optionally only the first max_bytes."""
        partial = f"<0.{max_bytes}>" if max_bytes else ""
        cmd = f"UID FETCH {uid} (UID BODY.PEEK[{section}]{partial})".encode()

        def fetch() -> bytes:
            for rec in self.raw(cmd, max_literal=MAX_PART_LITERAL).fetches:
                if rec.uid == uid:
                    for data in rec.sections.values():
                        return data or b""
            raise FolderGone(f"Message {uid} is no longer on the server")

        return self._look_twice(fetch)

    def fetch_sections(self, uid: int, sections: Iterable[str]) -> dict[str, bytes]:
        """Several parts of one message in one round trip (e.g. "1.MIME" and "1")."""
        names = list(sections)
        items = " ".join(f"BODY.PEEK[{s}]" for s in names)

        def fetch() -> dict[str, bytes]:
            command = f"UID FETCH {uid} (UID {items})".encode()
            for rec in self.raw(command, max_literal=MAX_PART_LITERAL).fetches:
                if rec.uid == uid:
                    return {k: (v or b"") for k, v in rec.sections.items()}
            raise FolderGone(f"Message {uid} is no longer on the server")

        return self._look_twice(fetch)

    # --- write-back ---------------------------------------------------------------------

    def ensure_visible(self, top_uid: int) -> None:
        """A message added after this connection's last look is unknown to it until the
        server reports it: a UID STORE/MOVE/SEARCH naming it is answered OK and does
        nothing (Dovecot: "OK No messages found"; RFC 9051 §7.4.1 lets a server defer
        its news). The caller learnt `top_uid` on another connection, so the message
        existed before this NOOP: the NOOP's answer makes it known here."""
        if self.selected is None or top_uid <= self._horizon:
            return
        self.noop()
        self._horizon = max(self._horizon, top_uid)

    @_drops_on_malformed
    def store_flags(
        self, uids: str, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Outcome:
        """UID STORE ±FLAGS, one command per UID set whatever its size, confirmed.

        Not .SILENT: the server answers a FETCH FLAGS for every message it changed
        (RFC 9051 §6.4.6), which is the proof. Messages it did not mention were already
        as wanted, or are unknown here: one UID FETCH FLAGS of just those tells which.
        """
        wanted = _wanted(uids)
        add, remove = sorted(add), sorted(remove)
        for flag in (*add, *remove):
            _flag_atom(flag)
        self.ensure_visible(wanted.max())
        seen: dict[int, tuple[str, ...]] = {}
        for sign, flags in (("+", add), ("-", remove)):
            if flags:
                names = " ".join(flags)
                resp = self.raw(f"UID STORE {uids} {sign}FLAGS ({names})".encode())
                seen.update(
                    (rec.uid, rec.flags)
                    for rec in resp.fetches
                    if rec.uid and rec.flags is not None
                )
        ok = _flags_match(add, remove)
        unsure = [u for u in wanted if u not in seen or not ok(seen[u])]
        if unsure:
            for rec in self.fetch_flags(compress_uids(unsure)):
                if rec.uid and rec.flags is not None:
                    seen[rec.uid] = rec.flags
        out = Outcome()
        for uid in wanted:
            flags = seen.get(uid)
            (out.gone if flags is None else out.done if ok(flags) else out.failed).append(uid)
        return out

    @_drops_on_malformed
    def move(self, uids: str, dest_raw: str) -> Outcome:
        """UID MOVE (RFC 6851), confirmed by COPYUID (RFC 4315 §3) or by the messages
        being gone from the source afterwards."""
        wanted = _wanted(uids)
        self.ensure_visible(wanted.max())
        resp = self.raw(f"UID MOVE {uids} ".encode() + quote(dest_raw))
        return self._transferred(wanted, _copyuid_map(resp, wanted), moved=True)

    @_drops_on_malformed
    def copy(self, uids: str, dest_raw: str) -> Outcome:
        """UID COPY, confirmed by COPYUID. Without UIDPLUS only the source can be checked
        (the caller looks for the Message-IDs in the destination)."""
        wanted = _wanted(uids)
        self.ensure_visible(wanted.max())
        resp = self.raw(f"UID COPY {uids} ".encode() + quote(dest_raw))
        return self._transferred(wanted, _copyuid_map(resp, wanted), moved=False)

    def _transferred(self, wanted: UidSet, mapping: dict[int, int], *, moved: bool) -> Outcome:
        """Sort each UID of a MOVE/COPY into done, gone or failed.

        COPYUID names what the server transferred. Without it (no UIDPLUS) a move shows
        only in the source (gone from it = moved), and a copy not at all here: the
        caller looks for the Message-IDs in the destination.
        """
        out = Outcome(mapping=mapping, done=[u for u in wanted if u in mapping])
        rest = [u for u in wanted if u not in mapping]
        if not rest:
            return out
        present = self.search_uids(b"UID " + compress_uids(rest).encode())
        for uid in rest:
            if uid not in present:
                # Absent from the source: moved by us if the server reports no COPYUID
                # at all, else it was gone before (expunged or moved by someone else).
                (out.done if moved and not mapping else out.gone).append(uid)
            elif mapping or moved:
                out.failed.append(uid)
            else:
                out.done.append(uid)  # a copy without COPYUID: checked by the caller
        out.done.sort()
        return out

    @_drops_on_malformed
    def expunge_uids(self, uids: str) -> Outcome:
        """Remove exactly these \\Deleted messages: UID EXPUNGE (RFC 4315 §2.1), then
        check that none of them is still there.

        Without UIDPLUS a bare EXPUNGE would also remove other clients' \\Deleted mail,
        so it is used only when every \\Deleted message in the folder is one of ours.
        """
        wanted = _wanted(uids)
        self.ensure_visible(wanted.max())
        if self.caps.uidplus:
            self.raw(f"UID EXPUNGE {uids}".encode())
        else:
            deleted = self.search_uids(b"DELETED")
            if deleted - wanted:
                raise Unsupported(
                    "The server lacks UIDPLUS and other \\Deleted messages exist in this folder",
                    "the messages are marked deleted; they disappear when that folder is expunged",
                )
            self.raw(b"EXPUNGE")
        left = self.search_uids(b"UID " + uids.encode())
        return Outcome(
            done=[u for u in wanted if u not in left], failed=[u for u in wanted if u in left]
        )

    def append(
        self, folder_raw: str, raw: bytes, flags: Iterable[str] = (), when: float | None = None
    ) -> int | None:
        """APPEND a message; returns its UID when the server reports APPENDUID."""
        client = self._require()
        from datetime import datetime

        msg_time = datetime.fromtimestamp(when, UTC) if when else None
        with self._errors("APPEND"):
            result = client.append(
                translate.decode_folder_name(folder_raw), raw, flags=tuple(flags), msg_time=msg_time
            )
        m = re.search(rb"APPENDUID [0-9]+ ([0-9]+)", result if isinstance(result, bytes) else b"")
        if m is None:
            return None
        try:
            return scan.uid(m.group(1))
        except MalformedResponse:
            self._drop()
            raise

    def create_folder(self, raw: str) -> None:
        self.raw(b"CREATE " + quote(raw))
        self.raw(b"SUBSCRIBE " + quote(raw), check=False)

    def rename_folder(self, old_raw: str, new_raw: str) -> None:
        self.raw(b"RENAME " + quote(old_raw) + b" " + quote(new_raw))
        self.raw(b"SUBSCRIBE " + quote(new_raw), check=False)

    def delete_folder(self, raw: str) -> None:
        if self.selected == raw:
            self.unselect()
        self.raw(b"UNSUBSCRIBE " + quote(raw), check=False)
        self.raw(b"DELETE " + quote(raw))

    def subscribe(self, raw: str, subscribed: bool = True) -> None:
        self.raw((b"SUBSCRIBE " if subscribed else b"UNSUBSCRIBE ") + quote(raw))

    def search(self, criteria: list[str | bytes], charset: str | None = None) -> list[int]:
        """UID SEARCH with imapclient (it sends non-ASCII strings as literals with CHARSET)."""
        client = self._require()
        with self._errors("SEARCH"):
            found = client.search(criteria, charset=charset)
            return sorted(scan.uid(str(u).encode()) for u in found)

    def search_message_ids(self, message_ids: Iterable[str]) -> dict[str, int]:
        """Which of these Message-IDs the selected folder holds (replay de-duplication)."""
        found: dict[str, int] = {}
        for mid in message_ids:
            if not mid:
                continue
            for uid in self.search(["HEADER", "Message-ID", f"<{mid}>"]):
                found[mid] = uid
        return found

    # --- idle ---------------------------------------------------------------------------

    def idle_start(self) -> bool:
        """Enter IDLE (RFC 2177); True if a change was already reported."""
        client = self._require()
        with self._errors("IDLE"):
            client.idle()
        return _noted(self, _reports_change(self._drain()))

    def idle_wait(self, wake_fd: int | None, timeout: float) -> tuple[bool, bool]:
        """Wait for server news or a wake-up: (changed, woken)."""
        import select

        client = self._require()
        sock = client.socket()
        pending = getattr(sock, "pending", lambda: 0)()
        if pending:
            return _noted(self, _reports_change(self._drain())), False
        watch = [sock] + ([wake_fd] if wake_fd is not None else [])
        try:
            ready, _, _ = select.select(watch, [], [], timeout)
        except (OSError, ValueError) as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke during IDLE: {exc}") from exc
        woken = wake_fd is not None and wake_fd in ready
        changed = _noted(self, _reports_change(self._drain())) if sock in ready else False
        if sock in ready and self.client is None:
            raise ConnectionLost("The IMAP server closed the connection during IDLE")
        return changed, woken

    def idle_done(self) -> None:
        client = self._require()
        with self._errors("IDLE"):
            client.idle_done()

    def change_token(self, raw: str) -> int:
        """(IMAP proves "no change" with HIGHESTMODSEQ instead.)"""
        return 0

    @_drops_on_malformed
    def noop_changes(self) -> NoopChanges | None:
        """NOOP on the selected folder, its news decoded: None when it cannot be applied as
        it stands (unapplied news from before, sequence-number EXPUNGEs, a NO…) and the
        caller must resync properly. Needs QRESYNC: VANISHED gives UIDs, FETCH carries UID."""
        if self.changes_pending or not self.qresync_enabled or self.selected is None:
            return None
        resp = self.noop()
        if self.changes_pending and not any(
            u.keyword == b"VANISHED" or u.keyword == b"EXISTS" for u in resp.untagged
        ):
            return None  # a NO/BAD/BYE/[CLOSED]: something we cannot apply
        changes = NoopChanges()
        for u in resp.untagged:
            if u.keyword == b"VANISHED":
                changes.vanished = changes.vanished | _vanished(u)
            elif u.keyword == b"EXISTS":
                changes.exists = True
            elif u.keyword in (b"EXPUNGE", b"NO", b"BAD", b"BYE"):
                return None
            elif u.keyword == b"OK":
                m = re.search(rb"\[HIGHESTMODSEQ ([^\]]*)\]", u.segments[0], re.I)
                if m:
                    changes.highestmodseq = scan.number(m.group(1), what="HIGHESTMODSEQ")
                elif b"[CLOSED]" in u.segments[0].upper():
                    return None
        for rec in resp.fetches:
            if not rec.uid or rec.flags is None:
                return None
            changes.flags.append((rec.uid, " ".join(rec.flags), rec.modseq))
        self.changes_pending = False
        return changes

    def poll(self) -> bool:
        """NOOP: the server reports what changed in the selected folder since last time."""
        resp = self.noop()
        return self.changes_pending or bool(resp.fetches)

    def _drain(self) -> list[bytes]:
        """Read every line the server has sent so far, without waiting for more.

        A line is read (blocking, with the session timeout, so a half-received line is
        completed) only once bytes are known to be there: a non-blocking read of a plain
        socket with nothing to read returns b'' exactly as EOF does, which imaplib takes
        for a closed connection (it made plain-IMAP IDLE reconnect every second).
        """
        client = self._require()
        imap = client._imap
        sock = client.socket()
        lines: list[bytes] = []
        try:
            while self._line_waiting(imap, sock):
                lines.append(imap._get_line())
        except (OSError, EOFError) as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke during IDLE: {exc}") from exc
        except IMAPClientAbortError as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP server closed the connection: {_short(exc)}") from exc
        except MalformedResponse:
            self._drop()
            raise
        return lines

    def _line_waiting(self, imap: object, sock: object) -> bool:
        """Bytes are buffered or readable now; raises EOFError when the peer closed."""
        data = self._peek(imap, sock)
        if data:
            return True
        if data is None:
            return False  # TLS records without application data yet
        import select

        if not select.select([sock], [], [], 0)[0]:
            return False
        # Readable: either data arrived since the first look, or the peer closed.
        data = self._peek(imap, sock)
        if data == b"":
            raise EOFError("the server closed the connection")
        return bool(data)

    def _peek(self, imap: object, sock: object) -> bytes | None:
        """imaplib's buffered bytes (reading the socket once, non-blocking): b'' when
        nothing is there (or at EOF), None when TLS needs more records first."""
        sock.setblocking(False)  # type: ignore[attr-defined]
        try:
            return imap.file.peek(1)  # type: ignore[attr-defined]
        except (BlockingIOError, ssl.SSLWantReadError):
            return None if isinstance(sock, ssl.SSLSocket) else b""
        finally:
            sock.settimeout(self.server.timeout)  # type: ignore[attr-defined]

    # --- misc ---------------------------------------------------------------------------

    def imap(self) -> imapclient.IMAPClient:
        """The underlying client, for callers inside mailtui.imap only."""
        return self._require()

    def noop(self) -> Response:
        return self.raw(b"NOOP")


_CHANGE = re.compile(rb"^\* (?:\d+ (?:EXISTS|EXPUNGE|FETCH)|VANISHED)\b", re.I)


def _reports_change(lines: list[bytes]) -> bool:
    return any(_CHANGE.match(line) for line in lines)


def _noted(session: ImapSession, changed: bool) -> bool:
    """IDLE news is consumed here, not by read_reply: remember it for the next resync."""
    if changed:
        session.changes_pending = True
    return changed


def _flag_atom(flag: str) -> str:
    """A flag or keyword as an IMAP atom (RFC 9051 §9 flag-keyword); refuses what can't be one."""
    if not flag or (
        any(c in flag for c in ' (){%*"]\\\r\n')
        and not (flag.startswith("\\") and flag[1:].isalpha())
    ):
        raise ValueError(f"not a valid IMAP flag or keyword: {flag!r}")
    if not flag.isascii():
        raise ValueError(f"IMAP keywords must be ASCII: {flag!r}")
    return flag


def _flags_match(add: list[str], remove: list[str]) -> Callable[[tuple[str, ...]], bool]:
    """A test: do these flags show the change (flags compare case-insensitively)?"""
    want = {f.lower() for f in add}
    unwanted = {f.lower() for f in remove}

    def ok(flags: tuple[str, ...]) -> bool:
        have = {f.lower() for f in flags}
        return want <= have and not (unwanted & have)

    return ok


_COPYUID = re.compile(rb"\[COPYUID ([0-9]+) ([^ \]]+) ([^ \]]+)\]", re.I)


def _copyuid_map(resp: Response, wanted: UidSet) -> dict[int, int]:
    """Source UID → destination UID for the UIDs we asked to move or copy, from COPYUID
    (RFC 4315 §3). Its sets stay ranges (a billion-UID range is a few integers); only
    `wanted`'s UIDs are looked up. A COPYUID whose sets do not pair up is ignored (the
    caller then checks the source); one that is not UID sets is MalformedResponse."""
    texts = [resp.text.encode()] + [u.segments[0] for u in resp.untagged if u.keyword == b"OK"]
    for text in texts:
        m = _COPYUID.search(text)
        if m:
            scan.number(m.group(1), what="a UIDVALIDITY", low=1, limit=scan.UID_MAX)
            try:
                pairs = UidMap(m.group(2), m.group(3))
            except ValueError:
                return {}
            return pairs.restrict(wanted)
    return {}


def _wanted(uids: str) -> UidSet:
    """The caller's own UID set (never the server's): a bad one is the caller's bug."""
    try:
        return UidSet.parse(uids)
    except MalformedResponse as exc:
        raise ValueError(f"not a UID set: {uids!r:.80}") from exc


def _redact(line: bytes) -> bytes:
    from mailtui.config.logs import redact

    return redact(line.decode("utf-8", "replace")).encode()


def _log_line(line: bytes) -> None:
    protocol_log.debug("< %s", line[:500])


def _caps(client: imapclient.IMAPClient) -> tuple[bytes, ...]:
    try:
        return tuple(client.capabilities())
    except Exception:
        return ()


def _short(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text.strip()[:300]


def _status_pairs(items: list) -> dict[bytes, int]:
    """STATUS attribute → number (RFC 9051 §7.2.4). An item the server left NIL (it
    does not know) is left out; a value that is no number is MalformedResponse."""
    out: dict[bytes, int] = {}
    for i in range(0, len(items) - 1, 2):
        key, value = items[i], items[i + 1]
        if not isinstance(key, bytes):
            raise MalformedResponse(f"The IMAP server sent a STATUS item {key!r:.60}")
        if value is None:
            continue
        if not isinstance(value, bytes):
            raise MalformedResponse(f"The IMAP server sent STATUS {key!r:.40} {value!r:.40}")
        out[key.upper()] = scan.number(value, what=f"STATUS {key.decode('ascii', 'replace')}")
    return out


def _status_counts(items: object) -> tuple[int | None, int | None]:
    if not isinstance(items, list):
        return None, None
    pairs = _status_pairs(items)
    return pairs.get(b"MESSAGES"), pairs.get(b"UNSEEN")


def _with_counts(folder: Folder, total: int | None, unread: int | None) -> Folder:
    from dataclasses import replace

    return replace(folder, total=total, unread=unread)


def _vanished(u: Untagged) -> UidSet:
    """`* VANISHED [(EARLIER)] uid-set` (RFC 7162 §3.2.10) as a UidSet, however large
    the ranges: the caller keeps only the UIDs it has cached."""
    rest = u.rest.strip()
    if rest.upper().startswith(b"(EARLIER)"):
        rest = rest[9:].strip()
    return UidSet.parse(rest)


__all__ = [
    "HEADER_SECTION",
    "ImapSession",
    "SelectResult",
    "compress_uids",
    "make_ssl_context",
    "quote",
]
