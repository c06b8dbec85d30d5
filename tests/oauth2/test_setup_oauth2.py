"""`mailtui setup --auth oauth2` end to end, as a new user runs it: the device code
printed, approved on the Authlib server as the user would in a browser, the IMAP login
with the token on the Dovecot whose oauth2 passdb introspects it, the block written,
INBOX synced — and the cache then equal to what a fresh client reads from the server.
A refused sign-in writes nothing; with no keyring the token goes in a 0600 file."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import imapclient
import pytest

from mailtui.config.load import load_settings
from mailtui.context import AppContext
from tests.oauth2.cli import assert_no_secret_in, cli_env, login_approving, mailtui
from tests.support import mailgen
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser
from tests.support.oauth_server import CLIENT_ID, SCOPE, OAuthServer


def _fill(user: MailUser, n: int) -> list[str]:
    messages = list(mailgen.generate(n, seed=7, non_ascii_ratio=0.0, recipient=user.address))
    mailgen.write_maildir(user.maildir, "INBOX", messages)
    return [m.subject for m in messages]


def _setup_args(server: OAuthServer, dovecot: Dovecot, user: MailUser, *extra: str) -> list[str]:
    """Every answer as a flag: the servers, and a custom provider (the test server)."""
    base = server.base_url
    return [
        user.address,
        "--imap-host", dovecot.host,
        "--imap-port", str(dovecot.imaps_port),
        "--security", "tls",
        "--ca-file", str(dovecot.ca_file),
        "--no-smtp",
        "--auth", "oauth2",
        "--oauth2-client-id", CLIENT_ID,
        "--oauth2-device-url", f"{base}/device",
        "--oauth2-token-url", f"{base}/token",
        "--oauth2-scopes", SCOPE,
        "--username", user.name,
        "--name", "work",
        "--full-name", "Amy Example",
        "--yes",
        *extra,
    ]  # fmt: skip


def test_setup_signs_in_with_a_device_code_and_syncs_the_inbox(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    subjects = _fill(user, 12)
    config = tmp_path / "config.toml"  # a fresh box: no config yet
    env = cli_env(tmp_path, config)
    log = tmp_path / "mailtui.log"

    started = time.perf_counter()
    done = login_approving(env, server, user.name, *_setup_args(server, dovecot, user),
                           command="setup", options=("--log", str(log)))  # fmt: skip
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert len(done.codes) == 1, done.stdout  # one approval, as the user sees it
    assert "INBOX: 12 message(s)" in done.stdout, done.stdout
    assert "Wrote the account 'work'" in done.stdout
    assert took < 60

    # The block: commented, 0600, OAuth2 with the test provider, and no secret in it.
    text = config.read_text()
    assert config.stat().st_mode & 0o777 == 0o600
    assert 'auth = "oauth2"' in text and 'oauth2_provider = "custom"' in text
    assert f"oauth2_scopes = [{json.dumps(SCOPE)}]" in text
    assert_no_secret_in(config, server.secrets_issued(user.name))
    assert_no_secret_in(log, server.secrets_issued(user.name))
    # The refresh token is in the (test) keyring, not in the config.
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert stored["mailtui-oauth2\x00work"]

    # The user's next command reads what setup synced, and a sync needs no new sign-in.
    listed = mailtui(env, "list", "INBOX", "--json", "-n", "100")
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["subject"] for row in json.loads(listed.stdout)) == sorted(subjects)
    assert mailtui(env, "sync", "work").returncode == 0

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ctx = AppContext(load_settings(config))
    client = imapclient.IMAPClient(
        dovecot.host, dovecot.imaps_port, ssl=True, ssl_context=dovecot.ssl_context(), timeout=30
    )
    client.login(user.name, user.password)  # a fresh client, as another device would be
    try:
        assert assert_cache_matches_server(ctx, client, ["INBOX"]) == 12
    finally:
        client.logout()
        ctx.close()


def test_setup_writes_nothing_when_the_sign_in_is_refused(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    config = tmp_path / "config.toml"
    env = cli_env(tmp_path, config)
    done = login_approving(
        env, server, user.name, *_setup_args(server, dovecot, user), command="setup", deny=True
    )
    assert done.returncode != 0
    assert len(done.codes) == 1
    assert "declined" in done.stderr and "nothing written" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not config.exists()  # nothing written: a second run starts clean
    again = login_approving(env, server, user.name, *_setup_args(server, dovecot, user),
                            command="setup")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "[accounts.work]" in config.read_text()


def test_setup_without_a_keyring_needs_a_token_file_and_keeps_it_private(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    _fill(user, 2)
    config = tmp_path / "config.toml"
    env = cli_env(tmp_path, config)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # a box with none
    refused = mailtui(env, "setup", *_setup_args(server, dovecot, user))
    assert refused.returncode != 0
    assert "--oauth2-token-file" in refused.stderr and "Traceback" not in refused.stderr
    assert not config.exists()

    token_file = tmp_path / "private" / "work.oauth2"
    done = login_approving(env, server, user.name,
                           *_setup_args(server, dovecot, user, "--oauth2-token-file", str(token_file)),
                           command="setup")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "INBOX: 2 message(s)" in done.stdout
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert re.search(r"oauth2_token_file = \".*work\.oauth2\"", config.read_text())
    assert_no_secret_in(config, server.secrets_issued(user.name))


def _pass_store(tmp_path: Path, env: dict[str, str]) -> None:
    """A real `pass` store, initialised for a fresh gpg key without a passphrase."""
    env["GNUPGHOME"] = str(tmp_path / "gnupg")
    env["PASSWORD_STORE_DIR"] = str(tmp_path / "password-store")
    Path(env["GNUPGHOME"]).mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "me@example.test",
         "ed25519", "cert", "never"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    fpr = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--list-keys", "me@example.test"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    key = next(line.split(":")[9] for line in fpr.splitlines() if line.startswith("fpr:"))
    subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-add-key", key, "cv25519", "encr", "never"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(["pass", "init", key], env=env, check=True, capture_output=True)


def _pass_show(env: dict[str, str], entry: str) -> str:
    shown = subprocess.run(["pass", "show", entry], env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_without_a_keyring_the_sign_in_can_live_in_pass(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    _fill(user, 3)
    config = tmp_path / "config.toml"
    env = cli_env(tmp_path, config)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # a box with none
    _pass_store(tmp_path, env)

    done = login_approving(env, server, user.name,
                           *_setup_args(server, dovecot, user, "--oauth2-token-manager", "pass"),
                           command="setup")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "INBOX: 3 message(s)" in done.stdout
    text = config.read_text()
    assert 'oauth2_refresh_command = "pass show mail/work-oauth2"' in text
    assert_no_secret_in(config, server.secrets_issued(user.name))
    first = _pass_show(env, "mail/work-oauth2")
    assert first in server.secrets_issued(user.name)  # the refresh token, in pass

    # A later run reads the sign-in from pass; when the access token has expired the
    # refresh rotates the refresh token (as Microsoft does) and the new one goes to pass.
    server.expire_access_tokens(user.name)
    synced = mailtui(env, "sync", "work")
    assert synced.returncode == 0, synced.stderr
    rotated = _pass_show(env, "mail/work-oauth2")
    assert rotated != first and rotated in server.secrets_issued(user.name)
    assert mailtui(env, "sync", "work").returncode == 0  # and the rotated one works
