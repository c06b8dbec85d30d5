"""A passphrase-protected key: loopback (the app's own prompt) and gpg-agent's pinentry
(a pinentry program of the test's that answers from a file), never drawn in the TUI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mailtui.crypto import (
    Engine,
    PassphraseNeeded,
    PassphraseRequest,
    Pinentry,
    decrypt_message,
    sign_message,
)
from tests.crypto.keyring import PASSPHRASE, Keyring
from tests.crypto.messages import SECRET, headers, multipart_encrypted
from tests.crypto.test_send import RAW_8BIT, split_signed


@pytest.fixture(scope="module")
def locked_mail(keys: Keyring) -> bytes:
    entity = b"Content-Type: text/plain\r\n\r\nFor the locked key: " + SECRET + b"\r\n"
    return multipart_encrypted(
        headers("Bob <bob@example.net>", "locked"), keys.encrypt(entity, keys.locked)
    )


class Prompt:
    """The UI's masked prompt, scripted: answers in order, records what it was asked."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.asked: list[PassphraseRequest] = []

    def __call__(self, request: PassphraseRequest) -> str | None:
        self.asked.append(request)
        return self.answers.pop(0)


def test_loopback_asks_the_app_and_retries_after_a_wrong_one(
    engine: Engine, keys: Keyring, locked_mail: bytes
) -> None:
    prompt = Prompt("wrong guess", PASSPHRASE)
    before = keys.pinentry_calls()
    out = decrypt_message(engine, locked_mail, pinentry=Pinentry.loopback(prompt))
    assert SECRET in out.data
    assert [(r.retry, r.attempt) for r in prompt.asked] == [(False, 1), (True, 2)]
    assert prompt.asked[0].fingerprint == keys.locked
    assert prompt.asked[0].user_id == "Locked Key <locked@example.org>"
    assert keys.pinentry_calls() == before  # the agent's pinentry never ran


def test_loopback_does_not_ask_for_an_unlocked_key(engine: Engine, corpus: object) -> None:
    prompt = Prompt()
    out = decrypt_message(engine, corpus.encrypted_only, pinentry=Pinentry.loopback(prompt))  # type: ignore[attr-defined]
    assert SECRET in out.data and prompt.asked == []


def test_cancel_and_too_many_wrong_answers(engine: Engine, locked_mail: bytes) -> None:
    with pytest.raises(PassphraseNeeded, match="Cancelled"):
        decrypt_message(engine, locked_mail, pinentry=Pinentry.loopback(Prompt(None)))
    with pytest.raises(PassphraseNeeded, match="Wrong passphrase"):
        decrypt_message(engine, locked_mail, pinentry=Pinentry.loopback(Prompt("a", "b", "c")))


def test_never_mode_refuses_instead_of_prompting(
    engine: Engine, keys: Keyring, locked_mail: bytes
) -> None:
    before = keys.pinentry_calls()
    with pytest.raises(PassphraseNeeded, match="locked"):
        decrypt_message(engine, locked_mail, pinentry=Pinentry.never())
    with pytest.raises(PassphraseNeeded):
        decrypt_message(engine, locked_mail)  # no pinentry given: same
    assert keys.pinentry_calls() == before


def test_agent_pinentry_runs_while_the_app_is_suspended(
    engine: Engine, keys: Keyring, locked_mail: bytes
) -> None:
    events: list[str] = []

    @contextmanager
    def suspend() -> Iterator[None]:
        events.append(f"suspend {keys.pinentry_calls()}")
        yield
        events.append(f"resume {keys.pinentry_calls()}")

    before = keys.pinentry_calls()
    out = decrypt_message(engine, locked_mail, pinentry=Pinentry.agent(suspend))
    assert SECRET in out.data
    # The agent's pinentry ran once, and only inside the suspended stretch.
    assert events == [f"suspend {before}", f"resume {before + 1}"]


def test_agent_mode_does_not_suspend_for_an_unlocked_key(engine: Engine, corpus: object) -> None:
    events: list[str] = []

    @contextmanager
    def suspend() -> Iterator[None]:
        events.append("suspend")
        yield

    decrypt_message(engine, corpus.encrypted_only, pinentry=Pinentry.agent(suspend))  # type: ignore[attr-defined]
    assert events == []


def test_signing_with_the_locked_key_both_ways(
    engine: Engine, keys: Keyring, tmp_path: Path
) -> None:
    prompt = Prompt(PASSPHRASE)
    out = sign_message(engine, RAW_8BIT, keys.locked, Pinentry.loopback(prompt))
    signed, sig, _ = split_signed(out)
    assert keys.verify(signed, sig, tmp_path).returncode == 0
    assert len(prompt.asked) == 1
    before = keys.pinentry_calls()
    out = sign_message(engine, RAW_8BIT, keys.locked, Pinentry.agent())
    signed, sig, _ = split_signed(out)
    assert keys.verify(signed, sig, tmp_path).returncode == 0
    assert keys.pinentry_calls() == before + 1
