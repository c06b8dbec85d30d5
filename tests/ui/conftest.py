"""UI test fixtures: an account on the shared Dovecot with a standard mailbox."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from tests.compose.smtpd import SmtpServer
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser


@pytest.fixture
def filled_user(dovecot: Dovecot) -> MailUser:
    """A fresh user with the standard folders and 30 messages in INBOX."""
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=30)
    return user


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain loopback SMTP server (aiosmtpd) recording what it receives."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        server = SmtpServer(mode="plain").start()
        try:
            yield server
        finally:
            server.stop()
