"""`auth = "oauth2"` end to end through the CLI, on real parts: `mailtui login` (device
code approved on the Authlib server) → `mailtui sync` against the Dovecot whose oauth2
passdb introspects the token → `mailtui list`, the cache equal to the server; a revoked
sign-in ends in the one re-auth line; `mailtui send` through aiosmtpd's AUTH with the
same sign-in. No token or code reaches the log file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import imapclient
import pytest

from mailtui.config.load import load_settings
from mailtui.context import AppContext
from tests.compose.smtpd import HOST, SmtpServer
from tests.oauth2.cli import (
    assert_no_secret_in,
    cli_env,
    imap_oauth2_table,
    login_approving,
    mailtui,
    oauth2_table,
    write_config,
)
from tests.support import mailgen
from tests.support.consistency import assert_cache_matches_server
from tests.support.dovecot import Dovecot, MailUser
from tests.support.oauth_server import OAuthServer


class TokenCheckingSmtp(SmtpServer):
    """aiosmtpd whose XOAUTH2/OAUTHBEARER accept what the authorization server says is
    a live token of that user (as a real resource server learns by introspection)."""

    def __init__(self, oauth: OAuthServer, **kwargs: object) -> None:
        super().__init__(tokens={"-": "-"}, **kwargs)  # type: ignore[arg-type]
        self.handler._check_bearer = (  # type: ignore[method-assign]
            lambda user, token: oauth.token_owner(token) == user
        )


@pytest.fixture
def stack(oauth_stack: tuple[OAuthServer, Dovecot]) -> tuple[OAuthServer, Dovecot]:
    return oauth_stack


@pytest.fixture
def smtp(stack: tuple[OAuthServer, Dovecot]) -> Iterator[TokenCheckingSmtp]:
    server = TokenCheckingSmtp(stack[0], mode="plain").start()
    try:
        yield server
    finally:
        server.stop()


def _fill(user: MailUser, n: int, seed: int) -> list[str]:
    messages = list(mailgen.generate(n, seed=seed, non_ascii_ratio=0.0, recipient=user.address))
    mailgen.write_maildir(user.maildir, "INBOX", messages)
    return [m.subject for m in messages]


def _server_client(dovecot: Dovecot, user: MailUser) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient(
        dovecot.host, dovecot.imaps_port, ssl=True, ssl_context=dovecot.ssl_context(), timeout=30
    )
    client.login(user.name, user.password)  # a second client, as another device would be
    return client


def test_login_sync_list_on_an_oauth2_account(
    stack: tuple[OAuthServer, Dovecot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, dovecot = stack
    user = dovecot.add_user()
    subjects = _fill(user, 15, seed=41)
    config = write_config(
        tmp_path / "config.toml",
        "work",
        user.address,
        imap=imap_oauth2_table(server, dovecot, user),
    )
    env = cli_env(tmp_path, config)
    log = tmp_path / "mailtui.log"

    before = mailtui(env, "sync", "work")
    assert before.returncode == 77  # a person must sign in first
    assert "has not signed in" in before.stderr and "mailtui login work" in before.stderr

    login = login_approving(env, server, user.name, "work")
    assert login.returncode == 0, login.stderr
    assert len(login.codes) == 1  # one device code, printed with no terminal on stdin
    assert f"open {server.base_url}/activate" in login.stdout
    assert "Signed in work (IMAP)" in login.stdout
    assert "Traceback" not in login.stderr
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert list(stored) == ["mailtui-oauth2\x00work"]

    synced = mailtui(env, "--log", str(log), "sync", "work")
    assert synced.returncode == 0, synced.stderr
    listed = mailtui(env, "list", "INBOX", "--json", "-n", "100")
    assert listed.returncode == 0, listed.stderr
    assert sorted(row["subject"] for row in json.loads(listed.stdout)) == sorted(subjects)

    # The refresh token was used and rotated by the server; the keyring has the new one.
    rotated = json.loads((tmp_path / "keyring.json").read_text())["mailtui-oauth2\x00work"]
    assert rotated != stored["mailtui-oauth2\x00work"]

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ctx = AppContext(load_settings(config))
    client = _server_client(dovecot, user)
    try:
        assert assert_cache_matches_server(ctx, client, ["INBOX"]) == 15
    finally:
        client.logout()
        ctx.close()
    assert_no_secret_in(log, server.secrets_issued(user.name))


def test_revoked_sign_in_gives_the_reauth_line(
    stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = stack
    user = dovecot.add_user()
    _fill(user, 3, seed=42)
    token_file = tmp_path / "secrets" / "work.token"
    imap = imap_oauth2_table(server, dovecot, user, oauth2_token_file=str(token_file))
    config = write_config(tmp_path / "config.toml", "work", user.address, imap=imap)
    env = cli_env(tmp_path, config)
    log = tmp_path / "mailtui.log"

    login = login_approving(env, server, user.name, "work")
    assert login.returncode == 0, login.stderr
    assert f"kept in {token_file}" in login.stdout
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "keyring.json").exists()
    assert mailtui(env, "sync", "work").returncode == 0

    server.revoke_user(user.name)  # the user removed mailtui's access in their account
    failed = mailtui(env, "--log", str(log), "sync", "work")
    assert failed.returncode == 77  # EX_NOPERM: a person must sign in; not a retry (75)
    lines = failed.stderr.splitlines()
    assert len(lines) == 1, failed.stderr
    assert "expired or was revoked" in lines[0]
    assert lines[0].endswith("run `mailtui setup --reauth work`")
    assert "Traceback" not in failed.stderr
    # What was synced is still there to read.
    assert mailtui(env, "list", "INBOX").returncode == 0
    # The line's advice works: a new sign-in, and sync goes on.
    again = login_approving(env, server, user.name, "--reauth", "work", command="setup")
    assert again.returncode == 0, again.stderr
    assert len(again.codes) == 1 and "Signed in work (IMAP)" in again.stdout
    assert mailtui(env, "--log", str(log), "sync", "work").returncode == 0
    assert_no_secret_in(log, server.secrets_issued(user.name))


def test_token_file_others_can_read_is_refused_naming_the_key(
    stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = stack
    user = dovecot.add_user()
    token_file = tmp_path / "work.token"
    token_file.write_text("refresh-token\n")
    token_file.chmod(0o644)
    imap = imap_oauth2_table(server, dovecot, user, oauth2_token_file=str(token_file))
    env = cli_env(tmp_path, write_config(tmp_path / "c.toml", "work", user.address, imap=imap))
    done = mailtui(env, "sync", "work")
    assert done.returncode == 2
    assert "accounts.work.imap.oauth2_token_file" in done.stderr
    assert "other users" in done.stderr and "chmod 600" in done.stderr


def test_send_with_the_same_sign_in_through_smtp_auth(
    stack: tuple[OAuthServer, Dovecot], smtp: TokenCheckingSmtp, tmp_path: Path
) -> None:
    server, dovecot = stack
    user = dovecot.add_user()
    smtp_table = {
        "host": HOST,
        "port": smtp.port,
        "security": "none",
        "username": user.name,
        "timeout": 10,
        **oauth2_table(server),
    }
    config = write_config(
        tmp_path / "config.toml",
        "work",
        user.address,
        imap=imap_oauth2_table(server, dovecot, user),
        smtp=smtp_table,
    )
    env = cli_env(tmp_path, config)
    log = tmp_path / "mailtui.log"
    login = login_approving(env, server, user.name, "work")
    assert login.returncode == 0, login.stderr
    assert len(login.codes) == 1  # IMAP and SMTP sign in the same way: one sign-in
    message = (
        f"From: {user.address}\r\nTo: friend@example.test\r\nSubject: token mail\r\n"
        "\r\nSent with an OAuth2 token.\r\n"
    ).encode()
    sent = mailtui(env, "--log", str(log), "send", "--account", "work", stdin=message)
    assert sent.returncode == 0, sent.stderr
    assert [m.rcpt_tos for m in smtp.messages] == [("friend@example.test",)]
    assert smtp.messages[0].login == user.name
    assert smtp.handler.mechanisms_tried == ["OAUTHBEARER"]
    # The Sent copy went to the server over the same sign-in's IMAP login.
    client = _server_client(dovecot, user)
    try:
        client.select_folder("Sent", readonly=True)
        assert len(client.search(["SUBJECT", "token mail"])) == 1
    finally:
        client.logout()
    assert_no_secret_in(log, server.secrets_issued(user.name))
