"""ImapSession: one IMAP connection, owned by exactly one thread.

Wraps imapclient for connecting, TLS policy, authentication and the ordinary commands,
and uses `wire.ResponseReader` for the responses that are big or that imapclient cannot
express (bulk header FETCH, SELECT with QRESYNC, LIST with RETURN options).

By subject: opening the connection and its TLS policy in `connect`, folder commands
in `folders`, write-back in `writes`, IDLE and NOOP in `idle`; what a server may send
is read in `wire`, parsed in `parse` and `scan`; typed errors in `errors`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import imapclient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.exceptions import ProtocolError as ImapclientParseError

from mailtui.backend import HEADER_SECTION, Fetched, SelectResult, compress_uids
from mailtui.errors import MalformedResponse
from mailtui.imap import compress, scan
from mailtui.imap.connect import Abort, ServerLike, close_quietly, connect, make_ssl_context
from mailtui.imap.errors import (
    AuthFailed,
    ConnectionLost,
    FolderGone,
    ImapError,
    ProtocolError,
    TooManyConnections,
    Unsupported,
    drops_on_malformed,
    short_error,
)
from mailtui.imap.ext import gmail, notify, quirks
from mailtui.imap.folders import FolderCommands
from mailtui.imap.idle import LiveUpdates, vanished_set
from mailtui.imap.parse import Response, parse_search
from mailtui.imap.parts import PartFetching
from mailtui.imap.wire import MAX_HEADER_LITERAL, ResponseReader, quote
from mailtui.imap.writes import WriteBack
from mailtui.model import Capabilities
from mailtui.oauth2 import sasl

log = logging.getLogger("mailtui.imap")
protocol_log = logging.getLogger("mailtui.imap.protocol")

# The header fields the message list needs (one literal per message): see backend.session.


class SecretLike(Protocol):
    kind: str
    value: str


T = TypeVar("T")


class ImapSession(FolderCommands, WriteBack, LiveUpdates, PartFetching, quirks.Retrying):
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
        self._abort = Abort()
        # Told of a login refused for too many connections (set by sync's Link).
        self.on_crowded: Callable[[], None] | None = None

    # --- connection -------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, secure, authenticate and read capabilities; raises typed errors.
        A login refused for too many open connections is tried again after a pause."""
        for attempt in range(quirks.RETRIES + 1):
            try:
                self._connect_once()
                return
            except TooManyConnections:
                if self.on_crowded is not None:
                    self.on_crowded()  # the account shares: its IDLE watchers step back
                if attempt == quirks.RETRIES or self._abort.requested:
                    raise
                log.info("%s: too many connections; waiting %d s", self.server.host, 2**attempt)
                if self._abort.wait(2**attempt):
                    raise

    def _connect_once(self) -> None:
        client = connect(self.server, on_socket=self._abort.opened)
        self.client = client
        if self._abort.requested:  # abort() came during set-up
            self._drop()
            raise ConnectionLost("The connection was closed: mailtui is stopping")
        self._install_protocol_log()
        self._login()
        self._read_capabilities()
        compress.negotiate(self)  # RFC 4978: right after authentication
        # Nothing said before now (greeting, login) may answer a later command.
        client._imap.forget_replies()
        if self.caps.labels and self.caps.has("ID"):
            gmail.announce(self)
        self._enable_extensions()

    def _login(self) -> None:
        """Log in with the secret; a refused OAuth2 token that can be renewed is renewed
        once and tried once more (same connection: IMAP allows another AUTHENTICATE)."""
        assert self.client is not None
        user = self.server.username
        try:
            secret = self._get_secret()
            try:
                self._authenticate(secret)
            except LoginError:
                renew = getattr(secret, "renew", None)
                if renew is None:
                    raise
                log.info("%s refused the OAuth2 token; refreshing it once", self.server.host)
                secret = renew()
                self._authenticate(secret)
        except LoginError as exc:
            self.close()
            if quirks.TOO_MANY in short_error(exc).lower():
                # Gmail's 15 connections per account (all clients together): not a
                # wrong password; the thread's Link waits and tries again.
                raise TooManyConnections(
                    f"{self.server.host} has too many connections open for {user} "
                    "(other mail clients count too)",
                    "mailtui tries again shortly; lower max_connections or close other clients",
                ) from exc
            hint = (
                f"check that username is the account you signed in as, or sign in again: "
                f"`mailtui login {self.label}`"
                if secret.kind == "oauth2"
                else "check the username and password (mailtui login ACCOUNT, or password_command)"
            )
            raise AuthFailed(
                f"The server refused the login for {user}@{self.server.host}: {short_error(exc)}",
                hint,
            ) from exc
        except BaseException:  # no secret, a dead sign-in, a broken link: nothing half-open
            self.close()
            raise

    def _authenticate(self, secret: SecretLike) -> None:
        """LOGIN with a password; a token by OAUTHBEARER when offered, else XOAUTH2."""
        client = self.client
        assert client is not None
        user = self.server.username
        if secret.kind != "oauth2":
            self._call("login", lambda: client.login(user, secret.value))
            return
        with self._errors("login"):
            offered = [
                c[5:].decode("ascii", "replace")
                for c in _caps(client)
                if c.upper().startswith(b"AUTH=")
            ]
            mechanism = sasl.choose(offered)
            if mechanism is None:
                raise Unsupported(
                    f"{self.server.host} offers neither OAUTHBEARER nor XOAUTH2",
                    'log in with a password instead (remove auth = "oauth2" or oauth2_token_command)',
                )
        host, port = self.server.host, self.server.port
        # A fresh responder each attempt: a throttled exchange starts over.
        self._call(
            "AUTHENTICATE",
            lambda: client.sasl_login(
                mechanism, sasl.Responder(mechanism, user, secret.value, host, port)
            ),
        )

    def _read_capabilities(self) -> None:
        assert self.client is not None
        # (fresh=False: the LOGIN reply's own CAPABILITY code, over TLS, is what we want.)
        raw = self._call("CAPABILITY", self.client.capabilities, fresh=False)
        ignored = {c.upper() for c in self.server.ignore_capabilities}
        ignored |= quirks.withheld(self.server)
        names = frozenset(
            c.decode("ascii", "replace").upper() if isinstance(c, bytes) else str(c).upper()
            for c in raw
        )
        self.caps = Capabilities(frozenset(n for n in names if n not in ignored))

    @drops_on_malformed
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

    def abort(self) -> None:
        """From any thread: the owner's blocked read ends at once (ConnectionLost)."""
        self._abort(self.client)

    def close(self) -> None:
        """Log out politely if possible; never raises."""
        client, self.client = self.client, None
        self.selected = None
        self.notify_active = False
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
    def _on_link(self, what: str) -> Iterator[None]:
        """A broken link (timeout, EOF, reset, imaplib's abort) or a reply that cannot be
        read closes the session: ConnectionLost naming `what`, or the MalformedResponse."""
        try:
            yield
        except MalformedResponse:
            self._drop()
            raise
        except TimeoutError as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP server did not answer {what} in time") from exc
        except IMAPClientAbortError as exc:
            self._drop()
            raise ConnectionLost(
                f"The IMAP connection broke during {what}: {short_error(exc)}"
            ) from exc
        except (OSError, EOFError) as exc:
            self._drop()
            raise ConnectionLost(f"The IMAP connection broke during {what}: {exc}") from exc

    @contextmanager
    def _errors(self, what: str, *, fresh: bool = True) -> Iterator[None]:
        """Turn socket/imapclient failures into typed errors (see `_on_link`); a reply
        imapclient cannot read closes the session too.

        `fresh`: forget imaplib's untagged responses first, so that imapclient never
        takes what arrived for an earlier command (or unasked) as this one's answer.
        """
        if fresh and self.client is not None:
            self.client._imap.forget_replies()
        with self._on_link(what):
            try:
                yield
            except (ImapError, LoginError, IMAPClientAbortError):
                raise
            except ImapclientParseError as exc:
                raise MalformedResponse(
                    f"{what}: the server's reply could not be read: {exc}"
                ) from exc
            except (
                ValueError,
                TypeError,
                IndexError,
                KeyError,
                OverflowError,
                RecursionError,
            ) as exc:
                # imapclient's parser on a reply it cannot read (a 4,300-digit number, a
                # bad date, 10,000 nested parentheses): the stream can no longer be trusted.
                raise MalformedResponse(
                    f"{what}: the server's reply could not be read ({type(exc).__name__})"
                ) from exc
            except IMAPClientError as exc:
                text = short_error(exc)
                if (
                    "NONEXISTENT" in text.upper()
                    or "doesn't exist" in text
                    or "does not exist" in text
                ):
                    raise FolderGone(f"{what} failed: {text}") from exc
                raise ProtocolError(f"{what} failed: {text}") from exc

    def _drop(self) -> None:
        client, self.client = self.client, None
        self.selected = None
        self.notify_active = False
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
        (literals up to `max_literal` bytes: see wire's caps).

        A "not now" (Microsoft 365's throttling, [UNAVAILABLE], [SERVERBUG]) is waited out
        and the command sent again, a few times (imap/ext/quirks.py); a session the
        server says it dropped is ConnectionLost."""
        attempt = 0
        while True:
            resp = self.read_reply(
                self.send(command), on_fetch=on_fetch, check=False, max_literal=max_literal
            )
            if not self._wait_if_not_now(resp.status, resp.text, attempt):
                break
            attempt += 1
        if check:
            self._raise_for(command, resp)
        return resp

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
        notify.note_untagged(self, command, resp.untagged)
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
        if check:
            self._raise_for(command, resp)
        return resp

    @staticmethod
    def _raise_for(command: bytes, resp: Response) -> None:
        """A NO or BAD as a typed error naming the command."""
        if resp.status == "OK":
            return
        verb = command.split(b" ", 2)[:2]
        what = b" ".join(verb).decode("ascii", "replace")
        if "NONEXISTENT" in resp.text.upper():
            raise FolderGone(f"{what}: {resp.text}")
        raise ProtocolError(f"{what} failed: {resp.status} {resp.text}")

    # --- selecting ----------------------------------------------------------------------

    @drops_on_malformed
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
                result.vanished = result.vanished | vanished_set(u)
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
        items = self.header_items_for(condstore=self.condstore_enabled)
        if self.caps.labels:
            # Before the header literal, so the reply keeps its one-literal shape.
            head, _, tail = items.partition(b" BODY.PEEK[")
            return head + gmail.FETCH_ITEMS + b" BODY.PEEK[" + tail
        return items

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
        items = b"UID FLAGS MODSEQ" if self.condstore_enabled else b"UID FLAGS"
        if self.caps.labels:
            items += gmail.FLAG_ITEMS
        cmd = b"UID FETCH " + uids.encode() + b" (" + items + b")"
        if changedsince is None:
            return self.raw(cmd).fetches
        resp = self.raw(cmd + f" (CHANGEDSINCE {changedsince})".encode(), check=False)
        if quirks.clientbug(resp.status, resp.text):
            # Yahoo refuses CHANGEDSINCE: every flag is a superset of the changed ones;
            # this run's sessions go without CONDSTORE from now on (imap/ext/quirks.py).
            log.info("%s refused CHANGEDSINCE (%s): plain resync", self.server.host, resp.text)
            quirks.learn(self.server, "no-condstore")
            return self.raw(cmd).fetches
        self._raise_for(cmd, resp)
        return resp.fetches

    @drops_on_malformed
    def search_uids(self, criteria: bytes = b"ALL", *, charset: str | None = None) -> list[int]:
        """UID SEARCH; ESEARCH's compact result set where offered (RFC 4731)."""
        cmd = b"UID SEARCH "
        if self.caps.esearch:
            cmd += b"RETURN (ALL) "
        if charset:
            cmd += b"CHARSET " + charset.encode() + b" "
        return parse_search(self.raw(cmd + criteria))

    # --- misc ---------------------------------------------------------------------------

    def imap(self) -> imapclient.IMAPClient:
        """The underlying client, for callers inside mailtui.imap only."""
        return self._require()

    def noop(self) -> Response:
        return self.raw(b"NOOP")


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


__all__ = [
    "HEADER_SECTION",
    "ImapSession",
    "SelectResult",
    "compress_uids",
    "make_ssl_context",
    "quote",
]
