"""A conversation spread over INBOX, Sent and Archive on the test Dovecot.

A  (Bob, INBOX; a copy also in Archive)
└ B  (me, Sent: References A)
  └ C  (Bob, INBOX: References A B, unread)
    └ D  (Carol, Archive: In-Reply-To C only, no References)
X  (INBOX, unrelated)  Y (Sent, an unrelated thread)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support import mailgen
from tests.support.dovecot import MailUser
from tests.support.mailgen import SEEN

START = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)

A_BODY = "Shall we move the launch to Thursday?\nThe printer is late.\n\nBob\n"
B_BODY = (
    "Thursday works for me.\n\nOn Mon, Bob wrote:\n> Shall we move the launch to Thursday?\n"
    "> The printer is late.\n"
)
C_BODY = (
    "Great, Thursday it is. I will tell the venue.\n\nOn Mon, you wrote:\n"
    "> Thursday works for me.\n>\n> On Mon, Bob wrote:\n>> Shall we move the launch?\n"
)
D_BODY = "I booked the room for Thursday at ten.\n"


def _msg(subject: str, sender: str, body: str, mid: str, hours: int, **headers: str) -> bytes:
    return mailgen.make_message(
        subject=subject,
        sender=sender,
        body=body,
        message_id=f"<{mid}@example.test>",
        date=START + timedelta(hours=hours),
        headers=headers,
    )


def populate(user: MailUser) -> None:
    """Write the conversation (and two unrelated messages) into the user's Maildir."""
    bob = "Bob Builder <bob@example.test>"
    me = "Test User <user@example.test>"
    carol = "Carol <carol@example.test>"
    a = _msg("Launch date", bob, A_BODY, "a", 0)
    b = _msg(
        "Re: Launch date",
        me,
        B_BODY,
        "b",
        1,
        **{"In-Reply-To": "<a@example.test>", "References": "<a@example.test>"},
    )
    c = _msg(
        "Re: Launch date",
        bob,
        C_BODY,
        "c",
        2,
        **{
            "In-Reply-To": "<b@example.test>",
            "References": "<a@example.test> <b@example.test>",
        },
    )
    d = _msg("Re: Launch date (room)", carol, D_BODY, "d", 3, **{"In-Reply-To": "<c@example.test>"})
    x = _msg("Lunch?", carol, "Lunch at noon?\n", "x", 4)
    y = _msg(
        "Re: Budget",
        me,
        "Fine by me.\n",
        "y",
        5,
        **{"In-Reply-To": "<budget@example.test>", "References": "<budget@example.test>"},
    )
    mailgen.write_maildir(
        user.maildir,
        "INBOX",
        [
            mailgen.from_bytes(a, flags=[SEEN], internaldate=START),
            mailgen.from_bytes(c, internaldate=START + timedelta(hours=2)),
            mailgen.from_bytes(x, flags=[SEEN], internaldate=START + timedelta(hours=4)),
        ],
    )
    mailgen.write_maildir(
        user.maildir,
        "Sent",
        [
            mailgen.from_bytes(b, flags=[SEEN], internaldate=START + timedelta(hours=1)),
            mailgen.from_bytes(y, flags=[SEEN], internaldate=START + timedelta(hours=5)),
        ],
    )
    mailgen.write_maildir(
        user.maildir,
        "Archive",
        [
            mailgen.from_bytes(a, flags=[SEEN], internaldate=START),
            mailgen.from_bytes(d, flags=[SEEN], internaldate=START + timedelta(hours=3)),
        ],
    )
