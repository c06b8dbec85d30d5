"""Finding the servers for an email address, the way `mailtui setup` asks.

In order, stopping at the first source that answers:
1. the built-in presets (presets.py), by the address's domain;
2. the domain's autoconfig file (autoconfig.py);
3. RFC 6186 / 8314 SRV records (srv.py);
4. a custom domain whose MX is a preset provider's (Google Workspace, Microsoft 365);
5. guesses: imap.<domain> and mail.<domain> — marked as guesses, to be probed.

Presets come before the network because they are instant and carry the habits; the
domain's own answers (autoconfig, SRV) come before MX because a domain that publishes
settings knows best. What is found is a proposal: probe.py then connects and reads
what the server really offers before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailtui.oauth2.http import HttpClient
from mailtui.setup.autoconfig import fetch_autoconfig
from mailtui.setup.presets import AuthKind, Endpoint, Preset, preset_for_domain, preset_for_mx
from mailtui.setup.srv import Resolver, srv_servers


class AddressError(ValueError):
    """Not an address discovery can work with."""


@dataclass(frozen=True)
class Candidate:
    """One proposed account set-up and where it came from."""

    source: str  # "preset", "autoconfig", "srv", "mx", "guess"
    imap: Endpoint
    smtp: Endpoint | None
    username: str
    auth: AuthKind = "password"
    oauth2_provider: str | None = None
    preset: Preset | None = None
    detail: str = ""  # e.g. the autoconfig URL, the preset's name

    @property
    def is_guess(self) -> bool:
        return self.source == "guess"


@dataclass
class Discovery:
    """The candidates, best first, and the notes on each place that had nothing."""

    address: str
    candidates: list[Candidate]
    tried: list[str] = field(default_factory=list)


def split_address(address: str) -> tuple[str, str]:
    """(local part, lower-cased ASCII domain), or AddressError."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    domain = domain.lower().rstrip(".")
    if not at or not local or "." not in domain or any(c.isspace() for c in address):
        raise AddressError(f"{address!r} does not look like an email address")
    try:  # DNS and TLS speak the ASCII form of an internationalised domain (IDNA)
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise AddressError(f"{domain!r} is not a domain name") from exc
    if not all(part and len(part) < 64 for part in domain.split(".")):
        raise AddressError(f"{domain!r} is not a domain name")
    return local, domain


def _from_preset(preset: Preset, address: str, source: str) -> Candidate:
    return Candidate(
        source=source,
        imap=preset.imap,
        smtp=preset.smtp,
        username=address,
        auth=preset.auth,
        oauth2_provider=preset.oauth2_provider,
        preset=preset,
        detail=preset.name,
    )


def guesses(domain: str, address: str) -> list[Candidate]:
    """imap.<domain> and mail.<domain>, implicit TLS (RFC 8314 prefers it)."""
    return [
        Candidate(
            source="guess",
            imap=Endpoint(f"{prefix}.{domain}", 993, "tls"),
            smtp=Endpoint(f"{smtp}.{domain}", 465, "tls"),
            username=address,
            detail="a guess",
        )
        for prefix, smtp in (("imap", "smtp"), ("mail", "mail"))
    ]


def discover(address: str, http: HttpClient, resolver: Resolver | None) -> Discovery:
    """The candidates for `address`; see the module docstring for the order.

    `resolver` None skips the DNS steps (no dnspython, or the user said offline).
    """
    _local, domain = split_address(address)
    found = Discovery(address, [])
    preset = preset_for_domain(domain)
    if preset is not None:
        found.candidates.append(_from_preset(preset, address, "preset"))
        return found
    found.tried.append(f"no built-in settings for {domain}")

    config, problems = fetch_autoconfig(address, http)
    found.tried.extend(problems)
    if config is not None:
        found.candidates.append(
            Candidate(
                source="autoconfig",
                imap=config.imap.endpoint,
                smtp=config.smtp.endpoint if config.smtp else None,
                username=config.imap.username,
                auth=config.imap.auth,
                detail=config.url,
            )
        )
        return found

    if resolver is not None:
        imap, smtp = srv_servers(domain, resolver)
        if imap is not None:
            found.candidates.append(Candidate("srv", imap, smtp, address, detail="DNS SRV"))
            return found
        found.tried.append(f"no _imaps._tcp.{domain} SRV record")
        hosted = preset_for_mx(resolver.mx(domain))
        if hosted is not None:
            found.candidates.append(_from_preset(hosted, address, "mx"))
            return found

    found.candidates.extend(guesses(domain, address))
    return found
