"""Drafts to RFC 5322 bytes, and the envelope facts SMTP needs from those bytes.

Messages are built with `email.message.EmailMessage` under the SMTP policy (CRLF,
RFC 2047 for non-ASCII names and subjects, RFC 2231 for file names). Bodies are UTF-8
in 7bit when they are plain ASCII, else quoted-printable or base64, whichever is
shorter: 8bit would depend on the server's 8BITMIME. Attachments are base64 so they
arrive byte for byte; a forwarded message (message/rfc822) is embedded verbatim.

Raw messages (`mailtui send`, the outbox) are handled at the byte level: headers are
added in front and Bcc is cut out without re-serialising the rest, so what the user
piped in is what goes out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from email.generator import BytesGenerator
from email.header import decode_header, make_header
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from io import BytesIO

from mailtui.compose.addresses import AddressError, ascii_domain, dedupe, parse_address_list
from mailtui.compose.draft import AttachmentData, Draft, DraftError
from mailtui.config.model import AccountSettings
from mailtui.model import Address

__all__ = [
    "build_message",
    "complete_raw",
    "envelope_recipients",
    "envelope_sender",
    "header_value",
    "message_bytes",
    "message_id_of",
    "strip_bcc",
    "subject_of",
]

_HEADER_NAME = re.compile(r"[!-9;-~]+")
_RESERVED = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-disposition",
    }
)
_ADDRESS_HEADERS = frozenset({"reply-to", "mail-followup-to", "mail-reply-to", "sender"})


class _Generator(BytesGenerator):
    """BytesGenerator that writes an embedded 8-bit message/rfc822 payload as its bytes.

    The stock one encodes such payloads as ASCII and fails on the first 8-bit byte.
    """

    def _encode(self, s: str) -> bytes:
        return s.encode("ascii", "surrogateescape")


def message_bytes(msg: EmailMessage | bytes) -> bytes:
    """The message as it goes on the wire: bytes with CRLF line ends."""
    if isinstance(msg, bytes | bytearray):
        return _crlf(bytes(msg))
    buf = BytesIO()
    _Generator(buf, mangle_from_=False, policy=SMTP).flatten(msg, unixfrom=False)
    return buf.getvalue()


def _crlf(raw: bytes) -> bytes:
    crlf = raw.count(b"\r\n")
    if raw.count(b"\n") == crlf and raw.count(b"\r") == crlf:
        return raw  # already CRLF throughout (the usual case): no copies
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def _head(raw: bytes) -> bytes:
    """The header section (up to the first empty line) with CRLF line ends."""
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n"), raw.find(b"\r\r")) if i >= 0]
    return _crlf(raw[: min(ends) + 1] if ends else raw)


_BREAKS = re.compile(r"[ \t]*[\r\n][\r\n \t]*")


def _one_line(value: str) -> str:
    """Header values never carry a line break (that would be header injection)."""
    return _BREAKS.sub(" ", value).strip(" \t")


def _header_address(a: Address) -> HeaderAddress:
    local, _, domain = a.addr.rpartition("@")
    try:
        return HeaderAddress(
            display_name=_one_line(a.name), addr_spec=f"{local}@{ascii_domain(domain)}"
        )
    except (ValueError, IndexError, UnicodeError) as exc:
        raise DraftError(f"{a.addr!r} is not an email address ({exc})") from None


def _set_addresses(msg: EmailMessage, name: str, addresses: tuple[Address, ...]) -> None:
    if addresses:
        msg[name] = [_header_address(a) for a in addresses]


def _text_cte(text: str) -> str:
    """7bit for ASCII; otherwise the shorter of quoted-printable and base64."""
    lines = text.split("\n")
    if text.isascii() and max(len(line) for line in lines) <= 998:
        return "7bit"
    eight_bit = sum(1 for c in text if ord(c) > 127)
    # QP spends 3 bytes per UTF-8 byte (2-4 per char), base64 4 per 3 bytes overall.
    return "base64" if eight_bit * 3 > len(text) else "quoted-printable"


def _domain(draft: Draft, account: AccountSettings) -> str:
    addr = draft.from_.addr or account.email
    return ascii_domain(addr.rpartition("@")[2] or "localhost")


def _msgid_list(ids: tuple[str, ...]) -> str:
    return " ".join(f"<{_one_line(i).strip('<>')}>" for i in ids if i.strip("<> "))


def _attach(msg: EmailMessage, att: AttachmentData) -> None:
    ctype = att.content_type.partition(";")[0].strip()
    maintype, _, subtype = ctype.partition("/")
    if not maintype or not subtype:
        maintype, subtype = "application", "octet-stream"
    filename = _one_line(att.filename) or "attachment"
    if maintype == "message" and subtype in ("rfc822", "global"):
        _attach_message(msg, att.data, f"{maintype}/{subtype}", filename)
        return
    msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=filename)


def _add_itip(msg: EmailMessage, att: AttachmentData) -> bool:
    """An iTIP calendar ("text/calendar; method=REPLY", an invitation's answer) goes in
    as the text's alternative, not as a file (RFC 6047 §2.4: the part's `method`
    parameter equals the calendar's METHOD). False when `att` is not one."""
    ctype, _, params = att.mime_type.partition(";")
    method = params.strip().partition("=")[2].strip().strip('"').upper()
    if ctype.strip().lower() != "text/calendar" or not method.isalpha():
        return False
    if msg.is_multipart():
        return False  # the text has an alternative already: attach it as a file
    text = att.data.decode("utf-8", "replace")
    msg.make_alternative()
    part = EmailMessage(policy=SMTP)
    cte = "7bit" if text.isascii() else "quoted-printable"
    part.set_content(text, subtype="calendar", charset="utf-8", cte=cte, params={"method": method})
    del part["MIME-Version"]
    msg.attach(part)
    return True


def _attach_message(msg: EmailMessage, raw: bytes, ctype: str, filename: str) -> None:
    """Embed a whole message unchanged (RFC 2046 §5.2.1 allows only 7bit/8bit/binary)."""
    data = _crlf(raw)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    too_long = any(len(line) > 998 for line in data.split(b"\r\n"))
    cte = "binary" if too_long else ("7bit" if data.isascii() else "8bit")
    part = EmailMessage(policy=SMTP)
    part["Content-Type"] = ctype
    part.add_header("Content-Disposition", "attachment", filename=filename)
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(data.decode("ascii", "surrogateescape"))
    if not msg.is_multipart():
        msg.make_mixed()
    msg.attach(part)


def build_message(
    draft: Draft,
    account: AccountSettings,
    *,
    date: datetime | None = None,
    message_id: str | None = None,
    require_recipients: bool = True,
) -> EmailMessage:
    """The draft as a MIME message with Date and a fresh Message-ID at the sender's domain.

    `require_recipients=False` is for saving drafts, which may not be addressed yet."""
    if require_recipients and not draft.recipients:
        raise DraftError("The message has no recipients", hint="add a To, Cc or Bcc address")
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _header_address(draft.from_)
    _set_addresses(msg, "To", draft.to)
    _set_addresses(msg, "Cc", draft.cc)
    _set_addresses(msg, "Bcc", draft.bcc)
    subject = _one_line(draft.subject)
    if subject:
        msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime.now().astimezone())
    msg["Message-ID"] = message_id or make_msgid(domain=_domain(draft, account))
    if draft.in_reply_to.strip("<> "):
        msg["In-Reply-To"] = _msgid_list((draft.in_reply_to,))
    if draft.references:
        msg["References"] = _msgid_list(draft.references)
    for name, value in draft.extra_headers:
        key = name.lower()
        if not _HEADER_NAME.fullmatch(name) or key in _RESERVED:
            raise DraftError(f"{name!r} cannot be set as an extra header")
        if key in _ADDRESS_HEADERS:
            try:
                found = parse_address_list(value)
            except AddressError as exc:
                raise DraftError(f"{name}: {exc}", hint=exc.hint) from None
            _set_addresses(msg, name, found)
        elif _one_line(value):
            msg[name] = _one_line(value)
    body = draft.body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"
    msg.set_content(body, subtype="plain", charset="utf-8", cte=_text_cte(body))
    # The calendar alternative first: files after it wrap it in multipart/mixed.
    itips = [att for att in draft.attachments if _add_itip(msg, att)]
    for att in draft.attachments:
        if not any(att is done for done in itips):
            _attach(msg, att)
    for part in msg.iter_parts():
        # add_attachment makes each part a whole EmailMessage; only the top needs this.
        del part["MIME-Version"]
    return msg


