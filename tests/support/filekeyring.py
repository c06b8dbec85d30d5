"""A keyring backend for tests that run mailtui in a subprocess: secrets in one JSON file.

Selected with PYTHON_KEYRING_BACKEND=tests.support.filekeyring.FileKeyring and
MAILTUI_TEST_KEYRING=<path>. Test-only: it stores secrets in clear text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def _path(self) -> Path:
        return Path(os.environ["MAILTUI_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self._path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\x00{username}", None)
        self._path.write_text(json.dumps(data))
