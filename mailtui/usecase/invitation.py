"""Answering a calendar invitation: the reply message, ready for the normal send path.

The iTIP REPLY itself is built in `mime.calendar` (it only needs the request); what
this adds is the *message* around it (RFC 6047 §2.2.2, §2.4): from the user's
identity to the organiser, a readable text/plain part and the text/calendar part with
`method=REPLY`, as multipart/alternative. The Draft is shown on the review screen like
any reply (the user sees whom it goes to); `build_reply_message` then makes the
EmailMessage that `compose.flow.deliver` sends and files in Sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage

from mailtui.compose.addresses import parse_address_list
from mailtui.compose.build import build_message
from mailtui.compose.draft import Draft, new_draft
from mailtui.config.model import AccountSettings
from mailtui.mime.calendar import (
    Answer,
    Invitation,
    InvitationError,
    add_itip,
    itip_reply,
    read_invitation,
)
from mailtui.model import Address

__all__ = ["InvitationReply", "build_reply_message", "reply_to_invitation"]

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
    request: bytes,
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
    draft = new_draft(
        account,
        to=(Address(organizer.name if organizer else "", found[0].addr),),
        subject=f"{_SUBJECT_WORD[answer]}: {title}",
        body=body,
    )
    if in_reply_to:
        draft = replace(draft, in_reply_to=in_reply_to, references=(in_reply_to,))
    return InvitationReply(draft=draft, ics=ics, invitation=invitation)


def build_reply_message(reply: InvitationReply, account: AccountSettings) -> EmailMessage:
    """The reply as a message for `compose.flow.deliver`: text/plain + text/calendar."""
    message = build_message(reply.draft, account)
    return add_itip(message, reply.ics, "REPLY")
