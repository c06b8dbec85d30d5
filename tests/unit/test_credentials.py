import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from mailtui.config import credentials
from mailtui.config.credentials import (
    Secret,
    delete_password,
    get_secret,
    keyring_available,
    keyring_username,
    store_password,
)
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings, ServerSettings
from mailtui.errors import CredentialError

SECRET = "s3cr3t-Value"


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.items[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


class BrokenKeyring(KeyringBackend):
    """A backend that fails the way a locked or unreachable Secret Service does."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc

    def delete_password(self, service: str, username: str) -> None:
        raise self.exc


class EmptyChainer(chainer.ChainerBackend):
    backends = ()  # type: ignore[assignment]  # nothing to chain: a headless machine


@pytest.fixture
def use_keyring() -> Iterator[Any]:
    """Install a backend for one test and restore the previous one afterwards."""
    previous = keyring.get_keyring()

    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


@pytest.fixture
def memory(use_keyring: Any) -> MemoryKeyring:
    return use_keyring(MemoryKeyring())


def account(**imap: Any) -> tuple[AccountSettings, ServerSettings]:
    settings = make_settings(
        {"work": {"email": "me@example.com", "imap": {"host": "imap.example.com", **imap}}}
    )
    acct = settings.account("work")
    assert acct.imap is not None
    return acct, acct.imap


def test_secret_repr_hides_value() -> None:
    s = Secret("password", SECRET)
    assert SECRET not in repr(s) and SECRET not in str(s) and SECRET not in f"{s}"
    assert "password" in repr(s)
    assert s.value == SECRET


def test_keyring_username_shape() -> None:
    acct, imap = account(username="me")
    assert keyring_username(acct, imap, "imap") == "work:imap:me@imap.example.com"


def test_store_get_delete_roundtrip(memory: MemoryKeyring) -> None:
    acct, imap = account()
    assert keyring_available()
    store_password(acct, imap, "imap", SECRET)
    assert memory.items == {("mailtui", "work:imap:me@example.com@imap.example.com"): SECRET}
    got = get_secret(acct, imap, "imap")
    assert got == Secret("password", SECRET)
    assert delete_password(acct, imap, "imap") is True
    assert delete_password(acct, imap, "imap") is False
    assert memory.items == {}


def test_missing_keyring_entry_points_to_login(memory: MemoryKeyring) -> None:
    acct, imap = account()
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "smtp")
    assert "'work'" in str(info.value)
    assert "mailtui login work" in info.value.hint


def test_protocols_are_separate_entries(memory: MemoryKeyring) -> None:
    acct, imap = account()
    store_password(acct, imap, "imap", "one")
    store_password(acct, imap, "smtp", "two")
    assert get_secret(acct, imap, "imap").value == "one"
    assert get_secret(acct, imap, "smtp").value == "two"


def test_unknown_protocol_is_a_programming_error(memory: MemoryKeyring) -> None:
    acct, imap = account()
    with pytest.raises(ValueError):
        get_secret(acct, imap, "pop3")  # type: ignore[arg-type]


def test_empty_password_not_stored(memory: MemoryKeyring) -> None:
    acct, imap = account()
    with pytest.raises(CredentialError):
        store_password(acct, imap, "imap", "")
    assert memory.items == {}


def test_store_refused_when_a_command_is_configured(memory: MemoryKeyring) -> None:
    acct, imap = account(password_command="printf x")
    with pytest.raises(CredentialError) as info:
        store_password(acct, imap, "imap", SECRET)
    assert "password_command" in str(info.value)
    assert memory.items == {}


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring(), EmptyChainer()],
    ids=["fail", "null", "empty-chainer"],
)
def test_headless_keyring_explains_password_command(use_keyring: Any, backend: Any) -> None:
    use_keyring(backend)
    acct, imap = account()
    assert not keyring_available()
    for call in (
        lambda: get_secret(acct, imap, "imap"),
        lambda: store_password(acct, imap, "imap", SECRET),
        lambda: delete_password(acct, imap, "imap"),
    ):
        with pytest.raises(CredentialError) as info:
            call()
        hint = info.value.hint
        assert "password_command" in hint and "[accounts.work.imap]" in hint
        assert 'password_command = "pass show mail/work"' in hint
        assert SECRET not in str(info.value) and SECRET not in hint


@pytest.mark.parametrize(
    "exc",
    [
        keyring.errors.KeyringLocked("collection is locked"),
        keyring.errors.InitError("no dbus"),
        RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown"),
    ],
)
def test_any_keyring_exception_becomes_credential_error(use_keyring: Any, exc: Exception) -> None:
    use_keyring(BrokenKeyring(exc))
    acct, imap = account()
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert "password_command" in info.value.hint
    with pytest.raises(CredentialError):
        store_password(acct, imap, "imap", SECRET)
    with pytest.raises(CredentialError):
        delete_password(acct, imap, "imap")


def test_locked_keyring_hint_says_unlock(use_keyring: Any) -> None:
    use_keyring(BrokenKeyring(keyring.errors.KeyringLocked("locked")))
    acct, imap = account()
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert info.value.hint.startswith("unlock")


def test_keyring_not_consulted_with_a_command(use_keyring: Any) -> None:
    use_keyring(fail.Keyring())
    acct, imap = account(password_command="printf bench")
    assert get_secret(acct, imap, "imap") == Secret("password", "bench")


# --- commands -------------------------------------------------------------------------


def test_password_command_first_line_only(memory: MemoryKeyring) -> None:
    acct, imap = account(password_command=f"printf '{SECRET}\\nuser: me\\n'")
    assert get_secret(acct, imap, "imap") == Secret("password", SECRET)


def test_password_command_keeps_spaces_drops_crlf() -> None:
    acct, imap = account(password_command="printf ' a b \\r\\n'")
    assert get_secret(acct, imap, "imap").value == " a b "


def test_oauth2_token_command() -> None:
    acct, imap = account(oauth2_token_command="echo ya29.token")
    secret = get_secret(acct, imap, "imap")
    assert secret.kind == "oauth2" and secret.value == "ya29.token"
    assert imap.auth_source == "oauth2_token_command"


def test_failing_command_shows_stderr_never_stdout() -> None:
    cmd = f"echo {SECRET}; echo 'gpg: decryption failed: No secret key' >&2; echo more >&2; exit 2"
    acct, imap = account(password_command=cmd)
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    msg = info.value.sentence()
    assert "'work'" in msg and "exit status 2" in msg
    assert "gpg: decryption failed: No secret key" in msg
    assert "more" not in msg
    assert SECRET not in msg
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_failing_command_control_chars_in_stderr_neutralised() -> None:
    acct, imap = account(password_command="printf 'bad\\033[2Jthing' >&2; exit 1")
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert "\x1b" not in str(info.value)


@pytest.mark.parametrize("cmd", ["true", "printf ''", "printf '\\n'", "printf '\\nsecond'"])
def test_empty_output_is_an_error(cmd: str) -> None:
    acct, imap = account(password_command=cmd)
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert "printed nothing" in str(info.value)
    assert "second" not in str(info.value)


def test_command_timeout_uses_server_timeout() -> None:
    acct, imap = account(password_command=f"echo {SECRET}; sleep 5", timeout=0.3)
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert "0.3 s" in str(info.value) and SECRET not in info.value.sentence()
    assert info.value.__context__ is None  # TimeoutExpired holds the partial output


def test_non_utf8_output_is_an_error() -> None:
    acct, imap = account(password_command="printf '\\377\\376'")
    with pytest.raises(CredentialError, match="not UTF-8"):
        get_secret(acct, imap, "imap")


def test_missing_command_reports_stderr() -> None:
    acct, imap = account(password_command="definitely-not-a-command-xyz")
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert "127" in str(info.value) and "not found" in str(info.value)


def test_command_is_not_echoed_in_errors() -> None:
    acct, imap = account(password_command=f"test x = {SECRET}")
    with pytest.raises(CredentialError) as info:
        get_secret(acct, imap, "imap")
    assert SECRET not in info.value.sentence()


def test_smtp_server(memory: MemoryKeyring) -> None:
    settings = make_settings(
        {
            "work": {
                "email": "me@example.com",
                "imap": {"host": "imap.example.com"},
                "smtp": {"host": "smtp.example.com", "password_command": "printf smtp-pw"},
            }
        }
    )
    acct = settings.account()
    assert acct.smtp is not None
    assert get_secret(acct, acct.smtp, "smtp").value == "smtp-pw"


def test_secrets_never_logged_or_written(
    memory: MemoryKeyring,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    acct, imap = account()
    store_password(acct, imap, "imap", SECRET)
    get_secret(acct, imap, "imap")
    delete_password(acct, imap, "imap")
    acct2, imap2 = account(password_command=f"printf {SECRET}")
    assert get_secret(acct2, imap2, "imap").value == SECRET
    assert caplog.records  # it does log what it does...
    assert all(SECRET not in r.getMessage() for r in caplog.records)  # ...never the value
    assert list(tmp_path.iterdir()) == []


def test_only_credentials_imports_keyring() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mailtui.config, mailtui.config.load, mailtui.config.paths;"
        "print('keyring' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert credentials.SERVICE == "mailtui"
