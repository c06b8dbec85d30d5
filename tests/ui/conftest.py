"""UI test fixtures: an account on the shared Dovecot with a standard mailbox."""

from __future__ import annotations

import pytest

from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser


@pytest.fixture
def filled_user(dovecot: Dovecot) -> MailUser:
    """A fresh user with the standard folders and 30 messages in INBOX."""
    user = dovecot.add_user()
    mailgen.populate_standard(user, inbox=30)
    return user
