"""Drafts: what the user is writing, and the rules that pre-fill a reply or a forward.

Everything here is pure (no network, no terminal): the UI and the CLI build a `Draft`,
let the user edit it as text, and hand it to `compose.build` to become a message.
The reply rules follow what mutt and Thunderbird converged on: Reply-To is honoured,
reply-all drops the user's own addresses, Mail-Followup-To wins for reply-all, a
reply to one's own message goes to its recipients, `Re:`/`Fwd:` never stack, and
In-Reply-To/References thread the reply (RFC 5322 §3.6.4).
"""

from __future__ import annotations

import mimetypes
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mailtui.compose.addresses import (
    dedupe,
    format_addresses,
    is_valid_addr,
    parse_address_list,
)
from mailtui.config.model import AccountSettings
from mailtui.errors import MailtuiError
from mailtui.model import Address, MessageRef

__all__ = [
    "MAX_ATTACHMENT_BYTES",
    "MAX_REFERENCES",
    "AttachmentData",
    "Draft",
    "DraftError",
    "Identity",
    "Original",
    "attribution",
    "forward_draft",
    "forward_subject",
    "identities_of",
    "new_draft",
    "quote_body",
    "recalled_draft",
    "reply_draft",
    "reply_subject",
    "with_signature",
]

# Refuse to read more than this into memory for one attachment; servers cap far lower.
MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024
# RFC 5322 §3.6.4 lets References grow forever; keep the root and the latest ids.
MAX_REFERENCES = 20


class DraftError(MailtuiError):
    """A draft cannot be built or understood; the message names the line or field."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class AttachmentData:
    """A file attached to a draft, held as bytes so what is sent is what was read."""

    filename: str
    data: bytes = field(repr=False)
    mime_type: str = ""
    """"type/subtype"; empty means guessed from the file name."""

    @property
    def content_type(self) -> str:
        """The declared or guessed type; application/octet-stream when nothing fits."""
        if self.mime_type:
            return self.mime_type.lower()
        guessed, encoding = mimetypes.guess_type(self.filename, strict=False)
        if guessed is None or encoding is not None:
            # "x.tar.gz" guesses tar + gzip encoding: the bytes are gzip, not tar.
            return "application/gzip" if encoding == "gzip" else "application/octet-stream"
        return guessed

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def from_path(cls, path: str | Path) -> AttachmentData:
        """Read a regular file; DraftError with the reason when it cannot be attached."""
        p = Path(path).expanduser()
        try:
            st = p.stat()
        except FileNotFoundError:
            raise DraftError(f"Cannot attach {str(p)!r}: no such file") from None
        except OSError as exc:
            raise DraftError(f"Cannot attach {str(p)!r}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(st.st_mode):
            raise DraftError(f"Cannot attach {str(p)!r}: it is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise DraftError(f"Cannot attach {str(p)!r}: it is not a regular file")
        if st.st_size > MAX_ATTACHMENT_BYTES:
            raise DraftError(
                f"Cannot attach {str(p)!r}: {st.st_size // (1024 * 1024)} MiB is too large",
                hint="share big files by link instead",
            )
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise DraftError(f"Cannot attach {str(p)!r}: {exc.strerror or exc}") from None
        return cls(filename=p.name, data=data)


@dataclass(frozen=True, slots=True)
class Identity:
    """An address the user sends as, with the signature that goes with it."""

    address: Address
    signature: str = ""


def identities_of(account: AccountSettings) -> tuple[Identity, ...]:
    """The account's identities, the primary one first, then `identities` from the config."""
    extra = tuple(Identity(i.address, i.signature) for i in account.identities)
    return (Identity(account.address, account.signature), *extra)


@dataclass(frozen=True)
class Draft:
    """A message being written: plain values, no MIME; `build_message` makes the MIME."""

    from_: Address
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    subject: str = ""
    body: str = ""
    in_reply_to: str = ""
    """Message-ID (without <>) of the message replied to."""
    references: tuple[str, ...] = ()
    attachments: tuple[AttachmentData, ...] = ()
    extra_headers: tuple[tuple[str, str], ...] = ()
    """Further headers the user typed (Reply-To, X-…), as (name, value)."""
    replied: MessageRef | None = None
    """Where the replied-to message lives, to set \\Answered on it after sending."""
    forwarded: MessageRef | None = None
    """Where the forwarded message lives, to set $Forwarded on it after sending."""

    @property
    def recipients(self) -> tuple[Address, ...]:
        return dedupe((*self.to, *self.cc, *self.bcc))

    def header(self, name: str) -> str:
        """An extra header's value ("" when absent), name compared case-insensitively."""
        key = name.lower()
        return next((v for k, v in self.extra_headers if k.lower() == key), "")


