"""A deterministic demo mailbox: a few hundred realistic messages in a Maildir++ tree.

Built with the `email` package (EmailMessage, policy SMTP) from the people and texts in
`corpus`: conversations with Message-ID/In-Reply-To/References and quoting (one in
format=flowed), an HTML newsletter, attachments (PDF, PNG, CSV), German, French,
Japanese and Russian mail (RFC 2047 headers), a mailing list, flagged and unread mail,
drafts, junk and archives. The same seed and `now` give the same bytes; dates are
relative to `now`, so the demo always looks alive (the newest message is minutes old).
"""

from __future__ import annotations

import os
import random
import re
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from mailtui.demo import corpus, files, invitation
from mailtui.demo.corpus import ME, PEOPLE, Person, Script
from mailtui.maildir import layout
from mailtui.maildir.names import letter_for_flag
from mailtui.model import ANSWERED, DRAFT, FLAGGED, SEEN

FOLDERS = (
    "INBOX",
    "Sent",
    "Drafts",
    "Trash",
    "Archive",
    "Junk",
    "Archive/2025",
    "Projects/Website",
    "Lists/python-dev",
)
LABELS = ("Work", "Travel", "Personal")  # dovecot-keywords letters a, b, c in INBOX
FORWARDED = "$Forwarded"
# On disk, Maildir files use LF line ends (as Dovecot and mbsync write them).
_DISK = policy.SMTP.clone(linesep="\n")
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class DemoMail:
    folder: str
    msg: EmailMessage
    when: datetime
    flags: set[str] = field(default_factory=set)


def _addr(p: Person) -> Address:
    user, _, domain = p.addr.partition("@")
    return Address(display_name=p.name, username=user, domain=domain)


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "file"


def to_flowed(text: str, width: int = 66) -> str:
    """RFC 3676 format=flowed: soft breaks end in a space; space-stuffing where needed."""
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            out.append("")
            continue
        pieces = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
        for i, piece in enumerate(pieces):
            if piece.startswith((" ", ">", "From ")):
                piece = " " + piece
            out.append(piece + (" " if i < len(pieces) - 1 else ""))
    return "\n".join(out) + "\n"


def _quote(body: str, who: Person, when: datetime) -> str:
    intro = f"On {when.strftime('%a, %d %b %Y at %H:%M')}, {who.name} wrote:"
    quoted = "\n".join(("> " + line) if line else ">" for line in body.rstrip("\n").split("\n"))
    return f"\n\n{intro}\n{quoted}\n"


