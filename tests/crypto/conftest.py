"""Crypto fixtures: one throw-away GnuPG world per session, test mail made by gpg.

`keys` (see tests/crypto/keyring.py) and `corpus` (tests/crypto/messages.py) are built
once; `engine` is mailtui's engine on the reader's home. Every gpg-agent started in
those homes is killed at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailtui.crypto import Engine
from tests.crypto.keyring import Keyring, build_keyring
from tests.crypto.messages import Corpus, build_corpus


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyring]:
    ring = build_keyring(tmp_path_factory.mktemp("gnupg"))
    try:
        yield ring
    finally:
        ring.close()


@pytest.fixture(scope="session")
def corpus(keys: Keyring) -> Corpus:
    return build_corpus(keys)


@pytest.fixture(scope="session")
def engine(keys: Keyring) -> Engine:
    return Engine(str(keys.reader))
