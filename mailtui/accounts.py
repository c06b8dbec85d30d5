"""Building an account's SyncService from its settings: the one place that picks a backend.

Moved out of sync/ (issue 13) so that sync never imports an adapter: the service is
handed a session factory, and only this composition step (used by `context`) knows
whether that makes an `ImapSession` or a `MaildirSession`, each imported lazily.
"""

from __future__ import annotations

from pathlib import Path

from mailtui.config import credentials, paths
from mailtui.config.model import AccountSettings
from mailtui.errors import ConfigError
from mailtui.sync.service import SyncService

MB = 1024 * 1024


def build_service(account: AccountSettings, cache_path: Path | None = None) -> SyncService:
    """The account's service; its cache lives at `cache_path` or the XDG cache dir."""
    path = cache_path or paths.account_cache_path(account)
    if account.maildir is not None:
        return _maildir_service(account, path)
    if account.imap is None:
        raise ConfigError(
            f"Account {account.name!r} has no [accounts.{account.name}.imap] section",
            f'add one, or set maildir = "~/Mail" in [accounts.{account.name}]',
        )
    server = account.imap
    # Each backend is imported when an account uses it: start-up pays for one, not both.
    from mailtui.imap.session import ImapSession

    def get_secret() -> credentials.Secret:
        if server.auth_source != "oauth2":
            return credentials.get_secret(account, server, "imap")
        # The built-in sign-in (imported only by the accounts that use it).
        from mailtui.oauth2 import account as oauth2_account

        return oauth2_account.get_secret(account, server, "imap")

    def session_factory() -> ImapSession:
        return ImapSession(server, get_secret, label=account.name)

    return SyncService(
        account.name,
        path,
        session_factory,
        settings=account,
        part_cap_bytes=account.part_cache_mb * MB,
    )


def _maildir_service(account: AccountSettings, cache_path: Path) -> SyncService:
    """A local Maildir behind the same service: its UID map lives in the data dir."""
    from mailtui.maildir.session import MaildirSession
    from mailtui.maildir.uidmap import default_path as maildir_uid_db_path

    root = account.maildir
    assert root is not None

    def session_factory() -> MaildirSession:
        return MaildirSession(root, account.name, maildir_uid_db_path(account.name))

    return SyncService(
        account.name,
        cache_path,
        session_factory,
        settings=account,
        part_cap_bytes=account.part_cache_mb * MB,
    )
