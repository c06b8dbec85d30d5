"""The people and the words of the demo mailbox (data only; content.py turns it into mail).

Everyone here is fictional; domains are under .example/.test or the demo's own
made-up ones, so nothing in the demo can ever reach a real person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    name: str
    addr: str
    tz: int = 0  # minutes east of UTC, for a realistic Date header


ME = Person("Alex Rivera", "you@demo.mailtui", 60)

PEOPLE: dict[str, Person] = {
    "priya": Person("Priya Raman", "priya.raman@northwind.example", 60),
    "tom": Person("Tom Becker", "tom.becker@northwind.example", 60),
    "sam": Person("Sam O'Connor", "sam@northwind.example", 0),
    "lena": Person("Lena Fischer", "lena.fischer@northwind.example", 60),
    "marcus": Person("Marcus Webb", "marcus@webb-design.example", -300),
    "jurgen": Person("Jürgen Müller", "j.mueller@agentur-mueller.example", 60),
    "francois": Person("François Lefèvre", "francois.lefevre@atelier.example", 60),
    "yamada": Person("山田 太郎", "t.yamada@sakura-soft.example", 540),
    "dmitri": Person("Дмитрий Иванов", "d.ivanov@qa-lab.example", 180),
    "mum": Person("Maria Rivera", "maria.rivera@family.example", 60),
    "jo": Person("Jo Rivera", "jo@family.example", 0),
    "nina": Person("Nina Kowalski", "nina.k@friends.example", 60),
    "oncall": Person("On-call Bot", "oncall@northwind.example", 0),
    "hr": Person("Northwind People Team", "people@northwind.example", 60),
}

# Mailing-list regulars (python-dev is the demo's list).
LIST_PEOPLE = (
    Person("Guido van Example", "guido@python.example", -480),
    Person("Łukasz Nowak", "lukasz@python.example", 60),
    Person("Barry Chen", "barry@python.example", -300),
    Person("Petr Svoboda", "petr@python.example", 60),
    Person("Eric Snowden", "eric@python.example", -420),
    Person("Irit Cohen", "irit@python.example", 0),
    Person("Carl Jensen", "carl@python.example", -420),
    Person("Brett Cannon-Ball", "brett@python.example", -480),
)
LIST_ID = "Python core development <python-dev.python.example>"
LIST_POST = "<mailto:python-dev@python.example>"
LIST_ADDR = "python-dev@python.example"


@dataclass(frozen=True)
class Turn:
    who: str  # a PEOPLE key, or "me"
    body: str
    attach: tuple[str, ...] = ()  # "pdf:<title>", "png:<name>", "csv:<name>"


@dataclass(frozen=True)
class Script:
    """One conversation: others' messages land in `folder`, mine in Sent."""

    key: str
    subject: str
    folder: str
    days_ago: float
    gap_hours: float
    turns: tuple[Turn, ...]
    cc: tuple[str, ...] = ()
    flowed: bool = False
    flagged: bool = False
    labels: tuple[str, ...] = ()


