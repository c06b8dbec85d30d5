"""OAuth2 providers: the big two as presets, anything else from the account's settings.

A preset carries what users should never have to look up — endpoints and mail scopes —
and leaves the client id to the user or to whoever packages mailtui (PACKAGED_CLIENTS):
an OAuth2 client is registered by someone, and its id should say who.

Sources for the preset values:
- Google: endpoints as in Google's "OAuth 2.0 for Mobile & Desktop Apps" and "for TV
  and Limited-Input Device Applications" (developers.google.com/identity/protocols/oauth2);
  IMAP/SMTP need the scope `https://mail.google.com/` (support.google.com/cloud/answer/
  13464325 lists it as the scope that "includes any usage of IMAP, SMTP and POP3").
  Google's device flow accepts only a short list of scopes and the mail scope is not on
  it (limited-input-device#allowedscopes), so Google signs in through the loopback
  redirect; `device_grant=False` makes mailtui say so instead of failing at Google.
- Microsoft: learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code and
  v2-oauth2-auth-code-flow: `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/
  devicecode|authorize|token`; tenant `common` (work and personal accounts),
  `consumers`, `organizations` or a directory id. Scopes from "Authenticate an IMAP,
  POP or SMTP connection using OAuth" (learn.microsoft.com/exchange/client-developer/
  legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from mailtui.oauth2.http import HttpError, check_url

GOOGLE_SCOPES = ("https://mail.google.com/",)
MICROSOFT_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
)
PROVIDER_NAMES = ("google", "microsoft", "custom")

# Client registrations shipped by a packager: {"google": ("id", "secret-or-empty"), ...}.
# Google's "desktop app" clients come with a secret that Google itself says is not
# secret; Microsoft public clients have none.
PACKAGED_CLIENTS: dict[str, tuple[str, str]] = {}


class ProviderError(ValueError):
    """The account's OAuth2 settings are incomplete or unsafe; the text says which."""


@dataclass(frozen=True)
class Provider:
    """Everything the flows need to talk to one authorization server."""

    name: str
    client_id: str
    token_url: str
    scopes: tuple[str, ...]
    client_secret: str | None = None
    device_url: str | None = None
    authorize_url: str | None = None
    revoke_url: str | None = None
    device_grant: bool = True

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"Provider(name={self.name!r}, client_id={self.client_id!r}, token_url={self.token_url!r})"

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)

    def client_form(self) -> dict[str, str]:
        """client_id (and secret, for clients that have one) for a token request body."""
        form = {"client_id": self.client_id}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        return form


def _google() -> Provider:
    return Provider(
        name="google",
        client_id="",
        token_url="https://oauth2.googleapis.com/token",
        scopes=GOOGLE_SCOPES,
        device_url="https://oauth2.googleapis.com/device/code",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        revoke_url="https://oauth2.googleapis.com/revoke",
        device_grant=False,
    )


def _microsoft(tenant: str) -> Provider:
    base = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
    return Provider(
        name="microsoft",
        client_id="",
        token_url=f"{base}/token",
        scopes=MICROSOFT_SCOPES,
        device_url=f"{base}/devicecode",
        authorize_url=f"{base}/authorize",
    )


def make_provider(
    kind: str,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    device_url: str | None = None,
    authorize_url: str | None = None,
    token_url: str | None = None,
    revoke_url: str | None = None,
    scopes: Sequence[str] | str | None = None,
    tenant: str | None = None,
) -> Provider:
    """The provider an account's `oauth2_*` settings describe; ProviderError if unusable.

    Explicit settings override the preset's; every endpoint is checked here, once, so a
    plain-http endpoint off loopback is refused before any secret is sent to it.
    """
    kind = kind.lower()
    if kind == "google":
        base = _google()
    elif kind == "microsoft":
        t = tenant or "common"
        if not t.replace("-", "").replace(".", "").isalnum():
            raise ProviderError(f"oauth2_tenant {t!r} is not a tenant name or id")
        base = _microsoft(t)
    elif kind == "custom":
        if not token_url:
            raise ProviderError("oauth2_provider = custom needs oauth2_token_url")
        base = Provider(name="custom", client_id="", token_url=token_url, scopes=())
    else:
        raise ProviderError(f"oauth2_provider must be one of {', '.join(PROVIDER_NAMES)}")
    packaged_id, packaged_secret = PACKAGED_CLIENTS.get(kind, ("", ""))
    if isinstance(scopes, str):
        scopes = scopes.split()
    provider = replace(
        base,
        client_id=client_id or packaged_id,
        client_secret=client_secret or packaged_secret or None,
        device_url=device_url or base.device_url,
        authorize_url=authorize_url or base.authorize_url,
        token_url=token_url or base.token_url,
        revoke_url=revoke_url or base.revoke_url,
        scopes=tuple(scopes) if scopes else base.scopes,
        device_grant=base.device_grant if kind != "custom" else bool(device_url),
    )
    if not provider.client_id:
        raise ProviderError(
            f"no OAuth2 client id for {kind}: register one (see the docs) and set "
            "oauth2_client_id for this account"
        )
    for url in (
        provider.token_url,
        provider.device_url,
        provider.authorize_url,
        provider.revoke_url,
    ):
        if url:
            try:
                check_url(url)
            except HttpError as exc:
                raise ProviderError(str(exc)) from exc
    return provider
