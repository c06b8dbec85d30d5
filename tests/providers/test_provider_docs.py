"""Every config block in docs/providers.md loads as written (and is what it says)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from mailtui.config.load import make_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "providers.md"


def test_every_provider_block_is_a_valid_config() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    hosts = {}
    for block in blocks:
        data = tomllib.loads(block)
        settings = make_settings(data["accounts"])
        for name, account in settings.accounts.items():
            assert account.imap is not None and account.smtp is not None, name
            assert account.imap.security in ("tls", "starttls"), name
            hosts[name] = account.imap.host
    assert hosts == {
        "gmail": "imap.gmail.com",
        "work": "outlook.office365.com",
        "outlook": "outlook.office365.com",
        "yahoo": "imap.mail.yahoo.com",
        "icloud": "imap.mail.me.com",
        "fastmail": "imap.fastmail.com",
    }