THREADS: tuple[Script, ...] = (
    Script(
        "roadmap",
        "Q4 roadmap review — draft for Thursday",
        "INBOX",
        days_ago=2.3,
        gap_hours=3.5,
        cc=("tom",),
        flagged=True,
        labels=("Work",),
        turns=(
            Turn(
                "priya",
                "Hi Alex,\n\nAttached is the first draft of the Q4 roadmap. The big items are\n"
                "the offline mode, the new search and the mobile companion app.\n\n"
                "Could you look at the timeline for search before Thursday? I think we\n"
                "are too optimistic about the indexing work.\n\nThanks,\nPriya",
                ("pdf:Q4 roadmap (draft)",),
            ),
            Turn(
                "me",
                "Hi Priya,\n\nThanks, I had a first look. Search needs two more weeks: the\n"
                "index migration alone is a sprint, and we should not ship it without\n"
                "a week of dogfooding.\n\nI would move the mobile app to January instead.\n\nAlex",
            ),
            Turn(
                "tom",
                "Agree with Alex on search. For offline mode we also depend on the sync\n"
                "rewrite, which is on track. I can present that part on Thursday.\n\nTom",
            ),
            Turn(
                "priya",
                "Great, thank you both. I'll update the draft and move mobile to\n"
                "January. Tom takes the sync slides, Alex the search ones.\n\nPriya",
            ),
        ),
    ),
    Script(
        "lunch",
        "Lunch on Friday?",
        "INBOX",
        days_ago=0.4,
        gap_hours=0.6,
        turns=(
            Turn(
                "sam",
                "Anyone up for the new ramen place on Friday? 12:30?\n\nSam",
            ),
            Turn("me", "Count me in! Should I book a table for four?\n\nAlex"),
            Turn("sam", "Yes please, Lena is coming too.\n\nS."),
        ),
    ),
    Script(
        "release",
        "Release 2.4 checklist",
        "INBOX",
        days_ago=6.0,
        gap_hours=20,
        flowed=True,
        turns=(
            Turn(
                "lena",
                "Hi all,\n\nHere is the checklist for the 2.4 release. Please tick off your items "
                "in the tracker rather than replying to everyone, so that this thread stays "
                "readable for the people who only need the summary at the end of the week.\n\n"
                "1. Freeze the main branch on Monday morning, after the last merge of the "
                "translations.\n"
                "2. Run the full regression suite on all three platforms, including the slow "
                "tests that we usually skip in pull requests.\n"
                "3. Write the release notes, with a short section for administrators.\n"
                "4. Tag, build and sign the packages.\n\n"
                "Thanks!\nLena",
            ),
            Turn(
                "me",
                "Thanks Lena. I'll take the release notes, and I can also run the macOS "
                "part of the regression suite since my machine is the only one with the "
                "old SDK installed.\n\nAlex",
            ),
        ),
    ),
    Script(
        "offsite",
        "Offsite in Lisbon: travel and hotel",
        "INBOX",
        days_ago=12.0,
        gap_hours=26,
        labels=("Travel",),
        turns=(
            Turn(
                "hr",
                "Hello everyone,\n\nThe team offsite takes place in Lisbon from the 14th to the\n"
                "16th. Your flight and hotel are booked; the itinerary is attached.\n\n"
                "Please bring your laptop and a charger, and let us know about any\n"
                "dietary requirements by Friday.\n\nThe People Team",
                ("pdf:Offsite itinerary",),
            ),
            Turn(
                "me",
                "Thank you! I'm vegetarian, and I'd like to arrive a day earlier if\n"
                "that is possible (I'll pay the extra night myself).\n\nAlex",
            ),
            Turn(
                "hr",
                "Noted, and no problem: we moved your flight to the 13th. The updated\n"
                "itinerary will follow next week.\n\nThe People Team",
            ),
        ),
    ),
    Script(
        "onboarding",
        "Design review: new onboarding flow",
        "INBOX",
        days_ago=4.0,
        gap_hours=5,
        cc=("priya",),
        turns=(
            Turn(
                "marcus",
                "Hi Alex,\n\nAs promised, the mockups for the new onboarding. The main change\n"
                "is that account setup now happens in one screen instead of three.\n\n"
                "Let me know what you think.\n\nMarcus",
                ("png:onboarding-step1.png", "png:onboarding-step2.png"),
            ),
            Turn(
                "me",
                "These look great, Marcus. One question: where does the user pick the\n"
                "theme now? It used to be the last step.\n\nAlex",
            ),
            Turn(
                "marcus",
                "Good catch: it moved to the settings screen, with a hint after the\n"
                "first login. I'll add that to the spec.\n\nM.",
            ),
        ),
    ),
    Script(
        "budget",
        "Budget numbers for November",
        "INBOX",
        days_ago=9.0,
        gap_hours=30,
        turns=(
            Turn(
                "tom",
                "Alex,\n\nHere are the November numbers as a CSV; the cloud costs are up 12%\n"
                "because of the load tests. Can you check the engineering lines?\n\nTom",
                ("csv:budget-november.csv",),
            ),
            Turn("me", "Checked: the engineering lines are right. Thanks, Tom!\n\nAlex"),
        ),
    ),
    Script(
        "angebot",
        "Angebot für die Überarbeitung der Website",
        "Projects/Website",
        days_ago=20.0,
        gap_hours=28,
        turns=(
            Turn(
                "jurgen",
                "Hallo Alex,\n\nwie besprochen sende ich Ihnen unser Angebot für die Überarbeitung\n"
                "der Website. Die Umsetzung würde etwa sechs Wochen dauern.\n\n"
                "Für Rückfragen stehe ich gerne zur Verfügung.\n\n"
                "Mit freundlichen Grüßen\nJürgen Müller",
                ("pdf:Angebot Website",),
            ),
            Turn(
                "me",
                "Hallo Herr Müller,\n\nvielen Dank für das Angebot. Wir besprechen es am Montag im\n"
                "Team und melden uns bis Mittwoch.\n\nViele Grüße\nAlex Rivera",
            ),
            Turn(
                "jurgen",
                "Hallo Alex,\n\ndanke für die schnelle Rückmeldung. Ich freue mich auf Ihre Antwort.\n\n"
                "Schöne Grüße aus München\nJürgen Müller",
            ),
        ),
    ),
    Script(
        "reunion",
        "Réunion de lancement : ordre du jour",
        "Projects/Website",
        days_ago=15.0,
        gap_hours=22,
        turns=(
            Turn(
                "francois",
                "Bonjour Alex,\n\nVoici l'ordre du jour de la réunion de lancement de mardi :\n\n"
                "  – présentation de l'équipe ;\n  – périmètre du projet et calendrier ;\n"
                "  – maquettes de la page d'accueil.\n\nÀ mardi !\nFrançois",
            ),
            Turn(
                "me",
                "Bonjour François,\n\nMerci, c'est parfait. J'ajouterai un point sur l'hébergement.\n\n"
                "Bien à vous,\nAlex",
            ),
        ),
    ),
    Script(
        "uchiawase",
        "来週の打ち合わせについて",
        "INBOX",
        days_ago=3.0,
        gap_hours=9,
        turns=(
            Turn(
                "yamada",
                "アレックスさん\n\nお世話になっております。山田です。\n"
                "来週の打ち合わせですが、火曜日の午後二時からでいかがでしょうか。\n\n"
                "よろしくお願いいたします。\n山田 太郎",
            ),
            Turn(
                "me",
                "山田さん\n\n火曜日の午後二時で大丈夫です。よろしくお願いします。\n\nAlex",
            ),
        ),
    ),
    Script(
        "testreport",
        "Отчёт о тестировании версии 2.4",
        "INBOX",
        days_ago=1.2,
        gap_hours=4,
        flagged=True,
        turns=(
            Turn(
                "dmitri",
                "Здравствуйте, Алекс!\n\nТестирование версии 2.4 завершено. Найдено три ошибки,\n"
                "одна из них критическая: при синхронизации большой папки приложение\n"
                "зависает. Подробности в приложенной таблице.\n\nС уважением,\nДмитрий",
                ("csv:test-results.csv",),
            ),
        ),
    ),
    Script(
        "photos",
        "Photos from the weekend",
        "INBOX",
        days_ago=1.8,
        gap_hours=2,
        labels=("Personal",),
        turns=(
            Turn(
                "jo",
                "Hey!\n\nHere are the photos from the lake. The second one is my favourite.\n\n"
                "Love,\nJo",
                ("png:lake-1.png", "png:lake-2.png"),
            ),
            Turn("me", "Beautiful! Can't wait for the next trip.\n\nA."),
            Turn("mum", "Lovely pictures! Come for dinner on Sunday, both of you?\n\nMum"),
        ),
    ),
    Script(
        "outage",
        "Postmortem: sync outage on Tuesday",
        "Archive",
        days_ago=35.0,
        gap_hours=6,
        cc=("priya", "tom"),
        turns=(
            Turn(
                "sam",
                "Summary: for 47 minutes, sync requests failed for about 8% of users.\n\n"
                "Cause: a configuration change reduced the connection pool of the sync\n"
                "service from 200 to 20.\n\nActions: validate pool sizes in CI; alert on\n"
                "pool saturation.\n\nSam",
            ),
            Turn(
                "me",
                "Thanks Sam, clear write-up. I'll own the CI validation item.\n\nAlex",
            ),
        ),
    ),
    Script(
        "dinner",
        "Dinner on Saturday?",
        "INBOX",
        days_ago=0.15,
        gap_hours=0.5,
        turns=(
            Turn(
                "nina",
                "Hi Alex,\n\nWe're having a few people over on Saturday, around 7. Would love\n"
                "to see you! Bring nothing but yourself.\n\nNina",
            ),
        ),
    ),
)

