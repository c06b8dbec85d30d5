"""The screens we photograph: shared by the SVG snapshot tests and scripts/screenshots.

Everything is fixed: the mailbox (seeded generator plus a few handcrafted messages),
the user name, the clock (relative dates), the terminal size. Blinking cursors are
stopped before a picture is taken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from mailtui.ui.app import MailApp
from tests.support import mailgen
from tests.support.dovecot import MailUser
from tests.ui.helpers import NOW, ready, screen_text, wait_for, wait_reader

SNAPSHOT_USER = "snapuser"

LETTER = """Hi Sam,

thanks for the quick turnaround. I went through the draft and the numbers
look right to me; two small things before we send it out:

1. The revenue table on page 3 still shows the old exchange rate.
2. Could you add the churn figures from https://example.com/dash/q3 ?

On Mon, 8 Jan 2024 at 17:02, Sam Lee wrote:
> Here is the Q3 report draft. I kept the structure of Q2 so the two are
> easy to compare. Let me know if anything looks off.
>
>> Can we have it by Tuesday?
>> The board meets on Wednesday morning.

Cheers,
Alice
--\x20
Alice Martin · Finance
+1 555 0100
"""


def populate(user: MailUser) -> None:
    """The standard account plus a readable, recent conversation on top of INBOX."""
    mailgen.populate_standard(user, inbox=40, seed=7)
    pdf = mailgen.attachment_payload("application/pdf", 48_000)
    mine = f"Test User <{user.address}>"
    msgs = []
    for minutes, subject, sender, body, attachments in (
        (-150, "Q3 report draft", "Sam Lee <sam@example.com>", "Draft attached.\n", [("Q3-report.pdf", "application/pdf", pdf)]),
        (-35, "Re: Q3 report draft", "Alice Martin <alice@example.com>", LETTER, []),
    ):  # fmt: skip
        when = NOW + timedelta(minutes=minutes)
        raw = mailgen.make_message(
            subject=subject, sender=sender, to=mine, body=body, attachments=attachments, date=when
        )
        msgs.append(mailgen.from_bytes(raw, internaldate=when))
    mailgen.write_maildir(user.maildir, "INBOX", msgs)
    # Read, in Archive: the folder tree shows unread counts only, so the other scenes
    # do not change.
    when = NOW - timedelta(minutes=20)
    invite = mailgen.from_bytes(invitation(mine, when), flags={"\\Seen"}, internaldate=when)
    mailgen.write_maildir(user.maildir, "Archive", [invite])


INVITATION = """BEGIN:VCALENDAR
PRODID:-//Example Corp//Calendar//EN
VERSION:2.0
METHOD:REQUEST
BEGIN:VEVENT
UID:q3-review-2024@example.com
DTSTAMP:20240109T170000Z
SEQUENCE:0
SUMMARY:Q3 report review
DTSTART:20240111T140000Z
DTEND:20240111T150000Z
RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=6
LOCATION:Room 4.12 / video link in the agenda
ORGANIZER;CN=Alice Martin:mailto:alice@example.com
ATTENDEE;CN=Test User;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{me}
ATTENDEE;CN=Sam Lee;PARTSTAT=ACCEPTED:mailto:sam@example.com
ATTENDEE;CN=Priya Shah;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:priya@example.com
END:VEVENT
END:VCALENDAR
"""


def invitation(mine: str, when: datetime) -> bytes:
    """An Outlook-style invitation: text/plain + text/calendar (METHOD:REQUEST)."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    address = mine.rpartition("<")[2].rstrip(">")
    msg = EmailMessage()
    msg["From"] = "Alice Martin <alice@example.com>"
    msg["To"] = mine
    msg["Subject"] = "Invitation: Q3 report review (weekly, Thursdays)"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = "<q3-review-invite@example.com>"
    msg.set_content("Weekly review of the Q3 report until it ships.\n")
    ics = INVITATION.format(me=address).replace("\n", "\r\n")
    msg.add_alternative(ics, subtype="calendar", params={"method": "REQUEST"})
    return msg.as_bytes()


def _still(app: MailApp) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def main_screen(pilot: Pilot[Any], app: MailApp) -> None:
    """INBOX with the newest message open in the reader."""
    await ready(pilot, app)
    # The message under the cursor previews by itself once the cursor rests.
    await wait_reader(pilot, app)
    await pilot.pause()


async def reader(pilot: Pilot[Any], app: MailApp) -> None:
    """The reader full screen."""
    await main_screen(pilot, app)
    await pilot.press("z")
    await pilot.pause()


async def help_screen(pilot: Pilot[Any], app: MailApp) -> None:
    await main_screen(pilot, app)
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: "mailtui keys" in screen_text(app))
    await pilot.pause()


async def move_picker(pilot: Pilot[Any], app: MailApp) -> None:
    """m on the message, with "ar" typed into the fuzzy folder picker."""
    await main_screen(pilot, app)
    await pilot.press("m")
    await wait_for(pilot, lambda: "Move 1 message to" in screen_text(app))
    await pilot.press("a", "r")
    _still(app)
    await pilot.pause()


async def invitation_scene(pilot: Pilot[Any], app: MailApp) -> None:
    """A calendar invitation in the reader, full screen (Archive's newest message)."""
    await main_screen(pilot, app)
    app.main.open_folder(app.main.account, "Archive")
    await wait_for(pilot, lambda: app.main.messages.rows, what="Archive's rows")
    await pilot.press("g", "enter")
    await wait_for(pilot, lambda: app.main.reader.invite_lines, what="the invitation block")
    await pilot.press("z")
    await pilot.pause()


SCENES: dict[str, Callable[[Pilot[Any], MailApp], Awaitable[None]]] = {
    "main": main_screen,
    "reader": reader,
    "help": help_screen,
    "move-picker": move_picker,
    "invitation": invitation_scene,
}