@dataclass(frozen=True)
class Original:
    """The message being replied to or forwarded, as plain values.

    compose does not import mime (DESIGN.md §1): the UI builds this from a parsed
    message (`Original.from_parsed`) with the body text the reader shows.
    """

    subject: str = ""
    from_: tuple[Address, ...] = ()
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    """Only a saved draft has one (sent mail has it stripped)."""
    reply_to: tuple[Address, ...] = ()
    mail_followup_to: tuple[Address, ...] = ()
    date: int | None = None
    """Epoch seconds from its Date header."""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    list_post: str = ""
    """The List-Post value inside <> (e.g. "mailto:list@example.org"), RFC 2369 §3.4."""
    body: str = ""
    """The text the user reads (plain part, or HTML turned to text)."""
    raw: bytes | None = field(default=None, repr=False)
    """The whole message, for forwarding as an attachment."""
    attachments: tuple[AttachmentData, ...] = ()
    """Its attachments, carried along by an inline forward."""
    ref: MessageRef | None = None

    @classmethod
    def from_parsed(
        cls,
        parsed: Any,
        *,
        body: str = "",
        raw: bytes | None = None,
        attachments: Sequence[AttachmentData] = (),
        ref: MessageRef | None = None,
    ) -> Original:
        """From a `mime.parse.ParsedMessage` (read by attribute, so no import of mime)."""
        header = getattr(parsed, "header", None)
        mft = header("Mail-Followup-To") if callable(header) else ""
        bcc = header("Bcc") if callable(header) else ""
        return cls(
            subject=parsed.subject,
            from_=tuple(parsed.from_),
            to=tuple(parsed.to),
            cc=tuple(parsed.cc),
            bcc=parse_address_list(bcc, strict=False) if bcc else (),
            reply_to=tuple(parsed.reply_to),
            mail_followup_to=parse_address_list(mft, strict=False) if mft else (),
            date=parsed.date,
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=tuple(parsed.references),
            list_post=parsed.list_post,
            body=body,
            raw=raw,
            attachments=tuple(attachments),
            ref=ref,
        )


# --------------------------------------------------------------------------- subjects

# Reply and forward markers in the languages mail clients localise them to:
# Re (en), AW (de), SV (sv/da/no), Antw (nl), VS (fi), RIF (it), Odp (pl), Ynt (tr),
# Fwd/Fw (en), WG (de), TR (fr), RV/ENC (es/pt), Doorst (nl), VL (fi), PD (pl).
# An optional counter ("Re[2]:", "Re(3):") and a full-width colon are accepted.
_REPLY_WORDS = r"re|aw|sv|antw|vs|rif|odp|ynt|Ἀπ|ΑΠ|ΣΧΕΤ|回复|答复"
_FORWARD_WORDS = r"fwd?|wg|tr|rv|enc|doorst|vl|pd|転送|转发"
_COUNTER = r"(?:\s*[\[(]\d+[\])])?"
_REPLY_PREFIX = re.compile(rf"(?:{_REPLY_WORDS}){_COUNTER}\s*[:：]\s*", re.IGNORECASE)
_ANY_PREFIX = re.compile(
    rf"(?:{_REPLY_WORDS}|{_FORWARD_WORDS}){_COUNTER}\s*[:：]\s*", re.IGNORECASE
)
_FORWARD_PREFIX = re.compile(rf"(?:{_FORWARD_WORDS}){_COUNTER}\s*[:：]\s*", re.IGNORECASE)
# A mailing-list tag in front, "[list] Re: x", stays in front.
_LIST_TAG = re.compile(r"\[[^\[\]]{1,64}\]\s*")


def _strip(pattern: re.Pattern[str], text: str) -> tuple[str, bool]:
    found = False
    while True:
        m = pattern.match(text)
        if not m:
            return text, found
        text = text[m.end() :]
        found = True


def _split_tag(subject: str) -> tuple[str, str]:
    m = _LIST_TAG.match(subject)
    return (m.group(0), subject[m.end() :]) if m else ("", subject)


def reply_subject(subject: str) -> str:
    """The reply subject: one "Re: ", older reply markers removed, a list tag kept."""
    subject = " ".join(subject.split())
    tag, rest = _split_tag(subject)
    rest, _ = _strip(_REPLY_PREFIX, rest)
    # "[list] Re: x" and "Re: [list] x" both become "Re: [list] x".
    if not tag:
        tag, rest = _split_tag(rest)
        rest, _ = _strip(_REPLY_PREFIX, rest)
    return f"Re: {tag}{rest}".rstrip()