LIST_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Improving error messages for unclosed brackets",
        (
            "The parser could point at the opening bracket instead of the end of\n"
            "the file. I have a prototype; it adds no measurable cost.",
            "Nice! Does it handle f-strings too? Those are the worst offenders.",
            "Yes, since the f-string grammar moved into the parser it comes for free.",
            "+1 from me. Please open an issue so we can track it for the next alpha.",
        ),
    ),
    (
        "Free-threaded build: status update",
        (
            "A short update: the test suite passes on all tier-1 platforms, and the\n"
            "single-threaded overhead is down to about 5%.",
            "What is the plan for extension modules that are not thread-safe yet?",
            "They can declare it, and the interpreter re-enables the GIL when one is imported.",
        ),
    ),
    (
        "Deprecating the old configuration module",
        (
            "I propose deprecating it in the next release and removing it two releases later.\n"
            "Its replacement has been available for five years.",
            "Please check the top PyPI packages first; some still import it.",
            "I ran a search: 14 of the top 5000 packages use it, all with a fallback.",
            "Then I'm in favour. Let's document the migration in What's New.",
        ),
    ),
    (
        "Release schedule for the next version",
        (
            "The draft schedule: alpha 1 in October, beta 1 in May, final in October.",
            "Could beta 1 move a week later? It collides with the sprint.",
        ),
    ),
    (
        "Faster startup: lazy imports in the standard library",
        (
            "Profiling shows 30% of startup time importing modules that are never used.",
            "Lazy imports change error timing; we should be careful with side effects.",
            "Agreed. I suggest starting with modules that have no import-time side effects.",
        ),
    ),
    (
        "Documentation translation sprint",
        (
            "The Japanese and French translations are almost complete; volunteers welcome\n"
            "for Spanish and Ukrainian.",
            "I can help with Ukrainian reviews on weekends.",
        ),
    ),
)