# --------------------------------------------------------------------------- raw bytes


def _fields(raw: bytes) -> tuple[list[tuple[str, bytes]], int]:
    """Header fields of CRLF bytes as (lower-case name, whole field with its folds), and
    where the header section ends: at the empty line, or at the first line that is not
    a field (RFC 5322 §2.2)."""
    fields: list[tuple[str, bytes]] = []
    pos = 0
    n = len(raw)
    while pos < n:
        end = raw.find(b"\r\n", pos)
        end = n if end < 0 else end + 2
        line = raw[pos:end]
        if line == b"\r\n":
            return fields, pos
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + line)
        else:
            name, colon, _ = line.partition(b":")
            if not colon or not _HEADER_NAME.fullmatch(name.rstrip().decode("latin-1")):
                return fields, pos
            fields.append((name.rstrip().decode("ascii").lower(), line))
        pos = end
    return fields, n


def header_value(field: bytes) -> str:
    """A header field's value, unfolded, 8-bit bytes read as UTF-8."""
    _, _, value = field.partition(b":")
    return " ".join(value.decode("utf-8", "replace").split())


def _values(raw: bytes, *names: str) -> Iterator[tuple[str, str]]:
    fields, _ = _fields(_head(raw))
    for name, field in fields:
        if name in names:
            yield name, header_value(field)


