"""The one error family every layer raises; the CLI and UI turn it into one sentence."""

from __future__ import annotations


class MailtuiError(Exception):
    """An error a user can act on: `str()` says what happened, `hint` what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def sentence(self) -> str:
        msg = str(self)
        return f"{msg} — {self.hint}" if self.hint else msg


class ConfigError(MailtuiError):
    """The config file is missing, unreadable or wrong; the message names file and key."""


class CredentialError(MailtuiError):
    """No secret could be obtained for a server."""
