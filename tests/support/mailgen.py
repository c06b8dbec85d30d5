"""Deterministic, realistic mail for tests and benchmarks (same seed, same bytes).

The bulk path (`generate`) assembles raw RFC 5322 bytes from small pools of names,
subjects and paragraphs: building `email.message` objects per message would make
100k messages take minutes. What it covers, because mail clients trip on it:
threads (Message-ID / In-Reply-To / References, "Re:"), multipart/alternative and
HTML-only mail, RFC 2047 encoded words in eight charsets (B and Q), attachments with
RFC 2231 non-ASCII filenames, mailing-list headers, realistic flags, and dates that
grow with the UID. `write_maildir` drops messages straight into a Dovecot Maildir++
tree (fast, no server round trips); `append_imap` goes through IMAP instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import os
import random
import re
import struct
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from imapclient import imap_utf7

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from tests.support.dovecot import MailUser

SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"

DEFAULT_START = datetime(2024, 1, 8, 8, 30, tzinfo=UTC)
DEFAULT_RECIPIENT = "Test User <user@example.test>"
CRLF = "\r\n"

# --------------------------------------------------------------------------------------
# Content pools. Each locale names the charset its mail is written in, how its header
# words are encoded (RFC 2047 "B" or "Q") and how its bodies are transferred.


@dataclass(frozen=True)
class Locale:
    name: str
    charset: str  # MIME charset name as it appears in the mail
    header_enc: str  # "B" or "Q"
    body_cte: str  # "7bit", "8bit", "quoted-printable" or "base64"
    people: tuple[tuple[str, str], ...]
    subjects: tuple[str, ...]
    paragraphs: tuple[str, ...]
    greeting: str
    quote_intro: str  # "{date}" and "{name}" are filled in


ASCII = Locale(
    name="en",
    charset="us-ascii",
    header_enc="",
    body_cte="7bit",
    people=(
        ("Alice Martin", "alice.martin@example.com"),
        ("Bob Chen", "bob@chen.example.net"),
        ("Carol Jones", "carol.jones@example.org"),
        ("Dave Miller", "dmiller@example.com"),
        ("Erin O'Neill", "erin@oneill.example"),
        ("Frank Wright", "frank.wright@example.co.uk"),
        ("Grace Hopper", "grace@navy.example.mil"),
        ("Heidi Klum", "heidi@example.de"),
        ("Ivan Smith", "ivan.smith@example.com"),
        ("Judy Garland", "judy@example.org"),
        ("Mallory Evans", "mallory@evil.example"),
        ("Doe, Jane", "jane.doe@example.com"),
        ("", "noreply@notifications.example.com"),
        ("Build Bot", "ci@build.example.io"),
        ("Peggy Sue", "peggy@example.net"),
        ("Victor Hugo", "victor@example.fr"),
    ),
    subjects=(
        "Quarterly report draft",
        "Lunch on Thursday?",
        "Meeting notes: roadmap review",
        "Your invoice is ready",
        "Re-org announcement",
        "Build failed on main",
        "Question about the API rate limits",
        "Weekend plans",
        "Security update required",
        "Offsite agenda and travel details",
        "Can you review my pull request?",
        "Updated contract terms",
        "Welcome to the team!",
        "Server maintenance window this Saturday",
        "Expense report for March",
        "Feedback on the design mockups",
        "Happy birthday!",
        "Conference talk accepted",
        "Password reset request",
        "Flight itinerary: LHR to SFO",
        "Minutes from yesterday's standup",
        "New comment on your document",
        "Release 2.4.0 is out",
        "Out of office",
    ),
    paragraphs=(
        "Thanks for sending this over. I had a look at the numbers and they\n"
        "mostly line up with what we discussed last week, apart from the\n"
        "travel budget, which seems a bit high.",
        "Could you take another pass at the second section? I think the\n"
        "argument is sound, but it would read better with an example or two.",
        "I'm out of the office until Monday with limited access to email.\n"
        "For anything urgent, please contact the on-call engineer.",
        "The build is failing on the integration tests again. It looks like\n"
        "a timeout in the database fixture; I've restarted the job for now.",
        "Let's meet at the usual place around noon. If it rains we can go\n"
        "to the cafe across the street instead.",
        "Attached is the latest version. Changes since the last draft are\n"
        "highlighted in yellow; comments are in the margin.",
        "We've rolled out the fix to production. Error rates dropped back to\n"
        "normal within a few minutes. A post-mortem will follow.",
        "Please remember to submit your expense reports by the end of the\n"
        "month. Late submissions will be processed in the next cycle.",
        "I agree with most of the points raised. My only concern is the\n"
        "timeline: three weeks feels tight given the holidays.",
        "Sounds good to me. Go ahead and merge it once CI is green.",
    ),
    greeting="Hi {name},",
    quote_intro="On {date}, {name} wrote:",
)

LOCALES = (
    Locale(
        name="de",
        charset="iso-8859-1",
        header_enc="Q",
        body_cte="quoted-printable",
        people=(
            ("Jürgen Müller", "juergen.mueller@example.de"),
            ("Björn Schäfer", "bjoern@example.at"),
            ("Käthe Groß", "kaethe.gross@example.ch"),
        ),
        subjects=(
            "Grüße aus München",
            "Besprechung über das Budget",
            "Änderungen im Vertrag",
            "Frühstück am Freitag?",
            "Übersicht der Aufgaben für die nächste Woche",
        ),
        paragraphs=(
            "vielen Dank für die schnelle Rückmeldung. Die Änderungen sehen gut\n"
            "aus, nur der Abschnitt über die Kosten müsste noch überarbeitet werden.",
            "Können wir uns nächste Woche kurz abstimmen? Dienstag oder Mittwoch\n"
            "würde mir gut passen.",
            "Anbei die überarbeitete Fassung. Größere Änderungen sind markiert.",
        ),
        greeting="Hallo {name},",
        quote_intro="Am {date} schrieb {name}:",
    ),
    Locale(
        name="fr",
        charset="iso-8859-15",
        header_enc="Q",
        body_cte="quoted-printable",
        people=(
            ("François Lefèvre", "francois@example.fr"),
            ("Zoé Dupré", "zoe.dupre@example.be"),
        ),
        subjects=(
            "Réunion d'équipe : ordre du jour",
            "Facture n° 2024-117 : 1 250 €",
            "Déjeuner à la cantine ?",
            "Présentation des œuvres et résultats",
        ),
        paragraphs=(
            "Merci pour ton retour. Je préfère la deuxième option, même si elle\n"
            "coûte environ 300 € de plus.",
            "Je serai en congé la semaine prochaine. Élodie me remplacera.",
        ),
        greeting="Bonjour {name},",
        quote_intro="Le {date}, {name} a écrit :",
    ),
    Locale(
        name="en-1252",
        charset="windows-1252",
        header_enc="Q",
        body_cte="quoted-printable",
        people=(("Seán O’Brien", "sean@example.ie"), ("Renée Walsh", "renee@example.ie")),
        subjects=(
            "“Final” version – really this time",
            "Price list … €9.99 per seat",
            "Don’t forget: invoices due Friday",
        ),
        paragraphs=(
            "Here’s the “final” version — let me know if anything’s missing.",
            "The new pricing is €9.99 per seat… which is still cheaper than last year.",
        ),
        greeting="Hi {name},",
        quote_intro="On {date}, {name} wrote:",
    ),
    Locale(
        name="ru",
        charset="koi8-r",
        header_enc="B",
        body_cte="8bit",
        people=(("Иван Петров", "ivan.petrov@example.ru"), ("Ольга Смирнова", "olga@example.ru")),
        subjects=(
            "Отчёт за третий квартал",
            "Встреча в четверг",
            "Проверьте, пожалуйста, договор",
        ),
        paragraphs=(
            "Спасибо за письмо. Я посмотрел отчёт, в целом всё хорошо, но есть\n"
            "несколько вопросов по расходам.",
            "Давайте встретимся в четверг после обеда и всё обсудим.",
        ),
        greeting="Здравствуйте, {name}!",
        quote_intro="{date}, {name} пишет:",
    ),
    Locale(
        name="ja",
        charset="iso-2022-jp",
        header_enc="B",
        body_cte="7bit",
        people=(("山田太郎", "yamada@example.jp"), ("鈴木一郎", "suzuki@example.co.jp")),
        subjects=(
            "会議の議事録",
            "来週の出張について",
            "見積書の送付",
        ),
        paragraphs=(
            "お疲れ様です。先日の会議の議事録を送付いたします。\nご確認のほどよろしくお願いいたします。",
            "来週の出張の日程が決まりましたのでお知らせします。",
        ),
        greeting="{name}様",
        quote_intro="{date} {name} wrote:",
    ),
    Locale(
        name="ja-sjis",
        charset="shift_jis",
        header_enc="B",
        body_cte="base64",
        people=(("佐藤花子", "sato@example.jp"), ("高橋健太", "takahashi@example.jp")),
        subjects=(
            "新製品のご案内",
            "請求書の件",
            "打ち合わせ日程の調整",
        ),
        paragraphs=(
            "いつもお世話になっております。新製品のご案内をお送りします。",
            "打ち合わせの日程について、ご都合のよい日時をお知らせください。",
        ),
        greeting="{name}様",
        quote_intro="{date} {name} wrote:",
    ),
    Locale(
        name="utf8-b",
        charset="utf-8",
        header_enc="B",
        body_cte="base64",
        people=(
            ("李小龙", "li@example.cn"),
            ("Ἀλέξανδρος Παπαδόπουλος", "alex@example.gr"),
            ("Łukasz Żółkiewski", "lukasz@example.pl"),
        ),
        subjects=(
            "项目进度更新",
            "🎉 Launch party on Friday 🎉",
            "Συνάντηση την Τρίτη",
            "Zażółć gęślą jaźń — test",
        ),
        paragraphs=(
            "感谢您的来信。项目进展顺利，预计下周完成第一阶段。",
            "Ευχαριστώ για το μήνυμα. Τα λέμε την Τρίτη. 🙂",
            "Dzięki za wiadomość! Spotkajmy się w środę. 👍",
        ),
        greeting="{name},",
        quote_intro="{date}, {name}:",
    ),
    Locale(
        name="utf8-q",
        charset="utf-8",
        header_enc="Q",
        body_cte="quoted-printable",
        people=(("Zoë Ångström", "zoe@example.se"), ("José Núñez", "jose@example.es")),
        subjects=(
            "Café ☕ at 10?",
            "Año nuevo, planes nuevos",
            "Smörgåsbord för fredag",
        ),
        paragraphs=(
            "¡Gracias! Nos vemos el jueves en la cafetería de siempre.",
            "Tack för senast! Vi ses på fredag. ☕",
        ),
        greeting="Hej {name},",
        quote_intro="{date} skrev {name}:",
    ),
)

MAILING_LISTS = (
    ("Project Dev", "dev", "lists.example.org"),
    ("Announcements", "announce", "lists.example.org"),
    ("Rust Users Forum", "rust-users", "forum.example.com"),
)

SPAM_SUBJECTS = (
    "You have WON a $1,000,000 prize!!!",
    "URGENT: verify your account now",
    "Cheap meds, no prescription",
    "Re: your parcel could not be delivered",
)

ATTACHMENT_NAMES = {
    "application/pdf": ("report-q3.pdf", "Präsentation.pdf", "Résumé Zoë.pdf"),
    "image/png": ("screenshot.png", "写真.png", "diagram.png"),
    "text/csv": (
        "data.csv",
        "отчёт.csv",
        "Sehr langer Dateiname mit Umlauten äöü für die Jahresabschlussbesprechung.csv",
    ),
}

TIMEZONES = tuple(timezone(timedelta(minutes=m)) for m in (0, 60, 120, -300, -420, 330, 540, 600))

# --------------------------------------------------------------------------------------
# Header encoding helpers (RFC 2047 encoded words, RFC 2231 parameters).

_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_ENCODED_WORD_MAX = 75  # RFC 2047 §2
_word_cache: dict[tuple[str, str, str], str] = {}


def _q_encode(data: bytes) -> str:
    """RFC 2047 §4.2 "Q", restricted to the characters allowed in a phrase (§5(3))."""
    out = []
    for b in data:
        if b in _Q_SAFE:
            out.append(chr(b))
        elif b == 0x20:
            out.append("_")
        else:
            out.append(f"={b:02X}")
    return "".join(out)


def _encoded_word(text: str, charset: str, enc: str) -> str:
    data = text.encode(charset)
    payload = base64.b64encode(data).decode() if enc == "B" else _q_encode(data)
    return f"=?{charset.upper()}?{enc}?{payload}?="


def encode_words(text: str, charset: str, enc: str) -> str:
    """`text` as RFC 2047 encoded words of at most 75 characters, folded with CRLF SP.

    Each word encodes whole characters on its own (stateful charsets like ISO-2022-JP
    return to ASCII at the end of every word), as §5 requires.
    """
    if not enc or text.isascii():
        return text
    key = (text, charset, enc)
    cached = _word_cache.get(key)
    if cached is not None:
        return cached
    words: list[str] = []
    chunk = ""
    for ch in text:
        candidate = chunk + ch
        if chunk and len(_encoded_word(candidate, charset, enc)) > _ENCODED_WORD_MAX:
            words.append(_encoded_word(chunk, charset, enc))
            chunk = ch
        else:
            chunk = candidate
    if chunk:
        words.append(_encoded_word(chunk, charset, enc))
    result = (CRLF + " ").join(words)
    _word_cache[key] = result
    return result


def format_address(name: str, addr: str, charset: str = "utf-8", enc: str = "B") -> str:
    """A From/To value: encoded words for non-ASCII names, quotes where RFC 5322 needs them."""
    if not name:
        return addr
    if not name.isascii():
        return f"{encode_words(name, charset, enc)} <{addr}>"
    if re.search(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]", name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{addr}>'
    return f"{name} <{addr}>"


def rfc2231_param(key: str, value: str) -> str:
    """A MIME parameter; values that a quoted-string would not carry intact (non-ASCII,
    quotes, edge whitespace) use RFC 2231, with continuations when long."""
    if (
        value.isascii()
        and value.isprintable()
        and value == value.strip()
        and not (set(value) & set('"\\'))
    ):
        return f'{key}="{value}"'
    encoded = quote(value.encode("utf-8"), safe="")
    if len(encoded) < 60:
        return f"{key}*=UTF-8''{encoded}"
    # RFC 2231 §3-4: numbered sections; cut between characters, not inside one.
    pieces: list[str] = []
    chunk = ""
    for ch in value:
        q = quote(ch.encode("utf-8"), safe="")
        if chunk and len(chunk) + len(q) > 60:
            pieces.append(chunk)
            chunk = ""
        chunk += q
    pieces.append(chunk)
    parts = [f"{key}*0*=UTF-8''{pieces[0]}"]
    parts += [f"{key}*{i}*={p}" for i, p in enumerate(pieces[1:], start=1)]
    return (";" + CRLF + " ").join(parts)


# --------------------------------------------------------------------------------------
# Body encoding.


def _body_bytes(text: str, charset: str, cte: str) -> bytes:
    """Encode a text body (LF line ends) for the wire, CRLF line ends."""
    if cte == "base64":
        return base64.encodebytes(text.replace("\n", "\r\n").encode(charset)).replace(
            b"\n", b"\r\n"
        )
    data = text.encode(charset)
    if cte == "quoted-printable":
        data = binascii.b2a_qp(data)
    return data.replace(b"\n", b"\r\n") + b"\r\n"


def _html_of(paragraphs: Sequence[str], charset: str) -> str:
    body = "\n".join(
        "<p>" + p.replace("&", "&amp;").replace("<", "&lt;").replace("\n", " ") + "</p>"
        for p in paragraphs
    )
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f'</head>\n<body style="font-family: sans-serif">\n{body}\n</body></html>\n'
    )


# --------------------------------------------------------------------------------------
# Attachment payloads: built once per (type, size), deterministic.

_attachment_cache: dict[tuple[str, int], bytes] = {}


def _png(size: int) -> bytes:
    """A valid PNG of roughly `size` bytes (noise pixels do not compress)."""
    rng = random.Random(size)
    width = max(1, int((max(size, 100) / 3) ** 0.5))
    rows = b"".join(b"\0" + rng.randbytes(width * 3) for _ in range(width))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, width, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


def _pdf(size: int) -> bytes:
    """A small valid PDF padded with a binary stream to about `size` bytes."""
    rng = random.Random(size + 1)
    pad = rng.randbytes(max(0, size - 400))
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Length " + str(len(pad)).encode() + b" >>\nstream\n" + pad + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _csv(size: int) -> bytes:
    rng = random.Random(size + 2)
    lines = ["date,account,amount,currency,note"]
    total = len(lines[0]) + 2
    day = 0
    while total < size:
        day += 1
        line = (
            f"2024-{1 + day // 28 % 12:02d}-{1 + day % 28:02d},"
            f"ACC-{rng.randrange(1000, 9999)},{rng.randrange(-50000, 90000) / 100:.2f},"
            f"{rng.choice(('EUR', 'USD', 'JPY'))},{rng.choice(('ok', 'pending', 'räumlich'))}"
        )
        lines.append(line)
        total += len(line.encode()) + 2
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def attachment_payload(mime_type: str, size: int) -> bytes:
    """Deterministic file content of the given type and approximate size."""
    key = (mime_type, size)
    data = _attachment_cache.get(key)
    if data is None:
        maker = {"application/pdf": _pdf, "image/png": _png, "text/csv": _csv}[mime_type]
        data = maker(size)
        _attachment_cache[key] = data
    return data


_b64_cache: dict[tuple[str, int], bytes] = {}


def _attachment_b64(mime_type: str, size: int) -> bytes:
    key = (mime_type, size)
    data = _b64_cache.get(key)
    if data is None:
        data = base64.encodebytes(attachment_payload(mime_type, size)).replace(b"\n", b"\r\n")
        _b64_cache[key] = data
    return data


# --------------------------------------------------------------------------------------
# The bulk generator.


@dataclass(frozen=True, slots=True)
class GenMessage:
    """One generated message and the facts tests check it against."""

    raw: bytes  # CRLF line ends, as on the wire
    flags: frozenset[str]
    internaldate: datetime
    message_id: str
    subject: str  # decoded
    in_reply_to: str = ""
    has_attachment: bool = False
    list_id: str = ""


@dataclass
class _Thread:
    subject: str  # decoded, without "Re: "
    encoded: str  # header form of `subject`
    message_ids: list[str]
    last_sender: tuple[str, str]
    last_date: datetime
    locale: Locale
    mailing_list: tuple[str, str, str] | None


def _pick_locale(rng: random.Random, non_ascii_ratio: float) -> Locale:
    if rng.random() < non_ascii_ratio:
        return rng.choice(LOCALES)
    return ASCII


def _first_name(name: str, addr: str) -> str:
    if not name:
        return addr.partition("@")[0]
    if "," in name:
        return name.partition(",")[2].strip() or name
    return name.split()[0] if name.isascii() else name


def generate(
    n: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    attachment_ratio: float = 0.05,
    attachment_size: int = 20_000,
    html_ratio: float = 0.25,
    thread_ratio: float = 0.4,
    non_ascii_ratio: float = 0.2,
    list_ratio: float = 0.15,
    interval: float | None = None,
    seen_ratio: float | None = None,
    flagged_ratio: float = 0.04,
    answered_ratio: float = 0.12,
    keywords: Sequence[str] = (),
    keyword_ratio: float = 0.0,
    extra_flags: Iterable[str] = (),
    recipient: str = DEFAULT_RECIPIENT,
    outgoing: str | None = None,
    spam: bool = False,
    locales: Sequence[Locale] | None = None,
) -> Iterator[GenMessage]:
    """Yield `n` messages, oldest first; the same arguments always give the same bytes.

    Dates start at `start` (default 2024-01-08) and grow by about `interval` seconds
    (at least one; by default 40 minutes, less for big n so that the span stays within
    two years), so writing them in order gives newer mail higher UIDs. Unless
    `seen_ratio` is given, the newest tenth is mostly unread and the rest mostly read.
    `outgoing="Me <me@x>"` writes mail *from* that address (a Sent folder); `spam`
    uses junk subjects; `locales` restricts the languages (all by default).
    """
    rng = random.Random(seed)
    if interval is None:
        # 40 minutes apart on average, closer for big n so the span stays within 2 years.
        interval = min(2400.0, 2 * 365 * 86400 / max(n, 1))
    rcpt_addr = recipient.rpartition("<")[2].rstrip(">").strip()
    when = (start or DEFAULT_START).astimezone(UTC).replace(microsecond=0)
    extra = frozenset(extra_flags)
    pool = tuple(locales) if locales is not None else None
    threads: list[_Thread] = []
    recent_cut = n - max(1, n // 10)
    for i in range(n):
        when += timedelta(seconds=max(1, int(rng.expovariate(1.0 / interval))))
        reply_to: _Thread | None = None
        if threads and rng.random() < thread_ratio:
            reply_to = threads[-1 - min(len(threads) - 1, int(rng.expovariate(0.2)))]
        if reply_to is not None:
            locale = reply_to.locale
        elif pool is not None:
            locale = rng.choice(pool)
        else:
            locale = _pick_locale(rng, non_ascii_ratio)
        people = locale.people if rng.random() < 0.8 else ASCII.people
        sender = rng.choice(people)
        if reply_to is not None and sender == reply_to.last_sender:
            sender = rng.choice(ASCII.people)
        mailing_list = (
            reply_to.mailing_list
            if reply_to is not None
            else (rng.choice(MAILING_LISTS) if rng.random() < list_ratio and not spam else None)
        )

        # Subject (decoded and header form).
        if reply_to is not None:
            base_subject, base_encoded = reply_to.subject, reply_to.encoded
        else:
            subjects = SPAM_SUBJECTS if spam else locale.subjects
            base_subject = rng.choice(subjects)
            if rng.random() < 0.3:
                base_subject = f"{base_subject} ({rng.randrange(2, 99)})"
            if mailing_list is not None:
                base_subject = f"[{mailing_list[1]}] {base_subject}"
            base_encoded = encode_words(base_subject, locale.charset, locale.header_enc)
        prefix = "Re: " if reply_to is not None else ""
        subject = prefix + base_subject
        subject_header = prefix + base_encoded

        domain = sender[1].partition("@")[2]
        message_id = f"<{seed:x}.{i}.{rng.getrandbits(48):012x}@{domain}>"
        date = when.astimezone(rng.choice(TIMEZONES))

        headers = [
            f"Return-Path: <{sender[1]}>",
            f"Received: from mx.{domain} (mx.{domain} [192.0.2.{i % 250 + 1}])"
            f"{CRLF}\tby mail.example.test with ESMTPS id {i:08x}{CRLF}\t"
            f"for <{rcpt_addr}>; {format_datetime(date)}",
            f"Date: {format_datetime(date)}",
        ]
        from_header = format_address(sender[0], sender[1], locale.charset, locale.header_enc)
        if outgoing is not None:
            from_header = outgoing
            greet = rng.choice(people)
            to_header = format_address(greet[0], greet[1], locale.charset, locale.header_enc)
        elif mailing_list is not None:
            greet = ("all", "")
            to_header = f"{mailing_list[0]} <{mailing_list[1]}@{mailing_list[2]}>"
        else:
            greet = (recipient.partition("<")[0].strip().strip('"'), recipient)
            to_header = recipient
        headers.append(f"From: {from_header}")
        headers.append(f"To: {to_header}")
        if rng.random() < 0.15:
            cc = rng.choice(ASCII.people)
            headers.append(f"Cc: {format_address(*cc)}")
        headers.append(f"Subject: {subject_header}")
        headers.append(f"Message-ID: {message_id}")
        in_reply_to = ""
        if reply_to is not None:
            in_reply_to = reply_to.message_ids[-1]
            refs = reply_to.message_ids
            # Long threads: keep the root and the most recent ids (RFC 5322 §3.6.4).
            if len(refs) > 10:
                refs = [refs[0], *refs[-9:]]
            headers.append(f"In-Reply-To: {in_reply_to}")
            headers.append("References: " + (CRLF + " ").join(refs))
        list_id = ""
        if mailing_list is not None:
            label, local, host = mailing_list
            list_id = f"{local}.{host}"
            headers += [
                f"List-Id: {label} <{list_id}>",
                f"List-Post: <mailto:{local}@{host}>",
                f"List-Unsubscribe: <mailto:{local}-leave@{host}>",
                "Precedence: list",
            ]
        headers.append("MIME-Version: 1.0")

        # Body text.
        paragraphs = rng.sample(locale.paragraphs, k=min(len(locale.paragraphs), rng.randint(1, 3)))
        lines = [locale.greeting.format(name=_first_name(*greet)), ""]
        for p in paragraphs:
            lines += [p, ""]
        if reply_to is not None:
            quoted = rng.choice(reply_to.locale.paragraphs)
            lines.append(
                locale.quote_intro.format(
                    date=format_datetime(reply_to.last_date), name=reply_to.last_sender[0]
                )
            )
            lines += ["> " + q for q in quoted.split("\n")]
            lines.append("")
        lines += ["-- ", sender[0] or sender[1]]
        text = "\n".join(lines)

        charset = locale.charset
        cte = locale.body_cte
        boundary = f"=_mailtui_{seed:x}_{i:x}"
        r = rng.random()
        body_parts: list[str | bytes]
        if r < html_ratio * 0.8:
            html = _html_of(paragraphs, charset)
            html_cte = "7bit" if cte == "7bit" else "quoted-printable"
            body_ct = f'multipart/alternative; boundary="{boundary}a"'
            body_parts = [
                f"--{boundary}a{CRLF}Content-Type: text/plain; charset={charset}{CRLF}"
                f"Content-Transfer-Encoding: {cte}{CRLF}{CRLF}",
                _body_bytes(text, charset, cte),
                f"--{boundary}a{CRLF}Content-Type: text/html; charset={charset}{CRLF}"
                f"Content-Transfer-Encoding: {html_cte}{CRLF}{CRLF}",
                _body_bytes(html, charset, html_cte),
                f"--{boundary}a--{CRLF}",
            ]
            body_cte = None
        elif r < html_ratio:
            html_cte = "7bit" if cte == "7bit" else "quoted-printable"
            body_ct = f"text/html; charset={charset}"
            body_cte = html_cte
            body_parts = [_body_bytes(_html_of(paragraphs, charset), charset, html_cte)]
        else:
            body_ct = f"text/plain; charset={charset}"
            body_cte = cte
            body_parts = [_body_bytes(text, charset, cte)]

        has_attachment = rng.random() < attachment_ratio
        if has_attachment:
            mime_type = rng.choice(tuple(ATTACHMENT_NAMES))
            filename = rng.choice(ATTACHMENT_NAMES[mime_type])
            inner = [f"Content-Type: {body_ct}{CRLF}"]
            if body_cte:
                inner.append(f"Content-Transfer-Encoding: {body_cte}{CRLF}")
            inner.append(CRLF)
            parts: list[str | bytes] = [
                f'Content-Type: multipart/mixed; boundary="{boundary}m"{CRLF}{CRLF}'
                f"This is a multi-part message in MIME format.{CRLF}{CRLF}"
                f"--{boundary}m{CRLF}",
                *inner,
                *body_parts,
                f"{CRLF}--{boundary}m{CRLF}"
                f"Content-Type: {mime_type};"
                f"{' charset=utf-8;' if mime_type.startswith('text/') else ''}"
                f" {rfc2231_param('name', filename)}{CRLF}"
                f"Content-Disposition: attachment; {rfc2231_param('filename', filename)}{CRLF}"
                f"Content-Transfer-Encoding: base64{CRLF}{CRLF}",
                _attachment_b64(mime_type, attachment_size),
                f"--{boundary}m--{CRLF}",
            ]
        else:
            parts = [f"Content-Type: {body_ct}{CRLF}"]
            if body_cte:
                parts.append(f"Content-Transfer-Encoding: {body_cte}{CRLF}")
            parts.append(CRLF)
            parts += body_parts

        raw = b"".join(
            p if isinstance(p, bytes) else p.encode("ascii")
            for p in [CRLF.join(headers) + CRLF, *parts]
        )

        # Flags. Draw every number whatever the outcome, so that the stream (and so
        # every later message) does not depend on n or on these ratios.
        r_seen, r_flagged, r_answered, r_keyword, r_pick = (rng.random() for _ in range(5))
        flags = set(extra)
        if seen_ratio is not None:
            seen = r_seen < seen_ratio
        else:
            seen = r_seen < (0.35 if i >= recent_cut else 0.97)
        if seen or outgoing is not None:
            flags.add(SEEN)
        if r_flagged < flagged_ratio:
            flags.add(FLAGGED)
        if seen and mailing_list is None and outgoing is None and r_answered < answered_ratio:
            flags.add(ANSWERED)
        if keywords and r_keyword < keyword_ratio:
            flags.add(keywords[int(r_pick * len(keywords))])

        if reply_to is not None:
            reply_to.message_ids.append(message_id)
            reply_to.last_sender = sender
            reply_to.last_date = date
            threads.remove(reply_to)
            threads.append(reply_to)
        else:
            threads.append(
                _Thread(
                    base_subject, base_encoded, [message_id], sender, date, locale, mailing_list
                )
            )
            if len(threads) > 200:
                del threads[0]

        yield GenMessage(
            raw=raw,
            flags=frozenset(flags),
            internaldate=when,
            message_id=message_id,
            subject=subject,
            in_reply_to=in_reply_to,
            has_attachment=has_attachment,
            list_id=list_id,
        )


# --------------------------------------------------------------------------------------
# Handcrafted single messages.

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def _header_value(value: str) -> str:
    """An unstructured header value, RFC 2047-encoded (UTF-8, B) unless plain ASCII."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"header value with a line break: {value!r}")
    if value.isascii() and "=?" not in value:
        return value
    if not value.isascii():
        return encode_words(value, "utf-8", "B")
    # ASCII that merely looks like an encoded word must be encoded too (RFC 2047 §6.2).
    return (CRLF + " ").join(
        _encoded_word(value[k : k + 40], "utf-8", "B") for k in range(0, len(value), 40)
    )


