"""DNS for discovery: RFC 6186 / RFC 8314 SRV records, and MX for hosted custom domains.

Why dnspython: the standard library resolves addresses only (getaddrinfo); SRV and MX
need a real resolver. dnspython is maintained, pure Python and has no dependencies.
The `Resolver` protocol is the boundary: `DnsResolver` asks the system's name servers
(or the ones given — the tests point it at a stub DNS server on loopback), and the
logic here only sees records.

RFC 8314 §5.1: implicit TLS first — `_imaps._tcp`, `_submissions._tcp` — then
`_submission._tcp` (STARTTLS). A target of "." means "not offered here" (RFC 6186 §3.4).
SRV answers are not authenticated (no DNSSEC check here), so setup shows the host it
found and TLS checks the certificate against that host's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mailtui.setup.presets import Endpoint, Security

LOOKUP_TIMEOUT = 5.0


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str


class Resolver(Protocol):
    """What discovery asks DNS."""

    def srv(self, name: str) -> list[SrvRecord]: ...

    def mx(self, domain: str) -> list[str]: ...


class DnsResolver:
    """SRV and MX lookups with dnspython; an unanswerable name gives an empty list.

    dnspython is imported here, not at the top: only `mailtui setup` needs it, and
    every other start of mailtui would pay for its import.
    """

    def __init__(
        self, nameservers: list[str] | None = None, port: int = 53, timeout: float = LOOKUP_TIMEOUT
    ) -> None:
        import dns.resolver

        try:
            self._resolver: dns.resolver.Resolver | None = dns.resolver.Resolver(
                configure=nameservers is None
            )
        except dns.resolver.NoResolverConfiguration:  # no /etc/resolv.conf: no DNS steps
            self._resolver = None
            return
        if nameservers is not None:
            self._resolver.nameservers = nameservers
            self._resolver.port = port
        self._resolver.lifetime = timeout

    def _query(self, name: str, rdtype: str) -> list:
        import dns.exception

        if self._resolver is None:
            return []
        try:
            return list(self._resolver.resolve(name, rdtype, search=False))
        except dns.exception.DNSException:  # NXDOMAIN, no answer, timeout, no servers
            return []

    def srv(self, name: str) -> list[SrvRecord]:
        return [
            SrvRecord(int(r.priority), int(r.weight), int(r.port), r.target.to_text())
            for r in self._query(name, "SRV")
        ]

    def mx(self, domain: str) -> list[str]:
        records = sorted(self._query(domain, "MX"), key=lambda r: int(r.preference))
        return [r.exchange.to_text().rstrip(".") for r in records]


def _best(records: list[SrvRecord]) -> SrvRecord | None:
    """Lowest priority, then highest weight (a client may pick by weight; one is enough);
    None when the service is explicitly not offered (target ".")."""
    usable = [r for r in records if r.target not in (".", "") and 0 < r.port < 65536]
    if not usable:
        return None
    return sorted(usable, key=lambda r: (r.priority, -r.weight))[0]


def _endpoint(resolver: Resolver, name: str, security: Security) -> Endpoint | None:
    best = _best(resolver.srv(name))
    if best is None:
        return None
    return Endpoint(best.target.rstrip("."), best.port, security)


def srv_servers(domain: str, resolver: Resolver) -> tuple[Endpoint | None, Endpoint | None]:
    """(IMAP, SMTP submission) endpoints the domain's SRV records name, in RFC 8314 order."""
    imap = _endpoint(resolver, f"_imaps._tcp.{domain}", "tls")
    smtp = _endpoint(resolver, f"_submissions._tcp.{domain}", "tls") or _endpoint(
        resolver, f"_submission._tcp.{domain}", "starttls"
    )
    return imap, smtp