class DemoBuilder:
    """Collects the demo's messages; every random choice comes from one seeded Random."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.mails: list[DemoMail] = []
        self._ids = 0

    # --- one message ------------------------------------------------------------------

    def _mid(self, sender: Person, slug: str) -> str:
        self._ids += 1
        domain = sender.addr.partition("@")[2] or "demo.mailtui"
        return f"<{slug}.{self._ids:04d}@{domain}>"

    def message(
        self,
        sender: Person,
        to: list[Person] | str,
        subject: str,
        body: str,
        when: datetime,
        *,
        cc: list[Person] = (),  # type: ignore[assignment]
        html: str | None = None,
        attachments: tuple[str, ...] = (),
        parent: EmailMessage | None = None,
        flowed: bool = False,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> EmailMessage:
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = _addr(sender)
        msg["To"] = to if isinstance(to, str) else [_addr(p) for p in to]
        if cc:
            msg["Cc"] = [_addr(p) for p in cc]
        msg["Subject"] = subject
        local = when.astimezone(timezone(timedelta(minutes=sender.tz)))
        msg["Date"] = format_datetime(local)
        msg["Message-ID"] = self._mid(sender, _slug(subject)[:24])
        if parent is not None:
            refs = [*str(parent.get("References", "")).split(), str(parent["Message-ID"])]
            msg["In-Reply-To"] = str(parent["Message-ID"])
            msg["References"] = " ".join(refs[-10:])
        for name, value in headers:
            msg[name] = value
        if flowed:
            msg.set_content(to_flowed(body), params={"format": "flowed"})
        else:
            msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
        for spec in attachments:
            self._attach(msg, spec)
        self._tidy(msg)
        return msg

    def _attach(self, msg: EmailMessage, spec: str) -> None:
        kind, _, name = spec.partition(":")
        seed = self.rng.randrange(1 << 30)
        if kind == "pdf":
            lines = [
                f"Prepared for {ME.name}",
                f"Reference {seed % 100000:05d}",
                "",
                "This document is part of the mailtui demo mailbox.",
            ]
            data = files.pdf(name, lines)
            msg.add_attachment(data, "application", "pdf", filename=f"{_slug(name)}.pdf")
        elif kind == "png":
            data = files.png(48, 32, seed)
            msg.add_attachment(data, "image", "png", filename=name)
        else:
            rng = random.Random(seed)
            rows: list[list[object]] = [
                [
                    f"2025-{m:02d}",
                    rng.choice(("cloud", "licences", "travel", "hardware")),
                    rng.randrange(200, 9000),
                ]
                for m in range(1, 13)
            ]
            data = files.csv(["month", "category", "amount_eur"], rows)
            msg.add_attachment(data, "text", "csv", filename=name)

    def _tidy(self, msg: EmailMessage) -> None:
        """Fixed boundaries (`email` draws them at random) keep the output reproducible;
        MIME-Version belongs in the message header only (add_attachment copies it)."""
        for i, part in enumerate(msg.walk()):
            if part is not msg:
                del part["MIME-Version"]
            if part.is_multipart():
                part.set_boundary(f"=_mailtui_demo_{self._ids:04d}_{i}")

    def add(self, folder: str, msg: EmailMessage, when: datetime, *flags: str) -> DemoMail:
        mail = DemoMail(folder, msg, when, set(flags))
        self.mails.append(mail)
        return mail

    def newest(self) -> datetime:
        """Minutes ago, but never before local midnight: the newest mail is from today."""
        midnight = self.now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
        return max(self.now - timedelta(minutes=7), midnight.astimezone(UTC))

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def seen_if_old(self, when: datetime, hours: float = 30) -> set[str]:
        return {SEEN} if self.now - when > timedelta(hours=hours) else set()

    # --- sections of the mailbox ---------------------------------------------------------

    def threads(self) -> None:
        for script in corpus.THREADS:
            self._thread(script)

    def _thread(self, script: Script) -> None:
        when = self.ago(script.days_ago)
        parent: EmailMessage | None = None
        prev_body, prev_who, prev_when = "", ME, when
        starter = PEOPLE[script.turns[0].who] if script.turns[0].who != "me" else ME
        cc = [PEOPLE[k] for k in script.cc]
        previous: DemoMail | None = None
        for n, turn in enumerate(script.turns):
            who = ME if turn.who == "me" else PEOPLE[turn.who]
            to = [starter] if who is not starter else [ME]
            if who is ME and prev_who is not ME and prev_who is not starter:
                to = [prev_who, starter]
            subject = script.subject if n == 0 else f"Re: {script.subject}"
            body = turn.body
            if who is ME:
                body += "\n\n-- \n" + corpus.SIGNATURE
            if parent is not None:
                body += _quote(prev_body, prev_who, prev_when)
            msg = self.message(
                who,
                to,
                subject,
                body,
                when,
                cc=cc,
                attachments=turn.attach,
                parent=parent,
                flowed=script.flowed,
            )
            if who is ME:
                mail = self.add("Sent", msg, when, SEEN)
                if previous is not None and previous.folder != "Sent":
                    previous.flags.add(ANSWERED)
            else:
                flags = self.seen_if_old(when)
                if script.flagged and n == 0:
                    flags.add(FLAGGED)
                if script.labels and n == 0:
                    flags.update(script.labels)
                mail = self.add(script.folder, msg, when, *flags)
            previous = mail
            parent, prev_body, prev_who, prev_when = msg, turn.body, who, when
            when += timedelta(hours=script.gap_hours * (0.6 + self.rng.random() * 0.8))
            when = min(when, self.now - timedelta(minutes=20))

    def newsletters(self, issues: int = 14) -> None:
        sender = Person("The Terminal Weekly", "hello@terminal-weekly.example", -300)
        stories = list(corpus.NEWSLETTER_STORIES)
        for i in range(issues):
            number = 120 + i
            when = self.ago(7 * (issues - 1 - i) + 0.3).replace(hour=7, minute=0, second=0)
            when = min(when, self.now - timedelta(hours=2))
            picks = self.rng.sample(stories, 3)
            text = [f"The Terminal Weekly — Issue #{number}", ""]
            html = [
                '<html><body style="font-family: sans-serif">',
                f"<h1>The Terminal Weekly</h1><p><em>Issue #{number}</em></p>",
            ]
            for title, url in picks:
                text += [f"* {title}", f"  {url}", ""]
                html.append(f'<h2><a href="{url}">{title}</a></h2>')
                html.append("<p>Our pick of the week, in five minutes of reading.</p>")
            text += ["Unsubscribe: https://terminal-weekly.example/unsubscribe"]
            html.append(
                '<p style="font-size: small"><a href="https://terminal-weekly.example/unsubscribe">'
                'Unsubscribe</a> · <a href="https://terminal-weekly.example/archive">Archive</a></p>'
            )
            html.append("</body></html>")
            msg = self.message(
                sender,
                [ME],
                f"Issue #{number}: {picks[0][0]}",
                "\n".join(text) + "\n",
                when,
                html="\n".join(html) + "\n",
                headers=(
                    ("List-Unsubscribe", "<https://terminal-weekly.example/unsubscribe>"),
                    ("List-Id", "The Terminal Weekly <weekly.terminal-weekly.example>"),
                ),
            )
            self.add("INBOX", msg, when, *self.seen_if_old(when, 60))

    def notifications(self, count: int = 110) -> None:
        ci = Person("Build Bot", "ci@builds.northwind.example", 0)
        review = Person("CodeHub", "notifications@codehub.example", 0)
        cal = Person("Calendar", "calendar@northwind.example", 60)
        shop = Person("Parcel Shop", "orders@parcel-shop.example", 60)
        security = Person("Account Security", "no-reply@accounts.northwind.example", 0)
        billing = Person("Cloudly Billing", "billing@cloudly.example", -300)
        for i in range(count):
            days = (i / count) ** 1.6 * 130  # denser recently, thinning out over months
            when = self.ago(days + self.rng.random() * 0.2) if i else self.newest()
            kinds, weights = zip(*corpus.NOTIFICATION_KINDS, strict=True)
            # The newest mail of all is a review request: something to act on.
            kind = "review" if i == 0 else self.rng.choices(kinds, weights)[0]
            attachments: tuple[str, ...] = ()
            if kind == "ci":
                n = 4800 - i * 3
                ok = self.rng.random() > 0.25
                sender, subject = (
                    ci,
                    f"[northwind/app] Build #{n} {'passed' if ok else 'failed'} on main",
                )
                body = (
                    f"Build #{n} {'passed' if ok else 'FAILED'} after {self.rng.randrange(4, 19)} minutes.\n\n"
                    + (
                        "All 2,314 tests passed.\n"
                        if ok
                        else "3 tests failed in tests/sync/test_resync.py.\n"
                    )
                    + f"\nDetails: https://builds.northwind.example/app/{n}\n"
                )
            elif kind == "review":
                title = self.rng.choice(corpus.REVIEW_TITLES)
                n = 900 + i
                sender, subject = review, f"[northwind/app] {title} (PR #{n})"
                body = (
                    f"{self.rng.choice(list(PEOPLE.values())[:5]).name} requested your review on "
                    f"pull request #{n}:\n\n  {title}\n\n"
                    f"View it: https://codehub.example/northwind/app/pull/{n}\n"
                )
            elif kind == "calendar":
                event = self.rng.choice(corpus.CALENDAR_EVENTS)
                sender, subject = (
                    cal,
                    f"Reminder: {event} at {self.rng.choice(('09:30', '11:00', '14:00', '16:30'))}",
                )
                body = f"This is a reminder for {event}.\n\nLocation: Room 3.14 / video call\n"
            elif kind == "shipping":
                item = self.rng.choice(corpus.SHOP_ITEMS)
                sender, subject = shop, f"Your order #{31200 + i} has shipped"
                body = f"Good news! Your order has shipped:\n\n  1 × {item}\n\nTrack it: https://parcel-shop.example/track/{31200 + i}\n"
            elif kind == "security":
                sender, subject = security, "New sign-in to your account"
                body = (
                    "We noticed a new sign-in to your account from Firefox on Linux.\n\n"
                    "If this was you, you can ignore this message.\n"
                )
            else:
                month = (self.now - timedelta(days=days)).strftime("%B %Y")
                sender, subject = billing, f"Your invoice for {month}"
                body = f"Your invoice for {month} is attached.\n\nAmount due: €{self.rng.randrange(40, 400)}.00\n"
                attachments = (f"pdf:Invoice {month}",)
            msg = self.message(sender, [ME], subject, body, when, attachments=attachments)
            folder = "INBOX" if days < 30 else "Archive"
            flags = self.seen_if_old(when, 20) if folder == "INBOX" else {SEEN}
            if kind == "invoice" and self.rng.random() < 0.3:
                flags.add(FLAGGED)
            self.add(folder, msg, when, *flags)

    def mailing_list(self, extra: int = 50) -> None:
        headers = (
            ("List-Id", corpus.LIST_ID),
            ("List-Post", corpus.LIST_POST),
            ("List-Unsubscribe", "<mailto:python-dev-leave@python.example>"),
            ("Precedence", "list"),
        )
        people = corpus.LIST_PEOPLE
        for t, (subject, posts) in enumerate(corpus.LIST_TOPICS):
            when = self.ago(3 + t * 9 + self.rng.random() * 3)
            parent: EmailMessage | None = None
            prev = ""
            prev_who = people[0]
            for n, text in enumerate(posts):
                who = people[(t * 3 + n * 5) % len(people)]
                body = text + "\n"
                if parent is not None:
                    body += _quote(prev, prev_who, when)
                msg = self.message(
                    who,
                    corpus.LIST_ADDR,
                    subject if n == 0 else f"Re: {subject}",
                    body,
                    when,
                    parent=parent,
                    headers=headers,
                )
                self.add("Lists/python-dev", msg, when, *self.seen_if_old(when, 48))
                parent, prev, prev_who = msg, text, who
                when = min(
                    when + timedelta(hours=2 + self.rng.random() * 10),
                    self.now - timedelta(hours=1),
                )
        for _ in range(extra):
            when = self.ago(self.rng.random() * 60)
            who = self.rng.choice(people)
            topic = self.rng.choice(corpus.LIST_TOPICS)[0]
            text = self.rng.choice(
                (
                    "I tried this on a large codebase; no regressions so far.",
                    "Could we get numbers on a slower machine as well?",
                    "I'm not convinced this needs a PEP, but happy to be persuaded.",
                    "This looks good to me. Ship it!",
                    "Small nit: the documentation should mention the new default.",
                )
            )
            msg = self.message(
                who, corpus.LIST_ADDR, f"Re: {topic}", text + "\n", when, headers=headers
            )
            self.add("Lists/python-dev", msg, when, *self.seen_if_old(when, 48))

    def international(self) -> None:
        """Single messages whose headers need RFC 2047 in four scripts."""
        items = (
            (
                "jurgen",
                "Grüße aus München und ein schönes Wochenende!",
                "Hallo Alex,\n\nnur ein kurzer Gruß aus dem sonnigen München. Bis bald!\n\nJürgen",
            ),
            (
                "francois",
                "Invitation : dégustation de fromages vendredi",
                "Bonjour à tous,\n\nVous êtes invités vendredi à 18 h pour une dégustation de fromages.\n\nFrançois",
            ),
            (
                "yamada",
                "新製品発表会のご案内",
                "関係者各位\n\n新製品発表会を来月十日に開催いたします。ぜひご参加ください。\n\n山田",
            ),
            (
                "dmitri",
                "Поздравляю с релизом!",
                "Алекс, поздравляю всю команду с выходом новой версии!\n\nДмитрий",
            ),
        )
        for i, (key, subject, body) in enumerate(items):
            when = self.ago(5 + i * 6.5)
            msg = self.message(PEOPLE[key], [ME], subject, body + "\n", when)
            self.add("INBOX", msg, when, SEEN)

    def personal(self) -> None:
        when = self.ago(40)
        msg = self.message(
            PEOPLE["mum"],
            [ME],
            "Happy birthday! 🎂",
            "Happy birthday, darling! Have a wonderful day.\n\nLove,\nMum\n",
            when,
        )
        self.add("INBOX", msg, when, SEEN, ANSWERED)
        when = self.ago(16)
        msg = self.message(
            PEOPLE["nina"],
            [ME],
            "Book recommendation",
            "You have to read this one. I finished it in two evenings!\n\nNina\n",
            when,
        )
        self.add("INBOX", msg, when, SEEN, FORWARDED)

    def junk(self) -> None:
        for i, (sender, subject) in enumerate(corpus.JUNK):
            name, _, addr = sender.partition(" <")
            when = self.ago(1 + i * 3.7)
            body = "Click here to claim: http://bit.example/claim-now\n\nThis is not spam.\n"
            msg = self.message(Person(name, addr.rstrip(">"), 0), [ME], subject, body, when)
            self.add("Junk", msg, when, *({SEEN} if i % 2 else set()))

    def drafts(self) -> None:
        items = (
            (
                "Ideas for the offsite",
                "Some ideas:\n\n- a hackathon afternoon\n- a walking tour\n- ",
            ),
            (
                "Re: Q4 roadmap review — draft for Thursday",
                "Priya, one more thought about the search timeline: ",
            ),
            ("", "Note to self: renew the passport before March.\n"),
        )
        for i, (subject, body) in enumerate(items):
            when = self.ago(0.5 + i * 2)
            msg = self.message(ME, [PEOPLE["priya"]] if i < 2 else [ME], subject, body, when)
            self.add("Drafts", msg, when, SEEN, DRAFT)

    def trash(self) -> None:
        shop = Person("Parcel Shop", "orders@parcel-shop.example", 60)
        for i in range(10):
            when = self.ago(2 + i * 4.2)
            subject = self.rng.choice(
                ("Last chance: 20% off everything", "We miss you!", "Rate your recent purchase")
            )
            msg = self.message(
                shop, [ME], subject, "Visit https://parcel-shop.example/deals\n", when
            )
            self.add("Trash", msg, when, SEEN)

    def archive_2025(self, count: int = 30) -> None:
        start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        for i in range(count):
            when = start + timedelta(days=i * 11.5, hours=self.rng.randrange(0, 9))
            when = min(when, self.now - timedelta(days=60 - i))
            who = self.rng.choice([PEOPLE[k] for k in ("priya", "tom", "sam", "lena", "marcus")])
            topic = self.rng.choice(
                ("Planning", "Weekly notes", "Hiring update", "Team lunch", "Retro notes")
            )
            msg = self.message(
                who,
                [ME],
                f"{topic} ({when.strftime('%d %b %Y')})",
                f"Hi Alex,\n\n{topic} for the week of {when.strftime('%d %B')}: nothing urgent, all on track.\n\n{who.name.split()[0]}\n",
                when,
            )
            self.add("Archive/2025", msg, when, SEEN)

    def website(self) -> None:
        marcus = PEOPLE["marcus"]
        steps = (
            (
                "Homepage mockups v1",
                "First round of homepage mockups attached.",
                ("png:home-v1.png",),
            ),
            (
                "Homepage mockups v2",
                "Second round, with your feedback on the header.",
                ("png:home-v2.png",),
            ),
            ("Launch checklist", "DNS, redirects, analytics, and a 404 page. Anything else?", ()),
            (
                "Photo credits for the About page",
                "All photos are ours except the team picture.",
                (),
            ),
        )
        for i, (subject, body, att) in enumerate(steps):
            when = self.ago(25 - i * 5)
            msg = self.message(
                marcus, [ME], subject, f"Hi Alex,\n\n{body}\n\nMarcus\n", when, attachments=att
            )
            self.add("Projects/Website", msg, when, SEEN)

    def invitation(self) -> None:
        """A meeting invitation, so `i` can be tried in the demo (demo/invitation.py)."""
        priya, tom = PEOPLE["priya"], PEOPLE["tom"]
        when = self.now - timedelta(hours=2, minutes=13)
        msg = self.message(priya, [ME, tom], invitation.SUBJECT, invitation.BODY, when)
        ics = invitation.request_ics(priya, [ME, tom], sent=when, now=self.now)
        msg.add_alternative(ics, subtype="calendar", params={"method": "REQUEST"})
        self._tidy(msg)
        self.add("INBOX", msg, when)

    def build(self) -> list[DemoMail]:
        self.threads()
        self.newsletters()
        self.notifications()
        self.mailing_list()
        self.international()
        self.personal()
        self.junk()
        self.drafts()
        self.trash()
        self.archive_2025()
        self.website()
        self.invitation()  # last: the seeded choices above stay as they were
        return sorted(self.mails, key=lambda m: m.when)


def build(seed: int = 0, now: datetime | None = None) -> list[DemoMail]:
    """The demo's messages, oldest first."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    return DemoBuilder(seed, now).build()


