"""OAuth2 errors: each one sentence a user can act on (mailtui.errors.MailtuiError).

They are CredentialErrors because that is what they are to the rest of mailtui: no
usable secret for a server. `code` keeps the RFC 6749/8628 error code for callers
that branch on it (the device-grant poll loop does).
"""

from __future__ import annotations

from mailtui.errors import CredentialError, SignInExpired
from mailtui.text.safe import clean_line


class OAuth2Error(CredentialError):
    """The authorization server refused or could not be reached."""

    def __init__(self, message: str, hint: str = "", *, code: str = "") -> None:
        super().__init__(message, hint)
        self.code = code


class SignInFailed(OAuth2Error):
    """An interactive sign-in ended without a token (denied, expired, abandoned)."""


class ReauthRequired(OAuth2Error, SignInExpired):
    """The stored refresh token no longer works: only a new sign-in helps."""

    def __init__(self, account: str, why: str = "") -> None:
        reason = f" ({why})" if why else ""
        super().__init__(
            f"the OAuth2 sign-in for {account} has expired or was revoked{reason}",
            f"run `mailtui setup --reauth {account}`",
            code="invalid_grant",
        )
        self.account = account


class NotSignedIn(ReauthRequired):
    """No refresh token is stored yet: the account has never signed in (or was reset)."""

    def __init__(self, account: str) -> None:
        OAuth2Error.__init__(
            self,
            f"account {account} has not signed in with OAuth2 yet (no stored sign-in)",
            f"run `mailtui login {account}` to sign in",
            code="invalid_grant",
        )
        self.account = account


def server_words(text: object, limit: int = 200) -> str:
    """A server-supplied description, made safe to print (untrusted text)."""
    return clean_line(str(text))[:limit]
