"""Built-in server settings for the big providers: the first place discovery looks.

Why a table and not only autoconfig: the big providers are most of the users, several
publish no autoconfig for their own domains (Gmail, Outlook.com), and a table answers
offline, instantly, and with the habits autoconfig cannot say — which folder is Sent,
whether the server files sent mail itself, whether the password must be an app password.

Each entry cites where its hosts and ports were checked (the provider's own page where
one was found; a third-party page only where the provider's was not reachable):
- Gmail / Google Workspace: imap.gmail.com:993 TLS, smtp.gmail.com:465 TLS (587
  STARTTLS also) — Google, "Read Gmail messages on other email clients using POP/IMAP"
  (quoted at mailconfiguration.com/gmail/gmail-imap-pop-smtp-settings: "source: GOOGLE").
  Gmail files sent mail in "[Gmail]/Sent Mail" itself: a client that also appends
  stores every message twice.
- Outlook.com / Hotmail / Live / MSN: outlook.office365.com:993 TLS,
  smtp-mail.outlook.com:587 STARTTLS, "OAuth2/Modern Auth" — Microsoft support, "POP,
  IMAP, and SMTP settings for Outlook.com" (support.microsoft.com/office/8361e398).
  Microsoft 365 work mailboxes: the same IMAP host and smtp.office365.com:587 STARTTLS.
- Yahoo: imap.mail.yahoo.com:993 TLS, smtp.mail.yahoo.com:465 TLS, app password for
  third-party clients (Yahoo help "IMAP server settings", as summarised at
  unanswered.io/guide/yahoo-mail-protocols-imap-pop-smtp-settings).
- iCloud: imap.mail.me.com:993 TLS, smtp.mail.me.com:587 STARTTLS, app-specific
  password (Apple support HT202304 "iCloud Mail server settings", as quoted at
  lifewire.com/what-are-icloud-mail-imap-settings-1170502 and sowebmail.com).
- Fastmail: imap.fastmail.com:993 TLS "but not STARTTLS", smtp.fastmail.com:465 TLS,
  app password — fastmail.com/help/technical/servernamesandports.html.
- GMX: imap.gmx.net:993 TLS, mail.gmx.net:587 STARTTLS (gmx.com: imap.gmx.com,
  mail.gmx.com) — GMX help "IMAP-Serverdaten" (hilfe.gmx.net); the search corpus had no
  copy of that page, so these are the values Thunderbird's ISPDB carries too.
- mailbox.org: imap.mailbox.org:993 TLS, smtp.mailbox.org:465 TLS (587 STARTTLS) —
  kb.mailbox.org/en/private/e-mail/e-mail-configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Security = Literal["tls", "starttls"]
AuthKind = Literal["password", "app-password", "oauth2"]


@dataclass(frozen=True)
class Endpoint:
    """One server to connect to."""

    host: str
    port: int
    security: Security


@dataclass(frozen=True)
class Preset:
    """A provider's settings and habits."""

    key: str
    name: str
    domains: tuple[str, ...]
    imap: Endpoint
    smtp: Endpoint
    auth: AuthKind
    oauth2_provider: str | None = None
    # MX host suffixes that mark a custom domain hosted by this provider (Workspace, 365).
    mx_suffixes: tuple[str, ...] = ()
    sent_folder: str | None = None  # None: find it by SPECIAL-USE (RFC 6154)
    trash_folder: str | None = None
    server_saves_sent: bool = False
    note: str = ""


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="gmail",
        name="Gmail / Google Workspace",
        domains=("gmail.com", "googlemail.com"),
        imap=Endpoint("imap.gmail.com", 993, "tls"),
        smtp=Endpoint("smtp.gmail.com", 465, "tls"),
        auth="oauth2",
        oauth2_provider="google",
        mx_suffixes=("google.com", "googlemail.com"),
        sent_folder="[Gmail]/Sent Mail",
        trash_folder="[Gmail]/Trash",
        server_saves_sent=True,
        note="Google signs in through the browser, or takes an app password.",
    ),
    Preset(
        key="microsoft",
        name="Outlook.com / Hotmail / Live / Microsoft 365",
        domains=(
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "passport.com",
            "outlook.de",
            "outlook.fr",
            "hotmail.co.uk",
            "hotmail.de",
            "hotmail.fr",
            "hotmail.it",
            "live.co.uk",
            "live.de",
            "live.fr",
            "live.nl",
        ),
        imap=Endpoint("outlook.office365.com", 993, "tls"),
        smtp=Endpoint("smtp-mail.outlook.com", 587, "starttls"),
        auth="oauth2",
        oauth2_provider="microsoft",
        mx_suffixes=("mail.protection.outlook.com",),
        sent_folder="Sent",
        trash_folder="Deleted",
        server_saves_sent=True,
        note="Microsoft has basic authentication off: sign in with OAuth2.",
    ),
    Preset(
        key="yahoo",
        name="Yahoo Mail",
        domains=("yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.de", "yahoo.fr"),
        imap=Endpoint("imap.mail.yahoo.com", 993, "tls"),
        smtp=Endpoint("smtp.mail.yahoo.com", 465, "tls"),
        auth="app-password",
        mx_suffixes=("yahoodns.net",),
        sent_folder="Sent",
        trash_folder="Trash",
        note="Yahoo needs an app password (Account security → Generate app password).",
    ),
    Preset(
        key="icloud",
        name="iCloud Mail",
        domains=("icloud.com", "me.com", "mac.com"),
        imap=Endpoint("imap.mail.me.com", 993, "tls"),
        smtp=Endpoint("smtp.mail.me.com", 587, "starttls"),
        auth="app-password",
        sent_folder="Sent Messages",
        trash_folder="Deleted Messages",
        note="iCloud needs an app-specific password (appleid.apple.com → Sign-In and Security).",
    ),
    Preset(
        key="fastmail",
        name="Fastmail",
        domains=("fastmail.com", "fastmail.fm", "messagingengine.com"),
        imap=Endpoint("imap.fastmail.com", 993, "tls"),
        smtp=Endpoint("smtp.fastmail.com", 465, "tls"),
        auth="app-password",
        mx_suffixes=("messagingengine.com",),
        sent_folder="Sent",
        trash_folder="Trash",
        note="Fastmail needs an app password (Settings → Privacy & Security).",
    ),
    Preset(
        key="gmx",
        name="GMX",
        domains=("gmx.net", "gmx.de", "gmx.at", "gmx.ch"),
        imap=Endpoint("imap.gmx.net", 993, "tls"),
        smtp=Endpoint("mail.gmx.net", 587, "starttls"),
        auth="password",
        note="GMX needs IMAP switched on in its web settings first.",
    ),
    Preset(
        key="gmx.com",
        name="GMX (international)",
        domains=("gmx.com", "gmx.us", "gmx.co.uk", "gmx.fr"),
        imap=Endpoint("imap.gmx.com", 993, "tls"),
        smtp=Endpoint("mail.gmx.com", 587, "starttls"),
        auth="password",
        note="GMX needs IMAP switched on in its web settings first.",
    ),
    Preset(
        key="mailbox.org",
        name="mailbox.org",
        domains=("mailbox.org",),
        imap=Endpoint("imap.mailbox.org", 993, "tls"),
        smtp=Endpoint("smtp.mailbox.org", 465, "tls"),
        auth="password",
        sent_folder="Sent",
        trash_folder="Trash",
    ),
)

_BY_DOMAIN = {d: p for p in PRESETS for d in p.domains}


def preset_for_domain(domain: str) -> Preset | None:
    """The preset for an address's domain (exact match, case-insensitive)."""
    return _BY_DOMAIN.get(domain.lower().rstrip("."))


def preset_for_mx(mx_hosts: list[str]) -> Preset | None:
    """The provider hosting a custom domain, judged by its MX hosts (Workspace, 365)."""
    for host in mx_hosts:
        h = host.lower().rstrip(".")
        for preset in PRESETS:
            if any(h == s or h.endswith("." + s) for s in preset.mx_suffixes):
                return preset
    return None