def envelope_recipients(raw: bytes) -> tuple[str, ...]:
    """RCPT TO addresses: everyone in To, Cc and Bcc, each once, domains in IDNA."""
    found: list[Address] = []
    for name, value in _values(raw, "to", "cc", "bcc"):
        try:
            found.extend(parse_address_list(value))
        except AddressError as exc:
            raise DraftError(f"{name.title()}: {exc}", hint=exc.hint) from None
    out = []
    for a in dedupe(found):
        local, _, domain = a.addr.rpartition("@")
        out.append(f"{local}@{ascii_domain(domain)}")
    return tuple(out)


def envelope_sender(raw: bytes, account: AccountSettings) -> str:
    """MAIL FROM: the Sender or From address of the message, else the account's."""
    for wanted in ("sender", "from"):
        for _, value in _values(raw, wanted):
            found = parse_address_list(value, strict=False)
            if found:
                local, _, domain = found[0].addr.rpartition("@")
                return f"{local}@{ascii_domain(domain)}"
    return account.email


def strip_bcc(raw: bytes) -> bytes:
    """The bytes to transmit: Bcc (and Resent-Bcc) fields removed, all else untouched."""
    data = _crlf(raw)
    fields, header_end = _fields(data)
    kept = [field for name, field in fields if name not in ("bcc", "resent-bcc")]
    return b"".join(kept) + data[header_end:]


def complete_raw(raw: bytes, account: AccountSettings, *, date: datetime | None = None) -> bytes:
    """A message from `mailtui send` made ready for SMTP, as `sendmail -t` does:
    CRLF line ends, and From, Date and Message-ID added when missing."""
    data = _crlf(raw)
    if data.startswith(b"From ") and not data.startswith(b"From: "):
        data = data.split(b"\r\n", 1)[1] if b"\r\n" in data else b""  # an mbox "From " line
    fields, _ = _fields(data)
    if not fields:
        raise DraftError(
            "The message has no headers",
            hint="give a complete message: headers (To:, Subject:), an empty line, the text",
        )
    if not envelope_recipients(data):
        raise DraftError("The message has no recipients", hint="add a To, Cc or Bcc header")
    names = {name for name, _ in fields}
    extra = EmailMessage(policy=SMTP)
    if "from" not in names:
        extra["From"] = _header_address(account.address)
    if "date" not in names:
        extra["Date"] = format_datetime(date or datetime.now().astimezone())
    if "message-id" not in names:
        domain = ascii_domain(envelope_sender(data, account).rpartition("@")[2] or "localhost")
        extra["Message-ID"] = make_msgid(domain=domain)
    # A body-less EmailMessage serialises as its headers and the empty line: drop that.
    head = message_bytes(extra).removesuffix(b"\r\n")
    return head + data


def message_id_of(raw: bytes) -> str:
    """The Message-ID of raw bytes, without <>, or ""."""
    for _, value in _values(raw, "message-id"):
        return value.strip().strip("<>")
    return ""


def subject_of(raw: bytes) -> str:
    """The Subject of raw bytes, RFC 2047 words decoded (for listing the outbox)."""
    for _, value in _values(raw, "subject"):
        try:
            return " ".join(str(make_header(decode_header(value))).split())
        except (ValueError, LookupError, UnicodeError):
            return value
    return ""