def _address_list(value: str) -> str:
    """From/To values: display names encoded where needed, addresses untouched."""
    pairs = getaddresses([value])
    if not pairs or any(not addr for _name, addr in pairs):
        return _header_value(value)
    return ", ".join(format_address(name, addr) for name, addr in pairs)


def make_message(
    *,
    subject: str,
    sender: str = "Alice Example <alice@example.com>",
    to: str = DEFAULT_RECIPIENT,
    body: str = "Hello,\n\nthis is a test message.\n",
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    headers: Mapping[str, str] = _NO_HEADERS,
    date: datetime | None = None,
    message_id: str | None = None,
) -> bytes:
    """One message for a specific test: the stdlib builds the MIME body, we write the
    top-level headers (CPython's header folder can drop the space between two encoded
    words, which would change the subject a test compares against).

    `attachments` are (filename, "type/subtype", data). Boundaries and the default
    Message-ID are derived from the content, so the bytes are reproducible.
    """
    date = date or DEFAULT_START
    digest = hashlib.sha1(f"{subject}\0{sender}\0{date.isoformat()}".encode()).hexdigest()
    mime = EmailMessage()
    mime.set_content(body)
    if html is not None:
        mime.add_alternative(html, subtype="html")
    for filename, mime_type, data in attachments:
        maintype, _, subtype = mime_type.partition("/")
        mime.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for n, part in enumerate(mime.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_mailtui_{digest[:12]}_{n}")
    lines = [
        f"Date: {format_datetime(date)}",
        f"From: {_address_list(sender)}",
        f"To: {_address_list(to)}",
        f"Subject: {_header_value(subject)}",
        f"Message-ID: {message_id or f'<{digest[:20]}@mailtui.test>'}",
    ]
    lines += [f"{key}: {_header_value(value)}" for key, value in headers.items()]
    return (CRLF.join(lines) + CRLF).encode("ascii") + mime.as_bytes(policy=policy.SMTP)


def from_bytes(
    raw: bytes, *, flags: Iterable[str] = (), internaldate: datetime | None = None
) -> GenMessage:
    """Wrap handcrafted bytes (e.g. from `make_message`) for `write_maildir`/`append_imap`."""
    from email.parser import BytesHeaderParser

    head = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    return GenMessage(
        raw=raw,
        flags=frozenset(flags),
        internaldate=(internaldate or DEFAULT_START).astimezone(UTC),
        message_id=str(head.get("Message-ID", "")),
        subject=str(head.get("Subject", "")),
        in_reply_to=str(head.get("In-Reply-To", "")),
    )


# --------------------------------------------------------------------------------------
# Writing into a Dovecot Maildir++ tree.

_MAILDIR_FLAGS = {DRAFT: "D", FLAGGED: "F", ANSWERED: "R", SEEN: "S", DELETED: "T"}
_SUBS_V2 = "V\t2\n\n"
_file_seq = itertools.count()


def folder_path(maildir: Path, folder: str) -> Path:
    """Where Dovecot's Maildir++ layout keeps `folder` ("/"-separated IMAP name)."""
    if folder.upper() == "INBOX":
        return maildir
    parts = folder.split("/")
    if any(not p or "." in p for p in parts):
        raise ValueError(f"folder {folder!r} cannot be stored in Maildir++ (empty part or '.')")
    return maildir / ("." + ".".join(imap_utf7.encode(p).decode("ascii") for p in parts))


class _Owner:
    """Files we create take the owner of the Maildir (root writing for the mail uid)."""

    def __init__(self, maildir: Path) -> None:
        probe = maildir if maildir.exists() else maildir.parent
        st = probe.stat()
        self.uid, self.gid = st.st_uid, st.st_gid
        self.active = os.geteuid() == 0 and (self.uid, self.gid) != (0, 0)

    def mkdir(self, path: Path) -> None:
        if not path.is_dir():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.active:
                os.chown(path, self.uid, self.gid)

    def write_atomic(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f".{path.name}.mailtui-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            if self.active:
                os.fchown(fd, self.uid, self.gid)
        finally:
            os.close(fd)
        os.replace(tmp, path)


def _subscribe(maildir: Path, folder: str, owner: _Owner) -> None:
    """Add `folder` to Dovecot's subscriptions file (version 2: levels tab-separated)."""
    path = maildir / "subscriptions"
    entry = "\t".join(imap_utf7.encode(p).decode("ascii") for p in folder.split("/"))
    text = path.read_text("utf-8") if path.exists() else _SUBS_V2
    if not text.startswith(_SUBS_V2):
        raise RuntimeError(f"{path} is not a version 2 subscriptions file")
    if entry in text[len(_SUBS_V2) :].split("\n"):
        return
    if not text.endswith("\n"):
        text += "\n"
    owner.write_atomic(path, (text + entry + "\n").encode("utf-8"))


def _keyword_letters(box: Path, keywords: set[str], owner: _Owner) -> dict[str, str]:
    """Map keywords to Maildir letters a-z via the dovecot-keywords file, adding new ones."""
    path = box / "dovecot-keywords"
    index: dict[str, int] = {}
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            num, _, name = line.partition(" ")
            if num.isdigit() and name:
                index[name] = int(num)
    changed = False
    for kw in sorted(keywords - index.keys()):
        free = next((k for k in range(26) if k not in index.values()), None)
        if free is None:
            raise ValueError("Maildir supports at most 26 keywords per folder")
        index[kw] = free
        changed = True
    if changed:
        body = "".join(f"{num} {name}\n" for name, num in sorted(index.items(), key=lambda x: x[1]))
        owner.write_atomic(path, body.encode("utf-8"))
    return {name: chr(ord("a") + num) for name, num in index.items()}


def write_maildir(maildir: Path, folder: str, messages: Iterable[GenMessage]) -> int:
    """Write messages into `folder` of a Dovecot Maildir, creating and subscribing it.

    Flagless mail goes to new/ (it will be \\Recent), the rest to cur/ with the flags
    in the ":2," suffix. The file mtime is the INTERNALDATE (Dovecot reads it from
    there) and the file name starts with that time, which is the order Dovecot gives
    new files their UIDs in. S= and W= sizes in the name spare Dovecot reading the
    files to answer RFC822.SIZE. Returns how many messages were written.

    Sessions already logged in see new mail in existing folders on their next NOOP,
    but not folders created here after they listed (`Dovecot.refresh_folder_list`).
    As root, files take the Maildir's owner (the harness's mail uid).
    """
    maildir = Path(maildir)
    owner = _Owner(maildir)
    owner.mkdir(maildir)
    box = folder_path(maildir, folder)
    for sub in ("", "cur", "new", "tmp"):
        owner.mkdir(box / sub if sub else box)
    if box != maildir:
        marker = box / "maildirfolder"
        if not marker.exists():
            owner.write_atomic(marker, b"")
        _subscribe(maildir, folder, owner)

    tmp_dir, cur_dir, new_dir = str(box / "tmp"), str(box / "cur"), str(box / "new")
    letters: dict[str, str] = {}
    pid = os.getpid()
    count = 0
    for msg in messages:
        keywords = {f for f in msg.flags if not f.startswith("\\")}
        if keywords - letters.keys():
            letters = _keyword_letters(box, keywords | set(letters), owner)
        info = "".join(
            sorted(
                [_MAILDIR_FLAGS[f] for f in msg.flags if f in _MAILDIR_FLAGS]
                + [letters[k] for k in keywords]
            )
        )
        raw = msg.raw
        ts = int(msg.internaldate.timestamp())
        seq = next(_file_seq)
        vsize = len(raw) + raw.count(b"\n") - raw.count(b"\r\n")
        base = f"{ts}.M{seq % 1000000}P{pid}Q{seq}.mailtui,S={len(raw)},W={vsize}"
        tmp = f"{tmp_dir}/{base}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, raw)
            if owner.active:
                os.fchown(fd, owner.uid, owner.gid)
            os.utime(fd, (ts, ts))
        finally:
            os.close(fd)
        if msg.flags - {"\\Recent"}:
            os.rename(tmp, f"{cur_dir}/{base}:2,{info}")
        else:
            os.rename(tmp, f"{new_dir}/{base}")
        count += 1
    return count


# --------------------------------------------------------------------------------------
# Through IMAP.

_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([\d:,]+)\]", re.IGNORECASE)


def _uid_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for item in text.split(b","):
        lo, _, hi = item.partition(b":")
        a, b = int(lo), int(hi or lo)
        uids.extend(range(min(a, b), max(a, b) + 1))
    return uids


def append_imap(client: IMAPClient, folder: str, messages: Iterable[GenMessage]) -> list[int]:
    """APPEND messages with their flags and INTERNALDATE; return their UIDs in order.

    Uses MULTIAPPEND (RFC 3502) in batches when offered; the UIDs come from UIDPLUS
    APPENDUID (RFC 4315 §3), or from a Message-ID search when that is hidden.
    """
    caps = {c.upper() for c in client.capabilities()}
    uids: list[int] = []
    batch: list[GenMessage] = []
    batch_bytes = 0

    def flush() -> None:
        nonlocal batch_bytes
        if not batch:
            return
        if b"MULTIAPPEND" in caps and len(batch) > 1:
            resp = client.multiappend(
                folder,
                [
                    {"msg": m.raw, "flags": sorted(m.flags - {"\\Recent"}), "date": m.internaldate}
                    for m in batch
                ],
            )
            found = _APPENDUID.search(resp if isinstance(resp, bytes) else str(resp).encode())
            uids.extend(_uid_set(found.group(1)) if found else _search_uids(client, folder, batch))
        else:
            for m in batch:
                resp = client.append(
                    folder, m.raw, flags=sorted(m.flags - {"\\Recent"}), msg_time=m.internaldate
                )
                found = _APPENDUID.search(resp if isinstance(resp, bytes) else str(resp).encode())
                uids.extend(
                    _uid_set(found.group(1)) if found else _search_uids(client, folder, [m])
                )
        batch.clear()
        batch_bytes = 0

    for m in messages:
        batch.append(m)
        batch_bytes += len(m.raw)
        if len(batch) >= 500 or batch_bytes >= 8_000_000:
            flush()
    flush()
    return uids


def _search_uids(client: IMAPClient, folder: str, batch: Sequence[GenMessage]) -> list[int]:
    """Without UIDPLUS: find each appended message by its Message-ID (selects `folder`)."""
    client.select_folder(folder, readonly=True)
    out = []
    for m in batch:
        found = client.search(["HEADER", "Message-ID", m.message_id])
        if not found:
            raise LookupError(f"appended message {m.message_id} not found in {folder}")
        out.append(max(found))
    return out


# --------------------------------------------------------------------------------------
# A ready-made account.


def populate_standard(user: MailUser, *, inbox: int = 200, seed: int = 0) -> dict[str, int]:
    """Fill a user's Maildir with a varied account; returns folder -> message count.

    INBOX gets `inbox` messages; the special-use folders, nested folders
    ("Archive/2025", "Projects/Alpha/Specs", whose parents exist only implicitly) and
    non-ASCII folders ("Entwürfe", "日本語") get a few each.
    """
    me = f"Test User <{user.address}>"
    loc = {locale.name: locale for locale in LOCALES}
    seeds = itertools.count(seed * 1000)

    def gen(n: int, **options: Any) -> Iterator[GenMessage]:
        options.setdefault("recipient", me)
        return generate(n, seed=next(seeds), **options)

    plan: dict[str, Iterator[GenMessage]] = {
        "INBOX": gen(inbox),
        "Sent": gen(12, outgoing=me),
        "Drafts": gen(3, outgoing=me, extra_flags={DRAFT}),
        "Trash": gen(5, seen_ratio=1.0),
        "Archive": gen(25, seen_ratio=1.0, keywords=("Work", "$label1"), keyword_ratio=0.3),
        "Junk": gen(6, spam=True, seen_ratio=0.0, flagged_ratio=0.0),
        "Archive/2025": gen(10, seen_ratio=1.0, start=datetime(2025, 1, 6, 9, 0, tzinfo=UTC)),
        "Projects/Alpha/Specs": gen(6, attachment_ratio=0.5),
        "Entwürfe": gen(4, outgoing=me, extra_flags={DRAFT}, locales=(loc["de"],)),
        "日本語": gen(5, locales=(loc["ja"], loc["ja-sjis"])),
    }
    return {folder: write_maildir(user.maildir, folder, msgs) for folder, msgs in plan.items()}