# Kinds of automated mail, with how often each comes (CI and code review dominate).
NOTIFICATION_KINDS = (
    ("ci", 35),
    ("review", 30),
    ("calendar", 15),
    ("shipping", 9),
    ("invoice", 6),
    ("security", 5),
)

REVIEW_TITLES = (
    "Fix crash when the folder list is empty",
    "Add keyboard shortcut for archiving",
    "Speed up the message list on large folders",
    "Refactor the sync engine's error handling",
    "Support IDLE on more servers",
    "Render format=flowed text correctly",
    "Show attachment sizes in the reader",
    "Make the theme colours configurable",
)
CALENDAR_EVENTS = (
    "Team standup",
    "1:1 with Priya",
    "Design review",
    "Sprint planning",
    "Dentist",
    "Release retrospective",
)
SHOP_ITEMS = (
    "Mechanical keyboard (brown switches)",
    "USB-C hub",
    "Noise-cancelling headphones",
    "Paperback: The Pragmatic Programmer",
    "Desk lamp",
)

NEWSLETTER_STORIES = (
    ("Why terminal apps are having a moment", "https://terminal-weekly.example/terminal-moment"),
    ("Ten keyboard shortcuts you will use every day", "https://terminal-weekly.example/shortcuts"),
    ("A gentle introduction to IMAP IDLE", "https://terminal-weekly.example/imap-idle"),
    ("Themes: designing for light and dark terminals", "https://terminal-weekly.example/themes"),
    ("Inside a text-mode layout engine", "https://terminal-weekly.example/layout"),
    ("Unicode width is harder than you think", "https://terminal-weekly.example/unicode-width"),
    ("Building fast virtual lists", "https://terminal-weekly.example/virtual-lists"),
    ("Maildir, explained", "https://terminal-weekly.example/maildir"),
    ("SQLite as an application file format", "https://terminal-weekly.example/sqlite"),
    ("Testing TUIs with snapshots", "https://terminal-weekly.example/snapshots"),
)

JUNK = (
    ("Prize Desk <winner@lottery-prizes.example>", "You have WON a brand new phone!!!"),
    ("Account Security <security@paypa1-alerts.example>", "Urgent: verify your account now"),
    ("Dr. Mark Brown <investments@quick-returns.example>", "Investment opportunity, 40% returns"),
    ("Luxury Outlet <deals@cheap-watches.example>", "Luxury watches at 90% off — today only"),
    ("Shipping Notice <track@parcel-delay.example>", "Your parcel is on hold: pay €1.99"),
    ("HR Department <hr@payro11-update.example>", "Action required: update your salary details"),
    ("Crypto Gains <alpha@moon-coin.example>", "This coin will 100x next week"),
    ("Pharmacy <rx@meds-discount.example>", "Cheap meds, no prescription"),
)

SIGNATURE = "Alex Rivera\nEngineering Lead, Northwind"
