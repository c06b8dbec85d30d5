"""The one app factory: settings → per-account services, shared by CLI, TUI, tests, screenshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mailtui.accounts import build_service
from mailtui.config.load import load_settings
from mailtui.config.model import AccountSettings, Settings
from mailtui.sync.service import SyncService


@dataclass
class AppContext:
    """Owns the services it builds; `close()` stops them."""

    settings: Settings
    # Tests and screenshots put caches in a temp dir; None → the XDG cache dir.
    cache_dir: Path | None = None
    _services: dict[str, SyncService] = field(default_factory=dict)
    make_service: Callable[[AccountSettings, Path | None], SyncService] = build_service

    def account(self, name: str | None = None) -> AccountSettings:
        return self.settings.account(name)

    def service(self, name: str | None = None) -> SyncService:
        account = self.account(name)
        service = self._services.get(account.name)
        if service is None:
            path = None
            if self.cache_dir is not None:
                path = self.cache_dir / f"{account.name}.sqlite3"
            service = self.make_service(account, path)
            self._services[account.name] = service
        return service

    def close(self) -> None:
        for service in self._services.values():
            service.stop()
        self._services.clear()


def load_context(cli_config: str | None = None, *, settings: Settings | None = None) -> AppContext:
    return AppContext(settings if settings is not None else load_settings(cli_path=cli_config))