def forward_subject(subject: str) -> str:
    """The forward subject: "Fwd: " in front, unless it already is a forward."""
    subject = " ".join(subject.split())
    tag, rest = _split_tag(subject)
    stripped, was_forward = _strip(_FORWARD_PREFIX, rest)
    if was_forward:
        rest = stripped
    return f"Fwd: {tag}{rest}".rstrip()


def base_subject(subject: str) -> str:
    """The subject without any reply/forward markers or list tag (for comparisons)."""
    _, rest = _split_tag(" ".join(subject.split()))
    return _strip(_ANY_PREFIX, rest)[0]


# --------------------------------------------------------------------------- bodies


def with_signature(body: str, signature: str) -> str:
    """Append the signature after the "-- " separator line (RFC 3676 §4.3)."""
    if not signature.strip():
        return body
    sig = signature.rstrip("\n")
    if sig.startswith("-- \n"):
        sig = sig[4:]
    if body and not body.endswith("\n"):
        body += "\n"
    return f"{body}\n-- \n{sig}\n"


def quote_body(text: str) -> str:
    """Each line prefixed with "> " (">" alone before an existing quote or a blank line)."""
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    out = []
    for line in lines:
        if not line:
            out.append(">")
        elif line.startswith(">"):
            out.append(">" + line)
        else:
            out.append("> " + line)
    return "\n".join(out) + "\n"


def _strip_signature(text: str) -> str:
    """The body without its signature block (quoting signatures only adds noise)."""
    lines = text.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == "-- ":
            return "\n".join(lines[:i]).rstrip("\n")
    return text


def format_date(ts: int | None) -> str:
    """An epoch as an RFC 5322 date in local time, as the attribution line shows it."""
    if ts is None:
        return ""
    return format_datetime(datetime.fromtimestamp(ts, UTC).astimezone())


def attribution(original: Original) -> str:
    """The line above a quote: "On <date>, <name> wrote:"."""
    who = original.from_[0].display() if original.from_ else "someone"
    when = format_date(original.date)
    return f"On {when}, {who} wrote:" if when else f"{who} wrote:"


# --------------------------------------------------------------------------- drafts


def new_draft(
    account: AccountSettings,
    *,
    to: Iterable[Address] = (),
    subject: str = "",
    body: str = "",
    identity: Identity | None = None,
) -> Draft:
    """An empty message from the account's (or the given) identity, signature included."""
    ident = identity or identities_of(account)[0]
    return Draft(
        from_=ident.address,
        to=tuple(to),
        subject=subject,
        body=with_signature(body, ident.signature),
    )


def recalled_draft(account: AccountSettings, saved: Original) -> Draft:
    """A draft saved earlier (in Drafts), to edit again: its own headers, text and
    attachments, as written; the signature is already in the text."""
    sender = saved.from_[0] if saved.from_ else identities_of(account)[0].address
    return Draft(
        from_=sender,
        to=saved.to,
        cc=saved.cc,
        bcc=saved.bcc,
        subject=saved.subject,
        body=saved.body,
        in_reply_to=saved.in_reply_to,
        references=saved.references,
        attachments=saved.attachments,
    )


def _own(identities: Sequence[Identity]) -> set[str]:
    return {i.address.addr.casefold() for i in identities}


def _identity_for(original: Original, identities: Sequence[Identity]) -> Identity:
    """The identity the original was sent to (so a reply comes from that alias)."""
    by_addr = {i.address.addr.casefold(): i for i in identities}
    for a in (*original.to, *original.cc, *original.from_):
        found = by_addr.get(a.addr.casefold())
        if found is not None:
            return found
    return identities[0]


def _references(original: Original) -> tuple[str, ...]:
    """References for a reply: the original's References (or In-Reply-To) + its id."""
    refs = list(original.references) or ([original.in_reply_to] if original.in_reply_to else [])
    if original.message_id:
        refs.append(original.message_id)
    seen: set[str] = set()
    unique = [r for r in refs if r and not (r in seen or seen.add(r))]
    if len(unique) > MAX_REFERENCES:
        # RFC 5322 §3.6.4 suggests keeping the first; the latest ones thread best.
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return tuple(unique)


def list_post_address(value: str) -> Address | None:
    """The address from a List-Post value ("mailto:list@x?subject=…"); None for "NO"."""
    value = value.strip().strip("<>").strip()
    if not value.lower().startswith("mailto:"):
        return None
    target = unquote(urlsplit(value).path)
    found = parse_address_list(target, strict=False)
    return found[0] if found else None


