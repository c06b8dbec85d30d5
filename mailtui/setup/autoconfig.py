"""A domain's own autoconfig file (Thunderbird's clientConfig v1.1 format).

Looked for at `https://autoconfig.<domain>/mail/config-v1.1.xml`, then at
`https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml` — https with verified
certificates only, no redirects followed (mailtui.oauth2.http): the answer decides
where the password goes, so it must come from the domain itself. The address is not
sent along (Thunderbird's `?emailaddress=`): the file is the same for everyone.

The XML is read with expat directly, refusing any DOCTYPE — so no entity, internal or
external, is ever declared or expanded (billion laughs, XXE) — and capped in size by
the HTTP client (1 MiB) and in elements here. Values are checked before use: a host
name of host-name characters, a port in range, TLS or STARTTLS only (a `plain` server
is skipped, never offered).
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field

from mailtui.oauth2.http import HttpClient, HttpError
from mailtui.setup.presets import AuthKind, Endpoint, Security

MAX_ELEMENTS = 2000
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$"
)
_SOCKET = {"SSL": "tls", "STARTTLS": "starttls"}


class AutoconfigError(ValueError):
    """The file is not a usable clientConfig; the message says why."""


@dataclass(frozen=True)
class AutoconfigServer:
    endpoint: Endpoint
    username: str  # with %EMAILADDRESS% / %EMAILLOCALPART% / %EMAILDOMAIN% filled in
    auth: AuthKind


@dataclass(frozen=True)
class Autoconfig:
    """The first usable IMAP and SMTP servers of a clientConfig, and where it came from."""

    url: str
    imap: AutoconfigServer
    smtp: AutoconfigServer | None
    display_name: str = ""


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def value(self, tag: str) -> str:
        node = self.find(tag)
        return node.text.strip() if node else ""


def parse_xml(data: bytes) -> _Node:
    """A small element tree from `data`; AutoconfigError for DOCTYPEs, entities, junk."""
    parser = xml.parsers.expat.ParserCreate()
    root = _Node("", {})
    stack = [root]
    count = 0

    def refuse(*_args: object) -> None:
        raise AutoconfigError("the autoconfig file declares a DOCTYPE or entities; refused")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_ELEMENTS:
            raise AutoconfigError("the autoconfig file is too large")
        node = _Node(tag, attrs)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if len(stack[-1].text) < 4096:
            stack[-1].text += data

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise AutoconfigError(f"the autoconfig file is not well-formed XML ({exc})") from exc
    if len(root.children) != 1:
        raise AutoconfigError("the autoconfig file has no single root element")
    return root.children[0]


def _fill(template: str, address: str) -> str:
    local, _, domain = address.partition("@")
    return (
        template.replace("%EMAILADDRESS%", address)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
    )


def _server(node: _Node, address: str) -> AutoconfigServer | None:
    host = node.value("hostname")
    security = _SOCKET.get(node.value("socketType").upper())
    try:
        port = int(node.value("port"))
    except ValueError:
        return None
    if not _HOST_RE.match(host) or not 0 < port < 65536 or security is None:
        return None
    methods = [c.text.strip() for c in node.children if c.tag == "authentication"]
    if any(m.lower() == "oauth2" for m in methods):
        auth: AuthKind = "oauth2"
    elif any(m.lower().startswith("password") for m in methods) or not methods:
        auth = "password"
    else:
        return None  # NTLM, GSSAPI, client-IP-address...: nothing mailtui does
    sec: Security = "tls" if security == "tls" else "starttls"
    username = _fill(node.value("username") or "%EMAILADDRESS%", address)
    return AutoconfigServer(Endpoint(host.rstrip("."), port, sec), username, auth)


def parse_autoconfig(data: bytes, address: str, url: str = "") -> Autoconfig:
    """The first usable IMAP and SMTP servers of a clientConfig document."""
    root = parse_xml(data)
    provider = root.find("emailProvider")
    if root.tag != "clientConfig" or provider is None:
        raise AutoconfigError("not a clientConfig document")
    imap = smtp = None
    for node in provider.children:
        if node.tag == "incomingServer" and node.attrs.get("type") == "imap" and imap is None:
            imap = _server(node, address)
        elif node.tag == "outgoingServer" and node.attrs.get("type") == "smtp" and smtp is None:
            smtp = _server(node, address)
    if imap is None:
        raise AutoconfigError("the autoconfig file names no IMAP server with TLS")
    return Autoconfig(url, imap, smtp, provider.value("displayName")[:80])


def autoconfig_urls(domain: str) -> list[str]:
    return [
        f"https://autoconfig.{domain}/mail/config-v1.1.xml",
        f"https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    ]


def fetch_autoconfig(address: str, http: HttpClient) -> tuple[Autoconfig | None, list[str]]:
    """The domain's autoconfig, trying both places in order, and what went wrong where."""
    domain = address.rpartition("@")[2].lower()
    problems: list[str] = []
    for url in autoconfig_urls(domain):
        try:
            resp = http.get(url)
        except HttpError as exc:
            problems.append(f"{url}: {exc}")
            continue
        if resp.status != 200:
            problems.append(f"{url}: HTTP {resp.status}")
            continue
        try:
            return parse_autoconfig(resp.body, address, url), problems
        except AutoconfigError as exc:
            problems.append(f"{url}: {exc}")
    return None, problems
