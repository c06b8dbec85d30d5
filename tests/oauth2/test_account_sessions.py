"""The built-in sign-in inside one long-lived process, on real parts: a token the server
stops accepting before the client thinks it expires is refreshed once and the IMAP
sync or the SMTP AUTH goes on; a revoked sign-in reaches the app's offline banner as
the one re-auth line; the browser sign-in of `mailtui login --browser`; settings."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from mailtui.compose.send import send_message
from mailtui.config.load import make_settings
from mailtui.config.model import AccountSettings, Settings
from mailtui.context import AppContext
from mailtui.errors import ConfigError, MailtuiError
from mailtui.oauth2 import account as oauth2_account
from mailtui.oauth2.tokens import TokenManager
from mailtui.sync import commands
from mailtui.ui.app import MailApp
from mailtui.ui.format import fixed_clock
from tests.compose.smtpd import HOST
from tests.oauth2.cli import (
    cli_env,
    imap_oauth2_table,
    mailtui,
    oauth2_table,
    write_config,
)
from tests.oauth2.test_cli_oauth2 import TokenCheckingSmtp
from tests.support import mailgen
from tests.support.dovecot import Dovecot, MailUser
from tests.support.oauth_server import OAuthServer
from tests.ui.helpers import NOW, screen_text, wait_for


def _settings(
    server: OAuthServer, dovecot: Dovecot, user: MailUser, tmp_path: Path, **tables: Any
) -> Settings:
    """Account "work" on the oauth2 Dovecot, its refresh token in tmp_path/tok."""
    imap = imap_oauth2_table(server, dovecot, user, oauth2_token_file=str(tmp_path / "tok"))
    account: dict[str, Any] = {"email": user.address, "imap": imap, **tables}
    return make_settings({"work": account}, ui={"mark_read_delay": -1})


def _sign_in(server: OAuthServer, account: AccountSettings, username: str) -> TokenManager:
    return oauth2_account.sign_in(
        account,
        "imap",
        io.StringIO(),
        on_code=lambda code: server.approve(code.user_code, username),
    )


def _inbox_count(ctx: AppContext) -> int:
    service = ctx.service()
    service.run(commands.SyncAll(folders=("INBOX",)), timeout=60)
    return len(service.cache().uids("INBOX"))


def test_a_token_refused_early_is_refreshed_once_and_sync_goes_on(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(4, seed=51))
    settings = _settings(server, dovecot, user, tmp_path)
    tokens = _sign_in(server, settings.accounts["work"], user.name)
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    try:
        assert _inbox_count(ctx) == 4
        assert tokens.refreshes == 0  # the sign-in's own access token did
    finally:
        ctx.close()
    server.expire_access_tokens(user.name)  # the server's clock, not the client's
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(2, seed=52))
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    try:
        assert _inbox_count(ctx) == 6
    finally:
        ctx.close()
    assert tokens.refreshes == 1
    assert oauth2_account.manager(ctx.account(), "imap") is tokens  # one per process
    stored = (tmp_path / "tok").read_text().strip()
    assert server.token_owner(tokens.access_token()) == user.name
    assert stored and stat.S_IMODE((tmp_path / "tok").stat().st_mode) == 0o600


@pytest.mark.parametrize("excluded", [(), ("OAUTHBEARER",)])
def test_smtp_refreshes_a_refused_token_once(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path, excluded: tuple[str, ...]
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    smtp = TokenCheckingSmtp(server, mode="plain", auth_mechanisms_excluded=excluded).start()
    try:
        smtp_table = {"host": HOST, "port": smtp.port, "security": "none", "timeout": 10}
        smtp_table.update(oauth2_table(server, oauth2_token_file=str(tmp_path / "tok")))
        smtp_table["username"] = user.name
        account = _settings(server, dovecot, user, tmp_path, smtp=smtp_table).accounts["work"]
        tokens = _sign_in(server, account, user.name)
        assert oauth2_account.manager(account, "smtp") is tokens  # one sign-in for both
        server.expire_access_tokens(user.name)
        msg = f"From: {user.address}\r\nTo: a@example.test\r\nSubject: hi\r\n\r\nhi\r\n"
        result = send_message(account, msg.encode())
        assert result.recipients == ("a@example.test",)
        mechanism = "XOAUTH2" if excluded else "OAUTHBEARER"
        assert smtp.handler.mechanisms_tried == [mechanism, mechanism]
        assert tokens.refreshes == 1 and len(smtp.messages) == 1
        server.revoke_user(user.name)  # refused, and the refresh token is dead too
        with pytest.raises(MailtuiError) as dead:
            send_message(account, msg.encode())
        assert dead.value.hint == "run `mailtui setup --reauth work`"
        assert len(smtp.messages) == 1
    finally:
        smtp.stop()


async def test_a_revoked_sign_in_shows_the_reauth_line_in_the_offline_banner(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    mailgen.write_maildir(user.maildir, "INBOX", mailgen.generate(3, seed=53))
    settings = _settings(server, dovecot, user, tmp_path)
    _sign_in(server, settings.accounts["work"], user.name)
    server.revoke_user(user.name)
    ctx = AppContext(settings, cache_dir=tmp_path / "cache")
    app = MailApp(ctx, clock=fixed_clock(NOW))
    async with app.run_test(size=(160, 40)) as pilot:
        text = await wait_for(
            pilot,
            lambda: (t := screen_text(app)) and "--reauth" in t and t,
            timeout=30,
            what="the re-auth line in the banner",
        )
        assert "Offline" in text
        assert "run `mailtui setup --reauth work`" in " ".join(text.split())
    ctx.close()


def test_login_with_the_browser_flow(
    oauth_stack: tuple[OAuthServer, Dovecot], tmp_path: Path
) -> None:
    server, dovecot = oauth_stack
    user = dovecot.add_user()
    imap = imap_oauth2_table(server, dovecot, user, oauth2_token_file=str(tmp_path / "tok"))
    env = cli_env(tmp_path, write_config(tmp_path / "c.toml", "work", user.address, imap=imap))
    # The "browser": follows the sign-in page's redirect back to mailtui's loopback port.
    browser = tmp_path / "browser.py"
    browser.write_text("import sys, urllib.request\nurllib.request.urlopen(sys.argv[1]).read()\n")
    env["BROWSER"] = f"{sys.executable} {browser} %s"
    server.authorize_as = user.name  # who is signed in to the provider in that browser
    try:
        done = mailtui(env, "login", "work", "--browser")
    finally:
        server.authorize_as = None
    assert done.returncode == 0, done.stderr
    assert "Signed in work (IMAP)" in done.stdout
    assert (tmp_path / "tok").read_text().strip()
    assert mailtui(env, "sync", "work").returncode == 0


def test_oauth2_settings_are_checked_naming_the_key() -> None:
    def error(imap: dict[str, Any]) -> str:
        with pytest.raises(ConfigError) as caught:
            make_settings({"w": {"email": "a@b.example", "imap": {"host": "h", **imap}}})
        return caught.value.sentence()

    assert "accounts.w.imap.oauth2_provider: is required" in error({"auth": "oauth2"})
    assert "accounts.w.imap.oauth2_token_url" in error(
        {"auth": "oauth2", "oauth2_provider": "custom", "oauth2_client_id": "x"}
    )
    plain = error(
        {"auth": "oauth2", "oauth2_provider": "microsoft", "oauth2_token_url": "http://x.test/t"}
    )
    assert "accounts.w.imap.oauth2_token_url" in plain and "plain http" in plain
    assert 'only used with auth = "oauth2"' in error({"oauth2_provider": "google"})
    assert "accounts.w.imap.password_command: conflicts with auth" in error(
        {"auth": "oauth2", "oauth2_provider": "google", "password_command": "x"}
    )
    assert "oauth2_tenant" in error(
        {"auth": "oauth2", "oauth2_provider": "google", "oauth2_tenant": "common"}
    )
    ok = make_settings(
        {
            "w": {
                "email": "a@b.example",
                "imap": {
                    "host": "h",
                    "auth": "oauth2",
                    "oauth2_provider": "microsoft",
                    "oauth2_scopes": "a b",
                },
            }
        }
    )
    imap = ok.accounts["w"].imap
    assert imap is not None and imap.auth_source == "oauth2" and imap.oauth2_scopes == ("a", "b")
    # A provider without a client id is refused when signing in, naming the table.
    with pytest.raises(ConfigError, match=r"accounts\.w\.imap\.oauth2_client_id: is required"):
        oauth2_account.provider_of(ok.accounts["w"], "imap")