def reply_draft(
    account: AccountSettings,
    original: Original,
    *,
    reply_all: bool = False,
    list_reply: bool = False,
    identities: Sequence[Identity] | None = None,
) -> Draft:
    """A reply: recipients by the usual rules, "Re:" subject, threading and a quote.

    - reply: Reply-To if present, else From; to one's own message, its To and Cc.
    - reply_all: Mail-Followup-To if present; else the above plus everyone in To and
      Cc, the user's own addresses left out.
    - list_reply: the List-Post address (DraftError when the message has none).
    """
    idents = tuple(identities) if identities else identities_of(account)
    ident = _identity_for(original, idents)
    own = _own(idents)
    from_me = bool(original.from_) and all(a.addr.casefold() in own for a in original.from_)
    to: tuple[Address, ...]
    cc: tuple[Address, ...] = ()
    if list_reply:
        post = list_post_address(original.list_post)
        if post is None:
            why = (
                "the list does not accept posts"
                if original.list_post.strip().upper().startswith("NO")
                else "it has no mailto: List-Post header"
            )
            raise DraftError(
                f"Cannot reply to the list: {why}",
                hint="use reply (r) or reply-all (R) instead",
            )
        to = (post,)
    elif reply_all and original.mail_followup_to:
        to = dedupe(original.mail_followup_to, exclude=own)
    elif from_me:
        # Replying to one's own message means "write to them again" (mutt does this).
        to = dedupe(original.to)
        if reply_all:
            cc = dedupe(original.cc, exclude={a.addr for a in to} | own)
        if not to:
            to, cc = cc, ()
    else:
        to = dedupe(original.reply_to or original.from_)
        if reply_all:
            cc = dedupe((*original.to, *original.cc), exclude={a.addr for a in to} | own)
            # Reply-To of one's own address must not make the user their only recipient.
            to = dedupe(to, exclude=own) or to
    quoted = quote_body(_strip_signature(original.body)) if original.body.strip() else ""
    body = f"{attribution(original)}\n{quoted}\n" if quoted else "\n"
    return Draft(
        from_=ident.address,
        to=_sendable(to),
        cc=_sendable(cc),
        subject=reply_subject(original.subject),
        body=with_signature(body, ident.signature),
        in_reply_to=original.message_id,
        references=_references(original),
        replied=original.ref,
    )


def _sendable(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    """Leave out what a stranger's header held that is no address ("foo", "a@")."""
    return tuple(a for a in addresses if is_valid_addr(a.addr))


def _forward_header_block(original: Original) -> str:
    lines = ["---------- Forwarded message ----------"]
    if original.from_:
        lines.append(f"From: {format_addresses(original.from_)}")
    if original.date is not None:
        lines.append(f"Date: {format_date(original.date)}")
    lines.append(f"Subject: {original.subject}")
    if original.to:
        lines.append(f"To: {format_addresses(original.to)}")
    if original.cc:
        lines.append(f"Cc: {format_addresses(original.cc)}")
    return "\n".join(lines) + "\n"


def forward_draft(
    account: AccountSettings,
    original: Original,
    *,
    as_attachment: bool = False,
    identities: Sequence[Identity] | None = None,
    more: Sequence[Original] = (),
) -> Draft:
    """A forward: inline (header block + text + the original's attachments) or the
    whole original attached as message/rfc822 (needs `original.raw`); with
    `as_attachment`, `more` originals are attached after it (a forwarded selection)."""
    idents = tuple(identities) if identities else identities_of(account)
    ident = _identity_for(original, idents)
    if as_attachment:
        attached = []
        for item in (original, *more):
            if not item.raw:
                raise DraftError(
                    "Cannot forward as an attachment: the original message is not available",
                    hint="forward inline (f) instead, or try again when online",
                )
            attached.append(AttachmentData(_eml_name(item.subject), item.raw, "message/rfc822"))
        return Draft(
            from_=ident.address,
            subject=forward_subject(original.subject),
            body=with_signature("\n", ident.signature),
            attachments=tuple(attached),
            forwarded=original.ref,
        )
    # The signature goes last: after a "-- " line readers hide everything as signature.
    text = original.body.replace("\r\n", "\n").rstrip("\n")
    body = f"\n\n{_forward_header_block(original)}\n{text}\n"
    return Draft(
        from_=ident.address,
        subject=forward_subject(original.subject),
        body=with_signature(body, ident.signature),
        attachments=original.attachments,
        forwarded=original.ref,
    )


def _eml_name(subject: str) -> str:
    """A file name for a forwarded message: its subject, made path-safe, + ".eml"."""
    stem = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", "_", base_subject(subject)).strip(" ._")
    return f"{stem[:60] or 'message'}.eml"
