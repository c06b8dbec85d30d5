"""Answering a calendar invitation: the reply message, ready for the normal send path.

The iTIP REPLY itself is built in `mime.calendar` (it only needs the request); what
this adds is the *message* around it (RFC 6047 §2.2.2, §2.4): from the user's
identity to the organiser, a readable text/plain part and the text/calendar part with
`method=REPLY`, as multipart/alternative. The Draft is shown on the review screen like
any reply (the user sees whom it goes to), the REPLY riding on it as an attachment of
type `REPLY_TYPE` that `compose.build.build_message` turns into the alternative — so
undo-send, Drafts and the outbox keep it like any other part of a draft. Both faces
find and read the invitation here too (`calendar_part`, `read_shown`, `load_invitation`)
and build the answer (`answer_draft`): the reader's keys and `mailtui invite`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from email.message import EmailMessage
from typing import TYPE_CHECKING

from mailtui.compose.addresses import parse_address_list
from mailtui.compose.build import build_message
from mailtui.compose.draft import AttachmentData, Draft, identities_of, new_draft
from mailtui.config.model import AccountSettings
from mailtui.mime.calendar import (
    MAX_CALENDAR_BYTES,
    Answer,
    Invitation,
    InvitationError,
    find_attendee,
    invitation_lines,
    itip_reply,
    read_invitation,
)
from mailtui.mime.parse import transfer_decode
from mailtui.model import Address, BodyPart, MessageRef
from mailtui.sync import commands
from mailtui.text.charset import decode_bytes

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = [
    "REPLY_TYPE",
    "InvitationReply",
    "ShownInvitation",
    "answer_draft",
    "build_reply_message",
    "calendar_part",
    "load_invitation",
    "read_shown",
    "reply_to_invitation",
]

_SUBJECT_WORD = {
    Answer.ACCEPTED: "Accepted",
    Answer.TENTATIVE: "Tentative",
    Answer.DECLINED: "Declined",
}


@dataclass(frozen=True)
class InvitationReply:
    """The draft to review and the REPLY calendar that goes with it."""

    draft: Draft
    ics: bytes
    invitation: Invitation


def reply_to_invitation(
    account: AccountSettings,
    request: bytes | str,
    attendee: str,
    answer: Answer,
    *,
    in_reply_to: str = "",
    now: datetime | None = None,
) -> InvitationReply:
    """The reply to the invitation in `request` (the text/calendar part's bytes) from
    `attendee` (one of the user's addresses; see `mime.calendar.find_attendee`).

    Raises InvitationError when it cannot be answered (unreadable, not a REQUEST,
    no organiser address)."""
    invitation = read_invitation(request)
    if not invitation.readable:
        raise InvitationError(invitation.problem)
    organizer = invitation.organizer
    found = parse_address_list(organizer.address, strict=False) if organizer else ()
    if not found:
        raise InvitationError("The invitation names no organiser address to reply to")
    ics = itip_reply(request, attendee, answer, now=now)
    title = invitation.summary or "(no title)"
    who = next(
        (p.label() for p in invitation.attendees if p.address.lower() == attendee.lower()), attendee
    )
    body = f"{who} has {answer.verb} the invitation: {title}\n"
    # Sent as the identity the invitation names (an alias), so From matches ATTENDEE.
    identity = next(
        (i for i in identities_of(account) if i.address.addr.lower() == attendee.lower()), None
    )
    draft = new_draft(
        account,
        to=(Address(organizer.name if organizer else "", found[0].addr),),
        subject=f"{_SUBJECT_WORD[answer]}: {title}",
        body=body,
        identity=identity,
    )
    if in_reply_to:
        draft = replace(draft, in_reply_to=in_reply_to, references=(in_reply_to,))
    return InvitationReply(draft=draft, ics=ics, invitation=invitation)


def build_reply_message(reply: InvitationReply, account: AccountSettings) -> EmailMessage:
    """The reply as a message for `compose.flow.deliver`: text/plain + text/calendar."""
    calendar = AttachmentData(REPLY_FILENAME, reply.ics, REPLY_TYPE)
    return build_message(replace(reply.draft, attachments=(calendar,)), account)


# --------------------------------------------------------------------------- both faces

REPLY_FILENAME = "invite.ics"
REPLY_TYPE = "text/calendar; method=REPLY"
"""How the REPLY rides on a Draft: an attachment of this type, which
`compose.build.build_message` sends as the text/calendar alternative (RFC 6047 §2.4),
so the review screen shows it and undo-send, Drafts and the outbox keep it."""
_CALENDAR_TYPES = ("text/calendar", "application/ics")
_MAX_PART = MAX_CALENDAR_BYTES * 2  # transfer-encoded: base64 is a third larger


@dataclass(frozen=True)
class ShownInvitation:
    """An invitation found in a message: what it says, its text (to answer it from) and
    which of the user's addresses it invites (None: none of them is listed)."""

    invitation: Invitation
    request: str
    attendee: str | None
    section: str

    def lines(self) -> list[str]:
        """The readable block, with what the answer keys do when it can be answered."""
        lines = invitation_lines(self.invitation)
        if self.invitation.can_answer and self.attendee is None:
            lines.append("(You are not listed as an attendee; an answer adds you.)")
        return lines


def calendar_part(structure: BodyPart) -> BodyPart | None:
    """The message's calendar part (text/calendar, or the application/ics some mailers
    use), the one with a `method` first; None when there is none or it is too large."""
    found = [
        p
        for p in structure.walk()
        if not p.is_multipart and p.mime_type in _CALENDAR_TYPES and p.size <= _MAX_PART
    ]
    with_method = [p for p in found if p.param("method")]
    return (with_method or found or [None])[0]


def user_addresses(account: AccountSettings) -> list[str]:
    """Every address the account sends as: an invitation may name any of them."""
    return [account.address.addr, *(i.address.addr for i in account.identities)]


def read_shown(
    part: BodyPart, raw: bytes, account: AccountSettings, *, local_tz: tzinfo | None = None
) -> ShownInvitation:
    """The calendar part's fetched (transfer-encoded) bytes read: decoded, parsed (never
    raises; an unreadable part says so in its lines). Linear and capped: see
    `mime.calendar`. Run it off the UI's event loop."""
    data = transfer_decode(raw[: _MAX_PART + 1], part.encoding)
    text = decode_bytes(data[: MAX_CALENDAR_BYTES + 1], part.charset or "utf-8")
    invitation = read_invitation(text, local_tz=local_tz)
    attendee = find_attendee(invitation, user_addresses(account))
    return ShownInvitation(invitation, text, attendee, part.section)


def load_invitation(
    service: SyncService, folder: str, uid: int, account: AccountSettings
) -> ShownInvitation | None:
    """The invitation in a stored message (None: it has no calendar part); blocking, for
    the CLI. Fetched with BODY.PEEK, so the message stays unread."""
    structure = service.run(commands.FetchStructure(folder=folder, uid=uid))
    part = calendar_part(structure)
    if part is None:
        return None
    raw = service.run(commands.FetchPart(folder=folder, uid=uid, section=part.section))
    return read_shown(part, bytes(raw or b""), account)


def answer_draft(
    account: AccountSettings,
    shown: ShownInvitation,
    answer: Answer,
    *,
    message_id: str = "",
    ref: MessageRef | None = None,
) -> Draft:
    """The reply to review and send: to the organiser, the text saying the answer, the
    REPLY calendar riding as `REPLY_TYPE`, \\Answered set on `ref` once sent.

    Raises InvitationError when it cannot be answered (cancelled, not a request…)."""
    if not shown.invitation.can_answer:
        what = "cancelled" if shown.invitation.cancelled else "not an invitation to answer"
        raise InvitationError(f"This event is {what}")
    attendee = shown.attendee or account.address.addr
    reply = reply_to_invitation(account, shown.request, attendee, answer, in_reply_to=message_id)
    calendar = AttachmentData(REPLY_FILENAME, reply.ics, REPLY_TYPE)
    return replace(reply.draft, attachments=(calendar,), replied=ref)
