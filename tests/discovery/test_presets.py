"""The presets hold the providers' documented hosts and ports (sources in presets.py)."""

from __future__ import annotations

import pytest

from mailtui.setup.presets import PRESETS, Endpoint, preset_for_domain, preset_for_mx

# (domain, IMAP, SMTP, auth) as each provider documents them; see presets.py for where.
DOCUMENTED = [
    ("gmail.com", ("imap.gmail.com", 993, "tls"), ("smtp.gmail.com", 465, "tls"), "oauth2"),
    (
        "outlook.com",
        ("outlook.office365.com", 993, "tls"),
        ("smtp-mail.outlook.com", 587, "starttls"),
        "oauth2",
    ),
    (
        "hotmail.com",
        ("outlook.office365.com", 993, "tls"),
        ("smtp-mail.outlook.com", 587, "starttls"),
        "oauth2",
    ),
    (
        "yahoo.com",
        ("imap.mail.yahoo.com", 993, "tls"),
        ("smtp.mail.yahoo.com", 465, "tls"),
        "app-password",
    ),
    (
        "icloud.com",
        ("imap.mail.me.com", 993, "tls"),
        ("smtp.mail.me.com", 587, "starttls"),
        "app-password",
    ),
    (
        "fastmail.com",
        ("imap.fastmail.com", 993, "tls"),
        ("smtp.fastmail.com", 465, "tls"),
        "app-password",
    ),
    ("gmx.de", ("imap.gmx.net", 993, "tls"), ("mail.gmx.net", 587, "starttls"), "password"),
    ("gmx.com", ("imap.gmx.com", 993, "tls"), ("mail.gmx.com", 587, "starttls"), "password"),
    (
        "mailbox.org",
        ("imap.mailbox.org", 993, "tls"),
        ("smtp.mailbox.org", 465, "tls"),
        "password",
    ),
]


@pytest.mark.parametrize(("domain", "imap", "smtp", "auth"), DOCUMENTED, ids=lambda v: str(v))
def test_preset_matches_the_documented_settings(
    domain: str, imap: tuple, smtp: tuple, auth: str
) -> None:
    preset = preset_for_domain(domain.upper())
    assert preset is not None
    assert preset.imap == Endpoint(*imap)
    assert preset.smtp == Endpoint(*smtp)
    assert preset.auth == auth


def test_every_preset_uses_tls_on_standard_ports() -> None:
    for preset in PRESETS:
        assert (preset.imap.port, preset.imap.security) == (993, "tls"), preset.key
        assert (preset.smtp.port, preset.smtp.security) in ((465, "tls"), (587, "starttls"))
        assert (preset.auth == "oauth2") == (preset.oauth2_provider is not None)


def test_oauth2_providers_are_known_to_the_oauth2_package() -> None:
    from mailtui.oauth2.providers import PROVIDER_NAMES

    assert {p.oauth2_provider for p in PRESETS if p.oauth2_provider} <= set(PROVIDER_NAMES)


def test_hosted_custom_domains_are_recognised_by_mx() -> None:
    gmail = preset_for_mx(["aspmx.l.google.com", "alt1.aspmx.l.google.com"])
    assert gmail is not None and gmail.key == "gmail"
    ms = preset_for_mx(["contoso-com.mail.protection.outlook.com."])
    assert ms is not None and ms.key == "microsoft"
    assert preset_for_mx(["mx.example.net", "notgoogle.com"]) is None
    assert preset_for_domain("example.com") is None