def write(root: Path, seed: int = 0, now: datetime | None = None) -> int:
    """Write the demo mailbox as a Maildir++ tree under `root`; returns the message count."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    mails = build(seed, now)
    for folder in FOLDERS:
        path = layout.folder_path(root, layout.MAILDIRPP, folder)
        layout.make_maildir(path, folder_marker=folder != "INBOX")
    keyword_file = root / "dovecot-keywords"
    keyword_file.write_text("".join(f"{i} {name}\n" for i, name in enumerate(LABELS)), "utf-8")
    labels = {name: chr(ord("a") + i) for i, name in enumerate(LABELS)}
    for i, mail in enumerate(mails):
        raw = mail.msg.as_bytes(policy=_DISK)
        ts = int(mail.when.timestamp())
        unique = f"{ts}.M{i:06d}P{seed}Q{i}.demo,S={len(raw)}"
        path = layout.folder_path(root, layout.MAILDIRPP, mail.folder)
        letters = "".join(
            sorted(
                (letter_for_flag(f) or labels.get(f, ""))
                if mail.folder == "INBOX" or f not in labels
                else ""
                for f in mail.flags
            )
        )
        fresh = not mail.flags and now - mail.when < timedelta(hours=6)
        final = path / "new" / unique if fresh else path / "cur" / f"{unique}:2,{letters}"
        tmp = path / "tmp" / unique
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, raw)
        finally:
            os.close(fd)
        os.utime(tmp, (ts, ts))
        os.rename(tmp, final)
    return len(mails)
