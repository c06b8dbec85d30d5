"""Unsubscribing from a mailing list in one key, without ever fetching a stranger's link.

`List-Unsubscribe` (RFC 2369 §3.2) lists URIs in angle brackets, comma-separated,
in order of preference; `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
(RFC 8058) says the HTTPS one of them accepts a POST that unsubscribes with no page
to visit. Both headers come from whoever sent the mail, so:

- the header is capped and scanned once, linearly; only `https:` and `mailto:` URIs
  are kept (an `http:` link could be read or changed on the way);
- the one-click POST is made only after the user confirmed (RFC 8058 §3.2: no POST
  "without user consent"), with exactly the body `List-Unsubscribe=One-Click` and
  `Content-Type: application/x-www-form-urlencoded` (§3.1), no cookies and no
  authorisation (§3.1: "MUST NOT include cookies, HTTP authorization, or any other
  context information"), the certificate verified, and **no redirect followed**: §3.1
  forbids the sender to answer with one, and a redirected POST may turn into a GET of
  some tracking page — a 3xx is reported as a failure;
- a plain https link is only shown, to open or copy: mailtui never sends a GET to a
  link (that confirms the address is read, and may unsubscribe or subscribe);
- a `mailto:` becomes a draft with To, Subject and Body only (`compose.mailto`), sent
  through the review screen like any message.

Nothing here checks DKIM (RFC 8058 §4 asks receivers to act on one-click only when a
valid DKIM signature covers both headers); the confirmation names the host the POST
goes to.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mailtui.compose.draft import Draft, new_draft
from mailtui.compose.mailto import Mailto, parse_mailto
from mailtui.config.model import AccountSettings
from mailtui.text.safe import clean_line

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = [
    "ONE_CLICK_BODY",
    "OneClickResult",
    "UnsubscribePlan",
    "message_plan",
    "perform_one_click",
    "plan_unsubscribe",
    "unsubscribe_draft",
]

MAX_HEADER = 8192
"""Characters of List-Unsubscribe looked at (real ones are a few hundred)."""
MAX_URIS = 8
MAX_URL = 2048
ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
_ONE_CLICK_VALUE = "list-unsubscribe=one-click"
_MAX_ANSWER = 64 * 1024


@dataclass(frozen=True)
class UnsubscribePlan:
    """What unsubscribing from this message's list can do; empty fields are not offered.

    `kind` is the preferred way: "one-click" (an HTTPS POST after confirmation),
    "mailto" (a prefilled message), "link" (an https page to open or copy) or "none".
    """

    one_click: str = ""
    """The https URL to POST to (only when List-Unsubscribe-Post asks for one-click)."""
    mailto: Mailto | None = None
    mailto_url: str = ""
    link: str = ""
    """An https URL for the user to open themselves (never fetched by mailtui)."""

    @property
    def kind(self) -> str:
        if self.one_click:
            return "one-click"
        if self.mailto is not None:
            return "mailto"
        return "link" if self.link else "none"

    @property
    def host(self) -> str:
        """The host a one-click POST or the link goes to, for the confirmation."""
        url = self.one_click or self.link
        return clean_line(urlsplit(url).hostname or "") if url else ""

    def describe(self) -> str:
        """One sentence for the confirmation prompt (clean text, no markup)."""
        if self.one_click:
            return f"Unsubscribe by a one-click request to {self.host}"
        if self.mailto is not None:
            to = ", ".join(a.addr for a in self.mailto.to) or "(no address)"
            return clean_line(f"Unsubscribe by sending a message to {to}")
        if self.link:
            return clean_line(f"Unsubscribe on the list's page: {self.link}")
        return "This message names no way to unsubscribe"


def _uris(header: str) -> list[str]:
    """The <…> URIs of an RFC 2369 field, whitespace inside the brackets removed."""
    found: list[str] = []
    pos = 0
    text = header[:MAX_HEADER]
    while len(found) < MAX_URIS:
        start = text.find("<", pos)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:
            break
        # RFC 2369 §2: whitespace (a folded header) inside the brackets is ignored.
        uri = "".join(text[start + 1 : end].split())
        if uri and len(uri) <= MAX_URL:
            found.append(uri)
        pos = end + 1
    return found


def _https(uri: str) -> str:
    """The URI when it is a plain https URL mailtui may show or POST to, else ""."""
    if not uri.isprintable() or not uri.isascii():
        return ""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return ""
    del port  # only read to reject a malformed port
    if parts.scheme.lower() != "https" or not parts.hostname:
        return ""
    if "@" in parts.netloc:
        return ""  # user@host: would disguise the host ("https://bank.example@evil.test")
    return uri


def plan_unsubscribe(list_unsubscribe: str, list_unsubscribe_post: str = "") -> UnsubscribePlan:
    """The plan for a message's List-Unsubscribe and List-Unsubscribe-Post values.

    One-click is offered only for the first https URI and only when the Post header is
    exactly `List-Unsubscribe=One-Click` (RFC 8058 §3.1); the first mailto: and the
    first https URI are kept as the other ways."""
    one_click_asked = " ".join(list_unsubscribe_post.split()).lower() == _ONE_CLICK_VALUE
    plan = UnsubscribePlan()
    for uri in _uris(list_unsubscribe):
        if uri[:7].lower() == "mailto:" and plan.mailto is None:
            try:
                fields = parse_mailto(uri)
            except ValueError:
                continue
            if fields.to:
                plan = replace(plan, mailto=fields, mailto_url=uri)
        elif not plan.link and _https(uri):
            plan = replace(plan, link=uri, one_click=uri if one_click_asked else "")
    return plan


def message_plan(service: SyncService, folder: str, uid: int) -> UnsubscribePlan:
    """The plan for a stored message: its header block fetched (BODY.PEEK[HEADER], so it
    stays unread) and the two fields read. Blocking: the CLI, or a thread."""
    from mailtui.usecase.message_io import fetch_header, header_fields

    fields = {
        name.lower(): value
        for name, value in reversed(header_fields(fetch_header(service, folder, uid)))
    }
    return plan_unsubscribe(
        fields.get("list-unsubscribe", ""), fields.get("list-unsubscribe-post", "")
    )


def unsubscribe_draft(account: AccountSettings, plan: UnsubscribePlan) -> Draft:
    """The message a mailto: plan sends: its To, Subject and Body (no Cc, no Bcc, no
    attachment), Subject "unsubscribe" when the link gives none."""
    if plan.mailto is None:
        raise ValueError("this plan has no mailto: address")
    return new_draft(
        account,
        to=plan.mailto.to,
        subject=plan.mailto.subject or "unsubscribe",
        body=plan.mailto.body,
    )


@dataclass(frozen=True)
class OneClickResult:
    """How the POST went; `message` is one clean sentence for the status bar."""

    ok: bool
    status: int = 0
    message: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: RFC 8058 §3.1 forbids them for one-click, and following a
    redirected POST (urllib turns 301/302/303 into a GET) would fetch a page we were
    told not to."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def perform_one_click(
    plan: UnsubscribePlan, *, timeout: float = 20.0, ca_file: str | Path | None = None
) -> OneClickResult:
    """POST `List-Unsubscribe=One-Click` to the plan's URL (after the user confirmed).

    Certificates are verified against the system's CAs (OpenSSL's default store, which
    honours SSL_CERT_FILE) plus `ca_file` when given (`[ui] https_ca_file`). Never
    raises for network or HTTP trouble: the result says what happened. Blocking: run it
    in a worker thread."""
    url = _https(plan.one_click)
    if not url:
        return OneClickResult(False, message="This list offers no one-click unsubscribe")
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            return OneClickResult(False, message=clean_line(f"Cannot read {ca_file}: {exc}"))
    # No HTTPCookieProcessor, no auth handlers: build_opener adds neither by default.
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirect()
    )
    request = urllib.request.Request(
        url,
        data=ONE_CLICK_BODY,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "mailtui (RFC 8058 one-click unsubscribe)",
        },
    )
    host = plan.host
    try:
        with opener.open(request, timeout=timeout) as answer:
            answer.read(_MAX_ANSWER)
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            return OneClickResult(
                False,
                exc.code,
                f"{host} answered with a redirect, which one-click unsubscribe does not allow; "
                "nothing more was sent — open the list's page instead",
            )
        return OneClickResult(False, exc.code, f"{host} refused the unsubscribe ({exc.code})")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return OneClickResult(False, message=clean_line(f"Could not reach {host}: {reason}")[:300])
    return OneClickResult(True, status, f"Unsubscribe request accepted by {host} ({status})")
